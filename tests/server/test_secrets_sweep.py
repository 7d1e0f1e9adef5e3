"""The secrets sweep: distinctive secrets pushed through every path a run's text leaves by, then searched for.

A workflow logs its secrets in every encoded form, copies them into its state and its sync
reply, sends them to an API that answers 401 echoing the request (query string and Basic
``Authorization`` header), and raises an exception quoting one. Then everything pyfn wrote or
answered is searched for every form of every secret: the output file, the step cache, the CLI's
output at every ``--log`` level, the SQLite store file, a ``pg_dump`` of the PostgreSQL store, the
webhook's reply, the history API (the page's data), ``pyfn runs show`` and the server's log. None
may be there; the base URL and the domain (not secrets) must be readable.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import requests

from runtime.testing.destination import DestinationAPI, Response

from .conftest import Server, open_db, wait_until
from .projects import pyfn, write_project

PASSWORD = 'Zq"9 p/w+d&x\\swp'       # from ${SWEEP_PASSWORD}: JSON-escaped, URL-encoded forms differ
API_KEY = "ak-77f1e2d3-sweep"         # a key naming a secret, written in the credentials file
PIN = "9182-77-pin"                   # marked secret by ``secret_keys``
HOOK_KEY = "hook-key-5a5a-sweep"      # the webhook's api_key, from ${SWEEP_HOOK_KEY}
PROJECT_ID = "sweep-env-project-42"   # from ${SWEEP_PROJECT}, under a key that names no secret
USERNAME, DOMAIN = "sweeper", "demo-sweep"
SECRETS = [PASSWORD, API_KEY, PIN, HOOK_KEY, PROJECT_ID]
TOKEN = "api-token-sweep-1"
ENV = {"SWEEP_PASSWORD": PASSWORD, "SWEEP_HOOK_KEY": HOOK_KEY, "SWEEP_PROJECT": PROJECT_ID,
       "PYFN_API_TOKEN": TOKEN}

PREPARE = """
import base64, json
from urllib.parse import quote, quote_plus

def leak(state):
    c = state["configuration"]
    basic = base64.b64encode(f"{c['username']}:{c['password']}".encode()).decode()
    for secret in (c["password"], c["api_key"], c["pin_code"], c["project"]):
        print("raw", secret, "json", json.dumps({"s": secret}), "url", quote(secret, safe=""),
              quote(secret), "form", quote_plus(secret), "b64", base64.b64encode(secret.encode()).decode())
    print("basic", "Basic " + basic, "at", c["baseUrl"], "domain", c["domain"])
    copy = {"copy": c["password"], "key": {c["api_key"]: c["pin_code"]}, "project": c["project"]}
    return {**state, "data": {**state["data"], **copy},
            "webhookResponse": {"status": 200, "body": {"echo": c["api_key"], "url": c["baseUrl"]}}}

log("configuration", state["configuration"])
fn(leak)
"""
CALL = """
get("/deny", {"query": {"api_key": state["configuration"]["api_key"], "pin": state["configuration"]["pin_code"]}})
"""
COMPLAIN = """
def complain(state):
    c = state["configuration"]
    raise ValueError(f"token rejected: {c['password']} / {json.dumps(c['password'])} at {c['baseUrl']}")

import json
fn(complain)
"""
WORKFLOW = """
name: sweep
credentials: credentials.yaml
triggers:
  - {path: sweep, auth: {type: api_key, credential: hook}, reply: sync}
steps:
  - {id: prepare, job: ../jobs/prepare.py, configuration: crm, next: call}
  - id: call
    adaptor: http
    job: ../jobs/call.py
    configuration: crm
    next: {complain: on_job_failure}
  - {id: complain, job: ../jobs/complain.py, configuration: crm}
