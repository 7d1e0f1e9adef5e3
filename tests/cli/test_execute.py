"""``pyfn execute`` as a user runs it: a subprocess, files on disk, exit codes, logs."""

import json

import pytest

SECRET = "tok-9f8e7d6c"

MAPPING_JOB = """
each(
    merge("$.data.patients[*]", fields(field("org", "acme"), field("batch", data_value("batch")),
                                       field("region", state["data"]["region"]))),
    fn(lambda state: {**state, "seen": [*state.get("seen", []),
                                        f"{state['index']}:{state['data']['name']}:{state['data']['org']}:"
                                        f"{state['data']['batch']}:{state['data']['region']}"]}),
)
log("configuration is", state["configuration"])
fn(lambda state: print("token", state["configuration"]["token"]) or state)
fn(lambda state: {**state, "data": {"count": state["index"] + 1, "names": state["seen"]}})
"""

PATIENTS = {
    "data": {"patients": [{"name": "Ann"}, {"name": "Bob"}, {"name": "Cy"}], "batch": "B-7",
             "region": "north"},
    "configuration": {"token": SECRET, "username": "implementer@example.org"},
}


@pytest.fixture
def mapping(write):
    return write("jobs/mapping.py", MAPPING_JOB), write("state.json", PATIENTS)


def test_job_with_each_fields_data_value_and_lazy_state_writes_output(pyfn, mapping):
    job, state = mapping
    result = pyfn("execute", job, "-a", "common", "-s", state)
    assert result.code == 0, result.output
    output = json.loads((job.parent / "output.json").read_text())
    names = ["0:Ann:acme:B-7:north", "1:Bob:acme:B-7:north", "2:Cy:acme:B-7:north"]
    assert output["data"] == {"count": 3, "names": names}
    assert output["index"] == 2
    assert "configuration" not in output
    assert "State written to" in result.stdout and "Finished in" in result.stdout


@pytest.mark.parametrize("level", ["none", "default", "info", "debug"])
def test_no_secret_appears_in_the_log_at_any_level(pyfn, mapping, level):
    job, state = mapping
    result = pyfn("execute", job, "-s", state, "-l", level)
    assert result.code == 0, result.output
    assert SECRET not in result.output
    if level != "none":
        assert "[JOB] ℹ token ****" in result.stdout
        assert '"username": "implementer@example.org"' in result.stdout  # not a secret: readable


def test_log_json_masks_too(pyfn, mapping):
    job, state = mapping
    result = pyfn("execute", job, "-s", state, "--log-json", "-l", "debug")
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert {line["name"] for line in lines} >= {"CLI", "R/T", "JOB"}
    assert SECRET not in result.stdout


@pytest.mark.parametrize("to_stdout", [False, True])
def test_a_secret_a_job_copies_into_its_state_is_masked_in_the_output(pyfn, write, to_stdout):
    """Written to a file or to standard output, a large output holds no secret."""
    job = write("job.py", """
        fn(lambda state: {**state, "data": {"echo": state["configuration"]["token"], "rows": list(range(2000))}})
    """)
    state = write("state.json", {"configuration": {"token": SECRET}})
    result = pyfn("execute", job, "-s", state, *(["-O"] if to_stdout else []))
    assert result.code == 0, result.output
    text = result.stdout if to_stdout else (job.parent / "output.json").read_text()
    output = json.loads(text)
    assert output["data"]["echo"] == "****" and output["data"]["rows"][-1] == 1999
    assert SECRET not in result.output and SECRET not in text


def test_a_job_that_raises_records_the_error_and_exits_0(pyfn, write):
    job = write("job.py", """
        fn(lambda state: {**state, "data": {"ok": True}})
        def fail(state):
            raise ValueError("the CRM said no")
        fn(fail)
    """)
    result = pyfn("execute", job, "-S", '{"data": {"in": 1}, "configuration": {"k": "secret-value"}}')
    assert result.code == 0, result.output
    output = json.loads((job.parent / "output.json").read_text())
    assert output["errors"]["job-1"] == {"source": "runtime", "name": "JobError", "severity": "fail",
                                         "message": "the CRM said no", "operationName": "fn", "line": 4}
    assert output["data"] == {"in": 1} and "configuration" not in output
    assert "[CLI] ⚠ Errors reported in 1 jobs" in result.stdout
    assert "Check state.errors.job-1 for details" in result.stdout
    assert "✨" not in result.stdout


