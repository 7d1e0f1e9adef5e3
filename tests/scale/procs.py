"""Real ``pyfn serve`` and ``pyfn worker`` processes against one PostgreSQL database, as a deployment runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from runtime.testing.waiting import free_port, stop_process, wait_until as _wait_until  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
PROJECT = Path(__file__).resolve().parent / "fixtures" / "project"
SERVE_ON_CLOCK = ROOT / "tests" / "server" / "serve_on_clock.py"
FORWARDING_PASSWORD = "fw-scale-31b7"
AUTH = ("commcare", FORWARDING_PASSWORD)


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05, message="timed out"):
    """``runtime.testing.waiting.wait_until`` with the longer deadline multi-process tests need."""
    return _wait_until(predicate, timeout, interval, message)


def wait_while_moving(predicate, progress, stall: float = 60.0, message="timed out"):
    """Poll ``predicate`` until it returns something truthy and return that; fail only once ``progress()``
    has given the same value for ``stall`` s. A busy machine slows a burst of runs down, only a stuck one
    stops it: the deadline is on the work standing still, never on the whole burst."""
    last, since = progress(), time.monotonic()
    while not (value := predicate()):
        now = progress()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since > stall:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(0.1)
    return value


class Proc:
    """One pyfn process; its output goes to ``<tmp>/<name>.log``."""

    def __init__(self, tmp: Path, name: str, args: list[str], destination: str, project: Path = PROJECT):
        self.tmp, self.name, self.args, self.project = tmp, name, args, project
        self.env = {**os.environ, "PYFN_TEST_FORWARDING_PASSWORD": FORWARDING_PASSWORD,
                    "PYFN_TEST_DESTINATION_URL": destination}
        self.clock: str | None = None  # e.g. "speed=60": start on that test clock (tests/server/serve_on_clock.py)
        self.process: subprocess.Popen | None = None
        self.log_path = tmp / f"{name}.log"

    def start(self) -> "Proc":
        with open(self.log_path, "ab") as out:
            entry = ["-m", "runtime.cli"] if self.clock is None else [str(SERVE_ON_CLOCK), self.clock]
            self.process = subprocess.Popen([sys.executable, *entry, *self.args], cwd=ROOT,
                                            env=self.env, stdout=out, stderr=subprocess.STDOUT)
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown at all, as a crash, an OOM killer or a lost machine would stop it."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 20) -> int:
        return stop_process(self.process, timeout)


class Server(Proc):
    """``pyfn serve PROJECT --db URL --port P ...``."""

    def __init__(self, tmp: Path, name: str, db: str, *args: str, destination: str = "http://127.0.0.1:9",
                 project: Path = PROJECT):
        self.port = free_port()
        super().__init__(tmp, name, ["serve", str(project), "--db", db, "--port", str(self.port), *args],
                         destination, project)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        super().start()
        wait_until(self._ready, timeout=60, message=lambda: f"{self.name} did not start:\n{self.output()}")
        return self

    def _ready(self) -> bool:
        self.check_alive()
        try:
            return requests.get(f"{self.url}/health", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    def post(self, path: str, body, session=None, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 20)
        return (session or requests).post(f"{self.url}/i/{path}", json=body, auth=AUTH, **kwargs)


class Worker(Proc):
    """``pyfn worker PROJECT --db URL ...``; started when it says it waits for runs."""

    def __init__(self, tmp: Path, name: str, db: str, *args: str, destination: str = "http://127.0.0.1:9",
                 project: Path = PROJECT):
        super().__init__(tmp, name, ["worker", str(project), "--db", db, *args], destination, project)

    def start(self) -> "Worker":
        super().start()
        wait_until(self._ready, timeout=60, message=lambda: f"{self.name} did not start:\n{self.output()}")
        return self

    def _ready(self) -> bool:
        self.check_alive()
        return "waiting for runs" in self.output()
