"""One webhook server, three ``pyfn worker`` processes, one PostgreSQL: 500 forwarded forms, a worker killed.

The server only accepts and enqueues (``--no-workers``); the workers claim with
``SKIP LOCKED``, heartbeat, and one of them is SIGKILLed while it runs. Then:
every delivery ran exactly once (one successful run per work order, one record
per form at the destination), no work order ever ran twice at the same time,
and the ``max_concurrency: 1`` workflow delivered in arrival order.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from runtime.store import open_store, parse_iso
from runtime.testing.destination import DestinationAPI, Response

from .procs import Server, Worker, wait_until, wait_while_moving

pytestmark = pytest.mark.slow  # end to end: real processes, seconds each

FORMS = 500
ORDERED = 60
# a live worker stalled by a busy machine must not pass for dead: 5 s without a heartbeat
WORKER_ARGS = ("--workers", "2", "--heartbeat-s", "0.3", "--lost-after-s", "5")


class Recorder:
    """The destination: upserts by id, counts every post, and catches two posts of one id at the same time."""

    def __init__(self) -> None:
        self.posts: Counter = Counter()
        self.ordered: list[int] = []
        self.in_flight: Counter = Counter()
        self.overlaps: list[str] = []
        self.lock = threading.Lock()

    def record(self, request) -> Response:
        key = request.json["id"]
        with self.lock:
            if self.in_flight[key]:
                self.overlaps.append(key)
            self.in_flight[key] += 1
            self.posts[key] += 1
            if request.path == "/ordered":
                self.ordered.append(request.json["n"])
        time.sleep(0.002)  # a real write takes a moment: two runs of one form would overlap here
        with self.lock:
            self.in_flight[key] -= 1
        return Response(201, {"id": key})


def form(number: int) -> dict:
    return {"id": str(uuid.uuid4()), "form": {"village": f"Kondele-{number}"}, "received_on": "2024-05-02T10:00:00Z"}


def post_all(server: Server, bodies: list[dict], ordered: list[dict]) -> list[dict]:
    """Post the forms from 4 threads and the ordered deliveries one after the other, at the same time."""
    local = threading.local()

    def post(body):
        local.session = getattr(local, "session", None) or requests.Session()
        answer = server.post("forms", body, session=local.session)
        assert answer.status_code == 201, answer.text
        return answer.json()

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(post, body) for body in bodies]
        with requests.Session() as session:
            for body in ordered:
                assert server.post("sequential", body, session=session).status_code == 201
        return [future.result() for future in futures]


def kill_while_running(worker: Worker, store) -> str:
    """SIGKILL ``worker`` while it has a run claimed or started; its id in the store."""
    worker_id = wait_until(lambda: next((row[0] for row in store.live_workers() if row[3] == worker.pid), None))
    wait_until(lambda: any(run.worker == worker_id for run in store.list_runs(state="started", limit=100)),
               message="the worker never ran anything")
    worker.kill()
    return worker_id


def all_final(store, expected: int):
    counts = store.counts()
    done = counts.get("success", 0) == expected and not {"available", "claimed", "started"} & set(counts)
    return counts if done else None


def test_500_forms_on_three_workers_one_killed_run_exactly_once_and_in_order(pg_url, tmp_path):
    recorder = Recorder()
    with DestinationAPI() as destination:
        destination.route("POST", "/records", recorder.record)
        destination.route("POST", "/ordered", recorder.record)
        server = Server(tmp_path, "server", pg_url, "--no-workers", destination=destination.url).start()
        workers = [Worker(tmp_path, f"worker-{n}", pg_url, *WORKER_ARGS, destination=destination.url).start()
                   for n in range(3)]
        store = open_store(pg_url)
        try:
            bodies = [form(n) for n in range(FORMS)]
            ordered = [{"id": f"ordered-{n}", "n": n} for n in range(ORDERED)]
            poster = ThreadPoolExecutor(1).submit(post_all, server, bodies, ordered)
            delivered = lambda: sum(recorder.posts.values())  # noqa: E731
            wait_while_moving(lambda: delivered() >= 100, delivered)
            killed_id = kill_while_running(workers[1], store)
            runs_made = lambda: sum(store.counts().values())  # noqa: E731
            answers = wait_while_moving(lambda: poster.done() and poster.result(), runs_made)
            counts = wait_while_moving(lambda: all_final(store, FORMS + ORDERED), store.counts,
                                       message=lambda: f"runs stopped: {store.counts()}\n{workers[0].output()[-3000:]}")
            runs = store.list_runs(limit=10 * (FORMS + ORDERED))
            duplicate = server.post("forms", bodies[0])
        finally:
            store.close()
            for proc in (server, *workers):
                proc.stop()
    check_exactly_once(runs, answers, bodies, recorder, counts, killed_id)
    check_arrival_order(recorder, runs)
    assert duplicate.status_code == 200 and duplicate.json()["duplicate"] is True
    check_lost_runs_queued_again(runs, killed_id)


def check_exactly_once(runs, answers, bodies, recorder, counts, killed_id) -> None:
    by_work_order = defaultdict(list)
    for run in runs:
        by_work_order[run.work_order_id].append(run)
    lost = [run for run in runs if run.state == "lost"]
    assert lost and all(run.worker == killed_id for run in lost), "the killed worker's runs, and only those, were lost"
    assert counts == {"success": FORMS + ORDERED, "lost": len(lost)}
    for group in by_work_order.values():
        assert [run.state for run in group].count("success") == 1
        spans = sorted((parse_iso(run.claimed_at), parse_iso(run.finished_at)) for run in group)
        assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:])), "two runs overlapped"
    assert {answer["work_order_id"] for answer in answers} <= set(by_work_order)
    assert set(recorder.posts) == {body["id"] for body in bodies} | {f"ordered-{n}" for n in range(ORDERED)}
    rerun = {run.work_order_id for run in lost}
    twice = [key for key, posts in recorder.posts.items() if posts > 1]
    assert len(twice) <= len(rerun) and max(recorder.posts.values()) <= 2, "only a killed run may post again"
    assert recorder.overlaps == [], "a form was being delivered by two runs at once"


def check_lost_runs_queued_again(runs, killed_id) -> None:
    """Each run the killed worker lost was queued again (cause ``lost``) and succeeded on a live worker.

    Whichever live process notices the missed heartbeats does the recovery, so the
    outcome is read from the store, never from one process's log.
    """
    by_work_order = defaultdict(list)
    for run in runs:
        by_work_order[run.work_order_id].append(run)
    for lost in (run for run in runs if run.state == "lost"):
        again = sorted((run for run in by_work_order[lost.work_order_id] if run.attempt > lost.attempt),
                       key=lambda run: run.attempt)
        assert again and again[0].cause == "lost", f"run {lost.id} was not queued again after it was lost"
        success = next(run for run in again if run.state == "success")
        assert success.worker != killed_id


def check_arrival_order(recorder, runs) -> None:
    deliveries = [n for i, n in enumerate(recorder.ordered) if i == 0 or recorder.ordered[i - 1] != n]
    assert deliveries == list(range(ORDERED)), "max_concurrency: 1 delivers in arrival order"
    sequential = sorted((run for run in runs if run.workflow == "sequential" and run.state == "success"),
                        key=lambda run: run.started_at)
    for earlier, later in zip(sequential, sequential[1:]):
        assert earlier.finished_at <= later.started_at, "two sequential runs ran at once"
