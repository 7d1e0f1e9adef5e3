"""The run history page in headless Chromium (Debian's ``chromium`` and ``chromium-driver``, driven by Selenium;
nothing downloads a browser): load the list, filter it, open a failed run, retry it, see the new run appear.

Without the system browser this test FAILS (CI installs it: ``apt-get install -y chromium chromium-driver``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from .conftest import open_db, wait_until
from .projects import write_project
from .test_history_api import GATE, TOKEN, WORKFLOWS

pytestmark = pytest.mark.slow  # end to end: real processes, seconds each

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,1000"]


@pytest.fixture
def browser():
    missing = [path for path in (CHROMIUM, DRIVER) if not Path(path).exists()]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found: install Debian's browser with "
                    f"'apt-get update && apt-get install -y chromium chromium-driver' (CI's .ci/run does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="pyfn-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def until(driver, predicate, timeout=10):
    """``wait_until`` in the page; on a time-out the message says what the page showed."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def check():
        try:
            return predicate()
        except StaleElementReferenceException:  # the page refreshed what it shows meanwhile: look again
            return None

    try:
        return wait_until(check, timeout=timeout)
    except AssertionError:
        shown = driver.find_element(By.TAG_NAME, "main").text[:1500]
        raise AssertionError(f"timed out at {driver.current_url}; console: {driver.get_log('browser')}; "
                             f"page:\n{shown}") from None


def visible_runs(driver) -> dict[str, str]:
    """run id → state, as the list shows them (read at once: the list refreshes itself)."""
    return dict(driver.execute_script(
        "return [...document.querySelectorAll('#runs tr.run')]"
        ".map((row) => [row.dataset.runId, row.querySelector('[data-state]').textContent]);"))


def test_list_open_a_failed_run_retry_it_and_see_the_new_run(server_factory, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    project = write_project(tmp_path / "project", WORKFLOWS, {"gate.py": GATE})
    server = server_factory("--workers", "2", "--api-token", TOKEN, project=project).start()
    (tmp_path / "open").touch()
    ok = server.post("pipeline", {"x": 1, "gate": str(tmp_path / "open")}).json()
    failed = server.post("pipeline", {"x": 3, "gate": str(tmp_path / "closed")}).json()
    store = open_db(server.db)
    try:
        wait_until(lambda: all(store.get_run(r["run_id"]).run.final for r in (ok, failed)))
    finally:
        store.close()

    browser.get(f"{server.url}/runs?token={TOKEN}")
    shown = until(browser, lambda: len(visible_runs(browser)) == 2 and visible_runs(browser), timeout=15)
    assert shown == {ok["run_id"]: "success", failed["run_id"]: "failed"}
    assert "token=" not in browser.current_url, "the token leaves the address bar"
    Select(browser.find_element(By.ID, "state")).select_by_visible_text("failed")
    until(browser, lambda: list(visible_runs(browser)) == [failed["run_id"]])

    browser.find_element(By.CSS_SELECTOR, f'a[data-run-id="{failed["run_id"]}"]').click()
    page = until(browser, lambda: browser.find_element(By.ID, "run").get_attribute("data-run-id") == failed["run_id"]
                 and browser.find_element(By.ID, "run"))
    assert page.get_attribute("data-state") == "failed"
    steps = browser.find_elements(By.CSS_SELECTOR, "#steps .step")
    assert [step.get_attribute("data-step") for step in steps] == ["double", "gate"]
    # long JSON is folded behind an expander: its text is there, not shown until opened
    assert '"x": 6' in steps[1].find_element(By.CSS_SELECTOR, ".step-input").get_attribute("textContent")
    assert "failed: JobError" in steps[1].text
    assert "token is ****" in browser.find_element(By.ID, "logs").text
    assert "conf-secret-9876" not in browser.page_source

    (tmp_path / "closed").touch()  # fix the cause, then retry
    browser.find_element(By.ID, "retry").click()
    new_id = until(browser, lambda: (shown := browser.find_element(By.ID, "run").get_attribute("data-run-id"))
                   != failed["run_id"] and shown)
    until(browser, lambda: browser.find_element(By.ID, "run").get_attribute("data-state") == "success", timeout=15)
    assert "2 (manual)" in browser.find_element(By.ID, "run-meta").text
    browser.save_screenshot(str(tmp_path / "run.png"))

    browser.find_element(By.LINK_TEXT, "← all runs").click()
    Select(browser.find_element(By.ID, "state")).select_by_visible_text("all")
    listed = until(browser, lambda: new_id in visible_runs(browser) and visible_runs(browser))
    assert listed[new_id] == "success" and listed[failed["run_id"]] == "failed"
    group = browser.find_element(By.CSS_SELECTOR, f'tr.work-order[data-work-order-id="{failed["work_order_id"]}"]')
    assert "2 run(s)" in group.text
    browser.save_screenshot(str(tmp_path / "list.png"))
