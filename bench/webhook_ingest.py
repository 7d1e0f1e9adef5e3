"""How many forwarded CommCare forms per second ``pyfn serve`` accepts, and how fast it answers.

Run: .venv/bin/python bench/webhook_ingest.py [--count 10000] [--clients 4] [--workers N] [--drain]

Starts ``pyfn serve`` on a temporary project (one webhook with basic auth and ``dedupe: $.id``,
a one-step mapping job), posts ``--count`` form JSON payloads as HQ's data forwarding sends them
from ``--clients`` keep-alive connections as fast as it answers, then prints accepted deliveries
per second and latency percentiles, and checks that every accepted delivery is in the run store.
``--workers 0`` measures ingest alone; by default the runs execute meanwhile, on the same cores.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from runtime.testing.waiting import free_port

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORKFLOW = """\
name: ingest
credentials: {forwarding: {username: commcare, password: bench-secret}}
triggers:
  - {type: webhook, path: forms, auth: {type: basic, credential: forwarding}, dedupe: "$.id"}
steps:
  - id: map
    expression: |
      fn(lambda state: {**state, "data": {"id": state["data"]["id"],
                                          "household": state["data"]["form"]["hh_name"]}})
"""
AUTH = "Basic " + base64.b64encode(b"commcare:bench-secret").decode()


def form_payload(form_id: str) -> bytes:
    """A registration form as HQ's form forwarder posts it (form JSON, about 1.3 kB)."""
    return json.dumps({
        "id": form_id, "domain": "demo", "app_id": "demo-app", "build_id": "demo-app-build-12", "archived": False,
        "type": "data", "version": "12", "uiversion": "1", "received_on": "2024-05-02T10:15:43.120000Z",
        "server_modified_on": "2024-05-02T10:15:43.120000Z", "indexed_on": "2024-05-02T10:15:43.121000Z",
        "edited_on": None, "edited_by_user_id": None, "is_phone_submission": True,
        "initial_processing_complete": True, "problem": None, "submit_ip": "41.90.64.10",
        "form": {"#type": "data", "@xmlns": "http://openrosa.org/formdesigner/pyfn-demo/register-household",
                 "@name": "Register Household", "@uiVersion": "1", "@version": "12", "hh_name": "Otieno",
                 "village": "Kondele", "hh_size": "2",
                 "members": [{"name": "Zoë Otieno", "sex": "female", "dob": "1990-04-01"},
                             {"name": "Baraka Otieno", "sex": "male", "dob": "2015-09-12"}],
                 "meta": {"instanceID": form_id, "userID": "b1d2", "username": "chw1",
                          "timeStart": "2024-05-02T10:10:43.120000Z", "timeEnd": "2024-05-02T10:15:43.120000Z"}},
        "metadata": {"instanceID": form_id, "userID": "b1d2", "username": "chw1", "deviceID": "commcare_b1d2",
                     "timeStart": "2024-05-02T10:10:43.120000Z", "timeEnd": "2024-05-02T10:15:43.120000Z",
                     "appVersion": "CommCare Android, version 2.53.1. App v12.", "location": None},
        "attachments": {}, "resource_uri": ""}).encode()


def start_server(project: Path, port: int, workers: int | None) -> subprocess.Popen:
    args = [sys.executable, "-m", "runtime.cli", "serve", str(project), "--port", str(port)]
    if workers is not None:
        args += ["--workers", str(workers)]
    return spawn_until_healthy(args, port, project / "serve.log")


def spawn_until_healthy(args: list[str], port: int, log_path: Path) -> subprocess.Popen:
    """Start ``args`` (output to ``log_path``) and wait until ``GET /health`` on ``port`` answers 200."""
    process = subprocess.Popen(args, cwd=ROOT, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"{' '.join(map(str, args[1:4]))} did not start:\n{log_path.read_text()}")


def countdown(count: int):
    """A ``more`` for :func:`client`: true ``count`` times."""
    left = [count]

    def more() -> bool:
        left[0] -= 1
        return left[0] >= 0
    return more


