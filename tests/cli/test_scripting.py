"""``pyfn execute`` in scripts: -O pipes, state from standard input, -o through links and devices."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

from tests.conftest import ROOT

JOB = 'fn(lambda state: {**state, "data": {"doubled": state["data"]["n"] * 2}})\nlog("done")\n'


def _run(*args, stdin: str | None = None, shell: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "runtime.cli", *map(str, args)]
    if shell is not None:
        command = ["sh", "-c", " ".join(map(shlex.quote, command)) + shell]
    return subprocess.run(command, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=60)


def test_output_stdout_is_only_the_final_state_so_it_pipes_to_a_json_tool(write):
    job = write("job.py", JOB)
    piped = _run("execute", job, "-S", '{"data": {"n": 21}}', "-O", "-l", "info",
                 shell=f" | {shlex.quote(sys.executable)} -m json.tool --compact")
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == '{"data":{"doubled":42}}\n'
    assert "[JOB] ℹ done" in piped.stderr and "[CLI] ✔ Finished in" in piped.stderr


def test_state_from_standard_input_with_a_dash(write):
    job = write("job.py", JOB)
    for flag in ("-S", "-s"):
        result = _run("execute", job, flag, "-", "-O", stdin='{"data": {"n": 4}}')
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {"data": {"doubled": 8}}
        assert "[CLI] ✔ Loaded state from standard input" in result.stderr


def test_bad_json_on_standard_input_is_named(write):
    result = _run("execute", write("job.py", JOB), "-s", "-", stdin="{nope")
    assert result.returncode == 2
    assert "standard input is not valid JSON: Expecting property name enclosed in double quotes at " \
           "line 1, column 2" in result.stdout


def test_output_path_writes_through_a_symlink_and_keeps_it(write, tmp_path):
    job = write("job.py", JOB)
    real = write("states/real.json", "old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    result = _run("execute", job, "-S", '{"data": {"n": 1}}', "-o", link)
    assert result.returncode == 0, result.stdout
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads(real.read_text()) == {"data": {"doubled": 2}}
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.json"]  # no temporary file left


def test_output_path_writes_into_a_device_without_replacing_it(write):
    """``-o /dev/stdout`` (a pipe here) is written into, as root too: the node is never replaced."""
    job = write("job.py", JOB)
    result = _run("execute", job, "-S", '{"data": {"n": 5}}', "-o", "/dev/stdout", "-l", "none")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"data": {"doubled": 10}}
    assert os.path.exists("/dev/stdout") and not os.path.isfile("/dev/null")


def test_output_path_that_is_a_folder_is_a_usage_error(write, tmp_path):
    result = _run("execute", write("job.py", JOB), "-S", '{"data": {"n": 1}}', "-o", tmp_path)
    assert result.returncode == 2
    assert f"Cannot write the state to {tmp_path}: it is a folder" in result.stdout


def test_an_empty_match_is_a_warning_and_with_strict_a_failure(write):
    job = write("job.py", 'each("$.patient[*]", fn(lambda state: state))\n')
    warned = _run("execute", job, "-O")
    assert warned.returncode == 0
    assert '[JOB] ⚠ each: the JSONPath "$.patient[*]" matched nothing\n' in warned.stderr
    strict = _run("execute", job, "-O", "--strict")
    assert strict.returncode == 0
    error = json.loads(strict.stdout)["errors"]["job-1"]
    assert error["message"] == 'each: the JSONPath "$.patient[*]" matched nothing'
    assert "[CLI] ⚠ Errors reported in 1 jobs" in strict.stderr
