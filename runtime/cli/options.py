"""Options that several commands share, declared once (``pyfn serve`` and ``pyfn worker``)."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["RunTimeoutMs", "MemoryMb"]

RunTimeoutMs = Annotated[int, typer.Option(
    "--run-timeout-ms", min=0,
    help="Time limit of a whole run in milliseconds (0: none); past it the run is killed (TimeoutError).")]
MemoryMb = Annotated[int, typer.Option(
    "--memory-mb", min=0,
    help="Memory limit of a run's process in MB (0: none); past it the run is killed (OOMError).")]
