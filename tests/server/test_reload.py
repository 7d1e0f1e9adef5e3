"""Live reload of ``pyfn serve``: edits are validated and swapped in between runs, refused ones reported."""

from __future__ import annotations

import shutil

import pytest
import requests

from .conftest import open_db, wait_until
from .projects import pyfn, write_project
from .test_history_page import browser, until  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow  # end to end: a real server, seconds each

TOKEN = "reload-token-1"
# runs forked from the forkserver (plans preloaded there), or each in bubblewrap (nothing preloaded)
ISOLATION = [(), pytest.param(("--sandbox",), marks=pytest.mark.skipif(shutil.which("bwrap") is None,
                                                                        reason="bubblewrap is not installed"))]
WORKFLOW = """
    steps:
      - id: map
        job: ../jobs/map.py
    triggers:
      - {type: webhook, path: %s}
"""


def job(label: str) -> str:
    return f"fn(lambda state: {{**state, 'data': {{'made_by': '{label}'}}}})\n"


def project(root, path: str = "forms"):
    return write_project(root, {"hook.yaml": WORKFLOW % path}, {"map.py": job("one")})


def health(server) -> dict:
    return requests.get(f"{server.url}/health", timeout=5).json()


def served_version(server) -> str:
    return health(server)["reload"]["versions"]["hook"]


def finished(server, run_id: str):
    """The run once it ended (bounded wait), from the server's store."""
    store = open_db(server.db)
    try:
        run = wait_until(lambda: (r := store.get_run(run_id)) is not None and r.run.final and r, timeout=60,
                         message=lambda: f"run {run_id} did not end:\n{server.output()}")
        return run
    finally:
        store.close()


def deliver(server, path: str = "forms"):
    answer = server.post(path, {"n": 1})
    assert answer.status_code == 201, answer.text
    return finished(server, answer.json()["run_id"])


@pytest.mark.parametrize("isolation", ISOLATION, ids=["forked", "sandboxed"])
def test_an_edited_job_runs_at_the_next_delivery_and_at_a_retry_with_its_new_version(server_factory, tmp_path,
                                                                                      isolation):
    root = project(tmp_path / "project")
    server = server_factory("--workers", "1", "--api-token", TOKEN, *isolation, project=root).start()
    first = deliver(server)
    assert first.final_state["data"] == {"made_by": "one"} and first.run.version == served_version(server)
    old = first.run.version
    (root / "jobs" / "map.py").write_text(job("two"))
    wait_until(lambda: served_version(server) != old, timeout=30, message=lambda: server.output())
    second = deliver(server)
    assert second.final_state["data"] == {"made_by": "two"}
    assert second.run.version == served_version(server) != old
    retried = pyfn("runs", "retry", first.run.id, "--db", server.db, "--wait")
    assert retried.returncode == 0, retried.stdout + retried.stderr
    store = open_db(server.db)
    latest = store.list_runs("hook", work_order=first.run.work_order_id)[0]
    store.close()
    again = finished(server, latest.id)
    assert again.run.attempt == 2 and again.final_state["data"] == {"made_by": "two"}
    assert again.run.version == second.run.version
    shown = pyfn("runs", "show", again.run.id, "--db", server.db)
    assert f"version {second.run.version}" in shown.stdout, shown.stdout
    assert f"reloaded: workflow hook version {old} -> {second.run.version}" in server.output()
    metrics = requests.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).text
    assert "pyfn_reloads_total 1.0" in metrics and "pyfn_reload_failures_total 0.0" in metrics, metrics


def test_an_invalid_edit_keeps_the_previous_version_serving_and_reports_each_problem(server_factory, tmp_path):
    root = project(tmp_path / "project")
    server = server_factory("--workers", "1", "--api-token", TOKEN, project=root).start()
    version = served_version(server)
    (root / "jobs" / "map.py").write_text("fn(lambda state: \n")
    wait_until(lambda: not health(server)["reload"]["ok"], timeout=30, message=lambda: server.output())
    problems = health(server)["reload"]["problems"]
    assert any("map.py" in problem for problem in problems), problems
    assert "reload refused: 1 problem, still serving the previous version" in server.output()
    run = deliver(server)
    assert run.final_state["data"] == {"made_by": "one"} and run.run.version == version
    (root / "workflows" / "hook.yaml").write_text("steps:\n  - id: map\n    job: [\n")
    wait_until(lambda: any("hook.yaml:" in p for p in health(server)["reload"]["problems"]), timeout=30,
               message=lambda: server.output())
    assert any(line.startswith("[SRV] ✘ reload: ") and "hook.yaml:" in line for line in server.output().splitlines())
    assert deliver(server).run.version == version
    metrics = requests.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).text
    assert "pyfn_reloads_total 0.0" in metrics and "pyfn_reload_failures_total 0.0" not in metrics, metrics


