"""Generated cases (``--generate-cases``) are served exactly as the same cases stored would be."""

from __future__ import annotations

import pytest
import requests

from hq_simulator import CommCareSimulator

PATHS = [
    "/a/demo/api/v0.5/case/?limit=5&order_by=indexed_on",
    "/a/demo/api/v0.5/case/?limit=5&offset=5&order_by=-server_date_modified",
    "/a/demo/api/v0.5/case/?limit=4&order_by=date_modified&type=patient&closed=false",
    "/a/demo/api/v0.5/case/?limit=50&closed=true",
    "/a/demo/api/v0.5/case/?limit=3&external_id=HH-0000002&child_cases__full=true",
    "/a/demo/api/v0.5/case/?limit=6&indexed_on_start=2024-01-01T00:03:00",
    "/a/demo/api/case/v2/?limit=4",
    "/a/demo/api/case/v2/?limit=4&case_type=patient&closed=false",
    "/a/demo/api/case/v2/ext/HH-0000003/",
    "/a/demo/api/case/v2/ext/HH-9999999/",
]


def _body(hq: CommCareSimulator, path: str) -> tuple[int, str]:
    answer = requests.get(hq.url + path, headers=hq.auth_header, timeout=10)
    return answer.status_code, answer.text.replace(hq.url, "HQ")


def _walk_v2(hq: CommCareSimulator) -> list[str]:
    url, seen = f"{hq.url}/a/demo/api/case/v2/?limit=4", []
    while url:
        page = requests.get(url, headers=hq.auth_header, timeout=10).json()
        seen += [case["case_id"] for case in page["cases"]]
        url = page.get("next")
    return seen


def test_generated_cases_are_served_as_the_same_cases_stored():
    with CommCareSimulator(generate_cases=23, generate_seed=5) as generated, CommCareSimulator() as stored:
        cases = [generated.store.generator.record(i) for i in range(23)]
        stored.store.restore([], cases, clock=cases[-1]["indexed"])
        ids = [case["case_id"] for case in cases]
        paths = PATHS + [f"/a/demo/api/v0.5/case/{ids[4]}/?child_cases__full=true",
                         f"/a/demo/api/case/v2/{ids[5]},{ids[22]},nope/", f"/a/demo/api/case/v2/{ids[1]}/"]
        for path in paths:
            assert _body(generated, path) == _body(stored, path), path
        assert _walk_v2(generated) == _walk_v2(stored) == ids
        assert len(set(ids)) == 23 and sum(case["closed"] for case in cases) >= 1


def test_same_seed_same_cases_other_seed_other_cases():
    with CommCareSimulator(generate_cases=9) as one, CommCareSimulator(generate_cases=9) as two, \
            CommCareSimulator(generate_cases=9, generate_seed=2) as other:
        assert _body(one, PATHS[0]) == _body(two, PATHS[0]) != _body(other, PATHS[0])
        assert one.summary()["counts"]["cases"] == 9
        assert _body(one, f"/a/demo/api/v0.5/case/{other.store.generator.case_id(3)}/")[0] == 404


def test_generated_cases_are_read_only():
    with CommCareSimulator(generate_cases=4) as hq:
        case_id = hq.store.generator.case_id(1)
        xml = (f'<data xmlns="http://x"><case xmlns="http://commcarehq.org/case/transaction/v2" case_id="{case_id}">'
               '<update><status>moved</status></update></case><n:meta xmlns:n="http://openrosa.org/jr/xforms">'
               '<n:instanceID>f-1</n:instanceID></n:meta></data>')
        assert hq.submit(xml).status == "failure"
        assert hq.summary()["counts"]["forms"] == 0
        assert requests.get(f"{hq.url}/a/demo/api/case/v2/{case_id}/", headers=hq.auth_header,
                            timeout=10).json()["properties"]["status"] != "moved"
    with pytest.raises(ValueError):
        CommCareSimulator(generate_cases=4, state_file="hq.json")
