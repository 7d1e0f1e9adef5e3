"""The trigger server (``pyfn serve``): webhooks in, runs queued durably, each run in its own process.

- ``project``: load and validate every workflow of a project, webhooks by path;
- ``triggers``: a webhook's auth check and dedupe key;
- ``payload``: the request body and the run's input state;
- ``app``: the Starlette routes and Lightning's answers;
- ``workers``: the claim loops; ``supervisor``: one run in a child process, within its limits;
- ``child``: what the child process runs; ``plans``: the workflows compiled once in the forkserver;
- ``service``: start-up, recovery of lost runs, uvicorn, graceful shutdown.

The run store is ``runtime.store``. This package imports nothing heavy at
import time: the forkserver preloads ``runtime.worker.child``.
"""