"""


def forms(secret: str) -> set[str]:
    """Every text a secret could leak as."""
    found = {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote(secret), quote_plus(secret),
             base64.b64encode(secret.encode()).decode(),
             base64.b64encode(f"{USERNAME}:{secret}".encode()).decode()}
    return found


ALL_FORMS = sorted(set().union(*map(forms, SECRETS)))


def leaks(text: str | bytes) -> list[str]:
    """The forms of secrets found in ``text``."""
    if isinstance(text, bytes):
        return [form for form in ALL_FORMS if form.encode() in text]
    return [form for form in ALL_FORMS if form in text]


@pytest.fixture
def crm():
    """An API refusing every call with a 401 whose body echoes the request it got."""
    with DestinationAPI() as api:
        api.route("GET", "/deny", lambda request: Response(401, {"error": "denied", "echo": request.as_dict()}))
        yield api


@pytest.fixture
def project(tmp_path, crm):
    root = write_project(tmp_path / "project", {"sweep.yaml": WORKFLOW, "credentials.yaml": f"""
        crm:
          baseUrl: {crm.url}
          domain: {DOMAIN}
          username: {USERNAME}
          password: ${{SWEEP_PASSWORD}}
          api_key: {API_KEY}
          pin_code: {PIN}
          project: ${{SWEEP_PROJECT}}
          secret_keys: [pin_code]
        hook:
          api_key: ${{SWEEP_HOOK_KEY}}
        """}, {"prepare.py": PREPARE, "call.py": CALL, "complain.py": COMPLAIN})
    return root


def _assert_the_secrets_were_sent(crm) -> None:
    sent = crm.requests[-1]
    assert API_KEY in sent.query_string  # the secret did go out: what came back was masked
    headers = {name.lower(): value for name, value in sent.headers.items()}
    assert headers["authorization"].startswith("Basic ")


@pytest.mark.parametrize("level", ["none", "default", "info", "debug"])
def test_cli_output_cache_and_log_hold_no_secret(project, crm, level):
    workflow = project / "workflows" / "sweep.yaml"
    env = {**os.environ, **ENV}
    for extra in ([], ["--log-json"]):
        result = pyfn("execute", workflow, "--cache-steps", "-l", level, *extra, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert leaks(result.stdout + result.stderr) == []
        if level == "debug":
            assert crm.url in result.stdout and DOMAIN in result.stdout  # not secrets: readable
    _assert_the_secrets_were_sent(crm)
    output = (workflow.parent / "output.json").read_text()
    assert leaks(output) == []
    final = json.loads(output)
    assert final["errors"]["call"]["details"]["body"]["echo"]["query"]  # the echoed request is kept...
    assert final["data"]["copy"] == "****" and "token rejected: ****" in final["errors"]["complain"]["message"]
    assert crm.url in final["errors"]["complain"]["message"]  # ...the base URL readable
    cached = list((workflow.parent / ".cli-cache").rglob("*.json"))
    assert len(cached) == 3 and all(leaks(path.read_text()) == [] for path in cached)


def _serve_and_sweep(project: Path, tmp_path: Path, crm, db: str | None = None) -> tuple[Server, str, list[str]]:
    """Serve the project, deliver once, and return the server, the run id and every answer's text."""
    server = Server(tmp_path / "serve", *(["--db", db] if db else []), project=project)
    server.tmp.mkdir(parents=True, exist_ok=True)
    server.env.update(ENV)
    server.start()
    try:
        reply = server.post("sweep", {"form": "f-1"}, headers={"x-api-key": HOOK_KEY}, timeout=60)
        assert reply.status_code == 200 and reply.json() == {"echo": "****", "url": crm.url}, reply.text
        run_id = reply.headers["x-meta-run-id"]
        auth = {"Authorization": f"Bearer {TOKEN}"}
        detail = requests.get(f"{server.url}/api/runs/{run_id}", headers=auth, timeout=10)
        assert detail.status_code == 200 and detail.json()["run"]["state"] == "failed", detail.text
        listing = requests.get(f"{server.url}/api/runs", headers=auth, timeout=10)
        answers = [reply.text, detail.text, listing.text]
        logs = "\n".join(line["line"] for line in detail.json()["logs"])
        assert crm.url in logs and DOMAIN in logs  # not secrets: readable in the stored log
    finally:
        server.stop(timeout=20)
    _assert_the_secrets_were_sent(crm)
    shown = pyfn("runs", "show", run_id, project, "--db", db or server.db, "--states")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    answers += [shown.stdout + shown.stderr, server.output()]
    return server, run_id, answers


def test_served_run_leaves_no_secret_in_the_sqlite_store_the_api_or_the_logs(project, crm, tmp_path):
    server, run_id, answers = _serve_and_sweep(project, tmp_path, crm)
    assert [leaks(text) for text in answers] == [[]] * len(answers)
    files = [path for path in server.db.parent.iterdir() if path.name.startswith(server.db.name)]
    assert files and all(leaks(path.read_bytes()) == [] for path in files)
    store = open_db(server.db)
    try:
        assert store.get_run(run_id).steps[1].error["details"]["body"]["echo"]["headers"]
    finally:
        store.close()


def test_served_run_leaves_no_secret_in_a_postgresql_dump(project, crm, tmp_path, pg_url):
    from tests.postgres import find_bindir

    _, _, answers = _serve_and_sweep(project, tmp_path, crm, pg_url)
    assert [leaks(text) for text in answers] == [[]] * len(answers)
    dump = subprocess.run([os.path.join(find_bindir(), "pg_dump"), "--data-only", pg_url],
                          capture_output=True, timeout=60)
    assert dump.returncode == 0, dump.stderr
    assert b"token rejected: ****" in dump.stdout and leaks(dump.stdout) == []
