"""Helpers of the schedule, retry, concurrency, retention, API and page tests: projects written on the fly."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from .conftest import ROOT


def write_project(root: Path, workflows: dict[str, str], jobs: dict[str, str] | None = None) -> Path:
    """A project folder with ``workflows/<name>`` and ``jobs/<name>`` files (texts are dedented)."""
    for folder, files in (("workflows", workflows), ("jobs", jobs or {})):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (root / folder / name).write_text(textwrap.dedent(text).lstrip())
    return root


def pyfn(*args, env=None, timeout=60) -> subprocess.CompletedProcess:
    """``pyfn ARGS`` as a user runs it."""
    return subprocess.run([sys.executable, "-m", "runtime.cli", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def runs_of(store, workflow: str, **filters) -> list:
    """The workflow's runs, oldest first."""
    return list(reversed(store.list_runs(workflow, limit=500, **filters)))


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one moment (an end at the same time as a start does not overlap it)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals],
                    key=lambda event: (event[0], event[1]))
    open_now = most = 0
    for _, change in events:
        open_now += change
        most = max(most, open_now)
    return most
