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
