"""The one table of pyfn vs peer figures, the machine it ran on, and ``bench/results.md``."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import subprocess
from pathlib import Path

from .race import Outcome

__all__ = ["machine", "table", "append_results"]

RESULTS = Path(__file__).resolve().parent / "results.md"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 ** 2:.1f} GiB"
    except OSError:
        pass
    return "unknown memory"


def _node_version() -> str:
    node = shutil.which("node")
    if node is None:
        return "no Node"
    return subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()


def machine() -> str:
    """``2 cores (nproc), AMD EPYC, 23.5 GiB, Linux 6.1, Python 3.11.7, Node v20.20.2``."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{cores} cores (nproc), {_cpu_model()}, {_memory_gib()}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, Node {_node_version()}")


def _cell(outcome: Outcome, side: str) -> str:
    series = getattr(outcome, side)
    if series is None:
        return "—"
    times = series.times
    return f"{series.median:.3f} s ({min(times):.3f}–{max(times):.3f}), {series.peak_mib:.0f} MiB"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def table(outcomes: list[Outcome]) -> str:
    """A markdown table: one row per case, pyfn and peer figures, ratios, targets and whether met."""
    lines = ["| case | pyfn: median (min–max), peak RSS | peer | peer: median (min–max), peak RSS "
             "| time pyfn/peer | RSS pyfn/peer | targets | met |",
             "|---|---|---|---|---|---|---|---|"]
    for outcome in outcomes:
        checks = outcome.all_checks()
        targets = "; ".join(f"{c.target}: {c.value}" for c in checks) or outcome.note or "—"
        met = "—" if not checks else ("yes" if all(c.met for c in checks) else
                                      "**no**: " + ", ".join(c.target for c in checks if not c.met))
        lines.append(f"| {outcome.case} | {_cell(outcome, 'pyfn')} | {outcome.peer_name} | {_cell(outcome, 'peer')} "
                     f"| {_ratio(outcome.time_ratio)} | {_ratio(outcome.rss_ratio)} | {targets} | {met} |")
    return "\n".join(lines)


def append_results(outcomes: list[Outcome], runs: int, path: Path = RESULTS) -> Path:
    """Append this run's table, with the date and the machine, to ``bench/results.md``."""
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = (f"\n### {when}\n\n{machine()}; {runs} runs per side, whole processes "
               f"(wall time from start to exit, peak RSS from wait4).\n\n{table(outcomes)}\n")
    notes = [f"- {o.case}: {o.note}" for o in outcomes if o.note]
    if notes:
        section += "\n" + "\n".join(notes) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(section)
    return path
