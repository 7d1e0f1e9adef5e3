"""Read the input state and write the final state file, the way OpenFn's CLI does.

The output is ``json.dumps(result, indent=2)`` with ``configuration`` removed,
or an empty file when the result is undefined. A regular file is replaced
atomically (a temporary file in the same folder renamed into place), so a
crash never leaves half a state; a symlink is followed (the link stays) and a
device or pipe (``/dev/stdout``) is written into, never replaced.
"""

from __future__ import annotations

import gc
import json
import math
import os
import re
import stat
import sys
from contextlib import contextmanager
from itertools import chain, compress, repeat
from operator import is_
from pathlib import Path
from typing import Any, Iterator

from runtime.errors import UsageError
from runtime.textfile import read_text
from runtime.state import to_json

__all__ = ["escape_surrogates", "parse_json", "load_state_file", "parse_state_text", "serialize_output", "write_output",
           "write_output_text", "collector_paused"]


STDIN = "-"  # the state path that means standard input (``-s -``)


def load_state_file(path: str | Path) -> dict:
    """Read a state file (``-`` is standard input); a missing file, bad JSON or a non-object is a
    :class:`UsageError`."""
    if str(path) == STDIN:
        return parse_state_text(sys.stdin.read(), "standard input")
    path = Path(path)
    try:
        text = read_text(path, "state file")
    except FileNotFoundError:
        raise UsageError(f"State file not found: {path}",
                         hint="Check the path given to -s/--state-path") from None
    except (IsADirectoryError, PermissionError) as exc:
        raise UsageError(f"Cannot read state file {path}: {exc}") from None
    return parse_state_text(text, str(path))


MAX_JSON_DEPTH = 200
_CONTAINERS = frozenset((dict, list))  # what json.loads nests


