"""The seeded demo project (deterministic, realistic) and saving/loading the state file."""

from __future__ import annotations

from collections import Counter

import requests

from hq_simulator import CommCareSimulator


def test_same_seed_same_project():
    first, second = CommCareSimulator(seed=120), CommCareSimulator(seed=120)
    assert list(first.store.cases) == list(second.store.cases)
    assert [f["doc"]["form"] for f in first.store.forms.values()] == [
        f["doc"]["form"] for f in second.store.forms.values()]
    assert list(CommCareSimulator(seed=121).store.cases) != list(first.store.cases)


def test_the_project_is_realistic(hq):
    cases = list(hq.store.cases.values())
    assert len(cases) == 300 and not hq.store.failed_forms
    types = Counter(c["case_type"] for c in cases)
    assert set(types) == {"household", "patient"} and types["patient"] > types["household"]
    assert any(c["closed"] for c in cases) and any(not c["closed"] for c in cases)
    patients = [c for c in cases if c["case_type"] == "patient"]
    assert all(hq.store.cases[p["indices"]["parent"]["case_id"]]["case_type"] == "household" for p in patients)
    assert any(not c["case_name"].isascii() for c in cases)
    assert len(hq.directory.users) >= 3 and len(hq.directory.locations) == 18


def test_seed_zero_is_an_empty_project_with_users_and_app():
    hq = CommCareSimulator(seed=0)
    assert not hq.store.cases and hq.directory.apps and hq.directory.users


def test_state_file_round_trip(tmp_path):
    path = str(tmp_path / "hq.json")
    with CommCareSimulator(seed=60, state_file=path) as hq:
        hq.add_user("saved@example.com", api_key="k2")
        created = requests.post(f"{hq.url}/a/demo/api/case/v2/", headers=hq.auth_header, json={
            "case_type": "patient", "case_name": "Émile", "owner_id": "o"}).json()
        before = requests.get(f"{hq.url}/a/demo/api/v0.5/case/?limit=1000", headers=hq.auth_header).json()
    with CommCareSimulator(seed=5, state_file=path) as again:  # the file wins over the seed
        headers = {"Authorization": "ApiKey saved@example.com:k2"}
        after = requests.get(f"{again.url}/a/demo/api/v0.5/case/?limit=1000", headers=headers).json()
        assert after["objects"] == before["objects"]
        assert requests.get(f"{again.url}/a/demo/api/v0.5/form/{created['form_id']}/", headers=headers).ok
        worker = next(iter(hq.directory.users))
        assert requests.get(f"{again.url}/a/demo/api/v0.5/user/{worker}/", headers=headers).json()["id"] == worker
        assert requests.get(f"{again.url}/a/demo/api/v0.5/fixture/?fixture_type=village", headers=headers).json()[
            "meta"]["total_count"] == 12
        later = requests.post(f"{again.url}/a/demo/api/case/v2/", headers=headers, json={
            "case_type": "patient", "case_name": "Later", "owner_id": "o"}).json()
        assert later["case"]["indexed_on"] > created["case"]["indexed_on"]
