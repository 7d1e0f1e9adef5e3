"""Workflows through the CLI as a user runs them: validate, execute, select steps, cache, credentials."""

import json
import os

import pytest

MARK = 'fn(lambda state: {**state, "trail": [*state.get("trail", []), "%s"]})\n'


@pytest.fixture
def project(write):
    """A workflow folder with marking jobs fetch-cases, upsert, notify-failure, report."""
    for step_id in ("fetch", "upsert", "notify", "report"):
        write(f"jobs/{step_id}.py", MARK % step_id)
    write("jobs/boom.py", 'def boom(state):\n    raise ValueError("CRM down")\nfn(boom)\n')
    return write


LINEAR = """
name: commcare-to-crm
steps:
  - id: fetch-cases
    name: Fetch cases
    job: ../jobs/fetch.py
    next: {upsert-patients: on_job_success, notify-failure: on_job_failure}
  - id: upsert-patients
    job: ../jobs/upsert.py
    next: {report: "len(state['trail']) > 0"}
  - id: notify-failure
    job: ../jobs/notify.py
  - id: report
    job: ../jobs/report.py
"""


def test_execute_a_workflow_writes_output_beside_it(pyfn, project):
    path = project("workflows/wf.yaml", LINEAR)
    result = pyfn("execute", path)
    assert result.code == 0, result.output
    output = json.loads((path.parent / "output.json").read_text())
    assert output["trail"] == ["fetch", "upsert", "report"]
    for step in ("fetch-cases", "upsert-patients", "report"):
        assert f"Starting step" in result.stdout and f"completed in" in result.stdout
    assert "Fetch cases completed in" in result.stdout


def test_failed_step_runs_the_failure_path_and_exits_0(pyfn, project):
    path = project("workflows/wf.yaml", LINEAR.replace("../jobs/fetch.py", "../jobs/boom.py"))
    result = pyfn("execute", path)
    assert result.code == 0, result.output
    output = json.loads((path.parent / "output.json").read_text())
    assert output["trail"] == ["notify"]
    assert output["errors"]["fetch-cases"]["message"] == "CRM down"
    assert "Check state.errors.fetch-cases for details" in result.stdout
    assert "Errors reported in 1 jobs" in result.stdout


def test_crash_exits_1_with_no_output(pyfn, project):
    project("jobs/crash.py", "fn(lambda state: missing_name)\n")
    path = project("workflows/wf.yaml", LINEAR.replace("../jobs/upsert.py", "../jobs/crash.py"))
    result = pyfn("execute", path)
    assert result.code == 1
    assert "NameError: name 'missing_name' is not defined" in result.stdout
    assert not (path.parent / "output.json").exists()


def test_validate_reports_every_problem_with_its_line(pyfn, project):
    path = project("workflows/bad.yaml", """
        name: bad
        start: nowhere
        credentials: {prod: {apiKey: x}}
        steps:
          - id: a
            job: ../jobs/missing.py
            adaptor: salesforce
            nxet: b
            next: {b: "len(state[", zz: true}
            configuration: staging
          - id: a
            job: ../jobs/fetch.py
          - id: b
            job: ../jobs/fetch.py
            next: {c: true}
          - id: c
            job: ../jobs/fetch.py
            next: {b: {condition: always, colour: red}}
            configuration: {apiKey: "${PYFN_TEST_UNSET_VARIABLE}"}
    """)
    result = pyfn("validate", path)
    assert result.code == 1
    expected = [
        ":2: start step 'nowhere' does not exist",
        ":6: step a: job file not found",
        ":7: step a: Unknown adaptor 'salesforce'",
        ":8: unknown key 'nxet' in step a",
        ":9: edge a -> b: condition 'len(state[' does not compile",
        ":9: step a: next step 'zz' does not exist",
        ":10: step a: credential 'staging' is not in the credential map (it has: prod)",
        ":11: duplicate step id 'a'",
        ":15: circular dependency: b -> c -> b",
        ":18: unknown key 'colour' in edge c -> b",
    ]
    for problem in expected:
        assert problem in result.stdout, problem
    assert "10 problems in" in result.stdout
    assert "PYFN_TEST_UNSET_VARIABLE" not in result.stdout  # secrets are not needed to validate


def test_validate_a_valid_workflow_summarises_the_steps(pyfn, project):
    path = project("workflows/wf.yaml", LINEAR)
    result = pyfn("validate", path)
    assert result.code == 0
    assert result.stdout.startswith(f"valid: {path}")
    assert "fetch-cases [common]" in result.stdout
    assert "-> notify-failure when on_job_failure" in result.stdout


