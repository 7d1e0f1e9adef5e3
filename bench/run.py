"""Run every benchmark case against its peer and print one table of pyfn vs peer ratios.

    .venv/bin/python bench/run.py                  # every case, 5 runs per side
    .venv/bin/python bench/run.py --runs 3 --only cold_start,each_fn --no-append
    .venv/bin/python bench/run.py --only ingest_floor,history   # run only when named
    .venv/bin/python bench/run.py --only history --sizes 10000,100000 --pg-sizes 0

The peers are installed on first use (``bench/peers.py``). Each case checks that pyfn and its peer
reach the same final state (or extract the same rows) before timing them, and stops loudly if not.
The table, with the machine's description, is appended to ``bench/results.md`` unless
``--no-append``. Benchmarks print figures; they are never timed tests.
"""

from __future__ import annotations

import argparse
import compileall
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.cases import CASES, ON_REQUEST  # noqa: E402
from bench.race import Check, Context, Outcome  # noqa: E402
from bench.report import append_results, machine, table  # noqa: E402


def _options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per side (default 5)")
    parser.add_argument("--only", default="", help=f"comma-separated cases among: {', '.join(CASES)}")
    parser.add_argument("--no-append", action="store_true", help="do not append the table to bench/results.md")
    parser.add_argument("--sizes", help="history case: the SQLite store's sizes (default 10000,100000,1000000)")
    parser.add_argument("--pg-sizes", help="history case: the PostgreSQL store's sizes (0: none)")
    options = parser.parse_args(argv)
    for variable, sizes in (("PYFN_BENCH_HISTORY_SIZES", options.sizes), ("PYFN_BENCH_HISTORY_PG_SIZES",
                                                                         options.pg_sizes)):
        if sizes:
            os.environ[variable] = sizes
    options.cases = ([c.strip() for c in options.only.split(",") if c.strip()]
                     or [c for c in CASES if c not in ON_REQUEST])
    unknown = set(options.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    return options


def _precompile() -> None:
    """Write pyfn's ``.pyc`` files, as ``pip install`` does for an installed package.

    An editable install is not byte-compiled, and with ``PYTHONDONTWRITEBYTECODE`` set every
    ``pyfn`` process would compile the modules changed since the last write again.
    """
    for package in ("runtime", "adaptors"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


def _run_case(name: str, context: Context) -> list[Outcome]:
    """Run one case (one or more rows); a case that cannot run fairly is a failed row, the others still run."""
    try:
        result = CASES[name](context)
    except Exception as error:  # noqa: BLE001 - reported in the table and the exit code
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"  {name}: FAILED: {error}", flush=True)
        return [Outcome(name, checks=[Check("runs", f"failed: {first_line[:160]}", False)])]
    return result if isinstance(result, list) else [result]


def main(argv: list[str] | None = None) -> int:
    """Run the chosen cases; print the table; return 1 if a target is missed, else 0."""
    options = _options(argv)
    _precompile()
    print(f"pyfn benchmarks on {machine()}", flush=True)
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="pyfn-bench-") as scratch:
        for name in options.cases:
            print(f"{name}:", flush=True)
            workdir = Path(scratch) / name
            workdir.mkdir()
            context = Context(runs=options.runs, workdir=workdir, log=lambda line: print(line, flush=True))
            outcomes.extend(_run_case(name, context))
    print()
    print(table(outcomes))
    if not options.no_append:
        print(f"\nappended to {append_results(outcomes, options.runs)}")
    missed = [c for o in outcomes for c in o.all_checks() if not c.met]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
