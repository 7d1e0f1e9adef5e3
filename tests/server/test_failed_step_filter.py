"""The failed-step filter and the /metrics counts agree with the runs themselves, on SQLite and PostgreSQL
(``store_location``: a SQLite file, or a database of the throwaway PostgreSQL of ``tests/postgres.py``)."""

from __future__ import annotations

from collections import Counter

from prometheus_client.parser import text_string_to_metric_families

from runtime.server.metrics import Metrics
from runtime.store import FINAL_STATES, open_store

# (workflow, final state or None for left waiting, a step failed)
RUNS = [("a", "success", False), ("a", "success", True), ("a", "failed", True), ("b", "success", True),
        ("b", "crashed", False), ("b", "killed", True), ("a", None, False), ("b", None, False)]


def fill(store) -> dict[str, tuple]:
    """The runs of ``RUNS`` (finished ones claimed, stepped and ended), by id."""
    made = {}
    for workflow, state, failed in RUNS:
        run_id = store.accept(workflow, "hook", {"data": {}}).run_id
        made[run_id] = (workflow, state or "available", failed)
        if state is None:
            continue
        claimed = store.claim("w-1")
        assert claimed.id == run_id
        store.started(run_id)
        store.step_started(run_id, "map", {"data": {}})
        store.step_finished(run_id, "map", None, {"type": "RuntimeError", "message": "no"} if failed else None)
        store.step_started(run_id, "report", {"data": {}})
        store.step_finished(run_id, "report", {"data": {}}, None)
        store.finish(run_id, state, error_type="RuntimeError" if state != "success" else None)
    return made


def test_the_failed_step_filter_lists_exactly_the_runs_with_a_failed_step(store_location):
    store = open_store(store_location)
    try:
        made = fill(store)
        for workflow in (None, "a", "b"):
            expected = {i for i, (wf, _, failed) in made.items() if failed and workflow in (None, wf)}
            assert {r.id for r in store.list_runs(workflow, step_failed=True)} == expected, workflow
            assert store.count_step_failed(workflow) == len(expected)
        handled = {i for i, (_, state, failed) in made.items() if failed and state == "success"}
        assert {r.id for r in store.list_runs(state="success", step_failed=True)} == handled and len(handled) == 2
        pages = [r.id for offset in range(0, 4, 2) for r in store.list_runs(limit=2, offset=offset, step_failed=True)]
        assert pages == [r.id for r in store.list_runs(step_failed=True)] and len(set(pages)) == 4
    finally:
        store.close()


def test_metrics_counts_equal_the_stores(store_location):
    store = open_store(store_location)
    try:
        made = fill(store)
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for family in text_string_to_metric_families(Metrics(store).text().decode())
                   for s in family.samples}
        states = Counter(state for _, state, _ in made.values())
        assert store.counts() == dict(states)
        for state in sorted(FINAL_STATES):
            assert samples[("pyfn_runs_total", (("state", state),))] == states.get(state, 0), state
        assert samples[("pyfn_queue_depth", ())] == states["available"] == 2
        assert samples[("pyfn_runs_running", ())] == 0
    finally:
        store.close()
