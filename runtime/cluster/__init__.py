"""Running on many machines: ``pyfn worker`` processes and the heartbeats every process sends.

- ``heartbeat``: :class:`~runtime.cluster.heartbeat.Heartbeat`, the thread that
  keeps a server's or worker's row fresh in a shared (PostgreSQL) store and
  requeues the runs of processes that stopped heartbeating;
- ``worker``: :func:`~runtime.cluster.worker.run_worker`, ``pyfn worker``: claim
  runs from the shared store and run them, with no HTTP side.

See docs/scaling.md.
"""
