"""The HTTP side of ``pyfn serve``: Starlette routes and Lightning's answers.

| request | answer |
|---|---|
| ``POST|PUT|PATCH /i/<path>``, accepted | 201 ``{"work_order_id", "run_id"}`` (``reply: async``) |
| the same, ``reply: sync`` | 201 ``{"data": <final state>, "meta": {...}}`` once the run ends, or the job's ``state["webhookResponse"]`` ``{status, body}``; 202 with ``meta`` if it has not ended within the sync timeout |
| a delivery whose ``dedupe`` key was seen | 200 ``{"work_order_id", "run_id", "duplicate": true}``, nothing started |
| unknown path | 404 ``{"error": "Webhook not found"}`` |
| disabled trigger | 403 ``{"message": "Unable to process request, trigger is disabled."}`` |
| missing or wrong credentials | 401 ``{"error": "Unauthorized"}`` |
| body over the limit | 413 ``{"error": "Request entity too large", ...}`` |
| invalid JSON for a JSON content type | 400 ``{"error": "Invalid JSON body: <parse error>"}`` |
| the store cannot commit the delivery | 503 (the sender retries) |
| ``GET /health`` | 200 ``{"status": "ok", "workflows": n, "webhooks": m, "reload": {"ok", "problems", "versions", …}}`` |
| ``/api/runs…``, ``/runs…`` | the run history's JSON API and page, behind the API token (``runtime.server.api``) |
| ``GET /metrics`` | Prometheus' text format, behind the API token (``runtime.server.metrics``) |

A delivery is committed to the store before its 2xx goes back. Answers carry
``x-meta-work-order-id`` and ``x-meta-run-id``.

Example:
    >>> AppSettings(max_body_bytes=1024).sync_timeout_s
    30.0
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Callable, Protocol

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runtime import defaults
from runtime.logger import Logger, format_duration
from runtime.store import Accepted, RunStore
from runtime.server.group_commit import GroupCommit
from runtime.server.payload import (BadBody, BodyTooLarge, JSONAnswer, input_state, parse_body, read_body,
                                    stored_input)
from runtime.server.webhooks import authorised, challenge, dedupe_key
from runtime.workflow.live import LiveProject, as_live
from runtime.workflow.project import Project, Webhook

__all__ = ["AppSettings", "create_app"]


class _Replies(Protocol):
    def expect(self, run_id: str) -> None: ...

    def take(self, run_id: str) -> tuple[Any, dict | None] | None: ...


@dataclass(frozen=True)
class AppSettings:
    """Limits of the HTTP side: the body limit (Lightning's 10 MB) and how long a sync reply waits."""

    max_body_bytes: int = int(defaults.MAX_BODY_MB * 1024 * 1024)
    sync_timeout_s: float = defaults.SYNC_TIMEOUT_S
    body_timeout_s: float = defaults.BODY_TIMEOUT_S


def create_app(project: Project | LiveProject, store: RunStore, wake: Callable[[], None], log: Logger,
               settings: AppSettings = AppSettings(), *, api_token: str | None = None,
               replies: _Replies | None = None, collections: Any = None, metrics: Any = None) -> Starlette:
    """The ASGI app serving ``project``'s webhooks; ``wake()`` tells the workers a run was queued.

    A :class:`~runtime.workflow.live.LiveProject` is served as it is now: each request routes by the
    project of the moment, so a reload's new webhook paths are served at once.

    With an ``api_token``, the run history's API and page are served too, and the collections API
    when ``collections`` (a ``runtime.store.collections.StoreCollections``) is given.
    ``replies`` hands sync replies the outcome of zero-persistence runs, whose
    final state is not stored (``runtime.worker.pool.Replies``). ``metrics``
    (``runtime.server.metrics.Metrics``) counts deliveries and, with the
    token, is served at ``/metrics``.

    Example:
        >>> from pathlib import Path
        >>> from runtime.store import open_store
        >>> from runtime.server.service import server_logger
        >>> app = create_app(Project(Path(".")), open_store(":memory:"), lambda: None, server_logger())
        >>> [route.path for route in app.routes]
        ['/i/{path:path}', '/health']
    """
    hooks = _Webhooks(project, store, wake, log, settings, replies, metrics)
    routes = [Route("/i/{path:path}", hooks.receive, methods=["POST", "PUT", "PATCH"]),
              Route("/health", hooks.health, methods=["GET"])]
    if api_token:
        from runtime.server.api import api_routes

        routes += api_routes(project, store, wake, api_token, collections)
    if api_token and metrics is not None:
        from runtime.server.metrics import metrics_route

        routes.append(metrics_route(metrics, api_token))
    return Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed})


async def _not_found(request: Request, exc: Exception) -> Response:
    return JSONAnswer({"error": "Not found"}, status_code=404)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return JSONAnswer({"error": "Method not allowed: send POST, PUT or PATCH"}, status_code=405,
                        headers={"Allow": "POST, PUT, PATCH"})


