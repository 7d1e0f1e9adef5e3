"""Run history and replay: ``pyfn runs retry`` (from the start, from a step), ``pyfn trigger``, and the JSON API
(``/api/runs``) with its token; configuration is masked in everything shown."""

from __future__ import annotations

import json
import re

import pytest
import requests

from .conftest import Server, open_db, wait_until
from .projects import pyfn, runs_of, write_project

TOKEN = "api-token-5e7a1c"
WORKFLOWS = {
    "pipeline.yaml": """
        name: pipeline
        triggers: [{path: pipeline}]
        steps:
          - id: double
            expression: |
              fn(lambda state: {**state, "data": {**state["data"], "x": state["data"]["x"] * 2}})
            next: gate
          - id: gate
            job: ../jobs/gate.py
            configuration: {token: conf-secret-9876}
    """,
}
GATE = """
    import os

    log("token is", state["configuration"]["token"])

    def gate(state):
        if not os.path.exists(state["data"]["gate"]):
            raise RuntimeError("the gate is closed")
        return {**state, "data": {**state["data"], "passed": True}}

    fn(gate)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("history")
    project = write_project(tmp / "project", WORKFLOWS, {"gate.py": GATE})
    server = Server(tmp, "--workers", "2", project=project)
    server.env["PYFN_API_TOKEN"] = TOKEN
    server.start()
    yield server
    server.stop(timeout=10)


def api(server, method, path, token=TOKEN, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, f"{server.url}{path}", headers=headers, timeout=10, **kwargs)


def failed_run(server, tmp_path, x=3):
    """A run of pipeline whose gate step failed (its gate file does not exist yet)."""
    gate = tmp_path / f"gate-{x}"
    run_id = server.post("pipeline", {"x": x, "gate": str(gate)}).json()["run_id"]
    store = open_db(server.db)
    try:
        wait_until(lambda: store.get_run(run_id).run.final)
        assert store.get_run(run_id).run.state == "failed"
    finally:
        store.close()
    return run_id, gate


def test_retry_from_a_step_and_from_the_start_give_the_expected_states(server, tmp_path):
    run_id, gate = failed_run(server, tmp_path)
    refused = pyfn("runs", "retry", run_id, "--from-step", "nope", "--db", server.db)
    assert refused.returncode == 1
    assert f"Cannot retry: run {run_id} has no step 'nope' (its steps: double, gate)" in refused.stdout
    gate.touch()
    from_step = pyfn("runs", "retry", run_id[:8], "--from-step", "ga", "--db", server.db, "--wait")
    assert from_step.returncode == 0, from_step.stdout
    assert re.search(r"Queued run \S+ \(attempt 2\) of work order \S+, from step gate with its saved input",
                     from_step.stdout)
    assert re.search(r"Run \S+ success in ", from_step.stdout)
    from_start = pyfn("runs", "retry", run_id, "--db", server.db, "--wait")
    assert from_start.returncode == 0 and "(attempt 3)" in from_start.stdout and "with its original input" \
        in from_start.stdout
    store = open_db(server.db)
    try:
        first, second, third = (store.get_run(r.id) for r in runs_of(
            store, "pipeline", work_order=store.get_run(run_id).run.work_order_id))
    finally:
        store.close()
    assert (second.run.cause, second.run.start_step, [s.step for s in second.steps]) == ("manual", "gate", ["gate"])
    assert second.input == first.steps[1].input and second.input["data"] == {"x": 6, "gate": str(gate)}
    assert second.final_state["data"] == {"x": 6, "gate": str(gate), "passed": True}, "double did not run again"
    assert (third.run.start_step, [s.step for s in third.steps]) == (None, ["double", "gate"])
    assert third.input == first.input and third.final_state["data"]["x"] == 6 and third.final_state["data"]["passed"]
    assert any("Retry from step gate: starting there with its saved input" in line for _, line in second.logs)


def test_pyfn_trigger_queues_a_manual_run(server, tmp_path):
    state = tmp_path / "input.json"
    gate = tmp_path / "open-gate"
    gate.touch()
    state.write_text(json.dumps({"data": {"x": 5, "gate": str(gate)}}))
    result = pyfn("trigger", "pipeline", server.project, "--input", state, "--db", server.db, "--wait")
    assert result.returncode == 0, result.stdout + result.stderr
    run_id = re.search(r"Queued run (\S+) \(work order \S+\) of workflow pipeline; input: ", result.stdout).group(1)
    assert f"Run {run_id} success in " in result.stdout
    store = open_db(server.db)
    try:
        detail = store.get_run(run_id)
    finally:
        store.close()
    assert detail.run.trigger == "manual" and detail.final_state["data"]["x"] == 10
    unknown = pyfn("trigger", "nope", server.project, "--db", server.db)
    assert unknown.returncode == 1 and "No workflow named 'nope'" in unknown.stdout
    assert "the workflows are: pipeline" in unknown.stdout


def test_pyfn_trigger_wait_says_when_no_server_runs(tmp_path):
    project = write_project(tmp_path / "p", WORKFLOWS, {"gate.py": GATE})
    result = pyfn("trigger", "pipeline", project, "--state", "/dev/null", "--wait")
    assert result.returncode == 1 and "Expecting value" in result.stdout
    (tmp_path / "s.json").write_text('{"data": {"x": 1, "gate": "/nowhere"}}')
    result = pyfn("trigger", "pipeline", project, "--state", tmp_path / "s.json", "--wait", timeout=20)
    assert result.returncode == 1
    assert "No pyfn serve is running on this store: run " in result.stdout and "(not waiting)" in result.stdout
    assert (project / "state" / "pyfn.db").is_file(), "queued for the next start"


def test_the_api_needs_the_token(server):
    for token in (None, "wrong", TOKEN[:-1]):
        for method, path in (("GET", "/api/runs"), ("GET", "/api/runs/x"), ("POST", "/api/runs/x/retry")):
            answer = api(server, method, path, token=token)
            assert answer.status_code == 401, (method, path, token)
            assert answer.headers["www-authenticate"] == 'Bearer realm="pyfn"'
    assert requests.get(f"{server.url}/api/runs?token={TOKEN}", timeout=5).status_code == 401


def test_the_api_lists_shows_and_retries_runs(server, tmp_path):
    run_id, gate = failed_run(server, tmp_path, x=7)
    listed = api(server, "GET", "/api/runs?workflow=pipeline&state=failed").json()
    assert listed["workflows"] == ["pipeline"] and listed["limit"] == 50
    mine = next(run for run in listed["runs"] if run["id"] == run_id)
    assert (mine["trigger"], mine["trigger_type"], mine["state"], mine["error_type"]) == (
        "pipeline", "webhook", "failed", "JobError")
    assert mine["duration_ms"] > 0 and mine["final"] is True
    assert all(run["state"] == "failed" for run in listed["runs"]) and listed["counts"]["failed"] >= 1
    assert api(server, "GET", "/api/runs?limit=x").status_code == 400

    detail = api(server, "GET", f"/api/runs/{run_id[:10]}").json()
    assert detail["run"]["id"] == run_id and detail["input"]["data"]["x"] == 7
    assert [step["step"] for step in detail["steps"]] == ["double", "gate"]
    assert detail["steps"][1]["input"]["data"]["x"] == 14 and detail["steps"][1]["error"]["name"] == "JobError"
    assert "configuration" not in detail["steps"][1]["input"]
    assert any(log["line"].endswith("token is ****") for log in detail["logs"])
    assert "conf-secret-9876" not in json.dumps(detail)
    assert [r["id"] for r in detail["work_order"]["runs"]] == [run_id]
    assert api(server, "GET", "/api/runs/nope").status_code == 404

    refused = api(server, "POST", f"/api/runs/{run_id}/retry", json={"from_step": "nope"})
    assert refused.status_code == 409 and "has no step 'nope'" in refused.json()["error"]
    assert api(server, "POST", f"/api/runs/{run_id}/retry", data=b"{").status_code == 400
    gate.touch()
    retried = api(server, "POST", f"/api/runs/{run_id}/retry", json={"from_step": "gate"})
    assert retried.status_code == 201
    new_id = retried.json()["run_id"]
    assert retried.json()["work_order_id"] == detail["run"]["work_order_id"]
    wait_until(lambda: api(server, "GET", f"/api/runs/{new_id}").json()["run"]["state"] == "success")
    again = api(server, "GET", f"/api/runs/{new_id}").json()
    assert again["run"]["start_step"] == "gate" and again["final_state"]["data"]["passed"] is True
    assert [(r["attempt"], r["cause"]) for r in again["work_order"]["runs"]] == [(2, "manual"), (1, "trigger")]


def test_the_page_is_served_without_data(server):
    page = requests.get(f"{server.url}/runs", timeout=5)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/static/app.js" defer></script>' in page.text
    assert requests.get(f"{server.url}/runs/abc", timeout=5).status_code == 200
    script = requests.get(f"{server.url}/static/app.js", timeout=5)
    assert script.status_code == 200 and "Authorization" in script.text
    assert requests.get(f"{server.url}/static/secrets.txt", timeout=5).status_code == 404
    assert requests.get(f"{server.url}/", timeout=5, allow_redirects=False).headers["location"] == "/runs"


def test_without_a_token_the_server_makes_one_and_prints_it(server_factory, tmp_path):
    project = write_project(tmp_path / "p", WORKFLOWS, {"gate.py": GATE})
    server = server_factory("--workers", "0", project=project).start()
    printed = re.search(r"run history: (\S+)/runs\?token=(\S+) \(API token \2;", server.output())
    assert printed, server.output()
    assert api(server, "GET", "/api/runs", token=printed.group(2)).status_code == 200
    assert api(server, "GET", "/api/runs", token=TOKEN).status_code == 401


def test_trigger_through_a_running_servers_api_needs_neither_its_secrets_nor_its_store(server, tmp_path):
    gate = tmp_path / "open-gate"
    gate.write_text("")
    state = tmp_path / "input.json"
    state.write_text(json.dumps({"data": {"x": 21, "gate": str(gate)}}))
    env = {"PATH": "/usr/bin", "PYFN_SERVER": server.url, "PYFN_API_TOKEN": TOKEN}  # no secret, no --db
    result = pyfn("trigger", "pipeline", tmp_path / "elsewhere", "--state", state, "--wait", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    queued, ended = result.stdout.splitlines()
    assert re.fullmatch(rf"Queued run [0-9a-f-]{{36}} \(work order [0-9a-f-]{{36}}\) of workflow pipeline on "
                        rf"{re.escape(server.url)}", queued)
    assert re.fullmatch(r"Run [0-9a-f-]{36} success in \d+\.\d{3}s; pyfn runs show [0-9a-f]{8} for its steps and logs",
                        ended)
    run_id = queued.split()[2]
    assert api(server, "GET", f"/api/runs/{run_id}").json()["final_state"]["data"] == {
        "x": 42, "gate": str(gate), "passed": True}
    refused = pyfn("trigger", "pipeline", "--server", server.url, "--api-token", "wrong", env=env)
    assert refused.returncode == 1
    assert refused.stdout == (f"{server.url} refused the request (401): Unauthorized: send Authorization: Bearer "
                              f"<the server's API token>\n")
    unknown = pyfn("trigger", "nope", env=env)
    assert unknown.returncode == 1 and unknown.stdout == (
        f"{server.url} refused the request (404): No workflow named 'nope'; the workflows are: pipeline\n")


def test_runs_list_show_and_retry_through_a_running_servers_api(server, tmp_path):
    env = {"PATH": "/usr/bin", "PYFN_SERVER": server.url, "PYFN_API_TOKEN": TOKEN}
    failed, _ = failed_run(server, tmp_path, x=5)
    listed = pyfn("runs", "list", "--workflow", "pipeline", "--state", "failed", tmp_path / "elsewhere", env=env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert failed in listed.stdout and "JobError" in listed.stdout
    shown = pyfn("runs", "show", failed[:8], env=env)
    assert shown.returncode == 0, shown.stdout
    assert shown.stdout.startswith(f"Run {failed} (attempt 1, trigger) of workflow pipeline")
    assert "gate (" in shown.stdout and "failed: JobError: the gate is closed" in shown.stdout
    assert "conf-secret-9876" not in shown.stdout
    missing = pyfn("runs", "show", "ffffffff", env=env)
    assert missing.returncode == 1
    assert missing.stdout == "No run or work order matches 'ffffffff' (pyfn runs list shows them)\n"
    retried = pyfn("runs", "retry", failed, "--from-step", "gate", env=env)
    assert retried.returncode == 0, retried.stdout
    assert retried.stdout.startswith("Queued run ") and "(attempt 2) of work order" in retried.stdout
    wrong = pyfn("runs", "list", "--api-token", "nope", env=env)
    assert wrong.returncode == 1
    assert wrong.stdout == (f"{server.url} refused the request (401): Unauthorized: send Authorization: Bearer "
                            f"<the server's API token>\n")
