"""Executing runs: each claimed run in its own process, within its limits, recorded in the store.

- ``pool``: :class:`~runtime.worker.pool.WorkerPool`, the claim loops (one thread per worker slot);
- ``supervisor``: run one claimed run in a forkserver child, within its time and memory limits;
- ``child``: what the run's process executes: load the plan, run it, report on a pipe;
- ``preload``: compiled workflows kept in the forkserver, so each run starts with its plan ready;
- ``heartbeat``: :class:`~runtime.worker.heartbeat.Heartbeat`, the thread that keeps a server's
  or worker's row fresh in a shared (PostgreSQL) store and requeues the runs of processes that
  stopped heartbeating;
- ``main``: :func:`~runtime.worker.main.run_worker`, ``pyfn worker``: claim runs from the shared
  store and run them, with no HTTP side.

``pyfn serve`` uses the same pool and supervisor for its in-process workers. See docs/scaling.md.
"""
