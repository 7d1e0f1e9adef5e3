"""A job cannot end pyfn's process: ``sys.exit()`` and ``os._exit()`` in a job crash its run.

While a step's job runs (:func:`job_cannot_exit`), ``SystemExit`` (``sys.exit(3)``,
``exit()``, ``quit()``) and calls to ``os._exit`` become a :class:`RuntimeCrash`
naming the call, so ``pyfn execute`` reports it and exits 1, and a served run ends
``crashed`` with that message. ``os._exit`` is replaced in the ``os`` module for the
job's duration (a process the job forks keeps the real one).

Limits: a job can still end its process by other means (``os.kill(os.getpid(), 9)``,
``os.abort()``, ``ctypes``); under ``pyfn serve`` and ``pyfn worker`` each run has its own
process, so the server survives and records the run as crashed. pyfn's own code that
must end the process (a step stuck in C past its time limit) calls :data:`process_exit`.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, NoReturn

from runtime.errors import RuntimeCrash

__all__ = ["job_cannot_exit", "process_exit"]

process_exit = os._exit  # the real one, for pyfn itself


class _ExitCalled(SystemExit):
    """``os._exit(code)`` called by a job; a ``SystemExit`` so ``except Exception`` lets it through."""


@contextmanager
def job_cannot_exit() -> Iterator[None]:
    """Run the ``with`` body (a job) with ``sys.exit``/``os._exit`` turned into a crash.

    Example:
        >>> import sys
        >>> try:
        ...     with job_cannot_exit():
        ...         sys.exit(3)
        ... except RuntimeCrash as crash:
        ...     print(crash.message)
        The job called sys.exit(3): a job cannot end the process
    """
    owner, previous = os.getpid(), os._exit

    def refuse(code: int) -> NoReturn:
        if os.getpid() != owner:  # a process the job forked ends as it asked
            process_exit(code)
        raise _ExitCalled(code)

    os._exit = refuse
    try:
        yield
    except SystemExit as exc:
        call = "os._exit" if isinstance(exc, _ExitCalled) else "sys.exit"
        raise RuntimeCrash(f"The job called {call}({exc.code!r}): a job cannot end the process",
                           subtype="SystemExit",
                           hint="Raise an exception to fail the step, or return the state to end it") from None
    finally:
        os._exit = previous
