"""Two webhook servers fire one cron schedule: each scheduled time fires once, whichever server gets there first.

Both servers run the same fast clock (``tests/server/serve_on_clock.py``, same origin), so they try to fire the
same times at the same moments; the store's unique firing key lets one win, the other logs
that another server fired it. A worker runs the firings, so each next one starts from the last
one's output (the cursor), as on one machine.
"""

from __future__ import annotations

import re
import textwrap
import time
from collections import Counter

import pytest

from runtime.store import open_store

from .procs import Server, Worker, wait_until

pytestmark = pytest.mark.slow  # end to end: real processes, seconds each

TICKER = """\
    name: ticker
    triggers:
      - type: cron
        schedule: "* * * * *"
        cursor_step: count
        state: {data: {n: 0}}
    steps:
      - id: count
        expression: |
          fn(lambda state: {**state, "data": {"n": state["data"]["n"] + 1}})
"""
FIRED = re.compile(r"cron cron of ticker fired for (\S+): run")
TAKEN = re.compile(r"cron cron of ticker for (\S+) was fired by another server")


def both_took_part(servers) -> bool:
    """Each server fired a schedule or found one fired, and some time was found fired by the other one."""
    outputs = [server.output() for server in servers]
    return all(FIRED.search(text) or TAKEN.search(text) for text in outputs) and \
        any(TAKEN.search(text) for text in outputs)


def test_one_cron_schedule_fires_once_across_two_servers(pg_url, tmp_path):
    project = tmp_path / "project"
    (project / "workflows").mkdir(parents=True)
    (project / "workflows" / "ticker.yaml").write_text(textwrap.dedent(TICKER))
    clock = f"speed=60,origin={time.time()}"  # a clock minute per real second: "* * * * *" every second
    servers = [Server(tmp_path, f"server-{n}", pg_url, "--no-workers", project=project) for n in range(2)]
    worker = Worker(tmp_path, "worker", pg_url, "--workers", "1", project=project)
    for server in servers:
        server.clock = clock
    store = open_store(pg_url)
    try:
        worker.start()
        for server in servers:
            server.start()
        wait_until(lambda: store.counts("ticker").get("success", 0) >= 4 and both_took_part(servers), timeout=60,
                   message=lambda: f"{store.counts('ticker')}\n{servers[0].output()}\n{servers[1].output()}")
        for server in servers:
            assert server.stop() == 0
        wait_until(lambda: not {"available", "claimed", "started"} & set(store.counts("ticker")), timeout=20)
        runs = sorted(store.list_runs("ticker", limit=100), key=lambda run: run.inserted_at)
        inputs = [store.get_run(run.id).input["data"]["n"] for run in runs]
    finally:
        store.close()
        worker.stop()
    fired = Counter(time for server in servers for time in FIRED.findall(server.output()))
    taken = {time for server in servers for time in TAKEN.findall(server.output())}
    assert fired and max(fired.values()) == 1, f"a schedule fired twice: {fired}"
    assert len(runs) == len(fired) and {run.state for run in runs} == {"success"}, "one run per firing"
    assert all(FIRED.search(server.output()) or TAKEN.search(server.output()) for server in servers)
    assert taken and taken <= set(fired), "the other server found each of those times already fired"
    assert inputs == list(range(len(runs))), "each firing starts from the last one's output"
