"""A race: the same job run by pyfn and by its peer, alternately, on the same input and servers.

Each side runs once to warm up (page cache, ``.pyc`` files, npm's module cache); those outputs are
compared (volatile keys ignored, see ``measure.normalise``) and a difference stops the case. Then
the sides alternate ``runs`` times, so drift on a busy machine hits both alike.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from .measure import Series, assert_same_state, run_process

__all__ = ["JOBS", "Check", "Context", "Outcome", "pyfn_command", "race"]

ROOT = Path(__file__).resolve().parents[1]
JOBS = ROOT / "bench" / "jobs"
Command = Callable[[Path], Sequence[str]]  # output path -> argv


@dataclass
class Context:
    """What every case gets: how many runs, and a scratch folder of its own."""

    runs: int
    workdir: Path
    log: Callable[[str], None] = print


@dataclass
class Check:
    """One figure checked against its target: ``"p99 < 50 ms"`` → ``"12.3 ms"``, met or not."""

    target: str
    value: str
    met: bool


@dataclass
class Outcome:
    """A case's result: both series (the peer's may be missing), ratio targets and extra checks."""

    case: str
    pyfn: Series | None = None
    peer: Series | None = None
    peer_name: str = "—"
    time_target: float | None = None
    rss_target: float | None = None
    checks: list[Check] = field(default_factory=list)
    note: str = ""

    @property
    def time_ratio(self) -> float | None:
        return self.pyfn.median / self.peer.median if self.pyfn and self.peer else None

    @property
    def rss_ratio(self) -> float | None:
        return self.pyfn.peak_mib / self.peer.peak_mib if self.pyfn and self.peer else None

    def all_checks(self) -> list[Check]:
        """The ratio targets as checks, then the case's own."""
        found = []
        if self.time_target is not None and self.time_ratio is not None:
            found.append(Check(f"time ≤ {self.time_target}×", f"{self.time_ratio:.2f}×",
                               self.time_ratio <= self.time_target))
        if self.rss_target is not None and self.rss_ratio is not None:
            found.append(Check(f"RSS ≤ {self.rss_target}×", f"{self.rss_ratio:.2f}×",
                               self.rss_ratio <= self.rss_target))
        return found + self.checks


def pyfn_command(job: Path, adaptor: str, state: Path | None) -> Command:
    """``pyfn execute job -a adaptor -s state -o <output>`` with this interpreter's ``pyfn``."""
    script = Path(sys.executable).parent / "pyfn"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "runtime.cli"]

    def command(output: Path) -> list[str]:
        args = [*head, "execute", str(job), "-a", adaptor, "-o", str(output)]
        return args + (["-s", str(state)] if state else [])

    return command


def race(ctx: Context, case: str, ours: Command, theirs: Command, *, compare: bool = True,
         cwd: Path = ROOT) -> tuple[Series, Series]:
    """Warm up both sides, compare their outputs, then run them alternately ``ctx.runs`` times."""
    out_ours, out_theirs = ctx.workdir / f"{case}.pyfn.json", ctx.workdir / f"{case}.peer.json"
    run_process(ours(out_ours), cwd=cwd)
    run_process(theirs(out_theirs), cwd=cwd)
    if compare:
        assert_same_state(case, out_ours, out_theirs)
        ctx.log(f"  {case}: final states are equal")
    pyfn, peer = Series("pyfn"), Series("peer")
    for _ in range(ctx.runs):
        pyfn.samples.append(run_process(ours(out_ours), cwd=cwd))
        peer.samples.append(run_process(theirs(out_theirs), cwd=cwd))
    ctx.log(f"  {case}: pyfn {pyfn.describe()} | peer {peer.describe()}")
    return pyfn, peer
