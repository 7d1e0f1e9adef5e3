"""Incremental pulls: indexed_on order, the inclusive bound's overlap dropped by id, resuming from the cursor."""

from __future__ import annotations

import pytest

from adaptors.commcare import PaginationLoopError, fetch_cases, fetch_forms, http, submit_form
from adaptors.commcare.paging import IndexedOnPager, canonical_time

XMLNS = "http://openrosa.org/formdesigner/pyfn-tests/incremental"


def _store_cases(hq):
    with hq.store.lock:
        return {c: rec["indexed"] for c, rec in hq.store.cases.items()}


def test_fetch_cases_pulls_every_case_once_across_many_pages(run, config, hq, cc_log):
    state = run(config, fetch_cases(limit=13))
    ids = [c["id"] for c in state["data"]]
    assert len(ids) == len(set(ids)) == len(_store_cases(hq))
    stamps = [c["indexed_on"] for c in state["data"]]
    assert stamps == sorted(stamps) and state["cursor"] == canonical_time(stamps[-1])
    assert state["cursor"].endswith("Z") and len(state["cursor"]) == 27 and state["cursor_ids"] == [ids[-1]]
    sent = [r.getMessage() for r in cc_log.records if r.getMessage().startswith("GET ")]
    assert "order_by=indexed_on" in sent[0] and "indexed_on_start" not in sent[0]
    assert f"indexed_on_start={stamps[12][:-1].replace(':', '%3A')}" in sent[1]


def test_runs_resume_from_the_cursor_with_documents_written_between_runs(run, fresh_config, fresh_hq):
    first = run(fresh_config, fetch_cases(case_type="patient", limit=10))
    assert first["data"] and all(c["properties"]["case_type"] == "patient" for c in first["data"])
    again = run(fresh_config, fetch_cases(case_type="patient", limit=10), state=first)
    assert again["data"] == [] and again["cursor"] == first["cursor"]
    changed = first["data"][3]["id"]
    run(fresh_config, http.request("PUT", f"case/v2/{changed}", {"properties": {"status": "moved"}}))
    created = run(fresh_config, submit_form(XMLNS, {}, case=[{"case_type": "patient", "case_name": f"New {n}"}
                                                              for n in range(25)]))["data"]["case_ids"]
    run(fresh_config, submit_form(XMLNS, {}, case={"case_type": "household", "case_name": "Not a patient"}))
    third = run(fresh_config, fetch_cases(case_type="patient", limit=10), state=again)
    assert [c["id"] for c in third["data"]] == [changed, *created]
    assert third["data"][0]["properties"]["status"] == "moved" and third["cursor"] > again["cursor"]
    assert run(fresh_config, fetch_cases(case_type="patient", limit=10), state=third)["data"] == []


def test_fetch_forms_by_xmlns_resumes_under_its_own_cursor_key(run, fresh_config, fresh_hq):
    run(fresh_config, submit_form(XMLNS, {"n": 1}), submit_form("http://other/xmlns", {"n": 2}))
    first = run(fresh_config, fetch_forms(xmlns=XMLNS, cursor_key="forms_cursor"))
    assert [f["form"]["n"] for f in first["data"]] == ["1"] and "cursor" not in first
    assert first["forms_cursor_ids"] == [first["data"][0]["id"]]
    run(fresh_config, submit_form(XMLNS, {"n": 3}), submit_form(XMLNS, {"n": 4}))
    second = run(fresh_config, fetch_forms(xmlns=XMLNS, cursor_key="forms_cursor"), state=first)
    assert [f["form"]["n"] for f in second["data"]] == ["3", "4"]


