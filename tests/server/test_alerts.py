"""Alerts (``project.yaml``'s ``alerts:``): five failed runs give one throttled email, received by a real SMTP
server on loopback (aiosmtpd), and one Slack-compatible JSON post (a loopback DestinationAPI); the message names
the workflow, the step, the error and the run's link, and carries no secret. Past the period, the count of what
was folded in goes out; a failing channel is logged and the others still send."""

from __future__ import annotations

import io
import socket
import textwrap
from email import message_from_bytes

import pytest

from runtime.logger import Logger, LogSink
from runtime.server.alerts import Alerter, project_masker
from runtime.store import open_store
from runtime.testing.destination import DestinationAPI
from runtime.workflow.project import load_project

from .conftest import open_db, wait_until
from .projects import write_project

SECRET = "conf-secret-a1e7"
WORKFLOWS = {
    "registrations.yaml": f"""
        name: registrations
        triggers: [{{path: registrations}}]
        steps:
          - id: map
            configuration: {{token: {SECRET}}}
            expression: |
              fn(lambda state: (_ for _ in ()).throw(RuntimeError("CRM refused " + state["configuration"]["token"])))
    """,
}


class Inbox:
    """An SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages = []
        with socket.socket() as probe:  # a free port: the controller checks it is up by connecting to it
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def inbox():
    box = Inbox()
    box.controller.start()
    yield box
    box.controller.stop()


def alerts_yaml(inbox, hook_url, period_minutes=60):
    return textwrap.dedent(f"""
        alerts:
          period_minutes: {period_minutes}
          email: {{host: 127.0.0.1, port: {inbox.port}, from: pyfn@example.org, to: [ops@example.org]}}
          webhook: {{url: "{hook_url}"}}
    """)


@pytest.mark.slow
def test_five_failures_give_one_throttled_alert(server_factory, tmp_path, inbox):
    with DestinationAPI() as slack:
        slack.route("POST", "/hook", status=200, body="ok")
        project = write_project(tmp_path / "project", WORKFLOWS)
        (project / "project.yaml").write_text(alerts_yaml(inbox, f"{slack.url}/hook"))
        server = server_factory("--workers", "1", project=project).start()
        runs = [server.post("registrations", {"n": n}).json()["run_id"] for n in range(5)]
        store = open_db(server.db)
        try:
            wait_until(lambda: all(store.get_run(r).run.final for r in runs))
            assert [store.get_run(r).run.state for r in runs] == ["failed"] * 5, server.output()
        finally:
            store.close()
        wait_until(lambda: "alert for registrations folded in (4 since the last message)" in server.output())
        wait_until(lambda: len(inbox.messages) >= 1 and len(slack.requests) >= 1)
        server.stop()
        assert len(inbox.messages) == 1 and len(slack.requests) == 1
        email = inbox.messages[0]
        body = email.get_payload()
        assert email["Subject"] == "[pyfn] registrations: run failed" and email["To"] == "ops@example.org"
        assert "Workflow: registrations" in body and "Step: map" in body and "CRM refused ****" in body
        assert f"Link: {server.url}/runs/{runs[0]}" in body
        posted = slack.requests[0].json["text"]
        assert "Step: map" in posted and f"/runs/{runs[0]}" in posted
        assert SECRET not in body + posted + email.as_string()
        assert "4 folded alert(s) were not sent before the server stopped" in server.output()


def test_past_the_period_the_folded_count_goes_out_and_a_failing_channel_is_only_logged(tmp_path, inbox):
    project = write_project(tmp_path / "project", WORKFLOWS)
    (project / "project.yaml").write_text(alerts_yaml(inbox, "http://127.0.0.1:9/refused", period_minutes=1))
    loaded = load_project(project)
    stream = io.StringIO()
    log = Logger("SRV", "default", LogSink(stream))
    store = open_store(":memory:")
    now = [1000.0]
    alerter = Alerter(loaded.alerts, project_masker(loaded), "http://pyfn.test", log, store, clock=lambda: now[0])
    runs = []
    for _ in range(3):
        run_id = store.accept("registrations", "registrations", {}).run_id
        store.claim("w"); store.started(run_id)
        store.step_started(run_id, "map", {})
        store.step_finished(run_id, "map", {}, {"name": "RuntimeError", "message": f"CRM refused {SECRET}"})
        store.finish(run_id, "failed", "RuntimeError")
        runs.append(run_id)
        alerter.run_failed("registrations", run_id, "failed")
    alerter.flush()  # the period is not over: nothing more
    now[0] += 61
    alerter.flush()
    alerter.start()
    alerter.stop()
    assert [m["Subject"] for m in inbox.messages] == ["[pyfn] registrations: run failed",
                                                     "[pyfn] registrations: 2 more alert(s)"]
    assert "2 alert(s) were folded in since the last message" in inbox.messages[1].get_payload()
    assert all(SECRET not in m.as_string() for m in inbox.messages), "secrets masked, even from the store"
    assert "alert by webhook failed: ConnectionError" in stream.getvalue()


@pytest.mark.slow
def test_a_run_found_lost_at_start_up_is_alerted(server_factory, tmp_path, inbox):
    project = write_project(tmp_path / "project", WORKFLOWS)
    (project / "project.yaml").write_text(alerts_yaml(inbox, "http://127.0.0.1:9/refused"))
    server = server_factory("--workers", "1", project=project)
    store = open_db(server.db)  # a server died with this run started: the next start finds it
    try:
        run_id = store.accept("registrations", "registrations", {"n": 1}).run_id
        store.claim("a-server-that-died")
        store.started(run_id)
    finally:
        store.close()
    server.start()
    wait_until(lambda: len(inbox.messages) >= 1, message="no alert for the lost run")
    server.stop()
    email = inbox.messages[0]
    assert email["Subject"] == "[pyfn] registrations: run lost"
    body = email.get_payload()
    assert f"Run: {run_id} ended lost" in body and f"Link: {server.url}/runs/{run_id}" in body