def client(port: int, more, latencies: list, accepted: list, errors: list, timeout: float = 30) -> None:
    """Post forms on one keep-alive connection while ``more()`` is true: latencies (s), run ids, refusals."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.connect()
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    headers = {"Content-Type": "application/json", "Authorization": AUTH, "received-on": "2024-05-02T10:15:43Z"}
    while more():
        body = form_payload(str(uuid.uuid4()))
        began = time.perf_counter()
        connection.request("POST", "/i/forms?app_id=demo-app", body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        latencies.append(time.perf_counter() - began)
        if response.status == 201:
            accepted.append(json.loads(answer)["run_id"])
        else:
            errors.append(response.status)
    connection.close()


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its descendants, with the children they reaped (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue  # it ended meanwhile
        total += sum(int(value) for value in fields[11:15]) / tick
        pending += [int(child) for child in children]
    return total


def verify(db: Path, run_ids: list[str]) -> int:
    """How many accepted deliveries are missing from the store (must be 0)."""
    from runtime.store import open_store

    store = open_store(db)
    try:
        return sum(store.get_run(run_id) is None for run_id in run_ids)
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="deliveries to post")
    parser.add_argument("--clients", type=int, default=4, help="concurrent keep-alive connections")
    parser.add_argument("--workers", type=int, default=None, help="pyfn serve --workers (default: cores)")
    parser.add_argument("--drain", action="store_true", help="also wait for every run to finish")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pyfn-bench-") as folder:
        project = Path(folder)
        (project / "workflows").mkdir()
        (project / "workflows" / "ingest.yaml").write_text(WORKFLOW)
        if not measure(project, options):
            raise SystemExit(1)


def drive(port: int, count: int, clients: int, who: str) -> list[str]:
    """Post ``count`` forms from ``clients`` keep-alive connections, print the figures; the accepted run ids."""
    latencies: list[float] = []
    accepted: list[str] = []
    errors: list[int] = []
    threads = [threading.Thread(target=client, args=(port, countdown(count // clients), latencies, accepted, errors))
               for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report(who, clients, accepted, errors, latencies, time.perf_counter() - started)
    return accepted


def measure(project: Path, options: argparse.Namespace) -> bool:
    """Post, report, check the store; whether nothing was lost."""
    port = free_port()
    server = start_server(project, port, options.workers)
    workers = options.workers if options.workers is not None else os.cpu_count()
    started, cpu_before = time.perf_counter(), tree_cpu_seconds(server.pid)
    accepted = drive(port, options.count, options.clients, f"pyfn serve with {workers} worker(s)")
    if options.drain:
        drain(project / "state" / "pyfn.db", len(accepted), started)
        used = tree_cpu_seconds(server.pid) - cpu_before
        print(f"CPU: {used * 1000 / max(1, len(accepted)):.1f} ms per delivery and its run (the server, its "
              f"forkserver and the runs' processes; load average {os.getloadavg()[0]:.1f})")
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)
    missing = verify(project / "state" / "pyfn.db", accepted)
    print(f"lost: {missing} of {len(accepted)} accepted deliveries missing from the store")
    return missing == 0


def report(who: str, clients: int, accepted, errors, latencies, elapsed) -> None:
    ordered = sorted(latencies)
    p50, p99 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{len(accepted):,} deliveries accepted in {elapsed:.2f} s by {who}, "
          f"{clients} client connection(s), {os.cpu_count()} core(s)")
    print(f"throughput: {len(accepted) / elapsed:,.0f} accepted deliveries/s")
    print(f"latency: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms, "
          f"mean {statistics.fmean(ordered) * 1000:.1f} ms")
    if errors:
        print(f"refused: {len(errors)} ({sorted(set(errors))})")


def drain(db: Path, total: int, started: float) -> None:
    from runtime.store import FINAL_STATES, open_store

    store = open_store(db)
    try:
        while True:
            counts = store.counts()
            done = sum(n for state, n in counts.items() if state in FINAL_STATES)
            if done >= total:
                break
            time.sleep(0.2)
        took = time.perf_counter() - started
        print(f"runs: all {total:,} finished {took:.1f} s after the first delivery ({total / took:,.0f} runs/s); "
              f"{counts}")
    finally:
        store.close()


if __name__ == "__main__":
    main()