def test_since_until_and_resume_false(run, config, hq):
    everything = run(config, fetch_forms(limit=1000))["data"]
    middle = everything[len(everything) // 2]
    since = run(config, fetch_forms(since=middle["indexed_on"]))["data"]
    assert since[0]["id"] == middle["id"] and len(since) == len(everything) - len(everything) // 2
    until = run(config, fetch_forms(until=middle["indexed_on"]))["data"]
    assert until[-1]["id"] == middle["id"]
    state = {"cursor": everything[-1]["indexed_on"], "cursor_ids": [everything[-1]["id"]]}
    assert run(config, fetch_forms(since="2000-01-01"), state=state)["data"] == []
    assert len(run(config, fetch_forms(since="2000-01-01", resume=False), state=state)["data"]) == len(everything)


def test_each_page_streams_and_still_moves_the_cursor(run, config, hq):
    state = run(config, fetch_cases(limit=50, each_page=lambda s: {**s, "n": s.get("n", 0) + len(s["data"])}))
    assert state["n"] == state["data"]["count"] == len(_store_cases(hq))
    assert state["data"]["cursor"] == state["cursor"] and state["data"]["pages"] == 1 + -(-(state["n"] - 50) // 49)


class _Server:
    """HQ's indexed_on listing over given documents, ties included (inclusive start, ordered)."""

    def __init__(self, docs):
        self.docs = sorted(docs, key=lambda d: (d["indexed_on"], d["id"]))

    def answer(self, query):
        start = query.get("indexed_on_start")
        found = [d for d in self.docs if start is None or d["indexed_on"][:-1] >= start]
        limit, offset = query["limit"], query.get("offset", 0)
        return {"meta": {"limit": limit, "offset": offset, "total_count": len(found),
                         "next": "more" if len(found) > offset + limit else None},
                "objects": found[offset:offset + limit]}


def _pull(server, since=None, boundary=(), limit=3):
    pager, got = IndexedOnPager("/x/", {}, since=since, boundary_ids=boundary, limit=limit), []
    while not pager.finished:
        _, query = pager.request()
        got += pager.advance(server.answer(query))
    return got, pager


def _doc(doc_id, second):
    return {"id": doc_id, "indexed_on": f"2024-05-02T10:00:{second:02d}.000000Z"}


def test_ties_at_a_page_boundary_are_dropped_by_id_not_by_time():
    docs = [_doc("a", 1), _doc("b", 2), _doc("c", 2), _doc("d", 2), _doc("e", 3), _doc("f", 3)]
    got, pager = _pull(_Server(docs))
    assert [d["id"] for d in got] == ["a", "b", "c", "d", "e", "f"]
    assert pager.cursor == "2024-05-02T10:00:03.000000Z" and pager.boundary == {"e", "f"}
    late = _doc("g", 3)  # written later but with the same indexed_on as the cursor
    resumed, _ = _pull(_Server(docs + [late, _doc("h", 4)]), since=pager.cursor, boundary=pager.boundary)
    assert [d["id"] for d in resumed] == ["g", "h"]


def test_more_ties_than_a_page_are_stepped_over_with_an_offset():
    docs = [_doc(i, 5) for i in "abcdefg"] + [_doc("z", 6)]
    got, pager = _pull(_Server(docs), limit=2)
    assert [d["id"] for d in got] == list("abcdefgz") and pager.boundary == {"z"}


class _StuckServer(_Server):
    def answer(self, query):
        return {"meta": {"limit": 2, "offset": 0, "total_count": 9, "next": "more"}, "objects": self.docs[:2]}


def test_a_server_repeating_itself_is_a_loop_error_not_an_endless_pull():
    with pytest.raises(PaginationLoopError) as caught:
        _pull(_StuckServer([_doc("a", 1), _doc("b", 1)]), limit=2)
    assert "indexed_on" in caught.value.fix


def test_fetch_forms_passes_params_such_as_include_archived(run, fresh_config, fresh_hq):
    form_id = run(fresh_config, submit_form(XMLNS, {"n": 1}))["data"]["form_id"]
    fresh_hq.archive_form(form_id)
    assert run(fresh_config, fetch_forms(xmlns=XMLNS))["data"] == []
    archived = run(fresh_config, fetch_forms(xmlns=XMLNS, params={"include_archived": "true"}))["data"]
    assert [f["id"] for f in archived] == [form_id] and archived[0]["archived"] is True


def test_a_stale_boundary_id_does_not_skip_a_tied_document():
    docs = [_doc("g", 3), _doc("h", 3), _doc("i", 3), _doc("j", 4)]  # "a" was at :03 last run, has moved since
    got, _ = _pull(_Server(docs), since="2024-05-02T10:00:03.000000Z", boundary={"a"}, limit=3)
    assert [d["id"] for d in got] == ["g", "h", "i", "j"]


@pytest.mark.parametrize("docs, limit", [
    ([_doc("a", 1), _doc("b", 2), _doc("c", 2), _doc("d", 2), _doc("e", 2)], 3),  # the tie crosses a page boundary
    ([_doc("a", 1)] + [_doc(i, 2) for i in "bcdefgh"], 2),                         # a tie of 7, longer than a page
], ids=["tie across pages", "tie longer than a page"])
def test_a_resumed_pull_over_unchanged_data_yields_nothing_when_the_last_tie_spans_pages(docs, limit):
    got, pager = _pull(_Server(docs), limit=limit)
    assert [d["id"] for d in got] == [d["id"] for d in docs]
    tied = {d["id"] for d in docs if d["indexed_on"] == docs[-1]["indexed_on"]}
    assert pager.boundary == tied  # every document at the cursor's time, from every page it spanned
    resumed, again = _pull(_Server(docs), since=pager.cursor, boundary=pager.boundary, limit=limit)
    assert resumed == [] and again.cursor == pager.cursor and again.boundary == tied
    newer = _doc("z", 3)
    resumed, _ = _pull(_Server(docs + [newer]), since=pager.cursor, boundary=pager.boundary, limit=limit)
    assert resumed == [newer]
