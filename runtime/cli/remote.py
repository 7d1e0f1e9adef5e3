"""``pyfn trigger --server URL``: a manual run through a running server's API, from any shell.

The server holds the workflow's secrets and its run store; the client needs only the URL
and the API token (``--api-token`` or ``PYFN_API_TOKEN``). ``POST /api/workflows/<name>/runs``
queues the run (``{"state": {...}}``, or the cron cursor's input); ``--wait`` polls
``GET /api/runs/<id>`` until it ends.

Example::

    run_trigger_remote("http://127.0.0.1:4000", "s3cret", "commcare-sync", None, wait=True, timeout_s=600)
"""

from __future__ import annotations

import json
import time
from pathlib import Path

__all__ = ["run_trigger_remote"]

_POLL_SECONDS = 0.5


def run_trigger_remote(server: str, token: str | None, workflow: str, state_path: Path | None, wait: bool,
                       timeout_s: float) -> int:
    """Queue a manual run of ``workflow`` on the server at ``server``; print its ids (and its outcome)."""
    import requests

    if not token:
        print("pyfn trigger --server needs the server's API token: --api-token TOKEN or PYFN_API_TOKEN")
        return 1
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    base = server.rstrip("/")
    try:
        body = {"state": json.loads(state_path.read_text(encoding="utf-8"))} if state_path else {}
        answer = session.post(f"{base}/api/workflows/{workflow}/runs", json=body, timeout=30)
    except (OSError, ValueError) as error:
        print(f"Cannot queue a run on {base}: {error}")
        return 1
    if answer.status_code != 201:
        print(f"{base} refused the run ({answer.status_code}): {_message(answer)}")
        return 1
    run_id, work_order = answer.json()["run_id"], answer.json()["work_order_id"]
    print(f"Queued run {run_id} (work order {work_order}) of workflow {workflow} on {base}")
    return _wait(session, base, run_id, timeout_s) if wait else 0


def _wait(session, base: str, run_id: str, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run = session.get(f"{base}/api/runs/{run_id}", timeout=30).json()["run"]
        if run["final"]:
            took = "-" if run["duration_ms"] is None else f"{run['duration_ms'] / 1000:.3f}s"
            error = f" ({run['error_type']})" if run["error_type"] else ""
            print(f"Run {run_id} {run['state']}{error} in {took}; pyfn runs show {run_id[:8]} for its steps and logs")
            return 0 if run["state"] == "success" else 1
        time.sleep(_POLL_SECONDS)
    print(f"Run {run_id} has not ended after {timeout_s:g}s; it goes on (pyfn runs show {run_id[:8]})")
    return 1


def _message(answer) -> str:
    try:
        return str(answer.json().get("error", answer.text))
    except ValueError:
        return answer.text.strip()[:200]
