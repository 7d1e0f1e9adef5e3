"""The shipped example workflows run offline with their state files, as the README shows."""

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def checkout(tmp_path):
    """A copy of the shipped jobs, workflows and state, so runs do not write into the repo."""
    for folder in ("jobs", "workflows", "state"):
        shutil.copytree(ROOT / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns(".cli-cache", "output.json", "*-output.json"))
    return tmp_path


def run(pyfn, checkout, *args):
    result = pyfn("execute", *args, "-o", checkout / "out.json", cwd=checkout)
    assert result.code == 0, result.output
    return json.loads((checkout / "out.json").read_text()), result


def test_linear(pyfn, checkout):
    output, _ = run(pyfn, checkout, "workflows/linear.yaml", "-s", "state/hello.json")
    assert output["data"] == {"total": 3, "by_gender": {"Female": 1, "Male": 1, "Unknown": 1}}


def test_branching_success_path(pyfn, checkout):
    output, _ = run(pyfn, checkout, "workflows/branching.yaml", "-s", "state/hello.json")
    assert output["data"]["total"] == 3 and "errors" not in output


def test_branching_failure_path(pyfn, checkout):
    output, result = run(pyfn, checkout, "workflows/branching.yaml", "-s", "state/registrations-invalid.json")
    assert output["errors"]["check"]["message"].count("2b5c1f0e") == 2
    assert output["alert"]["reasons"][0].startswith("check: ")
    assert "Errors reported in 1 jobs" in result.stdout


def test_visits_with_cache_steps_then_rerun_one_step(pyfn, checkout):
    first, _ = run(pyfn, checkout, "workflows/visits.yaml", "-s", "state/visits.json", "--cache-steps")
    assert first["data"]["villages"] == 2
    again, result = run(pyfn, checkout, "workflows/visits.yaml", "--cache-steps", "--only", "load")
    assert "Loaded the cached output of step transform" in result.stdout
    assert again["data"] == first["data"]
