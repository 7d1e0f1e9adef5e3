"""Mistakes caught before they run: ``pyfn validate`` reads jobs and credentials; execute needs only its secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

CREDENTIALS = """
hq:
  hostUrl: ${PYFN_TEST_UNSET_HQ_URL}
  domain: demo
  apiKey: ${PYFN_TEST_UNSET_HQ_KEY}
crm:
  baseUrl: http://crm.example
  acess_token: ${PYFN_TEST_UNSET_CRM_TOKEN}
sms: {username: gateway, password: "${PYFN_TEST_UNSET_SMS}"}
hook: {username: commcare, password: "${PYFN_TEST_UNSET_FORWARDING_PASSWORD}"}
"""

WORKFLOW = """
credentials: credentials.yaml
steps:
  - id: fetch
    adaptor: commcare
    job: ../jobs/fetch.py
    configuration: hq
    next: push
  - id: push
    adaptor: http
    job: ../jobs/push.py
    configuration: crm
  - id: notify
    adaptor: http
    expression: |
      post("/sms", {"to": state["data"]["phone"]})
    configuration: sms
triggers:
  - {type: webhook, path: hook, auth: {type: basic, credential: hook}}
"""

FETCH = """\
eahc("$.patient[*]", fn(lambda state: state))
patch("/patients", {"id": state["data"]["id"]})
each("$.patients[*", fn(lambda state: state), pth="x")
data_value("id", "extra")
fn(lambda state: {**state, "n": len(helpr(state))})

def helper(state):
    return [m for m in map(str, state["data"])]
"""


def test_validate_reports_every_mistake_of_jobs_and_credentials_with_lines(pyfn, write, tmp_path):
    write("jobs/fetch.py", FETCH)
    write("jobs/push.py", 'post("https://crm.example/patients", state["data"])\n')
    write("workflows/credentials.yaml", CREDENTIALS)
    write("workflows/wf.yaml", WORKFLOW)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYFN_TEST_")}
    result = pyfn("validate", "workflows/wf.yaml", cwd=tmp_path, env=env)
    assert result.code == 1
    assert result.stdout.splitlines() == [
        "[CLI] ✘ 10 problems in workflows/wf.yaml",
        "[CLI] ✘ workflows/wf.yaml:5: step fetch: jobs/fetch.py:1: undefined name 'eahc' (did you mean 'each'?)",
        "[CLI] ✘ workflows/wf.yaml:5: step fetch: jobs/fetch.py:2: undefined name 'patch' (`patch` is an "
        "operation of the http adaptor; this step uses commcare)",
        "[CLI] ✘ workflows/wf.yaml:5: step fetch: jobs/fetch.py:3: each(): got an unexpected keyword argument "
        "'pth' (it takes each(data_source, operation))",
        "[CLI] ✘ workflows/wf.yaml:5: step fetch: jobs/fetch.py:3: each(): Invalid JSONPath '$.patients[*': "
        "'[' is never closed (position 10)",
        "[CLI] ✘ workflows/wf.yaml:5: step fetch: jobs/fetch.py:4: data_value(): too many positional arguments "
        "(it takes data_value(path))",
        "[CLI] ✘ workflows/wf.yaml:5: step fetch: jobs/fetch.py:5: undefined name 'helpr' (did you mean 'helper'?)",
        "[CLI] ✘ workflows/wf.yaml:6: step fetch: configuration: 'appId' is a required property (commcare adaptor)",
        "[CLI] ✘ workflows/wf.yaml:6: step fetch: configuration: 'username' is a required property "
        "(commcare adaptor)",
        "[CLI] ✘ workflows/wf.yaml:11: step push: configuration.acess_token: unknown key (did you mean "
        "'access_token'?) (http adaptor)",
        "[CLI] ✘ workflows/wf.yaml:16: step notify: expression line 1: post('/sms') is a relative path, but the "
        "configuration has no baseUrl",
        "[CLI] ✘ Hint: Fix them and run pyfn validate again",
    ]


def test_validate_a_job_file_with_its_adaptor(pyfn, write):
    job = write("job.py", 'patch("/x", {})\neahc("$.x[*]", fn(lambda state: state))\n')
    common = pyfn("validate", job)
    assert common.code == 1
    assert f"[CLI] ✘ {job}:1: undefined name 'patch' (`patch` is an operation of the http adaptor; " \
           f"this step uses common)" in common.stdout
    assert f"[CLI] ✘ {job}:2: undefined name 'eahc' (did you mean 'each'?)" in common.stdout
    fixed = write("fixed.py", 'patch("/x", {})\neach("$.x[*]", fn(lambda state: state))\n')
    assert pyfn("validate", fixed, "-a", "http").code == 0


def test_forgetting_the_adaptor_at_run_time_names_the_adaptor_that_has_the_operation(pyfn, write):
    job = write("job.py", 'patch("/patients/1", {"name": "x"})\n')
    result = pyfn("execute", job)
    assert result.code == 1
    assert "[R/T] ✘ NameError: name 'patch' is not defined" in result.stdout
    assert "[R/T] ✘ Hint: `patch` is an operation of the http adaptor; this step uses common" in result.stdout
    assert "Check the spelling" not in result.stdout


def _execute(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYFN_TEST_")}
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, "-m", "runtime.cli", "execute", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env=env)
    return proc


def test_execute_needs_only_the_secrets_of_the_steps_it_runs(write):
    write("jobs/a.py", 'fn(lambda state: {**state, "host": state["configuration"]["hostUrl"].upper()})\n')
    write("workflows/credentials.yaml", """
        hook: {username: commcare, password: "${PYFN_TEST_FORWARDING_PASSWORD}"}
        hq: {hostUrl: "${PYFN_TEST_HQ_URL}"}
        other: {hostUrl: "${PYFN_TEST_OTHER_URL}"}
    """)
    path = write("workflows/wf.yaml", """
        credentials: credentials.yaml
        triggers:
          - {type: webhook, path: hook, auth: {type: basic, credential: hook}}
        steps:
          - {id: a, job: ../jobs/a.py, configuration: hq, next: {b: "state['host'] == 'never'"}}
          - {id: b, job: ../jobs/a.py, configuration: other}
    """)
    ran = _execute(path, "-O", env_extra={"PYFN_TEST_HQ_URL": "http://hq.example"})
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["host"] == "HTTP://HQ.EXAMPLE"
    only_b = _execute(path, "--only", "b", "-O", env_extra={"PYFN_TEST_HQ_URL": "http://hq.example"})
    assert only_b.returncode == 1
    assert "[R/T] ✘ The configuration of step b needs the environment variable PYFN_TEST_OTHER_URL, " \
           "which is not set" in only_b.stderr
    assert "[R/T] ✘ Hint: Export PYFN_TEST_OTHER_URL before running the step, or give --credentials FILE" \
           in only_b.stderr
