"""Where a served run's CPU goes: runs of the bench's one-step workflow supervised one after another.

Run: .venv/bin/python bench/run_overhead.py [--count 300]

Prints milliseconds of CPU per run for: the fork (the forkserver's own CPU), the run's process (its
whole life: start, load, run, report, exit; the forkserver's reaped children), the supervisor (reading
the pipe, recording steps and logs, checking limits) and the record (the claim and the finish in the store).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.webhook_ingest import WORKFLOW, form_payload  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _forkserver_cpu() -> tuple[float, float]:
    """The forkserver's own CPU seconds and its reaped children's."""
    from multiprocessing import forkserver

    fields = Path(f"/proc/{forkserver._forkserver._forkserver_pid}/stat").read_text().rsplit(")", 1)[1].split()
    own, children = (int(fields[11]) + int(fields[12])) / TICK, (int(fields[13]) + int(fields[14])) / TICK
    return own, children


def measure(count: int) -> dict[str, float]:
    """CPU ms per run for each part (see the module docstring)."""
    from runtime.store import open_store
    from runtime.worker.supervisor import Limits, Supervisor, forkserver_context

    folder = Path(tempfile.mkdtemp(prefix="pyfn-overhead-"))
    (folder / "workflows").mkdir()
    workflow = folder / "workflows" / "ingest.yaml"
    workflow.write_text(WORKFLOW)
    store = open_store(folder / "pyfn.db")
    store.register_worker("bench")
    supervisor = Supervisor(store, forkserver_context([str(workflow)]), Limits(), collections=str(folder / "pyfn.db"))
    for number in range(count + 20):
        store.accept("ingest", "forms", {"data": json.loads(form_payload(f"form-{number}"))})
    parts = {"supervisor": 0.0, "record": 0.0}

    def one() -> None:
        began = time.thread_time()
        claimed = store.claim("bench")
        claimed_at = time.thread_time()
        outcome = supervisor.run(claimed, str(workflow), threading.Event())
        ran_at = time.thread_time()
        store.finish(claimed.id, outcome.state, outcome.error_type, outcome.final_state, outcome.webhook_response)
        parts["supervisor"] += ran_at - claimed_at
        parts["record"] += time.thread_time() - ran_at + claimed_at - began
        if outcome.state != "success":
            raise SystemExit(f"a run ended {outcome.state}")
    for _ in range(20):
        one()
    parts = {"supervisor": 0.0, "record": 0.0}
    own, children = _forkserver_cpu()
    for _ in range(count):
        one()
    own_after, children_after = _forkserver_cpu()
    store.close()
    return {"fork": (own_after - own) * 1000 / count, "run's process": (children_after - children) * 1000 / count,
            "supervisor": parts["supervisor"] * 1000 / count, "record": parts["record"] * 1000 / count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="runs to supervise")
    figures = measure(parser.parse_args().count)
    total = sum(figures.values())
    print("per-run CPU: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in figures.items())
          + f"; total {total:.1f} ms (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
