"""The run history over HTTP: a JSON API and the page that reads it, both behind one token.

| request | answer |
|---|---|
| ``GET /api/runs?workflow=&state=&work_order=&step_failed=1&limit=50&offset=0`` | ``{"runs": [...], "counts": {...}, "step_failed": n, "workflows": [...], "limit", "offset"}``, newest first; ``step_failed=1``: only runs with a failed step (each run has ``steps_failed`` and ``status``, e.g. ``success · 1 step failed``); ``limit`` 1–500, ``offset`` ≥ 0 (else 400) |
| ``GET /api/runs/{id}`` | the run in full: ``run``, ``input``, ``steps``, ``logs``, ``final_state``, ``webhook_response``, ``wiped_at``, ``work_order`` (its runs) |
| ``POST /api/runs/{id}/retry`` (body ``{"from_step": "x"}`` optional) | 201 ``{"work_order_id", "run_id"}``; 409 ``{"error"}`` when it cannot be retried |
| ``GET /runs``, ``GET /runs/{id}`` | the history page (HTML and a little JS, no build step) |
| ``GET /collections``, ``GET /collections/{name}`` | the page's collections view |
| ``/api/collections…`` | the collections API (``runtime.server.collections_api``) |

Every ``/api`` request needs ``Authorization: Bearer <token>`` (401
otherwise); ``{id}`` is a run id, a work order id or a unique prefix. The page
takes the token once (``/runs?token=...`` or its form), keeps it in the
browser tab's ``sessionStorage`` and calls the API with it. Configuration is
never stored; should a stored state hold one, it is shown as ``****``.

Example:
    >>> from pathlib import Path
    >>> from runtime.store import open_store
    >>> from runtime.workflow.project import Project
    >>> [r.path for r in api_routes(Project(Path(".")), open_store(":memory:"), lambda: None, "t")][:3]
    ['/api/runs', '/api/runs/{run_id}', '/api/runs/{run_id}/retry']
"""

from __future__ import annotations

import hmac
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from runtime.secrets import hide_configuration as masked
from runtime.server.payload import JSONAnswer
from runtime.store import AmbiguousId, NotRetryable, RunDetail, RunStore, RunSummary
from runtime.workflow.triggers import MANUAL
from runtime.workflow.live import LiveProject, as_live
from runtime.workflow.project import Project

__all__ = ["api_routes", "masked", "WEB"]

WEB = Path(__file__).resolve().parent / "web"
_STATIC = {"app.js": "text/javascript", "collections.js": "text/javascript", "app.css": "text/css"}
_PAGE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                 "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'"}
_MAX_LIMIT = 500
_MAX_OFFSET = 2**31 - 1


def api_routes(project: Project | LiveProject, store: RunStore, wake: Callable[[], None], token: str,
               collections: Any = None) -> list[Route]:
    """The API's and the page's routes (see the module docstring); the collections API's with ``collections``."""
    api = _Api(project, store, wake, token)
    extra = []
    if collections is not None:
        from runtime.server.collections_api import collection_routes

        extra = collection_routes(collections, api._authorised)
    return [*extra, Route("/api/runs", api.list_runs, methods=["GET"]),
            Route("/api/runs/{run_id}", api.get_run, methods=["GET"]),
            Route("/api/runs/{run_id}/retry", api.retry, methods=["POST"]),
            Route("/api/workflows/{workflow}/runs", api.trigger, methods=["POST"]),
            Route("/", lambda request: RedirectResponse("/runs"), methods=["GET"]),
            Route("/runs", _page, methods=["GET"]),
            Route("/runs/{run_id}", _page, methods=["GET"]),
            Route("/collections", _page, methods=["GET"]),
            Route("/collections/{name}", _page, methods=["GET"]),
            Route("/static/{name}", _static, methods=["GET"]),
            Route("/favicon.ico", lambda request: Response(status_code=204), methods=["GET"])]


async def _page(request: Request) -> Response:
    return FileResponse(WEB / "index.html", media_type="text/html", headers=_PAGE_HEADERS)


async def _static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in _STATIC:
        return JSONAnswer({"error": "Not found"}, status_code=404)
    return FileResponse(WEB / name, media_type=_STATIC[name], headers=_PAGE_HEADERS)


def _error(status: int, message: str) -> JSONAnswer:
    headers = {"WWW-Authenticate": 'Bearer realm="pyfn"'} if status == 401 else None
    return JSONAnswer({"error": message}, status_code=status, headers=headers)


