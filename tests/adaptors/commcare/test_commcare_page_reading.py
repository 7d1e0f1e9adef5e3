"""Parsing a page leaves Python's cycle collector as it found it."""

from __future__ import annotations

import gc

import pytest

from adaptors.commcare import fetch_cases, get
from runtime.testing.destination import DestinationAPI
from runtime.testing.recording import Response

from .conftest import configuration

PATH = "/a/demo/api/v0.5/case/"
CASES = [{"id": f"c{n}", "indexed_on": f"2024-05-02T10:00:{n:02d}.000000Z", "properties": {}} for n in range(7)]


class _HQ:
    """HQ's v0.5 case list over ``CASES`` (inclusive ``indexed_on_start``)."""

    def __call__(self, request) -> Response:
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
