"""pyfn adaptors: plain modules of operations.

An adaptor is a package under ``adaptors/`` whose ``__all__`` lists its public
operations. An operation factory (``get("/x")``, ``fn(f)``) returns an
*operation*: a callable ``state -> state``. Adaptors never import the runtime;
they log through the standard ``logging`` module (``pyfn.job`` for what a job
asks to print, ``pyfn.adaptor.<name>`` for the adaptor's own lines), and the
runtime decides how those lines look.

``ADAPTORS`` maps each adaptor's short name to its module. Modules are imported
only when a job asks for them, so running a common job never pays for HTTP.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["ADAPTORS", "load"]

ADAPTORS: dict[str, str] = {
    "common": "adaptors.common",
    "http": "adaptors.http",
    "commcare": "adaptors.commcare",
    "collections": "adaptors.collections",
}


def load(name: str) -> ModuleType:
    """Import the adaptor called ``name`` (a key of ``ADAPTORS``)."""
    return importlib.import_module(ADAPTORS[name])