class _Api:
    """The API's handlers, sharing the project (trigger types), the store and the token."""

    def __init__(self, project: Project | LiveProject, store: RunStore, wake: Callable[[], None], token: str):
        self.live, self.store, self.wake = as_live(project), store, wake
        self.token = f"Bearer {token}".encode()

    @property
    def project(self) -> Project:
        """The project served now (a reload swaps it whole)."""
        return self.live.project

    def _authorised(self, request: Request) -> bool:
        return hmac.compare_digest(request.headers.get("authorization", "").encode(), self.token)

    async def list_runs(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Unauthorized: send Authorization: Bearer <the server's API token>")
        query = request.query_params
        try:
            limit, offset = int(query.get("limit", 50)), int(query.get("offset", 0))
        except ValueError:
            return _error(400, "limit and offset must be whole numbers")
        if not (1 <= limit <= _MAX_LIMIT and 0 <= offset <= _MAX_OFFSET):
            return _error(400, f"limit must be between 1 and {_MAX_LIMIT}, offset between 0 and {_MAX_OFFSET}")
        workflow, state = query.get("workflow") or None, query.get("state") or None
        step_failed = query.get("step_failed", "") in ("1", "true")
        runs = await anyio.to_thread.run_sync(lambda: self.store.list_runs(
            workflow, state, limit, work_order=query.get("work_order") or None, offset=offset,
            step_failed=step_failed))
        counts = await anyio.to_thread.run_sync(self.store.counts, workflow)
        with_failed_step = await anyio.to_thread.run_sync(self.store.count_step_failed, workflow)
        return JSONAnswer({"runs": [self._summary(run) for run in runs], "counts": counts,
                           "step_failed": with_failed_step, "workflows": sorted(self.project.workflows),
                           "limit": limit, "offset": offset, "reload": self.live.status.as_json()})

    async def get_run(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Unauthorized: send Authorization: Bearer <the server's API token>")
        ident = request.path_params["run_id"]
        try:
            detail = await anyio.to_thread.run_sync(self.store.get_run, ident)
        except AmbiguousId as error:
            return _error(400, f"{error.args[0]}: give more of the id")
        if detail is None:
            return _error(404, f"No run or work order matches '{ident}'")
        siblings = await anyio.to_thread.run_sync(lambda: self.store.list_runs(
            work_order=detail.run.work_order_id, limit=_MAX_LIMIT))
        return JSONAnswer(self._detail(detail, siblings))

    async def retry(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Unauthorized: send Authorization: Bearer <the server's API token>")
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return _error(400, "The body must be JSON: {} or {\"from_step\": \"<step>\"}")
        from_step = body.get("from_step") if isinstance(body, dict) else None
        if from_step is not None and not isinstance(from_step, str):
            return _error(400, "from_step must be a step of the run, as text")
        try:
            accepted = await anyio.to_thread.run_sync(lambda: self.store.retry(
                request.path_params["run_id"], from_step))
        except AmbiguousId as error:
            return _error(400, f"{error.args[0]}: give more of the id")
        except NotRetryable as error:
            return _error(409, str(error))
        except LookupError as error:
            return _error(404, str(error.args[0]))
        self.wake()
        return JSONAnswer({"work_order_id": accepted.work_order_id, "run_id": accepted.run_id}, status_code=201)

    async def trigger(self, request: Request) -> Response:
        """A manual run (``pyfn trigger --server``): ``{"state": {...}}``, or the cron cursor's input."""
        if not self._authorised(request):
            return _error(401, "Unauthorized: send Authorization: Bearer <the server's API token>")
        name = request.path_params["workflow"]
        workflow = self.project.plans.get(name)
        if workflow is None:
            return _error(404, f"No workflow named '{name}'; the workflows are: {', '.join(sorted(self.project.plans))}")
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("state", {}), dict):
            return _error(400, "The body must be JSON: {} or {\"state\": {...}}")
        from runtime.server.scheduler import next_input

        cron = next(iter(workflow.crons), None)
        accepted = await anyio.to_thread.run_sync(lambda: self.store.accept(
            name, MANUAL, body["state"] if "state" in body else next_input(self.store, name, cron), priority=0))
        self.wake()
        return JSONAnswer({"work_order_id": accepted.work_order_id, "run_id": accepted.run_id}, status_code=201)

    def _trigger_type(self, workflow: str, key: str | None) -> str:
        if key == MANUAL:
            return "manual"
        plan = self.project.plans.get(workflow)
        found = [t.type for t in (plan.triggers if plan else []) if t.key == key]
        return found[0] if found else "unknown"

    def _summary(self, run: RunSummary) -> dict:
        return {**asdict(run), "duration_ms": run.duration_ms, "final": run.final, "status": run.status,
                "trigger_type": self._trigger_type(run.workflow, run.trigger)}

    def _detail(self, detail: RunDetail, siblings: list[RunSummary]) -> dict:
        steps = [{**asdict(step), "input": masked(step.input), "output": masked(step.output),
                  "duration_ms": step.duration_ms} for step in detail.steps]
        return {"run": self._summary(detail.run), "input": masked(detail.input), "steps": steps,
                "logs": [{"at": at, "line": line} for at, line in detail.logs],
                "final_state": masked(detail.final_state), "webhook_response": detail.webhook_response,
                "wiped_at": detail.wiped_at,
                "work_order": {"id": detail.run.work_order_id, "runs": [self._summary(r) for r in siblings]}}