def test_name_error_exits_1_with_file_and_line_and_no_traceback(pyfn, write):
    job = write("job.py", """
        fn(lambda state: state)
        fn(lambda state: not_defined_anywhere)
    """)
    result = pyfn("execute", job)
    assert result.code == 1
    assert f"{job}:2:" in result.stdout
    assert "NameError: name 'not_defined_anywhere' is not defined" in result.stdout
    assert "Traceback" not in result.output
    assert "Workflow failed in" in result.stdout
    assert not (job.parent / "output.json").exists()


def test_traceback_only_with_log_debug(pyfn, write):
    job = write("job.py", "fn(lambda state: not_defined_anywhere)\n")
    assert "Traceback" in pyfn("execute", job, "-l", "debug").output


def test_syntax_error_exits_1_with_file_line_and_source(pyfn, write):
    job = write("job.py", """
        fn(lambda state: state)
        fn(lambda state: {state)
    """)
    result = pyfn("execute", job)
    assert result.code == 1
    assert f"SyntaxError: " in result.stdout and f"{job}:2:" in result.stdout
    assert "fn(lambda state: {state)" in result.stdout
    assert "Traceback" not in result.output


def test_a_job_stuck_past_the_timeout_is_stopped_and_exits_1(pyfn, write):
    job = write("job.py", """
        def forever(state):
            while True:
                pass
        fn(forever)
    """)
    result = pyfn("execute", job, "-t", "500", timeout=30)
    assert result.code == 1
    assert "Job took longer than 500ms to complete" in result.stdout
    assert not (job.parent / "output.json").exists()


def test_output_to_stdout_and_custom_path(pyfn, write, tmp_path):
    job = write("job.py", 'fn(lambda state: {**state, "data": {"x": 1}})\n')
    shown = pyfn("execute", job, "-O")
    assert shown.code == 0
    assert json.loads(shown.stdout) == {"data": {"x": 1}} and not (tmp_path / "output.json").exists()
    target = tmp_path / "out" / "final.json"
    assert pyfn("execute", job, "-o", target).code == 0
    assert json.loads(target.read_text()) == {"data": {"x": 1}}


def test_no_state_uses_the_default(pyfn, write):
    job = write("job.py", "fn(lambda state: state)\n")
    result = pyfn("execute", job, "-O", "-l", "info")
    assert "No state provided - using default state" in result.stderr
    assert json.loads(result.stdout) == {"data": {}}


def test_openfn_adaptor_specifiers_are_accepted_and_the_version_noted(pyfn, write):
    job = write("job.py", "fn(lambda state: state)\n")
    result = pyfn("execute", job, "-a", "@openfn/language-common@3.3.4", "-O", "-l", "info")
    assert result.code == 0, result.output
    assert "ignoring version 3.3.4 of common" in result.stderr


class TestBadInput:
    def test_missing_job_file(self, pyfn, tmp_path):
        result = pyfn("execute", tmp_path / "nope.py")
        assert result.code == 2
        assert "Job file not found" in result.stdout and "Traceback" not in result.output

    def test_state_file_that_is_not_json_names_line_and_column(self, pyfn, write):
        job = write("job.py", "fn(lambda state: state)\n")
        state = write("state.json", '{\n  "data": {,\n}')
        result = pyfn("execute", job, "-s", state)
        assert result.code == 2
        assert "is not valid JSON" in result.stdout and "line 2, column 12" in result.stdout

    def test_state_that_is_not_an_object(self, pyfn, write):
        job = write("job.py", "fn(lambda state: state)\n")
        result = pyfn("execute", job, "-s", write("state.json", [1, 2]))
        assert result.code == 2
        assert "holds a JSON list, but state must be an object" in result.stdout

    def test_missing_state_file(self, pyfn, write, tmp_path):
        job = write("job.py", "fn(lambda state: state)\n")
        result = pyfn("execute", job, "-s", tmp_path / "missing.json")
        assert result.code == 2 and "State file not found" in result.stdout

    def test_bad_inline_state(self, pyfn, write):
        job = write("job.py", "fn(lambda state: state)\n")
        result = pyfn("execute", job, "-S", "{nope")
        assert result.code == 2 and "-S/--state-stdin is not valid JSON" in result.stdout

    def test_unknown_adaptor_lists_the_known_ones(self, pyfn, write):
        job = write("job.py", "fn(lambda state: state)\n")
        result = pyfn("execute", job, "-a", "salesforce")
        assert result.code == 2
        assert "Unknown adaptor 'salesforce'" in result.stdout
        assert "commcare, common, http" in result.stdout

    def test_bad_log_level(self, pyfn, write):
        job = write("job.py", "fn(lambda state: state)\n")
        result = pyfn("execute", job, "-l", "loud")
        assert result.code == 2 and "unknown log level 'loud'" in result.stdout

    def test_unknown_option_is_a_usage_error(self, pyfn, write):
        job = write("job.py", "fn(lambda state: state)\n")
        result = pyfn("execute", job, "--frobnicate")
        assert result.code == 2 and "No such option" in result.output


