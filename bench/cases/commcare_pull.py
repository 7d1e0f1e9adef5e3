"""Pull 100,000 cases from the HQ simulator: pyfn's ``fetch_cases`` job vs ``commcare-export`` 1.16.0.

Both page through ``/a/demo/api/v0.5/case/`` by ``indexed_on``, 1,000 cases a page, and extract
id, type, name and indexed_on per case. The peer is timed writing JSON (``--output-format json``),
as the issue asks; its 1.16.0 JSON writer keeps every row in memory and then prints only the table
headings, so the rows are checked on an untimed CSV export instead: pyfn's rows must be the same.
pyfn's peak RSS must be flat in N: it is measured again against a simulator of N/10 cases, and
against the simulator's generated cases (``--generate-cases``) at 10,000 and 1,000,000 cases.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

from ..measure import BenchError, Series, run_process
from ..peers import commcare_export
from ..race import JOBS, Check, Context, Outcome, pyfn_command
from ..servers import serve

__all__ = ["run"]

PAGE = 1000
FLAT_RSS = 1.25  # peak RSS at N over peak RSS at N/10: "flat" if at most this
FIELDS = [("id", "id"), ("type", "properties.case_type"), ("name", "properties.case_name"),
          ("indexed_on", "indexed_on")]


def _query(path: Path) -> Path:
    import openpyxl  # a pyfn dependency; commcare-export users write their queries in Excel

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cases"
    sheet.append(("Data Source", "Field", "Source Field"))
    for position, (name, source) in enumerate(FIELDS):
        sheet.append(("case" if position == 0 else None, name, source))
    book.save(path)
    return path


def _peer(url: str, query: Path, fmt: str, output: Path) -> list[str]:
    return [str(commcare_export()), "--commcare-hq", url, "--project", "demo", "--username", "demo@example.com",
            "--auth-mode", "apikey", "--password", "demo-api-key", "--query", str(query), "--no-logfile",
            "--batch-size", str(PAGE), "--output-format", fmt, "--output", str(output)]


def _state(ctx: Context, url: str, name: str) -> tuple[Path, Path]:
    rows = ctx.workdir / f"{name}.jsonl"
    state = ctx.workdir / f"{name}-state.json"
    state.write_text(json.dumps({"configuration": {"hostUrl": url, "domain": "demo", "appId": "bench",
                                                   "username": "demo@example.com", "apiKey": "demo-api-key"},
                                 "export_path": str(rows)}))
    return state, rows


def _check_rows(pyfn_rows: Path, export_zip: Path, expected: int) -> None:
    ours = sorted(tuple(json.loads(line)) for line in pyfn_rows.read_text(encoding="utf-8").splitlines())
    with zipfile.ZipFile(export_zip) as archive:
        reader = csv.reader(io.TextIOWrapper(archive.open("Cases.csv"), "utf-8"))
        next(reader)
        theirs = sorted(tuple(row) for row in reader)
    if len(ours) != expected or ours != theirs:
        raise BenchError(f"commcare pull: pyfn wrote {len(ours):,} rows and commcare-export {len(theirs):,} "
                         f"(expected {expected:,}), or their rows differ; see {pyfn_rows} and {export_zip}")


def _pyfn_series(ctx: Context, url: str, name: str, runs: int) -> Series:
    state, _ = _state(ctx, url, name)
    command = pyfn_command(JOBS / "commcare_pull.py", "commcare", state)(ctx.workdir / f"{name}.out.json")
    series = Series("pyfn")
    series.samples = [run_process(command) for _ in range(runs)]
    return series


def run(ctx: Context, count: int = 100_000) -> Outcome:
    """Race the pull at ``count`` cases, check the rows, then measure pyfn's RSS at ``count // 10``."""
    query = _query(ctx.workdir / "cases-query.xlsx")
    with serve("hq", "--cases", str(count)) as url:
        state, rows = _state(ctx, url, "pull")
        ours = pyfn_command(JOBS / "commcare_pull.py", "commcare", state)
        run_process(ours(ctx.workdir / "pull.out.json"))
        run_process(_peer(url, query, "csv", ctx.workdir / "export.zip"), cwd=ctx.workdir)
        _check_rows(rows, ctx.workdir / "export.zip", count)
        ctx.log(f"  commcare_pull: pyfn and commcare-export extracted the same {count:,} rows")
        pyfn, peer = Series("pyfn"), Series("peer")
        for _ in range(ctx.runs):
            pyfn.samples.append(run_process(ours(ctx.workdir / "pull.out.json")))
            peer.samples.append(run_process(_peer(url, query, "json", ctx.workdir / "export.json"),
                                            cwd=ctx.workdir))
        ctx.log(f"  commcare_pull: pyfn {pyfn.describe()} | peer {peer.describe()}")
    with serve("hq", "--cases", str(count // 10)) as url:
        small = _pyfn_series(ctx, url, "pull-small", max(2, ctx.runs // 2))
    growth = pyfn.peak_mib / small.peak_mib
    ctx.log(f"  commcare_pull: pyfn at {count // 10:,} cases {small.describe()}")
    flat = Check(f"pyfn RSS flat in N (RSS {count:,} / RSS {count // 10:,} ≤ {FLAT_RSS})",
                 f"{pyfn.peak_mib:.0f} / {small.peak_mib:.0f} MiB = {growth:.2f}", growth <= FLAT_RSS)
    return Outcome(f"pull {count:,} cases from the HQ simulator", pyfn, peer, "commcare-export 1.16.0 (JSON)",
                   time_target=0.25, checks=[flat, _million(ctx)])


def _million(ctx: Context) -> Check:
    """pyfn's peak RSS pulling 1,000,000 generated cases over its peak RSS pulling 10,000."""
    peaks = {}
    for cases in (10_000, 1_000_000):
        with serve("hq", "--cases", str(cases), "--generated") as url:
            series = _pyfn_series(ctx, url, f"pull-generated-{cases}", 1)
        peaks[cases] = series.peak_mib
        ctx.log(f"  commcare_pull: pyfn pulled {cases:,} generated cases in {series.median:.1f} s "
                f"({cases / series.median:,.0f} cases/s) at a peak RSS of {peaks[cases]:.0f} MiB")
    growth = peaks[1_000_000] / peaks[10_000]
    return Check(f"pyfn RSS at 1,000,000 generated cases / at 10,000 ≤ {FLAT_RSS}",
                 f"{peaks[1_000_000]:.0f} / {peaks[10_000]:.0f} MiB = {growth:.2f}", growth <= FLAT_RSS)
