"""The webhook app of ``pyfn serve`` served inside the test process: uvicorn on 127.0.0.1, a real SQLite
store file, the test project; no workers (``wake()`` is counted, runs stay queued).

The tests that start ``pyfn serve`` as a subprocess check what a user sees; these check the same
HTTP answers while the code runs in the test's own process, so a mutation-testing pass (docs/testing.md)
sees which test covers which line of the webhook path.
"""

from __future__ import annotations

import io
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import requests

from runtime.logger import Logger, LogSink
from runtime.server.app import AppSettings, create_app
from runtime.store import RunStore, open_store
from runtime.testing.waiting import wait_until
from runtime.worker.pool import Replies
from runtime.workflow.project import load_project

from .conftest import API_KEY, DESTINATION_PASSWORD, FORWARDING_PASSWORD, PROJECT

TEST_ENVIRONMENT = {"PYFN_TEST_FORWARDING_PASSWORD": FORWARDING_PASSWORD, "PYFN_TEST_API_KEY": API_KEY,
                    "PYFN_TEST_DESTINATION_URL": "http://127.0.0.1:9",
                    "PYFN_TEST_DESTINATION_PASSWORD": DESTINATION_PASSWORD}


@dataclass
class InProcessServer:
    """The running app: its URL, its store, the server log and how many times it woke the workers."""

    url: str
    store: RunStore
    log: io.StringIO
    wakes: list = field(default_factory=list)

    def post(self, path: str, body=None, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return requests.post(f"{self.url}/i/{path}", json=body, **kwargs)


def serve_in_process(db: Path, settings: AppSettings = AppSettings(), store: RunStore | None = None,
                     replies: Replies | None = None, project: Path = PROJECT):
    """Start the app on a free loopback port (a generator: yields the server, stops it when resumed).

    ``store`` replaces the SQLite store opened at ``db`` (a test's own store that fails on purpose);
    ``replies`` hands sync replies the outcome of zero-persistence runs, as the workers do; ``project``
    replaces the test project.
    """
    import uvicorn

    store = store or open_store(str(db))
    log = io.StringIO()
    wakes: list = []
    app = create_app(load_project(project), store, lambda: wakes.append(1), Logger("SRV", "default", LogSink(log)),
                     settings, replies=replies)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=30, message="the in-process server did not start")
    try:
        yield InProcessServer(f"http://127.0.0.1:{sock.getsockname()[1]}", store, log, wakes)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        store.close()
