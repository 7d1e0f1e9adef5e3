"""The ``pyfn`` command: OpenFn's CLI habits in Python.

Each command lives in its own module and is registered here. This is the edge
of the program: the only place that prints errors and chooses exit codes
(0 done — even with errors recorded in state —, 1 crash/kill/abort, 2 bad
arguments). No traceback is printed unless ``--log debug``.
"""

from __future__ import annotations

import sys

import typer

from runtime.cli import collection_commands, commands, scale_commands, server_commands

__all__ = ["app", "main"]

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


def main(argv: list[str] | None = None) -> None:
    """Console entry point (``pyfn``)."""
    sys.exit(app(args=argv, prog_name="pyfn", standalone_mode=True))
