"""Read the input state and write the final state file, the way OpenFn's CLI does.

The output is ``json.dumps(result, indent=2)`` with ``configuration`` removed,
or an empty file when the result is undefined. A regular file is replaced
atomically (a temporary file in the same folder renamed into place), so a
crash never leaves half a state; a symlink is followed (the link stays) and a
device or pipe (``/dev/stdout``) is written into, never replaced.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import uuid
from pathlib import Path
from typing import Any

from runtime.errors import UsageError
from runtime.state import to_json

__all__ = ["load_state_file", "parse_state_text", "serialize_output", "write_output"]


STDIN = "-"  # the state path that means standard input (``-s -``)


def load_state_file(path: str | Path) -> dict:
    """Read a state file (``-`` is standard input); a missing file, bad JSON or a non-object is a
    :class:`UsageError`."""
    if str(path) == STDIN:
        return parse_state_text(sys.stdin.read(), "standard input")
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
    """Write the final state to ``path``; return the path.

    A regular file (or a new one) is replaced atomically; a symlink is written
    through (its target replaced, the link kept); a device or a pipe is written into.
    """
    path = Path(path)
    text = serialize_output(result)
    try:
        mode = path.stat().st_mode  # through any symlink
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise UsageError(f"Cannot write the state to {path}: it is a folder",
                         hint="Give a file path to -o/--output-path")
    if mode is not None and not stat.S_ISREG(mode):
        with open(path, "w", encoding="utf-8") as handle:  # a device or a pipe: never replaced
            handle.write(text)
        return path
    _replace_atomically(Path(os.path.realpath(path)), text)
    return path


def _replace_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temp, "x", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
