"""Timing whole processes and comparing final states: the two things every case does.

A run is one child process, timed from fork to exit, with its own peak resident set size taken
from ``os.wait4`` (the rusage of that one child, so runs never blur into each other, which
``getrusage(RUSAGE_CHILDREN)``'s running maximum would). A :class:`Series` of runs gives the
median, the min–max range and the peak RSS.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

__all__ = ["BenchError", "Sample", "Series", "run_process", "normalise", "assert_same_state"]

# Keys whose values change from run to run and are ignored when comparing final states.
VOLATILE_KEYS = frozenset({"duration", "date", "last-modified", "keep-alive"})


class BenchError(RuntimeError):
    """A benchmark could not run fairly (a process failed, the two final states differ...)."""


@dataclass
class Sample:
    """One process run: wall seconds, peak RSS in KiB, exit code and what it printed."""

    seconds: float
    rss_kib: int
    returncode: int
    output: str


@dataclass
class Series:
    """Several runs of the same command."""

    label: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def times(self) -> list[float]:
        return [s.seconds for s in self.samples]

    @property
    def median(self) -> float:
        """The median wall time in seconds."""
        return statistics.median(self.times)

    @property
    def peak_mib(self) -> float:
        """The largest peak RSS of any run, in MiB."""
        return max(s.rss_kib for s in self.samples) / 1024

    def describe(self) -> str:
        """``0.091 s (0.088–0.097), 19 MiB``."""
        return f"{self.median:.3f} s ({min(self.times):.3f}–{max(self.times):.3f}), {self.peak_mib:.0f} MiB"


# Linux keeps a process's peak RSS across exec, and a child forked from the bench (which may hold
# 100 MB of rows by then) starts with the bench's peak. So a small launcher (``python -S``, ~8 MB)
# forks the command from its own small memory and times it; it reports through a file.
_LAUNCHER = """
import json, os, sys, time
result, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(result, "w") as handle:
    json.dump([seconds, usage.ru_maxrss], handle)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_process(argv: Sequence[str], *, cwd: str | Path | None = None, env: dict | None = None,
                timeout: float = 900) -> Sample:
    """Run ``argv`` to completion; return its wall time, peak RSS and output (stdout + stderr).

    Raises:
        BenchError: the process exits non-zero or runs past ``timeout`` seconds.
    """
    with tempfile.TemporaryFile() as log, tempfile.NamedTemporaryFile(suffix=".json") as result:
        process = subprocess.Popen([sys.executable, "-S", "-c", _LAUNCHER, result.name, *map(str, argv)],
                                   cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        timer = threading.Timer(timeout, lambda: os.killpg(process.pid, signal.SIGKILL))
        timer.start()
        try:
            returncode = process.wait()
        finally:
            timer.cancel()
        log.seek(0)
        output = log.read().decode("utf-8", "replace")
        figures = Path(result.name).read_text()
    if returncode != 0 or not figures:
        raise BenchError(f"{' '.join(map(str, argv))} exited {returncode}:\n{output[-3000:]}")
    seconds, rss_kib = json.loads(figures)
    return Sample(seconds, rss_kib, returncode, output)


def normalise(value: Any) -> Any:
    """``value`` without the keys that differ between runs (durations, ``date`` headers...)."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items() if k.lower() not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def _first_difference(a: Any, b: Any, path: str = "state") -> str | None:
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: only in {'pyfn' if key in a else 'the peer'}"
            found = _first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        return next((d for i, (x, y) in enumerate(zip(a, b))
                     if (d := _first_difference(x, y, f"{path}[{i}]"))), None)
    return None if a == b else f"{path}: {a!r:.80} vs {b!r:.80}"


def assert_same_state(case: str, pyfn_output: Path, peer_output: Path) -> None:
    """Fail loudly unless the two output files hold the same state (volatile keys ignored)."""
    ours = normalise(json.loads(Path(pyfn_output).read_text(encoding="utf-8")))
    theirs = normalise(json.loads(Path(peer_output).read_text(encoding="utf-8")))
    difference = _first_difference(ours, theirs)
    if difference:
        raise BenchError(f"{case}: pyfn and the peer ended in different states ({difference}); "
                         f"see {pyfn_output} and {peer_output}")
