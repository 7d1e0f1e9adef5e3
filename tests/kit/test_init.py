"""``pyfn init``: a new project whose tests pass, from an installed pyfn (not this checkout)."""

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fresh_pyfn(tmp_path_factory):
    """A fresh venv with pyfn installed from a wheel built from this checkout."""
    base = tmp_path_factory.mktemp("fresh")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", base / "dist", ROOT],
                   check=True, capture_output=True)
    venv.create(base / "venv", with_pip=True)
    python = base / "venv" / "bin" / "python"
    wheel = next((base / "dist").glob("pyfn-*.whl"))
    subprocess.run([python, "-m", "pip", "install", "-q", f"{wheel}[test]"], check=True, capture_output=True)
    return base / "venv" / "bin"


def test_init_then_pytest_passes_in_a_fresh_venv(fresh_pyfn, tmp_path):
    project = tmp_path / "my-integrations"
    created = subprocess.run([fresh_pyfn / "pyfn", "init", project], capture_output=True, text=True)
    assert created.returncode == 0, created.stdout + created.stderr
    for name in ("jobs/register_patient.py", "workflows/registrations.yaml", "state/registration.json",
                 "tests/test_registrations.py", "credentials.example.yaml", ".gitignore",
                 ".github/workflows/test.yml", "requirements.txt"):
        assert (project / name).is_file(), name
    tests = subprocess.run([fresh_pyfn / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                           cwd=project, capture_output=True, text=True)
    assert "2 passed" in tests.stdout, tests.stdout + tests.stderr
    valid = subprocess.run([fresh_pyfn / "pyfn", "validate", "workflows/registrations.yaml"], cwd=project,
                           capture_output=True, text=True)
    assert valid.returncode == 0 and valid.stdout.startswith("valid:")


def test_init_refuses_to_overwrite(pyfn, tmp_path):
    (tmp_path / "README.md").write_text("mine")
    result = pyfn("init", tmp_path)
    assert result.code == 2 and "already has README.md" in result.stdout
    assert (tmp_path / "README.md").read_text() == "mine"
    assert pyfn("init", tmp_path, "--force").code == 0
