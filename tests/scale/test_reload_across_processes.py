"""Live reload on a shared PostgreSQL store: a server and a worker watching one project converge on one version."""

from __future__ import annotations

import textwrap

import pytest
import requests

from runtime.store import open_store

from .procs import Server, Worker, wait_until

pytestmark = pytest.mark.slow  # end to end: real processes, seconds each

WORKFLOW = """
    steps:
      - id: map
        job: ../jobs/map.py
    triggers:
      - {type: webhook, path: forms}
"""


def job(label: str) -> str:
    return f"fn(lambda state: {{**state, 'data': {{'made_by': '{label}'}}}})\n"


def test_a_server_and_a_worker_reload_one_edit_and_the_worker_runs_the_new_version(pg_url, tmp_path):
    root = tmp_path / "project"
    for folder, name, text in (("workflows", "hook.yaml", textwrap.dedent(WORKFLOW).lstrip()),
                               ("jobs", "map.py", job("one"))):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / name).write_text(text)
    server = Server(tmp_path, "server", pg_url, "--no-workers", project=root).start()
    worker = Worker(tmp_path, "worker", pg_url, "--workers", "1", project=root).start()
    store = open_store(pg_url)
    try:
        old = requests.get(f"{server.url}/health", timeout=5).json()["reload"]["versions"]["hook"]
        wait_until(lambda: [v.get("hook") for v in store.member_versions().values()] == [old, old],
                   message=lambda: f"{store.member_versions()}\n{server.output()}\n{worker.output()}")
        (root / "jobs" / "map.py").write_text(job("two"))
        versions = wait_until(lambda: (found := {v["hook"] for v in store.member_versions().values()})
                              and len(found) == 1 and old not in found and found,
                              message=lambda: f"{store.member_versions()}\n{server.output()}\n{worker.output()}")
        answer = server.post("forms", {"n": 1})
        assert answer.status_code == 201, answer.text
        run_id = answer.json()["run_id"]
        run = wait_until(lambda: (r := store.get_run(run_id)) is not None and r.run.final and r, timeout=60,
                         message=lambda: worker.output())
        assert run.final_state["data"] == {"made_by": "two"} and {run.run.version} == versions
        assert f"reloaded: workflow hook version {old} -> {run.run.version}" in worker.output()
    finally:
        store.close()
        server.stop()
        worker.stop()