def test_configuration_is_checked_against_the_adaptors_schema_before_the_step(pyfn, write):
    job = write("job.py", 'get("/never-requested")\n')
    state = '{"configuration": {"baseUrl": "http://127.0.0.1:9", "username": "u", "access_token": 5}}'
    result = pyfn("execute", job, "-a", "http", "-S", state)
    assert result.code == 1
    assert "The configuration of step job-1 (http adaptor) is invalid" in result.stdout
    assert "'password' is a dependency of 'username'" in result.stdout
    assert "configuration.access_token: " in result.stdout
    assert "never-requested" not in result.stdout.split("invalid")[0]


def test_running_a_common_job_loads_nothing_it_does_not_need(write):
    """Cold start matters (pyfn execute is run per job): no YAML, HTTP, schema or server stack."""
    import subprocess
    import sys

    job = write("job.py", "fn(lambda state: state)\n")
    probe = ("import sys, runtime.cli.execute as e; "
             f"e.run_execute(e.ExecuteArgs(path=__import__('pathlib').Path(r'{job}'), log='none')); "
             "print(sorted(m for m in ('yaml', 'requests', 'jsonschema', 'jsonpath_ng', 'pydantic', "
             "'rich', 'starlette', 'uvicorn', 'sqlite3', 'asyncio') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip().splitlines()[-1] == "[]"


def test_a_secret_too_short_to_mask_is_warned_about(pyfn, write):
    job = write("job.py", 'fn(lambda state: print("pin", state["configuration"]["pin"]) or state)\n')
    result = pyfn("execute", job, "-S", '{"data": {}, "configuration": {"pin": "42", "token": "long-token-1"}}')
    assert result.code == 0, result.output
    assert "holds a secret shorter than 4 characters (pin)" in result.stdout
    assert "long-token-1" not in result.stdout


@pytest.mark.parametrize("call, shown", [("sys.exit(3)", "sys.exit(3)"), ("os._exit(0)", "os._exit(0)"),
                                         ("exit()", "sys.exit(None)")])
def test_a_job_ending_the_process_is_a_crash_with_a_message(pyfn, write, call, shown):
    job = write("job.py", f"""
        import os, sys
        fn(lambda state: {{**state, "data": {{"before": True}}}})
        fn(lambda state: {call})
    """)
    result = pyfn("execute", job, "-S", '{"data": {}}')
    assert result.code == 1, result.output
    assert f"The job called {shown}: a job cannot end the process" in result.stdout
    assert "Workflow failed in" in result.stdout
    assert not (job.parent / "output.json").exists()


def test_a_process_forked_by_a_job_still_ends_as_it_asks(pyfn, write):
    job = write("job.py", """
        import os
        def fork(state):
            child = os.fork()
            if child == 0:
                os._exit(7)
            _, status = os.waitpid(child, 0)
            return {**state, "data": {"child_exit": os.waitstatus_to_exitcode(status)}}
        fn(fork)
    """)
    result = pyfn("execute", job, "-S", '{"data": {}}')
    assert result.code == 0, result.output
    assert json.loads((job.parent / "output.json").read_text())["data"] == {"child_exit": 7}

