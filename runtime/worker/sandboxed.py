"""The entry point of a run's process in a sandbox (``--sandbox``, see ``runtime.worker.sandbox``).

``bwrap`` starts ``python -P -m runtime.worker.sandboxed`` with the run's end of the pipe to
its supervisor as standard input. The first record on it is the run's request (JSON); then
the run goes as a forked one does (``runtime.worker.child.run``). Standard input is then
``/dev/null`` for the job.

Example (what the supervisor does)::

    process, receiver = Sandbox(project, "state/pyfn.db").start(RunRequest(...))
"""

from __future__ import annotations

import json
import os
from multiprocessing.connection import Connection

from runtime.defaults import RUN_NICENESS
from runtime.worker.child import RunRequest, run
from runtime.worker.confine import become_subreaper

__all__ = ["main"]


def main() -> None:
    """Read the request from standard input (the pipe), then run it."""
    become_subreaper()
    os.nice(RUN_NICENESS)  # a forked run has it from its forkserver (runtime.worker.preload)
    conn = Connection(os.dup(0))
    empty = os.open(os.devnull, os.O_RDONLY)
    os.dup2(empty, 0)
    os.close(empty)
    try:
        request = RunRequest(**json.loads(conn.recv_bytes()))
    except (EOFError, OSError, ValueError, TypeError):
        return  # the supervisor is gone, or sent no request: nothing to run
    run(request, conn)


if __name__ == "__main__":
    main()
