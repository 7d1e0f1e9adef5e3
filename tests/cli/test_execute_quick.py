"""``pyfn execute`` read without the command-line library: same runs, the library's help and errors otherwise."""

from __future__ import annotations

import json

import pytest

from runtime.cli.quick import read_execute

HEAVY = ("typer", "click", "urllib3", "requests", "yaml", "jinja2", "jsonschema", "sqlite3", "starlette",
         "uvicorn", "rich", "ctypes", "uuid", "difflib", "shutil")


def test_a_trivial_execute_imports_no_cli_library_nor_http_stack(pyfn, write, tmp_path):
    job = write("job.py", f"""
        import sys
        fn(lambda state: {{**state, "data": sorted(m for m in {HEAVY!r} if m in sys.modules)}})
    """)
    out = tmp_path / "out.json"
    result = pyfn("execute", job, "-o", out, "--log=none")
    assert result.code == 0, result.output
    assert json.loads(out.read_text())["data"] == []


def test_every_option_form_gives_the_same_run(pyfn, write, tmp_path):
    job = write("job.py", 'fn(lambda state: {**state, "data": {"n": state["data"]["n"] + 1}})\n')
    write("in.json", {"data": {"n": 1}})
    outputs = []
    for form in (["-s", tmp_path / "in.json", "-O", "-l", "none"],
                 [f"--state-path={tmp_path / 'in.json'}", "--output-stdout", "--log", "none", "-t", "5000"],
                 ["-S", '{"data": {"n": 1}}', "-O", "--log=none", "--immutable", "--strict"]):
        result = pyfn("execute", job, *form)
        assert result.code == 0, result.output
        outputs.append(json.loads(result.stdout))
    assert outputs == [{"data": {"n": 2}}] * 3


@pytest.mark.parametrize("args, shown", [
    (["-t", "soon"], "Invalid value for '-t' / '--timeout'"),
    (["--no-such-option"], "No such option: --no-such-option"),
    (["job2.py"], "Got unexpected extra argument"),
])
def test_what_it_does_not_read_gets_the_full_parsers_errors(pyfn, write, args, shown):
    job = write("job.py", "fn(lambda state: state)\n")
    result = pyfn("execute", job, *args)
    assert result.code == 2 and shown in result.output


def test_help_is_the_full_parsers(pyfn):
    result = pyfn("execute", "--help")
    assert result.code == 0 and "--state-path" in result.stdout


@pytest.mark.parametrize("argv", [["job.py", "-a", "http", "-a", "common"], ["job.py", "-ahttp"], ["-O"],
                                  ["job.py", "-l", "--strict"], ["job.py", "--", "x"], ["job.py", "-t", "1e3"]])
def test_forms_left_to_the_full_parser(argv):
    assert read_execute(argv) is None


def test_the_database_comes_from_pyfn_db_unless_given(monkeypatch):
    monkeypatch.setenv("PYFN_DB", "state/other.db")
    assert read_execute(["job.py"])["db"] == "state/other.db"
    assert read_execute(["job.py", "--db", "x.db"])["db"] == "x.db"
    assert read_execute(["job.py", "-t", "0"])["timeout_ms"] == 0
