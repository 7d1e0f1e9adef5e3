"""Compare a final state with a stored JSON snapshot, ignoring what changes from run to run.

Durations, dates and times differ on every run, so before comparing, values
under keys such as ``duration`` and strings that look like ISO dates are
replaced by placeholders. ``pytest --update-snapshots`` (re)writes the files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable

__all__ = ["Snapshot", "normalise"]

VOLATILE_KEYS = frozenset({"duration", "date", "time", "timestamp", "started_at", "finished_at",
                           "created_at", "updated_at", "received_on", "server_modified_on",
                           "indexed_on", "instanceID", "timeStart", "timeEnd"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def normalise(value: Any, ignore: Iterable[str] = ()) -> Any:
    """``value`` with volatile keys (and ``ignore``) set to ``"<ignored>"`` and ISO dates to ``"<date>"``."""
    keys = VOLATILE_KEYS | set(ignore)
    if isinstance(value, dict):
        return {k: "<ignored>" if k in keys else normalise(v, keys) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, keys) for v in value]
    if isinstance(value, str) and _ISO_DATE.match(value):
        return "<date>"
    return value


class Snapshot:
    """Snapshots of one test module, stored as ``<folder>/<name>.json``."""

    def __init__(self, folder: Path, update: bool = False):
        self.folder = Path(folder)
        self.update = update

    def assert_match(self, value: Any, name: str, ignore: Iterable[str] = ()) -> None:
        """Fail unless ``value`` matches the stored snapshot ``name`` (after :func:`normalise`)."""
        __tracebackhide__ = True
        path = self.folder / f"{name}.json"
        actual = normalise(json.loads(json.dumps(value)), ignore)
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            return
        if not path.is_file():
            raise AssertionError(f"no snapshot {path}: run pytest --update-snapshots to create it")
        expected = json.loads(path.read_text(encoding="utf-8"))
        if actual != expected:
            raise AssertionError(f"state differs from snapshot {path}:\n{_diff(expected, actual)}\n"
                                 f"(run pytest --update-snapshots if the change is intended)")


def _diff(expected: Any, actual: Any) -> str:
    import difflib

    left = json.dumps(expected, indent=2, sort_keys=True).splitlines()
    right = json.dumps(actual, indent=2, sort_keys=True).splitlines()
    return "\n".join(difflib.unified_diff(left, right, "snapshot", "actual", lineterm=""))
