"""Read the input state and write the final state file, the way OpenFn's CLI does.

The output is ``json.dumps(result, indent=2)`` with ``configuration`` removed,
or an empty file when the result is undefined; it is written atomically (a
temporary file renamed into place), so a crash never leaves half a state.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

from runtime.errors import UsageError
from runtime.state import to_json

__all__ = ["load_state_file", "parse_state_text", "serialize_output", "write_output"]


def load_state_file(path: str | Path) -> dict:
    """Read a state file; a missing file, bad JSON or a non-object is a :class:`UsageError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"State file not found: {path}",
                         hint="Check the path given to -s/--state-path") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read state file {path}: {exc}") from None
    return parse_state_text(text, str(path))


def parse_state_text(text: str, origin: str) -> dict:
    """Parse state JSON from ``origin`` (a file name or ``-S``), naming line and column of an error."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        shown = lines[exc.lineno - 1] if 0 < exc.lineno <= len(lines) else ""
        caret = " " * (exc.colno - 1) + "^"
        raise UsageError(f"{origin} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                         f"column {exc.colno}", hint="Fix the JSON; state must be a JSON object",
                         code=f"{shown}\n{caret}" if shown else None) from None
    if not isinstance(value, dict):
        raise UsageError(f"{origin} holds a JSON {type(value).__name__}, but state must be an object",
                         hint='Wrap it, e.g. {"data": ...}')
    return value


def serialize_output(result: Any) -> str:
    """The output file's text: 2-space JSON without ``configuration``; empty when undefined."""
    if result is None:
        return ""
    if isinstance(result, dict) and ("configuration" in result or "data" in result):
        result = {k: v for k, v in result.items() if k != "configuration"}
    try:  # a step's output is plain JSON already: no need to copy it once more
        return json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return json.dumps(to_json(result), indent=2, ensure_ascii=False)


def write_output(result: Any, path: str | Path) -> Path:
    """Write the final state to ``path`` atomically; return the path."""
    path = Path(path)
    text = serialize_output(result)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temp, "x", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path
