"""Helpers for the trigger server tests: a real ``pyfn serve`` subprocess on a free port, and polling."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from runtime.testing.waiting import free_port, stop_process, wait_until  # noqa: F401 (used by the tests)

ROOT = Path(__file__).resolve().parents[2]
PROJECT = Path(__file__).resolve().parent / "fixtures" / "project"
FORWARDING_PASSWORD = "fw-pass-7f3e9a"
API_KEY = "key-5b1c2d"
DESTINATION_PASSWORD = "dest-pass-0a9b8c"


def pyfn_command(clock: str | None = None) -> list[str]:
    """How to start ``pyfn``: as a user does, or on a test clock (``speed=…,origin=…,offset=…``)."""
    if clock is None:
        return [sys.executable, "-m", "runtime.cli"]
    return [sys.executable, str(Path(__file__).resolve().parent / "serve_on_clock.py"), clock]


class Server:
    """``pyfn serve`` as a user runs it, in its own process; its output goes to a file."""

    def __init__(self, tmp: Path, *args: str, destination: str = "http://127.0.0.1:9", port: int | None = None,
                 project: Path = PROJECT):
        self.tmp, self.args, self.project = tmp, args, project
        self.port = port or free_port()
        self.db = tmp / "pyfn.db"
        self.env = {**os.environ, "PYFN_TEST_FORWARDING_PASSWORD": FORWARDING_PASSWORD,
                    "PYFN_TEST_API_KEY": API_KEY, "PYFN_TEST_DESTINATION_URL": destination,
                    "PYFN_TEST_DESTINATION_PASSWORD": DESTINATION_PASSWORD}
        self.clock: str | None = None  # e.g. "offset=86400": start on that test clock (serve_on_clock.py)
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.tmp / f"serve-{self.starts}.log"

    def start(self, wait: bool = True) -> "Server":
        self.starts += 1
        with open(self.log_path, "wb") as out:
            self.process = subprocess.Popen(
                [*pyfn_command(self.clock), "serve", str(self.project), "--port", str(self.port),
                 "--db", str(self.db), *self.args], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        if wait:
            wait_until(self._ready, timeout=60, message=f"pyfn serve did not start:\n{self.output()}")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"pyfn serve exited with {self.process.returncode}:\n{self.output()}")
        try:
            return requests.get(f"{self.url}/health", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    def output(self) -> str:
        return "".join(self.tmp.joinpath(f"serve-{n}.log").read_text(errors="replace")
                       for n in range(1, self.starts + 1) if self.tmp.joinpath(f"serve-{n}.log").exists())

    def kill(self) -> None:
        """SIGKILL: no shutdown at all, as a crash or an OOM killer would stop it."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 30) -> int:
        return stop_process(self.process, timeout)

    def post(self, path: str, body=None, *, session=None, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return (session or requests).post(f"{self.url}/i/{path}", json=body, **kwargs)


@pytest.fixture
def server_factory(tmp_path):
    """Make servers (started by the test); every one still running is stopped at the end."""
    made: list[Server] = []

    def make(*args: str, **kwargs) -> Server:
        server = Server(tmp_path / f"server-{len(made) + 1}", *args, **kwargs)
        server.tmp.mkdir(parents=True, exist_ok=True)
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop(timeout=10)


@pytest.fixture(params=["sqlite", "postgres"])
def store_location(request, tmp_path):
    """Where a fresh store lives, per backend: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "state" / "pyfn.db")
    return request.getfixturevalue("pg_url")


def open_db(path: Path):
    """The run store a server wrote (read it while the server runs, or after)."""
    from runtime.store import open_store

    return open_store(path)


def sqlite_pragma(path, name: str) -> int:
    """One ``PRAGMA`` of a SQLite file, read on a connection of its own (``auto_vacuum``, ``freelist_count``…)."""
    db = sqlite3.connect(path)
    try:
        return db.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        db.close()


def finished_run(server: Server, run_id: str, timeout: float = 60):
    """The run's detail (``RunDetail``) once it has ended, from the store the server writes."""
    store = open_db(server.db)
    try:
        wait_until(lambda: store.get_run(run_id).run.final, timeout=timeout)
        return store.get_run(run_id)
    finally:
        store.close()


@pytest.fixture(scope="module")
def server(request, tmp_path_factory):
    """One server for a whole test module (tests that only post and read answers and the store), started
    with the module's ``SERVER_ARGS`` (default ``("--workers", "1")``) and ``SERVER_ENV`` (extra variables).

    Example (in a test module)::

        SERVER_ARGS = ("--workers", "0", "--body-timeout-s", "1")

        def test_health(server):
            assert requests.get(f"{server.url}/health").status_code == 200
    """
    module = request.module
    server = Server(tmp_path_factory.mktemp(module.__name__.rsplit(".", 1)[-1]),
                    *getattr(module, "SERVER_ARGS", ("--workers", "1")))
    server.env.update(getattr(module, "SERVER_ENV", {}))
    yield server.start()
    server.stop(timeout=10)


@pytest.fixture
def store(server):
    """The run store of the module's ``server``, open for the test (a module with its own ``store`` keeps it)."""
    opened = open_db(server.db)
    yield opened
    opened.close()
