"""Streaming: pages handed to each_page and forgotten keep memory flat; progress bar or log lines."""

from __future__ import annotations

import gc
import io
import logging
import re
import tracemalloc

import pytest

from adaptors.commcare import fetch_cases, list_cases
from adaptors.commcare.progress import Progress
from hq_simulator import CommCareSimulator

CASES = 20_000


@pytest.fixture(scope="module")
def big_hq():
    with CommCareSimulator(seed=CASES) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def big_config(big_hq):
    return {"hostUrl": big_hq.url, "domain": "demo", "appId": "demo-app", "username": "demo@example.com",
            "apiKey": "demo-api-key"}


def _traced(run, config, operation):
    """(state, peak bytes) of one run, traced by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        state = run(config, operation)
        return state, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("pull", [
    lambda each_page: list_cases({"limit": 1000}, each_page=each_page, progress=False),
    lambda each_page: fetch_cases(limit=1000, each_page=each_page, progress=False),
], ids=["list_cases", "fetch_cases"])
@pytest.mark.slow
def test_streaming_20k_cases_keeps_the_tracemalloc_peak_flat(run, big_config, pull):
    run(big_config, pull(lambda state: None))  # warm the simulator's JSON cache (it shares our process)
    during: list[int] = []

    def each_page(state):
        during.append(tracemalloc.get_traced_memory()[0])
        return {**state, "seen": state.get("seen", 0) + len(state["data"])}

    streamed, stream_peak = _traced(run, big_config, pull(each_page))
    kept, keep_peak = _traced(run, big_config, pull(None))
    assert streamed["seen"] == streamed["data"]["count"] == len(kept["data"]) == CASES
    assert stream_peak < keep_peak / 4 and stream_peak < 20_000_000, (stream_peak, keep_peak)
    assert max(during[1:]) - during[1] < 3_000_000, during  # no growth from page to page


def test_progress_logs_a_line_per_page_off_a_terminal(run, config, cc_log):
    run(config, list_cases({"limit": 100, "case_type": "patient"}))
    lines = [r.getMessage() for r in cc_log.records if r.getMessage().startswith("cases: page")]
    assert len(lines) >= 2
    assert re.fullmatch(r"cases: page 1, 100/\d+ \(\d+%\), \d+/s", lines[0]), lines[0]
    assert re.search(r", (\d+)/\1 \(100%\), \d+/s$", lines[-1]), lines[-1]


def test_progress_can_be_turned_off(run, config, cc_log):
    run(config, list_cases({"limit": 100}, progress=False))
    assert not [r for r in cc_log.records if "page" in r.getMessage()]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_draws_a_bar_on_a_terminal(caplog):
    caplog.set_level(logging.INFO, logger="pyfn.adaptor.commcare")
    terminal = _Terminal()
    progress = Progress("cases", stream=terminal)
    progress.page(500, total=1000)
    progress.page(500, total=1000)
    progress.done()
    text = terminal.getvalue()
    assert text.startswith("\rcases [###############---------------] 500/1000 (50%), ")
    assert "\rcases [##############################] 1000/1000 (100%)" in text and text.endswith("\n")
    assert not caplog.records