def test_a_changed_webhook_path_routes_to_the_workflow(server_factory, tmp_path):
    root = project(tmp_path / "project")
    server = server_factory("--workers", "1", project=root).start()
    assert server.post("forms", {}).status_code == 201
    (root / "workflows" / "hook.yaml").write_text(__import__("textwrap").dedent(WORKFLOW % "intake").lstrip())
    wait_until(lambda: server.post("intake", {}).status_code == 201, timeout=30, message=lambda: server.output())
    assert server.post("forms", {}).status_code == 404


@pytest.mark.parametrize("isolation", ISOLATION, ids=["forked", "sandboxed"])
def test_no_reload_keeps_the_version_loaded_at_start(server_factory, tmp_path, isolation):
    # sandboxed, nothing is preloaded: the run compiles the files its server loaded, not the disk's
    root = project(tmp_path / "project")
    frozen = server_factory("--workers", "1", "--no-reload", *isolation, project=root).start()
    watching = server_factory("--workers", "0", project=root).start()  # it tells when the edit was seen
    version = served_version(frozen)
    assert health(frozen)["reload"]["watching"] is False and "live reload is off" in frozen.output()
    (root / "jobs" / "map.py").write_text(job("two"))
    wait_until(lambda: served_version(watching) != version, timeout=30, message=lambda: watching.output())
    run = deliver(frozen)
    assert run.final_state["data"] == {"made_by": "one"} and run.run.version == version
    assert served_version(frozen) == version


def test_an_automatic_retry_waiting_while_the_job_is_fixed_runs_the_fixed_job(server_factory, tmp_path):
    root = write_project(tmp_path / "project", {"hook.yaml": WORKFLOW % "forms" + "    retry: {max: 1, delay: 1h}\n"},
                         {"map.py": "fn(lambda state: state['data']['case'])\n"})
    server = server_factory("--workers", "1", project=root).start()
    failed = deliver(server)
    assert failed.run.state == "failed" and failed.run.version == served_version(server)
    (root / "jobs" / "map.py").write_text(job("fixed"))
    wait_until(lambda: served_version(server) != failed.run.version, timeout=30, message=lambda: server.output())
    now = pyfn("runs", "retry", failed.run.work_order_id, "--now", "--db", server.db, "--wait")
    assert now.returncode == 0, now.stdout + now.stderr
    store = open_db(server.db)
    retry = store.list_runs("hook", work_order=failed.run.work_order_id)[0]
    store.close()
    done = finished(server, retry.id)
    assert done.run.cause == "retry" and done.final_state["data"] == {"made_by": "fixed"}
    assert done.run.version == served_version(server)


def test_the_page_shows_a_refused_reload_as_a_banner_and_each_run_s_version(server_factory, browser, tmp_path):
    from selenium.webdriver.common.by import By

    root = project(tmp_path / "project")
    server = server_factory("--workers", "1", "--api-token", TOKEN, project=root).start()
    run = deliver(server)
    (root / "jobs" / "map.py").write_text("fn(lambda state: \n")
    wait_until(lambda: not health(server)["reload"]["ok"], timeout=30, message=lambda: server.output())
    browser.get(f"{server.url}/runs/{run.run.id}?token={TOKEN}")
    banner = browser.find_element(By.ID, "reload-banner")
    until(browser, lambda: banner.is_displayed() and "map.py" in banner.text)
    assert "previous version is still serving" in banner.text
    until(browser, lambda: run.run.version in browser.find_element(By.ID, "run-meta").text)
    (root / "jobs" / "map.py").write_text(job("one"))
    wait_until(lambda: health(server)["reload"]["ok"], timeout=30, message=lambda: server.output())
    browser.get(f"{server.url}/runs")
    until(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#runs tr.run"))
    assert not browser.find_element(By.ID, "reload-banner").is_displayed()
