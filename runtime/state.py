"""The state rules of OpenFn's runtime.

* the default input is ``{"data": {}, "configuration": {}}``;
* each step's input is a JSON copy of the previous output, merged over the
  step's default state, with ``configuration`` = credentials < previous < step;
* an operation that returns nothing hands a null state (an empty dict) on;
* after a step, ``configuration`` is removed and the state made plain JSON:
  datetimes become ISO strings, tuples and sets lists; a value that cannot be
  written (a function, bytes, an object) is an error naming its key path.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import sys
from typing import Any

from runtime.errors import SerializationError

__all__ = ["default_state", "null_state", "is_null_state", "assemble_state", "to_json",
           "clean_state", "clone", "hand_over", "step_errors"]

PROPS_TO_REMOVE = ("configuration",)


def default_state() -> dict:
    """The input of a run when none is given."""
    return {"data": {}, "configuration": {}}


class _NullState(dict):
    """The ``{}`` handed on when an operation returned nothing (recognisable by type)."""


def null_state() -> dict:
    """The empty state handed to the next operation when one returned nothing."""
    return _NullState()


def is_null_state(value: Any) -> bool:
    return isinstance(value, _NullState)


class _HandedOver(dict):
    """A state its owner gave away (see :func:`hand_over`)."""


def hand_over(state: dict) -> dict:
    """Mark a state nobody else holds (just parsed from JSON): the step it enters takes it as it is.

    ``assemble_state`` copies every other input, so a step can never change its caller's state;
    a state handed over skips that copy (0.1 s for a 6 MB input). Only the top level is marked:
    the step's own state is a new dict either way.
    """
    return _HandedOver(state)


def assemble_state(previous: dict | None, default: dict | None = None,
                   configuration: dict | None = None, credentials: dict | None = None) -> dict:
    """A step's input: ``previous`` over ``default``, configuration merged, as OpenFn's assembleState.

    ``previous`` is copied as JSON first (OpenFn's ``clone``) unless it was handed over.
    """
    previous = dict(previous) if type(previous) is _HandedOver else clone(previous or {})
    default = default or {}
    state = {**default, **previous}
    state["configuration"] = {**(credentials or {}), **(previous.get("configuration") or {}),
                              **(configuration or {})}
    data = previous.get("data")
    if "data" not in previous:
        data = default.get("data", {})
    elif isinstance(data, dict) and isinstance(default.get("data"), dict):
        data = {**default["data"], **data}
    state["data"] = data
    return state


def step_errors(result: Any) -> dict:
    """The errors steps recorded, by step id, in a run's result: one final state, or ``{step_key: state}`` of its leaves.

    Example:
        >>> step_errors({"data": {}, "errors": {"check": {"message": "no case id"}}})
        {'check': {'message': 'no case id'}}
        >>> sorted(step_errors({"a": {"data": 1, "errors": {"x": {}}}, "b": {"data": 2, "errors": {"y": {}}}}))
        ['x', 'y']
    """
    if not isinstance(result, dict):
        return {}
    if "errors" in result or "data" in result:
        errors = result.get("errors")
        return dict(errors) if isinstance(errors, dict) else {}
    merged: dict = {}
    for leaf in result.values():
        merged.update(step_errors(leaf))
    return merged


def clone(state: Any) -> Any:
    """A JSON copy, as OpenFn's ``clone`` (``JSON.parse(stringify(x))``): new containers throughout."""
    return to_json(state)


def clean_state(state: dict) -> dict:
    """Remove ``configuration`` and make the state plain JSON."""
    cleaned = {k: v for k, v in state.items() if k not in PROPS_TO_REMOVE}
    return to_json(cleaned)


_SCALARS = frozenset({str, int, bool, type(None)})


class _NotPlain(Exception):
    """The fast copy met a value that plain JSON does not hold as it is."""


def to_json(value: Any, path: str = "state") -> Any:
    """A plain-JSON copy of ``value``; raises :class:`SerializationError` naming the key path.

    Plain JSON (the usual case) is copied by :func:`_plain_copy`, which checks scalars inline and
    keeps no key path (2.5× faster than a JSON round trip through the C encoder and decoder, 3×
    faster than this walk with paths). A value JSON cannot hold as it is (a datetime, a set, NaN,
    a function, a dict subclass...) sends the copy through :func:`_convert`, which converts it or
    names its key path.
    """
    try:
        return _plain_copy(value)
    except _NotPlain:
        return _convert(value, path)


def _plain_copy(value: Any) -> Any:
    """New dicts and lists throughout, the same scalars; raises ``_NotPlain`` on anything else."""
    kind = type(value)
    if kind is dict:
        copy = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            item_kind = type(item)
            if item_kind in _SCALARS or (item_kind is float and math.isfinite(item)):
                copy[key] = item
            else:
                copy[key] = _plain_copy(item)
        return copy
    if kind is list or kind is tuple:
        return [item if type(item) in _SCALARS else _plain_copy(item) for item in value]
    if kind in _SCALARS or (kind is float and math.isfinite(value)):
        return value
    raise _NotPlain


def _convert(value: Any, path: str = "state") -> Any:
    """``to_json`` in Python, value by value: converts what it can, names what it cannot."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {_key(k, path): _convert(v, _child(path, k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_convert(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        return [_convert(v, f"{path}[{i}]") for i, v in enumerate(sorted(value, key=repr))]
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return _iso(value)
    decimal = sys.modules.get("decimal")  # a Decimal exists only once decimal is loaded: not loaded for it
    if decimal is not None and isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise SerializationError(
        f"{path} holds a {type(value).__name__} value, which cannot be written as JSON",
        hint="Convert it in the job before the step ends (for example str(...) or list(...)), "
             "or delete that key", keyPath=path)


def _key(key: Any, path: str) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, (int, float, bool)) or key is None:
        return json.dumps(key)
    raise SerializationError(f"{path} has a key of type {type(key).__name__}, which JSON cannot hold",
                             hint="Use strings as keys", keyPath=path)


def _child(path: str, key: Any) -> str:
    text = str(key)
    return f"{path}.{text}" if text.isidentifier() else f"{path}[{json.dumps(text)}]"


def _iso(value: _dt.date | _dt.time) -> str:
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc)
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, _dt.datetime):
        return value.isoformat(timespec="milliseconds")
    return value.isoformat()
