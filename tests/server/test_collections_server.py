"""Collections under ``pyfn serve``: runs on workers share them, the JSON API behind the token, the page's view."""

from __future__ import annotations

import pytest
import requests

from runtime.store.collections import StoreCollections

from .conftest import open_db, wait_until
from .projects import pyfn, write_project
from .test_history_page import browser, until  # noqa: F401 - the headless Chromium fixture

TOKEN = "api-token-c011ec"
JOB = """
fn(lambda state: {**state, "input": state["data"]})
collections.get("crm-ids", state["input"]["case_id"])
fn(lambda state: {**state, "seen": state["data"]})
collections.set("crm-ids", state["input"]["case_id"], state["input"])
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from .conftest import Server

    tmp = tmp_path_factory.mktemp("collections")
    project = write_project(tmp / "project", {"register.yaml": """
        name: register
        triggers: [{path: register}]
        steps:
          - id: remember
            job: ../jobs/remember.py
    """}, {"remember.py": JOB})
    server = Server(tmp, "--workers", "2", "--api-token", TOKEN, project=project)
    assert pyfn("collections", "create", "crm-ids", "--db", server.db).returncode == 0
    server.start()
    yield server
    server.stop(timeout=10)


def api(server, method, path, token=TOKEN, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, f"{server.url}/api/collections{path}", headers=headers, timeout=10, **kwargs)


def test_runs_on_workers_read_and_write_the_servers_collections(server):
    store = open_db(server.db)
    for case in ("case-1", "case-2", "case-1"):
        run_id = server.post("register", {"case_id": case, "name": case.upper()}).json()["run_id"]
        wait_until(lambda: store.get_run(run_id).run.final, timeout=30)
        detail = store.get_run(run_id)
        assert detail.run.state == "success", detail.logs
    store.close()
    assert detail.final_state["seen"] == {"case_id": "case-1", "name": "CASE-1"}  # the first run's value
    items = api(server, "GET", "/crm-ids?key=case-*").json()["items"]
    assert [(i["key"], i["value"]["name"]) for i in items] == [("case-1", "CASE-1"), ("case-2", "CASE-2")]


def test_the_api_needs_the_token(server):
    assert api(server, "GET", "", token=None).status_code == 401
    assert api(server, "GET", "", token="wrong").status_code == 401
    assert api(server, "POST", "/crm-ids", token="wrong", json={"items": []}).status_code == 401


def test_create_set_page_get_and_remove_through_the_api(server):
    assert api(server, "POST", "", json={"name": "facilities"}).status_code == 201
    assert api(server, "POST", "", json={"name": "facilities"}).json()["code"] == "COLLECTION_EXISTS"
    items = [{"key": f"f-{i:02}", "value": {"beds": i}} for i in range(25)]
    assert api(server, "POST", "/facilities", json={"items": items}).json() == {"upserted": 25}
    first = api(server, "GET", "/facilities?limit=10").json()
    second = api(server, "GET", f"/facilities?limit=20&cursor={first['cursor']}").json()
    assert [i["key"] for i in first["items"] + second["items"]] == [f"f-{i:02}" for i in range(25)]
    assert second["cursor"] is None and first["items"][0]["created_at"].endswith("Z")
    assert api(server, "GET", "/facilities/f-03").json() == {"key": "f-03", "value": {"beds": 3}}
    assert api(server, "GET", "/facilities/f-99").status_code == 404
    assert api(server, "DELETE", "/facilities/f-03").json() == {"deleted": 1}
    assert api(server, "DELETE", "/facilities?key=f-1*").json() == {"deleted": 10}
    assert api(server, "DELETE", "/facilities").status_code == 400  # a pattern is required
    names = {c["name"]: c["count"] for c in api(server, "GET", "").json()["collections"]}
    assert names["facilities"] == 14


def test_api_errors_are_json_with_a_code(server):
    missing = api(server, "GET", "/nope?key=*")
    assert missing.status_code == 404 and missing.json()["code"] == "COLLECTION_NOT_FOUND"
    big = api(server, "POST", "/crm-ids", json={"items": [{"key": "big", "value": "x" * 1_100_000}]})
    assert big.status_code == 413 and big.json()["code"] == "VALUE_TOO_LARGE"
    bad = api(server, "POST", "/crm-ids", json={"items": [{"key": "a*b", "value": 1}]})
    assert bad.status_code == 400 and bad.json()["code"] == "INVALID_KEY"
    assert api(server, "GET", "/crm-ids?limit=5000").status_code == 400
    assert api(server, "GET", "/crm-ids?created_after=soon").json()["code"] == "INVALID_QUERY"
    assert api(server, "POST", "/crm-ids", json={"rows": []}).json()["code"] == "INVALID_BODY"


def test_the_page_lists_collections_and_pages_through_items(server, browser):  # noqa: F811 - the fixture
    from selenium.webdriver.common.by import By

    store = StoreCollections(server.db)
    if not store.exists("lookup"):
        store.create("lookup")
    store.set_many("lookup", [(f"k-{i:03}", f'{{"n": {i}}}') for i in range(60)])
    store.close()
    browser.get(f"{server.url}/collections?token={TOKEN}")
    until(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "tr[data-collection='lookup']"))
    row = browser.find_element(By.CSS_SELECTOR, "tr[data-collection='lookup']")
    assert "60" in row.text
    row.find_element(By.TAG_NAME, "a").click()
    until(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#items tr[data-key]")) == 50)
    browser.find_element(By.ID, "next-page").click()
    until(browser, lambda: [r.get_attribute("data-key") for r in
                            browser.find_elements(By.CSS_SELECTOR, "#items tr[data-key]")][:1] == ["k-050"])
    assert len(browser.find_elements(By.CSS_SELECTOR, "#items tr[data-key]")) == 10
    assert not browser.find_element(By.ID, "next-page").is_displayed()
    pattern = browser.find_element(By.ID, "key-pattern")
    pattern.clear()
    pattern.send_keys("k-00*")
    browser.find_element(By.CSS_SELECTOR, "#item-filter button").click()
    # the second page also shows 10 rows: wait for the filtered ones, then count them
    until(browser, lambda: [r.get_attribute("data-key") for r in
                            browser.find_elements(By.CSS_SELECTOR, "#items tr[data-key]")][:1] == ["k-000"])
    assert [r.get_attribute("data-key") for r in browser.find_elements(By.CSS_SELECTOR, "#items tr[data-key]")] == [
        f"k-00{n}" for n in range(10)]
    assert '"n": 7' in browser.find_element(By.CSS_SELECTOR, "tr[data-key='k-007']").text
