"""``pyfn commcare serve`` (here ``python -m hq_simulator serve``): help, banner, serving."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import requests
from typer.testing import CliRunner

from hq_simulator.cli import app


def test_help_explains_every_option():
    output = CliRunner().invoke(app, ["serve", "--help"], terminal_width=200).output
    for option in ("--host", "--port", "--seed", "--domain", "--state-file", "--forwarding-speedup",
                   "--forwarding-timeout", "--latency", "--error-rate", "--rate-limit", "--forward-forms",
                   "--forward-cases", "--forward-case-types", "--forward-auth"):
        assert option in output


def test_serve_prints_url_and_credentials_and_serves(receiver, tmp_path):
    state_file = tmp_path / "hq.json"
    process = subprocess.Popen([sys.executable, "-m", "hq_simulator", "serve", "--port", "0", "--seed", "50",
                                "--forward-cases", receiver.url, "--forward-case-types", "patient",
                                "--forward-auth", "openfn:secret", "--state-file", str(state_file)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 20
        while not any("Ctrl-C" in line for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, "".join(lines)
            lines.append(process.stdout.readline())
        banner = "".join(lines)
        url = re.search(r"http://127\.0\.0\.1:\d+", banner).group(0)
        for text in ("demo@example.com", "password: demo", "demo-api-key", "demo-app", "domain): demo"):
            assert text in banner
        response = requests.get(f"{url}/a/demo/api/v0.5/case/", auth=("demo@example.com", "demo"))
        assert response.json()["meta"]["total_count"] == 50
        assert f"forwarding cases to {receiver.url}" in banner
        requests.post(f"{url}/a/demo/api/case/v2/", auth=("demo@example.com", "demo"),
                      json={"case_type": "patient", "case_name": "Forwarded", "owner_id": "o"})
        deadline = time.monotonic() + 5
        while not receiver.requests:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert receiver.json_bodies()[0]["properties"]["case_name"] == "Forwarded"
        assert receiver.requests[0]["headers"]["Authorization"].startswith("Basic ")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "Stopping." in process.stdout.read() and state_file.exists()  # SIGTERM stops cleanly and saves


def _pyfn_commcare(hq, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runtime.cli", "commcare", *args, "--hq", hq.url],
                          capture_output=True, text=True, timeout=60)


def test_pyfn_commcare_adds_a_forwarder_lists_deliveries_and_replays_one(fresh_hq, fresh_api, receiver):
    added = _pyfn_commcare(fresh_hq, "forward", "case", receiver.url + "/cases", "--auth", "openfn:secret",
                           "--case-type", "patient")
    assert added.returncode == 0, added.stderr
    forwarder = next(iter(fresh_hq.forwarding.forwarders.values()))
    assert added.stdout.strip() == f"forwarder {forwarder['id']} sends cases to {receiver.url}/cases"
    assert forwarder["case_types"] == ["patient"] and len(fresh_hq.forwarding.connections) == 1
    fresh_api.post("/a/demo/api/case/v2/", json={"case_type": "patient", "case_name": "Zoë", "owner_id": "o"})
    record = fresh_hq.wait_for_records(1, "SUCCESS")[0]
    listed = _pyfn_commcare(fresh_hq, "deliveries", "--state", "SUCCESS")
    assert listed.returncode == 0 and listed.stdout.splitlines()[-1] == "1 record(s)"
    assert listed.stdout.startswith(f"{record['id']}  SUCCESS  case {record['payload_id']}  1 attempts  last: 200")
    replayed = _pyfn_commcare(fresh_hq, "replay", record["id"])
    assert replayed.returncode == 0 and replayed.stdout.strip() == f"{record['id']} SUCCESS after 2 attempts"
    assert len(receiver.requests) == 2 and receiver.requests[0]["body"] == receiver.requests[1]["body"]
    assert receiver.requests[1]["headers"]["Authorization"] == "Basic b3BlbmZuOnNlY3JldA=="


def test_pyfn_commcare_says_what_went_wrong(fresh_hq):
    missing = _pyfn_commcare(fresh_hq, "replay", "no-such-record")
    assert missing.returncode == 1 and "returned 404" in missing.stderr
    wrong_key = _pyfn_commcare(fresh_hq, "deliveries", "--api-key", "wrong")
    assert wrong_key.returncode == 1 and "returned 401" in wrong_key.stderr


def test_the_readmes_pyfn_commcare_serve_serves_until_stopped():
    process = subprocess.Popen([sys.executable, "-m", "runtime.cli", "commcare", "serve", "--port", "0",
                                "--seed", "5"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 30
        while not any("Ctrl-C" in line for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, "".join(lines)
            lines.append(process.stdout.readline())
        url = re.search(r"http://127\.0\.0\.1:\d+", "".join(lines)).group(0)
        answer = requests.get(f"{url}/a/demo/api/v0.5/case/", auth=("demo@example.com", "demo"), timeout=10)
        assert answer.status_code == 200 and answer.json()["meta"]["total_count"] == 5
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0, process.stdout.read()
