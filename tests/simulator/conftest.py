"""Fixtures for the CommCare HQ simulator tests: a seeded simulator, an authenticated session, a receiver."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from hq_simulator import DEFAULT_API_KEY, DEFAULT_USERNAME, CommCareSimulator

SEED = 300


def pytest_configure(config):
    config.addinivalue_line("markers", "commcare_export: runs the real commcare-export CLI in its own venv")


@pytest.fixture(scope="module")
def hq():
    """A simulator seeded with about 300 cases, shared by a test module (tests that write use ``fresh_hq``)."""
    with CommCareSimulator(seed=SEED) as simulator:
        yield simulator


@pytest.fixture
def fresh_hq():
    """A simulator of its own for a test that writes (forwarding settings, submissions...).

    Forwarding waits 10 s for an answer (a busy machine never makes a prompt one a timeout)."""
    with CommCareSimulator(seed=40, forwarding_speedup=3.6e6) as simulator:
        yield simulator


def _session() -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"ApiKey {DEFAULT_USERNAME}:{DEFAULT_API_KEY}"
    return session


@pytest.fixture
def api(hq):
    """``api.get("/a/demo/api/...")``: a session with the demo API key on the shared simulator."""
    return _Client(hq.url, _session())


@pytest.fixture
def fresh_api(fresh_hq):
    """Like ``api``, on ``fresh_hq``."""
    return _Client(fresh_hq.url, _session())


class _Client:
    def __init__(self, base: str, session: requests.Session) -> None:
        self.base, self.session = base, session

    def __getattr__(self, method: str):
        def call(path: str, **kwargs):
            return self.session.request(method.upper(), self.base + path, timeout=10, **kwargs)
        return call


class Receiver:
    """A loopback HTTP server standing in for OpenFn: records every request, answers from a script.

    ``script`` is a list of statuses (or ``("sleep", seconds)``) used in order, then ``default``.
    """

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: list = []
        self.default = 200
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    step = receiver.script.pop(0) if receiver.script else receiver.default
                if isinstance(step, tuple):
                    import time
                    time.sleep(step[1])
                    step = 200
                payload = json.dumps({"ok": step < 300}).encode()
                self.send_response(step)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def json_bodies(self) -> list:
        return [json.loads(r["body"]) for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    """A loopback receiver for forwarded payloads (see :class:`Receiver`)."""
    server = Receiver()
    yield server
    server.close()
