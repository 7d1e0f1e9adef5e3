"""The code blocks of README.md and docs/*.md run, so the documentation cannot rot.

- ```python blocks are jobs: each compiles (syntax and lazy-state rules) with every
  adaptor's names in scope, and, when it is a complete job (no ``...``), runs on an empty
  state without crashing (a misspelt operation is a crash; a missing key in the empty state is
  only a recorded failure). ```python http or ```python commcare runs it with that adaptor.
  Tag a block ```python fragment to check only the syntax of a snippet that is not a job.
- ```sh blocks: every line starting with ``pyfn`` runs in a copy of the project, in order,
  and must exit 0 with no step reporting an error. Tag a block ```sh no-run for commands that start servers or need
  machines this test does not have (those blocks, and blocks without a pyfn command, are
  not collected).
"""

import ast
import re
import shutil
import shlex
from pathlib import Path

import pytest

from runtime.compiler import compile_job
from runtime.linker import link, resolve_adaptor

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.S | re.M)
NAMES = {**link(resolve_adaptor("http")), **link(resolve_adaptor("commcare"))}


def blocks(language: str) -> list:
    return list(_blocks(language))


def _blocks(language: str):
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            if match.group(1) == language:
                line = text[:match.start()].count("\n") + 1
                yield pytest.param(path, match.group(2).strip(), match.group(3),
                                   id=f"{path.relative_to(ROOT)}:{line}")


@pytest.mark.parametrize("path, tag, code", blocks("python"))
def test_python_blocks_are_jobs_that_compile_and_run(path, tag, code, run_job, tmp_path, request):
    if tag == "fragment":
        ast.parse(code)
        return
    job = compile_job(code, f"{path.name} block", NAMES)
    assert job.operations or job.module.body
    if "..." in code:
        return
    (tmp_path / "block.py").write_text(code, encoding="utf-8")
    state = {"data": {}}
    if tag == "commcare":  # CommCare blocks run for real, against the simulator
        state["configuration"] = request.getfixturevalue("commcare_hq").configuration
    result = run_job(tmp_path / "block.py", state, adaptor=tag or "common", timeout_ms=20_000)
    assert result.crash is None, f"{path.name}: {result.crash and result.crash.message}"
    if tag == "commcare":
        result.assert_ok()


def _project_copy(tmp_path: Path) -> Path:
    for folder in ("jobs", "workflows", "state"):
        shutil.copytree(ROOT / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns(".cli-cache", "output.json", "example-runs"))
    return tmp_path


def _pyfn_lines(code: str) -> list[str]:
    return [line.split("#")[0].strip() for line in code.splitlines() if line.strip().startswith("pyfn ")]


SHELL_BLOCKS = [block for block in blocks("sh")
                if block.values[1] != "no-run" and _pyfn_lines(block.values[2])]


@pytest.mark.parametrize("path, tag, code", SHELL_BLOCKS)
def test_shell_blocks_run(path, tag, code, tmp_path, pyfn):
    commands = _pyfn_lines(code)
    project = _project_copy(tmp_path)
    for command in commands:
        result = pyfn(*shlex.split(command)[1:], cwd=project, timeout=120)
        assert result.code == 0, f"{command}\n{result.output}"
        assert "Errors reported in" not in result.output, f"{command} ran, with errors:\n{result.output}"
