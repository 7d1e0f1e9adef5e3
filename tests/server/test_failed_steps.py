"""A handled failure stays ``success`` (Lightning's state) but is shown everywhere a run is: ``pyfn runs list``,
``pyfn runs show`` (one screen; ``--states`` for the rest), the server's log, the API (with a filter) and the
page (its step summary on top, long JSON folded), the page in headless Chromium."""

from __future__ import annotations

import pytest
import requests

from .conftest import open_db, wait_until
from .projects import pyfn, write_project
from .test_history_page import browser, until  # noqa: F401 - the browser fixture

pytestmark = pytest.mark.slow  # end to end: real processes, seconds each

TOKEN = "api-token-f41l"
WORKFLOWS = {
    "registrations.yaml": """
        name: registrations
        triggers: [{path: registrations}]
        steps:
          - id: map
            expression: |
              fn(lambda state: {**state, "data": {"case": state["data"]["form"]["case"], "rows": list(range(40))}})
            next: {upload: on_job_success, alert: on_job_failure}
          - id: upload
            expression: "fn(lambda state: state)"
          - id: alert
            expression: |
              fn(lambda state: {**state, "alerted": True, "rows": list(range(40))})
    """,
}


def _runs(tmp_path, server_factory):
    project = write_project(tmp_path / "project", WORKFLOWS)
    server = server_factory("--workers", "1", "--api-token", TOKEN, project=project).start()
    handled = server.post("registrations", {"form": {}}).json()
    clean = server.post("registrations", {"form": {"case": {"id": "c-1"}}}).json()
    store = open_db(server.db)
    try:
        wait_until(lambda: all(store.get_run(r["run_id"]).run.final for r in (handled, clean)))
        assert store.get_run(handled["run_id"]).run.state == "success", "a handled failure is a success"
    finally:
        store.close()
    return server, handled["run_id"], clean["run_id"]


def test_the_cli_the_log_and_the_api_show_the_failed_step(tmp_path, server_factory):
    server, handled, clean = _runs(tmp_path, server_factory)
    listed = pyfn("runs", "list", "--db", server.db)
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[1:3]}
    assert "success · 1 step failed" in rows[handled] and "step failed" not in rows[clean], listed.stdout
    assert "2 success; 1 with a failed step" in listed.stdout
    only = pyfn("runs", "list", "--db", server.db, "--step-failed", "--json").stdout
    assert handled in only and clean not in only

    shown = pyfn("runs", "show", handled[:8], "--db", server.db)
    lines = shown.stdout.splitlines()
    assert "  state success · 1 step failed, took " in shown.stdout
    steps = lines.index("Steps (2):")
    assert steps < 8 and lines[steps + 1].startswith("  map (") and "KeyError: 'case'" in lines[steps + 1]
    assert lines[steps + 2].startswith("  alert (") and lines[steps + 2].endswith(" ok")
    assert len(lines) < 40 and '"rows"' not in shown.stdout, "one screen: no states without --states"
    full = pyfn("runs", "show", handled[:8], "--db", server.db, "--states").stdout
    assert '"alerted": true' in full and "Input:" in full and len(full.splitlines()) > 80

    assert f"run {handled} success · 1 step failed in " in wait_until(
        lambda: f"run {handled} success" in server.output() and server.output())
    answer = requests.get(f"{server.url}/api/runs?step_failed=1", timeout=10,
                          headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert [run["id"] for run in answer["runs"]] == [handled] and answer["step_failed"] == 1
    assert answer["runs"][0]["status"] == "success · 1 step failed" and answer["runs"][0]["steps_failed"] == 1


def test_the_page_opens_with_the_step_summary_and_folds_long_json(tmp_path, server_factory, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    server, handled, clean = _runs(tmp_path, server_factory)
    browser.get(f"{server.url}/runs?token={TOKEN}")
    statuses = until(browser, lambda: browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#runs tr.run')]"
        ".map((row) => [row.dataset.runId, row.querySelector('[data-state]').textContent]));")
        if len(browser.find_elements(By.CSS_SELECTOR, "#runs tr.run")) == 2 else None)
    assert statuses == {handled: "success · 1 step failed", clean: "success"}
    browser.find_element(By.ID, "step_failed").click()
    until(browser, lambda: [row.get_attribute("data-run-id") for row in
                            browser.find_elements(By.CSS_SELECTOR, "#runs tr.run")] == [handled])
    assert "step_failed=1" in browser.current_url

    browser.find_element(By.CSS_SELECTOR, f'a[data-run-id="{handled}"]').click()
    until(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#step-summary tbody tr"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#step-summary tbody tr")
    assert [row.get_attribute("data-step") for row in rows] == ["map", "alert"]
    assert "failed" in rows[0].text and "KeyError: 'case'" in rows[0].text and "success" in rows[1].text
    summary_top = browser.find_element(By.ID, "step-summary").location["y"]
    assert summary_top < browser.find_element(By.ID, "run-input").location["y"]
    assert summary_top < browser.execute_script("return window.innerHeight"), "the summary is on the first screen"
    output = browser.find_element(By.CSS_SELECTOR, '#steps .step[data-step="alert"] details.fold > pre.step-output')
    folded = output.find_element(By.XPATH, "..")
    assert folded.get_attribute("open") is None and "lines of JSON" in folded.text
    assert not folded.find_element(By.CSS_SELECTOR, "pre.step-output").is_displayed()
    rows[1].find_element(By.LINK_TEXT, "output").click()  # the link unfolds the step's output
    assert browser.current_url.endswith("#step-alert-output")
    assert folded.get_attribute("open") is not None and '"alerted": true' in output.text
