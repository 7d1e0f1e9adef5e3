"""``pyfn demo``: run the shipped CommCare examples offline, against the bundled HQ simulator.

The HQ simulator, a Salesforce-like CRM and an SMS gateway start on loopback; the
examples' credentials (``workflows/credentials.yaml``) read their URLs and keys from
the environment, which the demo sets. Each example runs as ``pyfn execute`` would, on a
fresh run store (``demo.db`` in the outputs folder) holding the registrations' ``crm-ids`` collection.
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable

from runtime.cli.execute import ExecuteArgs, run_execute, usage_failure

__all__ = ["run_demo", "project_root", "outputs_folder", "example_environment", "EXAMPLES"]

EXAMPLES = ("registrations", "reminders", "bulk-import")
DEMO_DB = "demo.db"


CHECKOUT = Path(__file__).resolve().parents[2]
SHIPPED = Path(__file__).resolve().parent / "examples"  # the copy a wheel carries (see setup.py)


def project_root() -> Path:
    """Where the examples are: the checkout pyfn runs from (an editable install), else the installed copy."""
    return CHECKOUT if (CHECKOUT / "workflows" / "commcare-registrations.yaml").is_file() else SHIPPED


def outputs_folder(root: Path) -> Path:
    """A checkout's ``state/example-runs``; ``./pyfn-demo`` beside an installed copy, which is never written to."""
    return root / "state" / "example-runs" if root == CHECKOUT else Path.cwd() / "pyfn-demo"


def example_environment(hq_url: str, crm_url: str, sms_url: str) -> dict[str, str]:
    """The variables ``workflows/credentials.yaml`` reads, for the simulator and the stand-ins."""
    return {"PYFN_COMMCARE_URL": hq_url, "PYFN_COMMCARE_DOMAIN": "demo", "PYFN_COMMCARE_APP_ID": "demo-app",
            "PYFN_COMMCARE_USERNAME": "demo@example.com", "PYFN_COMMCARE_API_KEY": "demo-api-key",
            "PYFN_CRM_URL": crm_url, "PYFN_CRM_TOKEN": "demo-crm-token",
            "PYFN_SMS_URL": sms_url, "PYFN_SMS_TOKEN": "demo-sms-token",
            "PYFN_FORWARDING_USERNAME": "commcare", "PYFN_FORWARDING_PASSWORD": "demo-forwarding"}


def run_demo(names: list[str] | None = None) -> int:
    """Run the named examples (all by default); return the exit code."""
    from runtime.testing.hq import HQ
    from runtime.testing.standins import CRM, SMSGateway

    root, names = project_root(), names or list(EXAMPLES)
    unknown = [n for n in names if n not in EXAMPLES]
    if unknown or not (root / "workflows" / "commcare-registrations.yaml").is_file():
        return usage_failure(f"Unknown example {unknown[0]}" if unknown else f"The examples are not in {root}",
                             hint=f"Examples: {', '.join(EXAMPLES)}; reinstall pyfn-runtime, whose wheel ships them")
    with ExitStack() as stack:
        hq, crm, sms = (stack.enter_context(HQ(seed=60)), stack.enter_context(CRM()),
                        stack.enter_context(SMSGateway()))
        os.environ.update(example_environment(hq.url, crm.url, sms.url))
        print(f"HQ simulator at {hq.url}, CRM at {crm.url}, SMS gateway at {sms.url}\n")
        outputs = outputs_folder(root)
        _fresh_store(outputs / DEMO_DB)
        for name in names:
            code = _RUNNERS[name](root, outputs, hq)
            if code:
                return code
        print(f"\nDone: {len(crm.records)} patients in the CRM, {len(sms.sent)} SMS sent. "
              f"Outputs in {outputs}")
    return 0


def _run(root: Path, outputs: Path, name: str, workflow: str, state: Path | None) -> int:
    shown = state.relative_to(root) if state and state.is_relative_to(root) else state
    print(f"== {name}: pyfn execute workflows/{workflow}" + (f" -s {shown}" if state else ""))
    code = run_execute(ExecuteArgs(path=root / "workflows" / workflow, state_path=state,
                                   output_path=outputs / f"{name}.json", db=str(outputs / DEMO_DB)))
    print()
    return code


def _fresh_store(path: Path) -> None:
    """An empty run store with the ``crm-ids`` collection: the demo's CRM starts empty every time."""
    from runtime.store.collections import StoreCollections

    for old in path.parent.glob(path.name + "*"):
        old.unlink()
    store = StoreCollections(path)
    store.create("crm-ids")
    store.close()


def _registrations(root: Path, outputs: Path, hq: Any) -> int:
    form = hq.forms(xmlns="http://openrosa.org/formdesigner/pyfn-demo/register-household")[-1]
    state = outputs / "forwarded-registration.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"data": form}, indent=2), encoding="utf-8")
    return _run(root, outputs, "registrations", "commcare-registrations.yaml", state)


def _reminders(root: Path, outputs: Path, hq: Any) -> int:
    return _run(root, outputs, "reminders", "daily-reminders.yaml", None)


def _bulk_import(root: Path, outputs: Path, hq: Any) -> int:
    state = outputs / "bulk-import-input.json"  # the CSV's absolute path: the demo may run from anywhere
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"data": {"file": str(root / "state" / "people.csv")}}), encoding="utf-8")
    return _run(root, outputs, "bulk-import", "bulk-import.yaml", state)


_RUNNERS: dict[str, Callable[[Path, Path, Any], int]] = {
    "registrations": _registrations, "reminders": _reminders, "bulk-import": _bulk_import}
