"""Options that several commands share, declared once (``pyfn serve`` and ``pyfn worker``)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

__all__ = ["RunTimeoutMs", "MemoryMb", "RunAs"]

RunTimeoutMs = Annotated[int, typer.Option(
    "--run-timeout-ms", min=0,
    help="Time limit of a whole run in milliseconds (0: none); past it the run is killed (TimeoutError).")]
MemoryMb = Annotated[int, typer.Option(
    "--memory-mb", min=0,
    help="Memory limit of a run's process in MB (0: none); past it the run is killed (OOMError).")]
RunAs = Annotated[Optional[str], typer.Option(
    "--run-as", metavar="USER",
    help="Run each run's process as this unprivileged user (the server must run as root): it then "
         "cannot open the run store or the server's files. Recommended whenever the server runs as root.")]