def test_yaml_syntax_error_is_reported_with_line(pyfn, project):
    path = project("workflows/broken.yaml", "steps:\n  - id: a\n   job: x\n")
    result = pyfn("validate", path)
    assert result.code == 1 and "broken.yaml:3:" in result.stdout


@pytest.mark.parametrize("args, trail", [
    (["--start", "upsert"], ["upsert", "report"]),
    (["--start", "upsert-patients", "--end", "upsert"], ["upsert"]),
    (["--only", "Fetch"], ["fetch"]),
    (["--end", "fetch-cases"], ["fetch"]),
])
def test_start_end_only_match_ids_and_name_fragments(pyfn, project, args, trail):
    path = project("workflows/wf.yaml", LINEAR)
    result = pyfn("execute", path, *args, "-O")
    assert result.code == 0, result.output
    assert json.loads(result.stdout)["trail"] == trail


def test_step_selection_errors(pyfn, project):
    path = project("workflows/wf.yaml", LINEAR)
    none = pyfn("execute", path, "--start", "zzz")
    assert none.code == 2 and "No step matches 'zzz'" in none.stdout
    several = pyfn("execute", path, "--only", "-")
    assert several.code == 2 and "matches several steps" in several.stdout


def test_cache_steps_and_start_from_the_parents_cached_output(pyfn, project):
    path = project("workflows/wf.yaml", LINEAR)
    assert pyfn("execute", path, "--cache-steps").code == 0
    cache = path.parent / ".cli-cache" / "commcare-to-crm"
    assert sorted(p.name for p in cache.iterdir()) == ["fetch-cases.json", "report.json",
                                                       "upsert-patients.json"]
    assert (cache.parent / ".gitignore").read_text() == "*\n"
    assert json.loads((cache / "fetch-cases.json").read_text())["trail"] == ["fetch"]
    resumed = pyfn("execute", path, "--cache-steps", "--start", "report", "-O")
    assert "Loaded the cached output of step upsert-patients" in resumed.stderr
    assert json.loads(resumed.stdout)["trail"] == ["fetch", "upsert", "report"]


def test_credentials_from_a_file_with_environment_variables_are_never_written_or_logged(pyfn, project):
    project("jobs/use.py", 'fn(lambda state: print("key", state["configuration"]["apiKey"]) or '
                           '{**state, "host": state["configuration"]["hostUrl"]})\n')
    project("workflows/credentials.yaml", """
        commcare-prod:
          hostUrl: http://hq.example
          apiKey: ${PYFN_TEST_KEY}
    """)
    path = project("workflows/wf.yaml", """
        credentials: credentials.yaml
        steps:
          - {id: a, job: ../jobs/use.py, configuration: commcare-prod}
    """)
    env = {**os.environ, "PYFN_TEST_KEY": "key-from-env-123"}
    result = pyfn("execute", path, "-l", "debug", env=env)
    assert result.code == 0, result.output
    assert "key-from-env-123" not in result.output and "[JOB] ℹ key ****" in result.stdout
    output = (path.parent / "output.json").read_text()
    assert "key-from-env-123" not in output and "configuration" not in output
    missing = pyfn("execute", path)
    assert missing.code == 1
    assert "The configuration of step a needs the environment variable PYFN_TEST_KEY, which is not set" \
           in missing.stdout


def test_credentials_option_overrides_the_map(pyfn, project):
    project("jobs/use.py", 'fn(lambda state: {**state, "host": state["configuration"]["hostUrl"]})\n')
    other = project("other-creds.json", {"prod": {"hostUrl": "http://other"}})
    path = project("workflows/wf.yaml", """
        credentials: {prod: {hostUrl: http://first}}
        steps:
          - {id: a, job: ../jobs/use.py, configuration: prod}
    """)
    result = pyfn("execute", path, "--credentials", other)
    assert result.code == 0, result.output
    assert json.loads((path.parent / "output.json").read_text())["host"] == "http://other"


def test_compile_shows_the_plan(pyfn, project):
    path = project("workflows/wf.yaml", LINEAR)
    result = pyfn("compile", path)
    assert result.code == 0
    assert "Workflow commcare-to-crm: 4 steps, start at fetch-cases" in result.stdout
    assert "-> report when len(state['trail']) > 0" in result.stdout
