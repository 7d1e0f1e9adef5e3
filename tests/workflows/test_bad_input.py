"""Bad input never breaks the CLI: each file a person or a tool could get wrong is one clear error, no traceback."""

import json

import pytest

NOOP = 'fn(lambda state: {**state, "data": {"ran": True}})\n'


def _one_error(result, expected: str) -> None:
    assert result.code != 0, result.output
    assert expected in result.output, result.output
    assert "Traceback" not in result.output


def test_a_key_given_twice_names_both_lines(pyfn, write):
    path = write("wf.yaml", """
        steps:
          - {id: a, expression: "fn(lambda state: state)"}
        name: twice
        steps:
          - {id: b, expression: "fn(lambda state: state)"}
    """)
    _one_error(pyfn("validate", path), "wf.yaml:4:1: key 'steps' is given twice in one mapping (lines 1 and 4)")


def test_a_merged_key_may_be_overridden(pyfn, write):
    path = write("wf.yaml", """
        steps:
          - &base {id: a, adaptor: common, expression: "fn(lambda state: state)", next: b}
          - <<: *base
            id: b
            next: null
    """)
    result = pyfn("validate", path)
    assert result.code == 0, result.output


def test_an_alias_bomb_is_refused_before_it_expands(pyfn, write):
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[level]
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    path = write("wf.yaml", "\n".join(lines) + '\nsteps: [{id: a, expression: "fn(lambda s: s)"}]\n')
    _one_error(pyfn("execute", path), "wf.yaml:1:1: the aliases expand to more than 1,000,000 values")


def test_nesting_is_bounded(pyfn, write):
    path = write("wf.yaml", "x: " + "[" * 5000 + "]" * 5000 + "\n")
    _one_error(pyfn("validate", path), "nesting deeper than 100 levels")


def test_a_chain_of_1500_steps_is_validated_and_runs(pyfn, write):
    lines = ["steps:"]
    for n in range(1500):
        lines += [f"  - id: s{n}", "    expression: \"fn(lambda state: {**state, 'n': state.get('n', 0) + 1})\""]
        if n < 1499:
            lines.append(f"    next: s{n + 1}")
    path = write("wf.yaml", "\n".join(lines) + "\n")
    result = pyfn("execute", path, "-l", "none", timeout=300)
    assert result.code == 0, result.output[-2000:]
    assert json.loads((path.parent / "output.json").read_text())["n"] == 1500


def test_a_cycle_in_a_long_chain_is_found(pyfn, write):
    lines = ["steps:"]
    for n in range(1200):
        lines += [f"  - id: s{n}", "    expression: \"fn(lambda state: state)\"", f"    next: s{(n + 1) % 1200}"]
    path = write("wf.yaml", "\n".join(lines) + "\n")
    _one_error(pyfn("validate", path, timeout=300), "circular dependency: s0 -> s1 -> s2")


@pytest.mark.parametrize("step_id", ["7", "true", "[a]", "{x: 1}"])
def test_a_step_id_that_is_not_a_string_is_refused(pyfn, write, step_id):
    path = write("wf.yaml", f'steps:\n  - {{id: {step_id}, expression: "fn(lambda s: s)"}}\n')
    _one_error(pyfn("validate", path), "wf.yaml:2: step id")


def test_files_that_are_not_utf8_are_one_line_errors(pyfn, write, tmp_path):
    job = tmp_path / "job.py"
    job.write_bytes(b"fn(lambda state: state)\n# caf\xe9\n")
    _one_error(pyfn("execute", job), "job.py:2: the job is not UTF-8 text (byte 0xe9 at offset 29)")
    workflow = tmp_path / "wf.yaml"
    workflow.write_bytes(b"name: \xff\nsteps: []\n")
    _one_error(pyfn("execute", workflow), "wf.yaml:1: the workflow is not UTF-8 text")
    write("jobs/ok.py", NOOP)
    step_job = write("wf2.yaml", "steps: [{id: a, job: job.py}]\n")
    _one_error(pyfn("execute", step_job), "step a: ")
    assert "job.py:2: the job is not UTF-8 text" in pyfn("execute", step_job).output
    state = tmp_path / "state.json"
    state.write_bytes(b'{"data": "\xff"}')
    _one_error(pyfn("execute", write("jobs/ok.py", NOOP), "-s", state),
               "state.json:1: the state file is not UTF-8 text (byte 0xff at offset 10)")
    credentials = tmp_path / "creds.yaml"
    credentials.write_bytes(b"crm: {password: \xff}\n")
    wf = write("wf3.yaml", "credentials: creds.yaml\nsteps: [{id: a, job: jobs/ok.py, configuration: crm}]\n")
    _one_error(pyfn("validate", wf), "creds.yaml:1: the file is not UTF-8 text")


@pytest.mark.parametrize("state, expected", [
    ('{"configuration": "token"}', "configuration must be a JSON object, not a str"),
    ('{"configuration": [1]}', "configuration must be a JSON object, not a list"),
    ('{"data": NaN}', "NaN is not valid JSON"),
    ('{"data": [Infinity]}', "Infinity is not valid JSON"),
    ('{"data": ' + "[" * 5000 + "]" * 5000 + "}", "nested deeper than 200 levels"),
])
def test_a_state_pyfn_could_not_write_back_is_refused(pyfn, write, state, expected):
    _one_error(pyfn("execute", write("job.py", NOOP), "-S", state), expected)


def test_run_retry_settings_are_bounded(pyfn, write):
    path = write("wf.yaml", """
        retry: {max: 1000, delay: 30d, backoff: 100}
        steps: [{id: a, expression: "fn(lambda s: s)"}]
    """)
    result = pyfn("validate", path)
    _one_error(result, "wf.yaml:1: retry max must be a whole number of retries from 1 to 10, not 1000")
    path = write("wf.yaml", """
        retry: {max: 3, delay: 30d, backoff: 100}
        steps: [{id: a, expression: "fn(lambda s: s)"}]
    """)
    result = pyfn("validate", path)
    _one_error(result, "retry delay: '30d' is longer than 7 days")
    assert "retry backoff must be a number from 1 to 10, not 100" in result.output


@pytest.mark.parametrize("retries, expected", [
    ({"max": 1000}, "configuration.retries"),
    ({"max": 3, "base_delay": 0}, "configuration.retries.base_delay"),
    (1000, "configuration.retries"),
])
def test_http_retry_settings_in_the_configuration_are_bounded(pyfn, write, retries, expected):
    job = write("job.py", 'get("/never")\n')
    state = json.dumps({"configuration": {"baseUrl": "http://127.0.0.1:9", "retries": retries}})
    result = pyfn("execute", job, "-a", "http", "-S", state)
    _one_error(result, expected)


def test_http_retry_settings_of_a_call_are_bounded(pyfn, write):
    job = write("job.py", 'get("/never", {"retries": {"max": 1000, "base_delay": 0}})\n')
    result = pyfn("execute", job, "-a", "http", "-S", '{"configuration": {"baseUrl": "http://127.0.0.1:9"}}')
    assert result.code == 0, result.output
    error = json.loads((job.parent / "output.json").read_text())["errors"]["job-1"]
    assert "invalid retries setting" in error["message"] and "max 0 to 10" in error["message"]
