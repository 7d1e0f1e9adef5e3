"""Every default of pyfn in one place: the limits a run gets, and the settings of ``pyfn serve`` and ``pyfn worker``.

The CLI options, the options objects and the test kit all read them from here,
so a default changes in one line (and ``--help`` shows the new one).

Example:
    >>> STEP_TIMEOUT_MS, RUN_TIMEOUT_MS, RUN_MEMORY_MB
    (300000, 300000, 500)
"""

from __future__ import annotations

__all__ = ["STEP_TIMEOUT_MS", "RUN_TIMEOUT_MS", "RUN_MEMORY_MB", "RUN_MESSAGE_MB", "HOST", "PORT", "MAX_BODY_MB",
           "SYNC_TIMEOUT_S", "CLEANUP_INTERVAL_S", "HEAD_TIMEOUT_S", "BODY_TIMEOUT_S", "MAX_CONNECTIONS", "SHUTDOWN_TIMEOUT_S",
           "HEARTBEAT_S", "LOST_AFTER_S", "SANDBOX", "WAIT_TIMEOUT_S", "RUN_NICENESS"]

# a run's limits
STEP_TIMEOUT_MS = 300_000  # one step's time (pyfn execute -t), as OpenFn's CLI: 5 minutes
RUN_TIMEOUT_MS = 300_000  # a whole served run's time (--run-timeout-ms), as Lightning: 5 minutes
RUN_MEMORY_MB = 500  # a served run's process memory (--memory-mb), as Lightning
# The largest record a served run's process may send its supervisor (a step's state, the final state, a log
# line); past it the run is crashed and the server reads no further. A run reaches its 500 MB before its state's
# JSON reaches ~125 MB (OpenFn's engine sets the state limit at a quarter of the memory); 64 MB is 6 times the
# largest webhook body (MAX_BODY_MB) and 64 collection values (1 MiB each), and bounds what the server holds
# for each running run whatever a job sends. Bigger data belongs in a collection, not in the state.
RUN_MESSAGE_MB = 64
# How much lower a served run's CPU priority is than its server's (the nice value added; 19 at most): on
# busy cores the server answering webhooks and recording runs goes first, runs take what is left.
RUN_NICENESS = 10

# pyfn serve
HOST = "127.0.0.1"
PORT = 4000
MAX_BODY_MB = 10.0  # the largest webhook body, as Lightning
SYNC_TIMEOUT_S = 30.0  # how long a reply: sync webhook waits for its run
CLEANUP_INTERVAL_S = 3600.0  # between two retention cleanups
HEAD_TIMEOUT_S = 10.0  # a connection sending no complete request head within this is closed
BODY_TIMEOUT_S = 60.0  # a webhook body not received within this gets 408
MAX_CONNECTIONS = 10_000  # open connections served at once; past it, 503

# pyfn serve and pyfn worker
SHUTDOWN_TIMEOUT_S = 30.0  # what running runs get to finish on SIGTERM
HEARTBEAT_S = 2.0  # between two heartbeats on a shared PostgreSQL store
LOST_AFTER_S = 30.0  # a process silent this long is dead
SANDBOX = False  # each run's process in a bubblewrap sandbox (--sandbox)
RELOAD = True  # watch the project and reload changed workflows, jobs and credentials (--no-reload)
RELOAD_DEBOUNCE_MS = 300  # changes this close together are one reload (an editor's save in several writes)

# pyfn trigger --wait and pyfn runs retry --wait
WAIT_TIMEOUT_S = 600.0
