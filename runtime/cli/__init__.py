"""The ``pyfn`` command: OpenFn's CLI habits in Python.

Each command lives in its own module and is registered here. This is the edge
of the program: the only place that prints errors and chooses exit codes
(0 done — even with errors recorded in state —, 1 crash/kill/abort, 2 bad
arguments). No traceback is printed unless ``--log debug``.

``pyfn execute`` in its usual forms is read by ``runtime.cli.quick`` and runs without
importing the command-line library (``app``, built on first use): a job's cold start.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["app", "main"]

_APP: Any = None


def _build_app() -> Any:
    import typer

    from runtime.cli import collection_commands, commands, scale_commands, server_commands

    app = typer.Typer(
        name="pyfn",
        help="Run OpenFn-style integration jobs and workflows written in Python.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    commands.register(app)
    server_commands.register(app)
    scale_commands.register(app)
    collection_commands.register(app)
    return app


def __getattr__(name: str) -> Any:
    """``app``, the typer application, built when first asked for."""
    global _APP
    if name != "app":
        raise AttributeError(f"module 'runtime.cli' has no attribute {name!r}")
    if _APP is None:
        _APP = _build_app()
    return _APP


def main(argv: list[str] | None = None) -> None:
    """Console entry point (``pyfn``)."""
    from runtime.cli.quick import quick_execute

    args = sys.argv[1:] if argv is None else list(argv)
    code = quick_execute(args)
    if code is not None:
        sys.exit(code)
    sys.exit(__getattr__("app")(args=args, prog_name="pyfn", standalone_mode=True))
