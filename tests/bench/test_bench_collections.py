"""``bench/collections.py`` runs end to end on small figures (a functional check, never a timed test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_collections_benchmark_prints_throughput_and_each_memory():
    result = subprocess.run([sys.executable, "bench/collections.py", "--items", "300", "--each", "2000"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "store: SQLite"
    assert [line.split()[0:2] for line in lines[1:3]] == [["set", "300"], ["get", "(pattern)"]]
    assert "each        2,000 in" in result.stdout and "(flat is ~1.0)" in lines[-1]