def parse_json(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Strict JSON: ``NaN``/``Infinity`` and nesting deeper than ``max_depth`` are a ``ValueError``.

    What pyfn accepts it can always write back (state files, webhook bodies).

    Example:
        >>> parse_json('{"a": [1, 2.5]}')
        {'a': [1, 2.5]}
        >>> parse_json('{"a": NaN}')
        Traceback (most recent call last):
        ...
        ValueError: NaN is not valid JSON (JSON has no NaN or Infinity)
        >>> parse_json("[" * 300 + "]" * 300)
        Traceback (most recent call last):
        ...
        ValueError: nested deeper than 200 levels
    """
    value = _parse_large(text) if len(text) >= LARGE_JSON else _UNPARSED
    if value is _UNPARSED:
        try:
            value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
        except RecursionError:
            raise ValueError(f"nested deeper than {max_depth} levels") from None
    if _depth_exceeds(value, text, max_depth):
        raise ValueError(f"nested deeper than {max_depth} levels")
    return value


LARGE_JSON = 1 << 16  # characters from which msgspec parses and writes state
_UNPARSED = object()


def _parse_large(text: str | bytes) -> Any:
    """``text`` parsed by msgspec in one C pass, or ``_UNPARSED`` where the json module must say.

    msgspec reads what ``json.loads`` reads into the same values (exact integers too); what it
    refuses (``NaN``, a number out of range, a lone surrogate, a BOM, deep nesting, bad JSON) is
    read again by the json module, which gives pyfn's answer and messages.
    """
    import msgspec.json

    with collector_paused():  # a parse makes no cycles: no collection need look at its values as they come
        try:
            return msgspec.json.decode(text)
        except (msgspec.DecodeError, RecursionError):
            return _UNPARSED


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off inside the block, then as it was (left off if it was off).

    For a parse: it makes fresh dicts and lists without cycles, which a collection would only walk.

    Example:
        >>> with collector_paused():
        ...     gc.isenabled()
        False
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is too large a number for JSON (it would be Infinity)")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (JSON has no NaN or Infinity)")


def _depth_exceeds(value: Any, text: str | bytes, limit: int) -> bool:
    """Whether an item of ``value`` lies deeper than ``limit`` (the top value is at depth 1).

    Walked level by level, the children of a level gathered and sorted by C-level iterators: a
    state of 100,000 records is checked in a few milliseconds, not one Python step per value.
    """
    if len(text) < LARGE_JSON:  # a large text's brackets are counted once its other bytes are gone
        opening = (b"[", b"{") if isinstance(text, bytes) else ("[", "{")
        if text.count(opening[0]) + text.count(opening[1]) <= limit:  # cannot be deeper: skip the walk
            return False
    exceeds = _brackets_exceed(text, limit)
    if exceeds is not None:
        return exceeds
    level = [value] if type(value) in _CONTAINERS else []
    for depth in range(1, limit + 1):
        if not level:
            return False
        kinds = list(map(type, level))
        dicts = compress(level, map(is_, kinds, repeat(dict)))
        lists = compress(level, map(is_, kinds, repeat(list)))
        children = list(chain(chain.from_iterable(map(dict.values, dicts)), chain.from_iterable(lists)))
        if depth == limit:
            return bool(children)
        level = list(compress(children, map(_CONTAINERS.__contains__, map(type, children))))
    return False


_BRACKETS_AND_QUOTES = b'[]{}"\\'
_OTHER_BYTES = bytes(byte for byte in range(256) if byte not in _BRACKETS_AND_QUOTES)


def _brackets_exceed(text: str | bytes, limit: int) -> bool | None:
    """``_depth_exceeds`` read from the brackets of the text alone; ``None`` when they cannot tell.

    The text's brackets and quotes are kept (C-level ``bytes.translate``); with no escape and no
    bracket inside a string, each pass deleting every ``[]`` then every ``{}`` peels one or two
    levels off the deepest containers. Emptied in ``p`` passes, the nesting is ``p`` to ``2p``
    containers deep, their items one level more; still there after ``limit`` passes, a container
    lies deeper than ``limit``. In between (or with escapes), the walk decides.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    marks = data.translate(None, _OTHER_BYTES)
    if marks.count(b"[") + marks.count(b"{") <= limit:  # cannot be deeper
        return False
    if b"\\" in marks or marks.count(b'"') != 2 * marks.count(b'""'):  # not every string is a bare ""
        return None
    marks = marks.translate(None, b'"')
    for passes in range(1, limit + 1):
        marks = marks.replace(b"[]", b"").replace(b"{}", b"")
        if not marks:
            return False if 2 * passes + 1 <= limit else None
    return True


def parse_state_text(text: str, origin: str) -> dict:
    """Parse state JSON from ``origin`` (a file name or ``-S``), naming line and column of an error."""
    try:
        value = parse_json(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        shown = lines[exc.lineno - 1] if 0 < exc.lineno <= len(lines) else ""
        caret = " " * (exc.colno - 1) + "^"
        raise UsageError(f"{origin} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                         f"column {exc.colno}", hint="Fix the JSON; state must be a JSON object",
                         code=f"{shown}\n{caret}" if shown else None) from None
    except ValueError as exc:
        raise UsageError(f"{origin} is not valid state JSON: {exc}", hint="Fix the JSON") from None
    if not isinstance(value, dict):
        raise UsageError(f"{origin} holds a JSON {type(value).__name__}, but state must be an object",
                         hint='Wrap it, e.g. {"data": ...}')
    configuration = value.get("configuration")
    if configuration is not None and not isinstance(configuration, dict):
        raise UsageError(f"{origin}: configuration must be a JSON object, not a {type(configuration).__name__}",
                         hint='Write it as {"configuration": {"baseUrl": ..., "apiKey": ...}}')
    return value


def serialize_output(result: Any) -> str:
    """The output file's text: 2-space JSON without ``configuration``; empty when undefined."""
    if result is None:
        return ""
    if isinstance(result, dict) and ("configuration" in result or "data" in result):
        result = {k: v for k, v in result.items() if k != "configuration"}
    fast = _write_fast(result)
    if fast is not None:
        return fast
    try:  # a step's output is plain JSON already: no need to copy it once more
        return escape_surrogates(json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError):
        return escape_surrogates(json.dumps(to_json(result), indent=2, ensure_ascii=False))


def _write_fast(result: Any) -> str | None:
    """``json.dumps(result, indent=2, ensure_ascii=False)`` written by msgspec in C, or ``None``.

    For the plain JSON a step's output is, the two write the same text (separators, escapes, key
    order), but for some floats: msgspec writes ``1e17``, ``2.5e-8`` and ``0.00001`` where Python
    writes ``1e+17``, ``2.5e-08`` and ``1e-05``. A text that may hold one (a digit then ``e``, or
    ``0.0000``, found by C-level searches, then confirmed as a number by ``_NUMBER_DIFFERS``) is left
    to the json module, as is anything msgspec refuses (a lone surrogate, a key that is neither a
    string nor a number). Small states keep the json module, which is loaded already.
    """
    if type(result) not in (dict, list) or not _looks_large(result):
        return None
    import msgspec.json

    try:
        data = msgspec.json.format(msgspec.json.encode(result), indent=2)
    except (TypeError, ValueError, UnicodeEncodeError):
        return None
    if any(mark in data for mark in _MAY_DIFFER) and _NUMBER_DIFFERS.search(data):
        return None
    return data.decode("utf-8")


_MAY_DIFFER = (b"0.0000", b'"inf"', b'"-inf"', b'"nan"', *(b"%de" % digit for digit in range(10)))
# a number value msgspec writes with an exponent or as 0.0000…, or a key it wrote from a float
_NUMBER_DIFFERS = re.compile(rb'(?:: |\n *)-?(?:[0-9][0-9.]*e|0\.0000)'
                             rb'|\n *"(?:-?[0-9]*\.[0-9]+(?:e[-+]?[0-9]+)?|-?[0-9]+e[-+]?[0-9]+|-?inf|nan)": ')


def _looks_large(result: dict | list) -> bool:
    """Whether ``result`` holds ``LARGE_JSON / 64`` items or more two levels down (C-level counts only)."""
    values = result.values() if type(result) is dict else result
    count = len(result)
    for value in values:
        if count >= LARGE_JSON // 64:
            return True
        if type(value) in (dict, list):
            count += len(value)
            inner = value.values() if type(value) is dict else value
            count += sum(len(item) for item in inner if type(item) in (dict, list))
    return count >= LARGE_JSON // 64


def escape_surrogates(text: str) -> str:
    r"""JSON text with each lone surrogate (not UTF-8 writable) as its ``\uXXXX`` escape, as JavaScript's
    ``JSON.stringify`` writes it.

    Example:
        >>> escape_surrogates('"x\ud800"')
        '"x\\ud800"'
    """
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def write_output(result: Any, path: str | Path) -> Path:
    """Write the final state to ``path``; return the path.

    A regular file (or a new one) is replaced atomically; a symlink is written
    through (its target replaced, the link kept); a device or a pipe is written into.
    """
    return write_output_text(serialize_output(result), path)


def write_output_text(text: str, path: str | Path) -> Path:
    """Write an output file's ``text`` (:func:`serialize_output`) to ``path`` as :func:`write_output` does."""
    path = Path(path)
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
    temp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        with open(temp, "x", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
