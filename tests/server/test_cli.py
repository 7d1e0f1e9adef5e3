"""``pyfn serve`` start-up checks, ``pyfn runs list|show``, triggers in ``pyfn validate``, and import costs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from .conftest import PROJECT, ROOT, open_db, wait_until


def pyfn(*args, cwd=ROOT, env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "runtime.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def write_project(root, workflows: dict[str, str]):
    (root / "workflows").mkdir(parents=True)
    for name, text in workflows.items():
        (root / "workflows" / name).write_text(textwrap.dedent(text))
    return root


def test_serve_refuses_to_start_listing_every_problem_of_every_workflow(tmp_path):
    project = write_project(tmp_path, {
        "a.yaml": """
            name: a
            triggers:
              - {type: webhook, path: forms, auth: {type: digest, credential: x}}
              - {type: cron, path: nightly}
            steps: [{expression: "fn(lambda state: state)"}]
        """,
        "b.yaml": """
            name: b
            triggers:
              - {path: forms, reply: later, dedupe: "$[["}
            steps: [{expression: "fn(lambda state: state)"}]
        """,
        "c.yaml": """
            name: c
            triggers: [{path: forms}]
            steps: [{expression: "fn(lambda state: state)"}]
        """,
        "credentials.yaml": "forwarding: {username: a, password: b}\n",
    })
    result = pyfn("serve", project, "--port", "0")
    assert result.returncode == 1
    out = result.stdout
    assert "5 problems in the workflows of" in out
    assert "a.yaml:4: trigger 1: auth type must be basic or api_key, not 'digest'" in out
    assert "a.yaml:5: trigger 2: unknown key 'path' for a cron trigger (expected one of: carry, catch_up, " in out
    assert "a.yaml:5: trigger 2: a cron trigger needs schedule: five-field cron such as \"0 2 * * *\"" in out
    assert "b.yaml:4: trigger 1: reply must be async or sync, not 'later'" in out
    assert "b.yaml:4: trigger 1: dedupe: Invalid JSONPath '$[['" in out
    assert "credentials.yaml" not in out


def test_duplicate_webhook_paths_across_workflows_stop_the_start(tmp_path):
    project = write_project(tmp_path, {
        "a.yaml": "triggers: [{path: forms}]\nsteps: [{expression: 'fn(lambda state: state)'}]\n",
        "b.yaml": "triggers: [{path: forms}]\nsteps: [{expression: 'fn(lambda state: state)'}]\n",
    })
    result = pyfn("serve", project, "--port", "0")
    assert result.returncode == 1
    assert "b.yaml:1: webhook path 'forms' is also served for workflow 'a'" in result.stdout


def test_validate_and_compile_show_triggers(tmp_path):
    shutil.copytree(PROJECT, tmp_path / "p")
    env = {"PATH": "/usr/bin", "PYFN_TEST_FORWARDING_PASSWORD": "x", "PYFN_TEST_API_KEY": "y",
           "PYFN_TEST_DESTINATION_URL": "http://d.example", "PYFN_TEST_DESTINATION_PASSWORD": "z"}
    result = pyfn("validate", tmp_path / "p" / "workflows" / "commcare-registrations.yaml", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "trigger webhook /i/commcare-registrations: auth basic (forwarding-basic), reply async, " \
           "dedupe $.id" in result.stdout
    del env["PYFN_TEST_FORWARDING_PASSWORD"]  # validate reads the workflow without its secrets
    unset = pyfn("validate", tmp_path / "p" / "workflows" / "commcare-registrations.yaml", env=env)
    assert unset.returncode == 0, unset.stdout


def test_validate_warns_of_a_cron_workflow_whose_next_input_depends_on_the_branch(tmp_path):
    branches = """
        name: sms
        triggers: [{type: cron, schedule: "0 6 * * *"%s}]
        steps:
          - {id: fetch, expression: "fn(lambda state: state)", next: {send: on_job_success, report: on_job_failure}}
          - {id: send, expression: "fn(lambda state: state)"}
          - {id: report, expression: "fn(lambda state: state)"}
    """
    project = write_project(tmp_path, {"sms.yaml": branches % "", "fixed.yaml": (branches % ", cursor_step: fetch")
                                       .replace("name: sms", "name: fixed"),
                                       "carried.yaml": (branches % ", carry: [cursor]").replace("name: sms", "name: c")})
    warned = pyfn("validate", project / "workflows" / "sms.yaml")
    assert warned.returncode == 0, warned.stdout
    assert "warning: cron trigger cron: the next run's input is the final state of whichever leaf ran last " \
           "(send, report)" in warned.stdout and "declare carry: (the keys" in warned.stdout
    assert "or cursor_step: (the step whose output carries over)" in warned.stdout
    for fixed in ("fixed.yaml", "carried.yaml"):
        declared = pyfn("validate", project / "workflows" / fixed)
        assert declared.returncode == 0 and "warning" not in declared.stdout, declared.stdout


@pytest.mark.slow
def test_runs_list_and_show(server_factory):
    server = server_factory("--workers", "1").start()
    first = server.post("open", {"n": 1}).json()
    second = server.post("open", {"n": 2}).json()
    echo = server.post("echo", {"x": 1}, headers={"x-api-key": server.env["PYFN_TEST_API_KEY"]})
    store = open_db(server.db)
    try:
        wait_until(lambda: all(store.get_run(r["run_id"]).run.final for r in (first, second)))
    finally:
        store.close()
    listed = pyfn("runs", "list", "--db", server.db)
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["RUN", "WORK", "ORDER", "WORKFLOW", "STATE", "ERROR", "ATTEMPT", "INSERTED", "DURATION"]
    assert lines[1].startswith(echo.json()["meta"]["run_id"])
    assert "3 of 3 run(s) shown; by state: 3 success" in listed.stdout
    only_open = pyfn("runs", "list", "--db", server.db, "--workflow", "open", "--json")
    assert [run["id"] for run in json.loads(only_open.stdout)] == [second["run_id"], first["run_id"]]
    assert pyfn("runs", "list", "--db", server.db, "--state", "failed").stdout.count("\n") == 3

    shown = pyfn("runs", "show", echo.json()["meta"]["run_id"][:8], "--db", server.db)
    assert shown.returncode == 0, shown.stdout
    assert f"Run {echo.json()['meta']['run_id']} (attempt 1, trigger) of workflow echo" in shown.stdout
    assert "state success" in shown.stdout and "answer (" in shown.stdout
    assert "[JOB] ℹ configuration token is ****" in shown.stdout
    assert "tok-secret-1234" not in shown.stdout and server.env["PYFN_TEST_API_KEY"] not in shown.stdout
    as_json = json.loads(pyfn("runs", "show", first["work_order_id"], "--db", server.db, "--json").stdout)
    assert as_json["input"]["data"] == {"n": 1} and as_json["run"]["state"] == "success"
    assert as_json["steps"][0]["output"]["data"] == {"n": 1}
    assert pyfn("runs", "show", "nope", "--db", server.db).returncode == 1


def test_runs_list_without_a_store_says_where_it_looked(tmp_path):
    result = pyfn("runs", "list", tmp_path)
    assert result.returncode == 1 and f"No run store at {tmp_path / 'state' / 'pyfn.db'}" in result.stdout


@pytest.mark.parametrize("module", ["runtime.cli", "runtime.cli.commands", "runtime.workflow.load"])
def test_the_cli_and_the_engine_do_not_load_the_server_stack(module):
    probe = (f"import sys, {module}; print(sorted(m for m in ('starlette', 'uvicorn', 'sqlite3', 'anyio') "
             f"if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert loaded.stdout.strip() == "[]"


def test_serve_reads_the_jobs_and_configurations_before_it_starts(tmp_path):
    project = write_project(tmp_path, {
        "a.yaml": """
            name: a
            triggers: [{path: forms}]
            steps:
              - id: push
                adaptor: http
                expression: |
                  eahc("$.data.forms[*]", post("https://crm.example/forms", state["data"]))
                configuration: {baseUrl: "https://crm.example", acess_token: t}
        """,
    })
    result = pyfn("serve", project, "--port", "0")
    assert result.returncode == 1
    assert "a.yaml:7: step push: expression line 1: undefined name 'eahc' (did you mean 'each'?)" in result.stdout
    assert "a.yaml:9: step push: configuration.acess_token: unknown key (did you mean 'access_token'?) " \
           "(http adaptor)" in result.stdout
