"""Shared helpers: run the ``pyfn`` command the way a user does, as a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parents[1]


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    """Under tests/, only test modules are collected: ``--doctest-modules`` is for the product packages
    (a recorded server script or a fixture project's job here would run when imported)."""
    if collection_path.suffix == ".py" and not collection_path.name.startswith(("test_", "conftest")):
        return True
    return None


# fixtures that take many seconds to make: under pytest-xdist (bin/test, --dist loadgroup) the tests using
# one of them run in one process, which makes it once, rather than in each process (pytest 9.2 drops these
# groups: pytest-xdist issue 1386; what must not run twice at once also takes a lock, see one_at_a_time)
SHARED_IN_ONE_PROCESS = ("installed_pyfn", "big_hq")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's, which reads the groups
def pytest_collection_modifyitems(items) -> None:
    """Group the tests of each expensive fixture (``SHARED_IN_ONE_PROCESS``) for pytest-xdist."""
    for item in items:
        shared = next((name for name in SHARED_IN_ONE_PROCESS if name in getattr(item, "fixturenames", ())), None)
        if shared:
            item.add_marker(pytest.mark.xdist_group(shared))


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


def run_root(tmp_path_factory) -> Path:
    """The temporary folder of the whole test run: shared by pytest-xdist's processes, else this one's."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return tmp_path_factory.getbasetemp()
    return tmp_path_factory.getbasetemp().parent


@pytest.fixture(scope="session")
def one_at_a_time(tmp_path_factory):
    """A lock by name, shared by the run's test processes: ``with one_at_a_time("demo"): ...``."""
    return lambda name: FileLock(str(run_root(tmp_path_factory) / f"{name}.lock"))


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
def installed_pyfn(tmp_path_factory, one_at_a_time) -> InstalledPyfn:
    """Build this checkout (``python -m build``: an sdist, then the wheel from it) and install the wheel
    with pytest into a new venv in a temporary folder.

    Built once per test run: under pytest-xdist the workers share one build in the run's temporary root,
    the first to take the lock builds it, the others wait and reuse it.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:  # no xdist: this process is the whole run
        return _build_and_install(tmp_path_factory.mktemp("installed"))
    base = run_root(tmp_path_factory) / "installed"
    with one_at_a_time("installed"):
        done = base / "done.json"
        if not done.is_file():
            shutil.rmtree(base, ignore_errors=True)  # a build a failed worker left half done
            installed = _build_and_install(base)
            done.write_text(json.dumps({key: str(value) for key, value in vars(installed).items()}))
        return InstalledPyfn(**{key: Path(value) for key, value in json.loads(done.read_text()).items()})


def _build_and_install(base: Path) -> InstalledPyfn:
    base.mkdir(parents=True, exist_ok=True)
    built = subprocess.run([sys.executable, "-m", "build", "-o", str(base / "dist"), str(ROOT)], cwd=base,
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    venv.create(base / "venv", with_pip=True)
    installed = InstalledPyfn(next((base / "dist").glob("pyfn_runtime-*.tar.gz")),
                              next((base / "dist").glob("pyfn_runtime-*.whl")), base / "venv" / "bin")
    done = installed.run("pip", "install", "-q", str(installed.wheel), "pytest>=8", cwd=base, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return installed