class _Webhooks:
    """The request handlers, sharing the project, the store and the settings."""

    def __init__(self, project: Project | LiveProject, store: RunStore, wake: Callable[[], None], log: Logger,
                 settings: AppSettings, replies: _Replies | None = None, metrics: Any = None):
        self.live, self.store, self.wake, self.log, self.settings = as_live(project), store, wake, log, settings
        self.replies, self.metrics = replies, metrics
        # a sync delivery's reply is expected inside the transaction storing it, before any worker can end its run
        self.group = (GroupCommit(store) if replies is None else
                      GroupCommit(store, expect=lambda accepted: replies.expect(accepted.run_id),
                                  forget=lambda accepted: replies.take(accepted.run_id)))

    @property
    def project(self) -> Project:
        """The project served now (a reload swaps it whole)."""
        return self.live.project

    async def health(self, request: Request) -> Response:
        project = self.project
        return JSONAnswer({"status": "ok", "workflows": len(project.workflows), "webhooks": len(project.webhooks),
                           "reload": self.live.status.as_json()})

    async def receive(self, request: Request) -> Response:
        started = time.perf_counter()
        hook = self.project.webhooks.get(request.path_params["path"].strip("/"))
        response = await self._answer(request, hook)
        self._log(request, response, started, hook.workflow if hook else None)
        return response

    async def _answer(self, request: Request, hook: Webhook | None) -> Response:
        if hook is None:
            return JSONAnswer({"error": "Webhook not found"}, status_code=404)
        if not hook.trigger.enabled:
            return JSONAnswer({"message": "Unable to process request, trigger is disabled."}, status_code=403)
        if not authorised(hook.trigger, request.headers):
            return JSONAnswer({"error": "Unauthorized"}, status_code=401, headers=challenge(hook.trigger))
        try:
            body = await read_body(request.headers.get("content-length"), request.stream(),
                                   self.settings.max_body_bytes, self.settings.body_timeout_s)
            data = parse_body(body, request.headers.get("content-type"))
        except BodyTooLarge:
            limit = self.settings.max_body_bytes
            return JSONAnswer({"error": "Request entity too large",
                                 "detail": f"the body is over the limit of {limit} bytes"}, status_code=413)
        except BadBody as error:
            return JSONAnswer({"error": str(error)}, status_code=error.status)
        state = input_state(data, request.method, request.url.path, request.headers.items(),
                            request.url.query)
        try:
            accepted = await self.group.accept(hook.workflow, hook.trigger.path,
                                               stored_input(state, body, request.headers.get("content-type")),
                                               dedupe_key(hook.trigger, data),
                                               sync=hook.trigger.reply == "sync")
        except Exception as exc:  # noqa: BLE001 - not stored: a 5xx makes the sender retry
            self.log.error(f"could not store a delivery to {request.url.path}: {type(exc).__name__}: {exc}")
            return JSONAnswer({"error": "The delivery could not be stored; retry later"}, status_code=503)
        if accepted.duplicate:
            return _ids(accepted, 200, duplicate=True)
        self.wake()
        if hook.trigger.reply == "sync":
            return await self._sync_reply(accepted)
        return _ids(accepted, 201)

    async def _sync_reply(self, accepted: Accepted) -> Response:
        """Wait for the run to end, then answer ``{data, meta}`` or the job's ``webhookResponse``."""
        summary = await anyio.to_thread.run_sync(self.store.wait_for, accepted.run_id,
                                                 self.settings.sync_timeout_s)
        headers = _meta_headers(accepted)
        if summary is None or not summary.final:
            if self.replies:
                self.replies.take(accepted.run_id)  # nobody will take it later
            meta = summary.meta() if summary else {"work_order_id": accepted.work_order_id,
                                                   "run_id": accepted.run_id}
            return JSONAnswer({"data": None, "meta": meta,
                                 "message": f"The run did not finish within {self.settings.sync_timeout_s:g}s; "
                                            f"it goes on"}, status_code=202, headers=headers)
        detail = await anyio.to_thread.run_sync(self.store.get_run, accepted.run_id)
        final_state, webhook_response = detail.final_state, detail.webhook_response
        kept = self.replies.take(accepted.run_id) if self.replies else None
        if kept is not None:  # a zero-persistence run: its outcome was never stored
            final_state = None if kept[0] is None else json.loads(kept[0])
            webhook_response = kept[1]
        envelope = {"data": final_state, "meta": summary.meta()}
        custom = webhook_response or {}
        status = _status(custom.get("status"))
        body = custom["body"] if "body" in custom else envelope
        return JSONAnswer(body, status_code=status, headers=headers)

    def _log(self, request: Request, response: Response, started: float, workflow: str | None) -> None:
        seconds = time.perf_counter() - started
        if self.metrics is not None:
            self.metrics.delivered(workflow, response.status_code, seconds)
        took = format_duration(seconds * 1000)
        text = f"{request.method} {request.url.path} {response.status_code} in {took}"
        run_id = response.headers.get("x-meta-run-id")
        if run_id:
            self.log.success(f"{text}: run {run_id}")
        else:
            self.log.warn(text)


def _meta_headers(accepted: Accepted) -> dict[str, str]:
    return {"x-meta-work-order-id": accepted.work_order_id, "x-meta-run-id": accepted.run_id}


def _ids(accepted: Accepted, status: int, **extra: Any) -> Response:
    body = {"work_order_id": accepted.work_order_id, "run_id": accepted.run_id, **extra}
    return JSONAnswer(body, status_code=status, headers=_meta_headers(accepted))


def _status(value: Any) -> int:
    """A ``webhookResponse.status`` as an HTTP status (201 when absent or not a valid code)."""
    try:
        status = int(value)
    except (TypeError, ValueError):
        return 201
    return status if 200 <= status <= 599 else 201
