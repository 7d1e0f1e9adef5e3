"""The distribution: ``python -m build`` makes an sdist and a wheel holding everything ``pyfn demo`` needs,
and the wheel, installed in a fresh venv, runs the demo from a folder outside this checkout."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [str(path.relative_to(ROOT)) for folder in ("jobs", "workflows") for path in (ROOT / folder).rglob("*")
            if path.suffix in (".py", ".yaml") and ".cli-cache" not in path.parts]


@pytest.mark.slow
def test_the_wheel_ships_the_packages_their_data_and_the_examples(installed_pyfn):
    names = set(zipfile.ZipFile(installed_pyfn.wheel).namelist())
    assert {name.split("/")[0] for name in names} == {"runtime", "adaptors", "hq_simulator",
                                                        installed_pyfn.wheel.name.split("-py3")[0] + ".dist-info"}
    data = [str(path.relative_to(ROOT)) for package in ("runtime", "adaptors", "hq_simulator")
            for path in (ROOT / package).rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    assert sorted(set(data) - names) == [], "every file of the packages: web assets, templates, schemas"
    shipped = {f"runtime/cli/examples/{name}" for name in [*EXAMPLES, "state/people.csv"]}
    assert sorted(shipped - names) == []
    with tarfile.open(installed_pyfn.sdist) as sdist:
        top = sdist.getnames()[0].split("/")[0]
        in_sdist = {name.removeprefix(top + "/") for name in sdist.getnames()}
    assert {"setup.py", "pyproject.toml", "MANIFEST.in", "state/people.csv", *EXAMPLES} <= in_sdist


@pytest.mark.slow
def test_the_installed_wheel_runs_the_demo_outside_the_checkout(installed_pyfn, tmp_path):
    where = installed_pyfn.run("python", "-c", "import runtime; print(runtime.__file__)", cwd=tmp_path)
    assert not Path(where.stdout.strip()).is_relative_to(ROOT), "pyfn comes from the venv, not this checkout"
    demo = installed_pyfn.run("pyfn", "demo", cwd=tmp_path)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Done:" in demo.stdout and "Errors reported" not in demo.stdout, demo.stdout
    outputs = tmp_path / "pyfn-demo"
    assert {path.name for path in outputs.glob("*.json")} >= {"registrations.json", "reminders.json",
                                                              "bulk-import.json"}
