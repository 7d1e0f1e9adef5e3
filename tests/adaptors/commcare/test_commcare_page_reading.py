"""Reading pages: a pull asks HQ for the next page while the job handles the page in hand, yet the
job sees pages, log lines and errors in page order; parsing a page leaves Python's cycle collector
as it found it."""

from __future__ import annotations

import gc
import sys
import threading

import pytest

from adaptors.commcare import client, fetch_cases, get
from adaptors.commcare.errors import CommCareHTTPError
from runtime.testing.destination import DestinationAPI
from runtime.testing.recording import Response

from .conftest import configuration

PATH = "/a/demo/api/v0.5/case/"
CASES = [{"id": f"c{n}", "indexed_on": f"2024-05-02T10:00:{n:02d}.000000Z", "properties": {}} for n in range(7)]


class _HQ:
    """HQ's v0.5 case list over ``CASES`` (inclusive ``indexed_on_start``); request ``fail_at`` (1-based) is a 500."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at, self.asked = fail_at, []
        self.second_asked = threading.Event()

    def __call__(self, request) -> Response:
        self.asked.append(request.query.get("indexed_on_start"))
        if len(self.asked) >= 2:
            self.second_asked.set()
        if len(self.asked) == self.fail_at:
            return Response(500, "Internal Server Error")
        start, limit = request.query.get("indexed_on_start"), int(request.query["limit"])
        found = [c for c in CASES if start is None or c["indexed_on"][:-1] >= start]
        return {"meta": {"limit": limit, "offset": 0, "total_count": len(found),
                         "next": "more" if len(found) > limit else None}, "objects": found[:limit]}


def _config(api) -> dict:
    return {**configuration(api), "domain": "demo", "retries": False}


def _pull(hq: _HQ, each_page, **options) -> dict:
    with DestinationAPI() as api:
        api.route("GET", PATH, hq)
        return fetch_cases(limit=3, each_page=each_page, progress=False, **options)({"configuration": _config(api)})


def _helpers_alive() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("pyfn-commcare-pages")]


def test_the_next_page_is_asked_for_while_the_job_handles_this_one():
    hq, seen = _HQ(), []

    def each_page(state):
        seen.append(([c["id"] for c in state["data"]], hq.second_asked.wait(10)))
        return state

    state = _pull(hq, each_page)
    assert seen[0] == (["c0", "c1", "c2"], True)  # page 2 was asked for before page 1 was handled
    assert [ids for ids, _ in seen] == [["c0", "c1", "c2"], ["c3", "c4"], ["c5", "c6"]]
    assert state["data"]["count"] == 7 and state["cursor"] == "2024-05-02T10:00:06.000000Z"
    assert not _helpers_alive()


def test_an_error_on_the_next_page_comes_after_the_page_in_hand_was_handled(cc_log):
    hq, seen = _HQ(fail_at=3), []

    def each_page(state):
        seen.append([c["id"] for c in state["data"]])
        return state

    with pytest.raises(CommCareHTTPError) as caught:
        _pull(hq, each_page)
    assert caught.value.status_code == 500 and seen == [["c0", "c1", "c2"], ["c3", "c4"]]
    statuses = [r.getMessage().rsplit(" - ", 1)[1].split()[0] for r in cc_log.records if r.getMessage().startswith("GET")]
    assert statuses == ["200", "200", "500"] and not _helpers_alive()


def test_a_job_stopping_on_a_page_leaves_no_request_under_way():
    hq = _HQ()

    def each_page(state):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        _pull(hq, each_page)
    asked = len(hq.asked)  # page 2 may have been asked for (then answered and dropped), never page 3
    assert asked in (1, 2) and not _helpers_alive()


def test_a_page_the_job_let_go_is_gone_before_the_next_one_is_parsed(monkeypatch):
    held, counts = [], []  # the job keeps each page; the adaptor must keep none once it moved on
    read = client.Answer.read

    def spy(answer, *args, **kwargs):
        if held:  # references to the last page and its first case: the job's, and getrefcount's own
            counts.append((sys.getrefcount(held[-1]), sys.getrefcount(held[-1][0])))
        return read(answer, *args, **kwargs)

    monkeypatch.setattr(client.Answer, "read", spy)
    _pull(_HQ(), lambda state: held.append(state["data"]) or state)  # the state handed back holds the page too
    assert len(held) == 3 and counts == [(2, 2), (2, 2)]


@pytest.mark.parametrize("enabled", [True, False], ids=["collector on", "collector turned off by the job"])
def test_parsing_pages_leaves_the_cycle_collector_as_it_was(enabled):
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        _pull(_HQ(), lambda state: state)
        assert gc.isenabled() is enabled
        with DestinationAPI() as api:
            api.route("GET", "/a/demo/api/v0.5/user/", Response(200, "{not json", {"Content-Type": "application/json"}))
            with pytest.raises(Exception, match="Error parsing the response body"):
                get("user")({"configuration": _config(api)})
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
