"""Shared helpers: run the ``pyfn`` command the way a user does, as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    """Under tests/, only test modules are collected: ``--doctest-modules`` is for the product packages
    (a recorded server script or a fixture project's job here would run when imported)."""
    if collection_path.suffix == ".py" and not collection_path.name.startswith(("test_", "conftest")):
        return True
    return None


@dataclass
class CliResult:
    """Exit code and output of one ``pyfn`` invocation."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_pyfn(*args: str, cwd: Path | None = None, timeout: float = 60, env: dict | None = None) -> CliResult:
    """Run ``python -m runtime.cli ARGS`` and capture everything."""
    proc = subprocess.run([sys.executable, "-m", "runtime.cli", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=timeout, env=env)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def pyfn():
    """Run the pyfn CLI as a subprocess: ``pyfn("execute", "job.py", "-a", "common")``."""
    return run_pyfn


@pytest.fixture
def write(tmp_path):
    """Write a file under tmp_path (dedented text, or JSON for dicts/lists); return its path."""
    def _write(name: str, content) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, (dict, list)):
            path.write_text(json.dumps(content), encoding="utf-8")
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return path
    return _write


@pytest.fixture(scope="session")
def postgres_cluster():
    """The session's PostgreSQL server: a throwaway cluster, or ``PYFN_TEST_POSTGRES_URL``'s server.

    Without PostgreSQL's binaries the tests using it fail with how to install them (never skipped).
    """
    from tests.postgres import TempCluster

    with TempCluster() as cluster:
        yield cluster


@pytest.fixture
def pg_url(postgres_cluster):
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    url = postgres_cluster.create_database()
    yield url
    postgres_cluster.drop_database(url)


@dataclass
class InstalledPyfn:
    """pyfn as a user gets it: the sdist and wheel ``python -m build`` made, the wheel in a fresh venv."""

    sdist: Path
    wheel: Path
    bin: Path

    def run(self, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run a command of the venv (``pyfn``, ``python``, ``pip``) in ``cwd``, outside this checkout."""
        env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
        return subprocess.run([str(self.bin / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=timeout)


@pytest.fixture(scope="session")
def installed_pyfn(tmp_path_factory) -> InstalledPyfn:
    """Build this checkout (``python -m build``: an sdist, then the wheel from it) and install the wheel
    with pytest into a new venv in a temporary folder."""
    base = tmp_path_factory.mktemp("installed")
    built = subprocess.run([sys.executable, "-m", "build", "-o", str(base / "dist"), str(ROOT)], cwd=base,
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    venv.create(base / "venv", with_pip=True)
    installed = InstalledPyfn(next((base / "dist").glob("pyfn_runtime-*.tar.gz")),
                              next((base / "dist").glob("pyfn_runtime-*.whl")), base / "venv" / "bin")
    done = installed.run("pip", "install", "-q", str(installed.wheel), "pytest>=8", cwd=base, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return installed
