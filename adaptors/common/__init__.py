"""The ``common`` adaptor: OpenFn's language-common 3.3.4, in Python.

Every job has these names in scope. Operations (``fn``, ``each``, ``map``...)
return a callable ``state -> state``; readers (``data_value``,
``source_value``...) return lazy values (callables of state); the shaping
helpers (``chunk``, ``human_proper``...) are plain functions. Names follow
OpenFn's in snake_case; Python keywords get a trailing underscore (``as_``,
``assert_``). ``date_fns`` and ``util`` are namespaces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import date_fns, util
from .arrays import array_to_string, chunk, to_array
from .console import debug, log
from .control import alter_state, as_, assert_, combine, execute, fn, fn_if
from .csv_parser import parse_csv
from .cursors import cursor, reset_cursor
from .iteration import each, group, map
from .objects import field, fields, join, merge, split_keys
from .references import compose_next_state, expand_references
from .text import human_proper, scrub_emojis
from .validation import validate
from .values import (
    as_data,
    data_path,
    data_value,
    index,
    json_value,
    last_reference_value,
    reference_path,
    source,
    source_value,
)

__all__ = [
    "alter_state",
    "array_to_string",
    "as_",
    "as_data",
    "assert_",
    "chunk",
    "combine",
    "compose_next_state",
    "cursor",
    "data_path",
    "data_value",
    "date_fns",
    "debug",
    "each",
    "execute",
    "expand_references",
    "field",
    "fields",
    "fn",
    "fn_if",
    "group",
    "human_proper",
    "index",
    "join",
    "json_value",
    "last_reference_value",
    "log",
    "map",
    "merge",
    "parse_csv",
    "reference_path",
    "scrub_emojis",
    "source",
    "source_value",
    "split_keys",
    "to_array",
    "util",
    "validate",
]

if TYPE_CHECKING:  # for editors and type checkers only: a job's lazy state and collections (see docs/jobs.md)
    from adaptors.collections import collections
    state: dict[str, Any]
    __all__ += ["collections", "state"]


def on_run_start() -> None:
    """Runtime hook, called once at the start of every run: forget module state of the last run.

    OpenFn loads adaptors afresh for each run; pyfn keeps them loaded, so
    what ``cursor`` remembers (its key and the run's start time) is reset here.
    """
    reset_cursor()

