"""Editor support: jobs import their adaptor for editors and mypy; the shipped jobs and the scaffold check clean."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import adaptors
from runtime.compiler import compile_job
from runtime.errors import CompileError
from runtime.linker import link, resolve_adaptor
from tests.conftest import run_pyfn

ROOT = Path(__file__).resolve().parents[2]


def mypy(cwd: Path) -> subprocess.CompletedProcess:
    """mypy in ``cwd`` with its config; pyfn is found on MYPYPATH (an editable install hides it from mypy)."""
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_the_shipped_jobs_type_check_with_zero_errors():
    result = mypy(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "Success: no issues found in 15 source files"


@pytest.mark.slow
def test_a_scaffolded_project_type_checks_and_mypy_finds_a_mistake(tmp_path):
    assert run_pyfn("init", tmp_path / "p").code == 0
    project = tmp_path / "p"
    assert "mypy" in (project / "requirements.txt").read_text()
    assert "- run: mypy" in (project / ".github" / "workflows" / "test.yml").read_text()
    clean = mypy(project)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    (project / "jobs" / "typo.py").write_text('from adaptors.http import *\n\neahc("$.data[*]", post("/x"))\n'
                                              'data_value("id", "extra")\n')
    found = mypy(project)
    assert found.returncode == 1
    assert 'jobs/typo.py:3: error: Name "eahc" is not defined  [name-defined]' in found.stdout
    assert 'jobs/typo.py:4: error: Too many arguments for "data_value"  [call-arg]' in found.stdout


def test_every_adaptor_shows_common_and_state_to_type_checkers():
    """http's and commcare's TYPE_CHECKING re-exports list common's names as they are (and every job's collections)."""
    expected = [*adaptors.load("common").__all__, "collections", "state"]
    for name in ("http", "commcare"):
        tree = ast.parse(Path(adaptors.load(name).__file__).read_text())
        listed = [node.value for block in tree.body if isinstance(block, ast.If)
                  and ast.unparse(block.test) == "TYPE_CHECKING" for stmt in block.body
                  if isinstance(stmt, ast.AugAssign) for node in stmt.value.elts]
        assert listed == expected, name
    assert (ROOT / "adaptors" / "py.typed").is_file()


def test_the_editor_import_is_left_out_and_builtins_stay_builtins():
    job = compile_job('from adaptors.common import *\n\nfn(lambda state: {**state, "n": list(map(len, ["ab"]))})\n',
                      "job.py", link(resolve_adaptor("common")))
    assert job.module.body == [] and len(job.operations) == 1


def test_importing_another_adaptor_than_the_job_runs_with_is_a_compile_error():
    with pytest.raises(CompileError) as raised:
        compile_job('from adaptors.http import *\n\npatch("/x", {})\n', "job.py", link(resolve_adaptor("common")))
    assert raised.value.message == ("this job imports the http adaptor's operations, but it runs with another "
                                    "adaptor (job.py:1:1)")
    assert raised.value.hint == ("Run it with -a http (adaptor: http in a workflow step), or import the module of "
                                 "the adaptor it runs with")
