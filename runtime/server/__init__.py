"""The trigger server (``pyfn serve``), the HTTP edge: webhooks in, runs queued durably.

- ``webhooks``: a webhook's auth check and dedupe key;
- ``payload``: the request body and the run's input state;
- ``app``: the Starlette routes and Lightning's answers; ``api``: the run history's API and page;
- ``scheduler``: cron triggers; ``retention``: the periodic cleanup; ``clock``: the time they go by;
- ``service``: start-up, recovery of lost runs, uvicorn, graceful shutdown.

The project's workflows are loaded by ``runtime.workflow.project``, runs are executed by
``runtime.worker`` and stored by ``runtime.store``. This package imports nothing heavy at
import time: the forkserver preloads ``runtime.worker.child``.
"""
