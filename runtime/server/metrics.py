"""``GET /metrics``: the server in Prometheus' text format, behind the API token.

| metric | type | labels |
|---|---|---|
| ``pyfn_webhook_deliveries_total`` | counter | ``workflow`` (``-`` for an unknown path), ``answer`` (the HTTP status) |
| ``pyfn_webhook_latency_seconds`` | histogram | ``workflow``: from the request to its answer |
| ``pyfn_runs_total`` | counter | ``state``: runs in the store that ended in each final state |
| ``pyfn_queue_depth`` | gauge | runs waiting to be claimed (``available``) |
| ``pyfn_runs_running`` | gauge | runs claimed or started |
| ``pyfn_run_duration_seconds`` | histogram | ``workflow``, ``state``: runs this process ran |
| ``pyfn_step_duration_seconds`` | histogram | ``workflow``: steps of the runs this process ran |
| ``pyfn_reloads_total`` / ``pyfn_reload_failures_total`` | counter | project reloads applied / refused |

Runs by state and the queue are read from the store at each scrape, so every
server on one store reports the same counts; durations and deliveries are what
this process saw since it started.

Example:
    >>> from runtime.store import open_store
    >>> metrics = Metrics(open_store(":memory:"))
    >>> metrics.delivered("forms", 201, 0.004)
    >>> b'pyfn_webhook_deliveries_total{answer="201",workflow="forms"} 1.0' in metrics.text()
    True
"""

from __future__ import annotations

import hmac
from typing import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runtime.store import FINAL_STATES, ClaimedRun, RunStore, parse_iso

__all__ = ["Metrics", "metrics_route"]

_LATENCY_BUCKETS = (.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30)
_RUN_BUCKETS = (.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class _StoreCollector:
    """Runs by final state and the queue, as the store holds them now."""

    def __init__(self, store: RunStore):
        self.store = store

    def collect(self) -> Iterator[Metric]:
        counts = self.store.counts()
        runs = CounterMetricFamily("pyfn_runs", "Runs that ended, by final state", labels=["state"])
        for state in sorted(FINAL_STATES):
            runs.add_metric([state], counts.get(state, 0))
        yield runs
        yield GaugeMetricFamily("pyfn_queue_depth", "Runs waiting to be claimed", value=counts.get("available", 0))
        yield GaugeMetricFamily("pyfn_runs_running", "Runs claimed or started",
                                value=counts.get("claimed", 0) + counts.get("started", 0))


class Metrics:
    """The server's metrics, in a registry of their own (see the module docstring).

    Example::

        metrics = Metrics(store)
        pool.on_end.append(metrics.run_ended)       # run and step durations
        app = create_app(..., metrics=metrics)      # deliveries, latency and GET /metrics
    """

    def __init__(self, store: RunStore):
        self.store = store
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(_StoreCollector(store))
        self.deliveries = Counter("pyfn_webhook_deliveries", "Webhook deliveries by workflow and answer",
                                  ["workflow", "answer"], registry=self.registry)
        self.latency = Histogram("pyfn_webhook_latency_seconds", "From a delivery to its answer", ["workflow"],
                                 buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.run_duration = Histogram("pyfn_run_duration_seconds", "Runs this process ran, start to end",
                                      ["workflow", "state"], buckets=_RUN_BUCKETS, registry=self.registry)
        self.step_duration = Histogram("pyfn_step_duration_seconds", "Steps of the runs this process ran",
                                       ["workflow"], buckets=_RUN_BUCKETS, registry=self.registry)
        self._delivery_series: dict[tuple, tuple] = {}  # (workflow, status) -> its counter and histogram
        self.reloads = Counter("pyfn_reloads", "Project reloads applied", registry=self.registry)
        self.reload_failures = Counter("pyfn_reload_failures", "Project reloads refused (invalid change)",
                                       registry=self.registry)

    def delivered(self, workflow: str | None, status: int, seconds: float) -> None:
        """Count a webhook delivery and its answer's latency."""
        counted = self._delivery_series.get((workflow, status))
        if counted is None:  # the first of its workflow and answer: look its series up once
            name = workflow or "-"
            counted = self._delivery_series[(workflow, status)] = (
                self.deliveries.labels(workflow=name, answer=str(status)), self.latency.labels(workflow=name))
        counted[0].inc()
        counted[1].observe(seconds)

    def run_ended(self, claimed: ClaimedRun, state: str, seconds: float) -> None:
        """Observe a run's duration and its steps' (read from the store)."""
        self.run_duration.labels(workflow=claimed.workflow, state=state).observe(seconds)
        for step in self.store.step_records(claimed.id):
            start, end = parse_iso(step.started_at), parse_iso(step.finished_at)
            if start and end:
                self.step_duration.labels(workflow=claimed.workflow).observe((end - start).total_seconds())

    def text(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)


def metrics_route(metrics: Metrics, token: str) -> Route:
    """``GET /metrics``, answered to ``Authorization: Bearer <token>`` only (401 otherwise)."""
    expected = f"Bearer {token}".encode()

    async def scrape(request: Request) -> Response:
        if not hmac.compare_digest(request.headers.get("authorization", "").encode(), expected):
            return JSONResponse({"error": "Unauthorized: send Authorization: Bearer <the server's API token>"},
                                status_code=401, headers={"WWW-Authenticate": 'Bearer realm="pyfn"'})
        import anyio.to_thread

        body = await anyio.to_thread.run_sync(metrics.text)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", scrape, methods=["GET"])
