"""``GET /metrics``: Prometheus' text format (read back with prometheus_client's own parser), behind the API token;
its counters match the run store."""

from __future__ import annotations

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from .conftest import open_db, wait_until
from .projects import write_project
from .test_history_api import GATE, TOKEN, WORKFLOWS

pytestmark = pytest.mark.slow  # end to end: a real server


def scrape(server) -> dict[tuple, float]:
    """(sample name, sorted labels) → value."""
    answer = requests.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain"), answer.text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.text) for sample in family.samples}


def test_metrics_parse_and_match_the_store(server_factory, tmp_path):
    project = write_project(tmp_path / "project", WORKFLOWS, {"gate.py": GATE})
    server = server_factory("--workers", "1", "--api-token", TOKEN, project=project).start()
    (tmp_path / "open").touch()
    runs = [server.post("pipeline", {"x": n, "gate": str(tmp_path / ("open" if n < 3 else "shut"))}).json()
            for n in range(4)]
    assert server.post("nowhere", {}).status_code == 404
    store = open_db(server.db)
    try:
        wait_until(lambda: all(store.get_run(r["run_id"]).run.final for r in runs))
        counts = store.counts()
        steps = sum(len(store.get_run(r["run_id"]).steps) for r in runs)
    finally:
        store.close()
    assert counts == {"success": 3, "failed": 1}

    refused = requests.get(f"{server.url}/metrics", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert refused.status_code == 401
    # the durations are observed once each run's end is stored: wait for the last one
    metrics = wait_until(lambda: (m := scrape(server))[
        ("pyfn_run_duration_seconds_count", (("state", "failed"), ("workflow", "pipeline")))] == 1 and m)
    for state in ("success", "failed", "crashed", "killed", "lost"):
        assert metrics[("pyfn_runs_total", (("state", state),))] == counts.get(state, 0)
    assert metrics[("pyfn_queue_depth", ())] == 0 and metrics[("pyfn_runs_running", ())] == 0
    assert metrics[("pyfn_webhook_deliveries_total", (("answer", "201"), ("workflow", "pipeline")))] == 4
    assert metrics[("pyfn_webhook_deliveries_total", (("answer", "404"), ("workflow", "-")))] == 1
    assert metrics[("pyfn_webhook_latency_seconds_count", (("workflow", "pipeline"),))] == 4
    assert metrics[("pyfn_run_duration_seconds_count", (("state", "success"), ("workflow", "pipeline")))] == 3
    assert metrics[("pyfn_step_duration_seconds_count", (("workflow", "pipeline"),))] == steps == 8
    assert metrics[("pyfn_reloads_total", ())] == 0 and metrics[("pyfn_reload_failures_total", ())] == 0
