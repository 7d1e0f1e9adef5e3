"""``--cache-steps``: each step's output in ``.cli-cache/<workflow>/<step>.json``, as OpenFn's CLI.

The folder sits beside the workflow file and holds a ``.gitignore`` of ``*``.
A full run clears it first; ``--start X`` without ``-s`` starts from the
cached output of X's parent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from runtime import events
from runtime.state_file import write_output
from runtime.plan import Plan

__all__ = ["StepCache"]


class StepCache:
    """The cache folder of one workflow."""

    def __init__(self, workflow_path: Path, workflow_name: str):
        self.folder = workflow_path.parent / ".cli-cache" / workflow_name

    def clear(self) -> None:
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)

    def write(self, step_key: str, state: Any) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self.folder.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
        return write_output(state, self.folder / f"{step_key}.json")

    def read(self, step_id: str) -> Any | None:
        path = self.folder / f"{step_id}.json"
        if not path.is_file():
            return None
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if text else None

    def input_for(self, plan: Plan, step_id: str) -> tuple[str, Any] | None:
        """The cached output of the first parent of ``step_id`` that has one."""
        for parent in plan.parents(step_id):
            cached = self.read(parent)
            if cached is not None:
                return parent, cached
        return None

    def observer(self, scrub: Callable[[Any], Any]):
        """A ``RunContext.notify`` callback writing each completed step's output, ``scrub``-bed of secrets."""
        def notify(event: str, **payload: Any) -> None:
            if event == events.STEP_COMPLETE and payload.get("state") is not None:
                self.write(payload["step"], scrub(payload["state"]))
        return notify
