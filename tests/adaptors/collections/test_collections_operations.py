"""The collections operations on a real run store, a SQLite file and a PostgreSQL database: get, set, remove, each,
patterns, paging, limits."""

from __future__ import annotations

import pytest

from adaptors.collections import (CollectionNotFound, CollectionsUnavailable, InvalidKey, InvalidQuery,
                                  ValueTooLarge, collections, use_store)
from adaptors.collections.store import MAX_KEY_LENGTH, MAX_VALUE_BYTES
from runtime.store.collections import StoreCollections


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    """A fresh run store (SQLite file, PostgreSQL database) with an empty ``crm-ids`` collection, plugged in."""
    location = tmp_path / "state" / "pyfn.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    store = StoreCollections(location)
    store.create("crm-ids")
    with use_store(store):
        yield store
    store.close()


def run(operation, state=None):
    return operation(state if state is not None else {"data": {}, "references": []})


def fill(count, prefix="case-"):
    items = [{"case_id": f"{prefix}{i:03}", "crm_id": i} for i in range(count)]
    run(collections.set("crm-ids", lambda item: item["case_id"], items))


def test_set_one_value_then_get_it_writes_the_value_to_data(store):
    state = run(collections.set("crm-ids", "case-1", {"crm_id": 7}))
    assert state == {"data": {}, "references": []}
    assert run(collections.get("crm-ids", "case-1"))["data"] == {"crm_id": 7}


def test_get_a_missing_key_gives_an_empty_object_as_openfn(store, caplog):
    state = run(collections.get("crm-ids", "case-404"))
    assert state["data"] == {}
    assert 'Key "case-404" not found in "crm-ids"' in caplog.text


def test_get_reads_lazy_name_and_key_from_state(store):
    run(collections.set("crm-ids", "case-9", 9))
    state = run(collections.get(lambda s: s["name"], lambda s: s["data"]["case_id"]),
                {"name": "crm-ids", "data": {"case_id": "case-9"}})
    assert state["data"] == 9


def test_a_pattern_gets_every_match_in_key_order_as_key_value_items(store):
    fill(12)
    run(collections.set("crm-ids", "other", 1))
    state = run(collections.get("crm-ids", "case-00*"))
    assert [item["key"] for item in state["data"]] == [f"case-00{i}" for i in range(10)]
    assert state["data"][3] == {"key": "case-003", "value": {"case_id": "case-003", "crm_id": 3}}
    assert state["collection_cursor"] is None


def test_patterns_match_star_anywhere_and_nothing_else_is_a_wildcard(store):
    for key in ("a_b", "axb", "a%b", "a[b", "a?b", "A_B", "x-a_b-y"):
        run(collections.set("crm-ids", key, key))
    keys = lambda pattern: [i["key"] for i in run(collections.get("crm-ids", pattern))["data"]]  # noqa: E731
    assert keys("a_*") == ["a_b"]
    assert keys("a%*") == ["a%b"]
    assert keys("a[*") == ["a[b"]
    assert keys("a?*") == ["a?b"]
    assert keys("*a_b*") == ["a_b", "x-a_b-y"]
    assert keys("*") == sorted(["a_b", "axb", "a%b", "a[b", "a?b", "A_B", "x-a_b-y"])


def test_a_limit_stops_early_and_the_cursor_fetches_the_next_page(store):
    fill(25)
    first = run(collections.get("crm-ids", {"key": "case-*", "limit": 10, "page_size": 4}))
    assert [i["value"]["crm_id"] for i in first["data"]] == list(range(10))
    assert first["collection_cursor"]
    second = run(collections.get("crm-ids", {"key": "case-*", "cursor": first["collection_cursor"], "limit": 10}))
    assert [i["value"]["crm_id"] for i in second["data"]] == list(range(10, 20))
    last = run(collections.get("crm-ids", {"key": "case-*", "cursor": second["collection_cursor"]}))
    assert [i["value"]["crm_id"] for i in last["data"]] == list(range(20, 25))
    assert last["collection_cursor"] is None


def test_a_limit_of_exactly_what_is_left_gives_no_cursor(store):
    fill(5)
    assert run(collections.get("crm-ids", {"key": "*", "limit": 5}))["collection_cursor"] is None


def test_time_filters_read_dates_as_whole_days_and_accept_openfn_camel_case(store):
    fill(3)
    today, = {store.page("crm-ids", parse("*"), 1).items[0][2][:10]}
    assert len(run(collections.get("crm-ids", {"created_after": "2000-01-01"}))["data"]) == 3
    assert run(collections.get("crm-ids", {"createdAfter": today}))["data"] == []  # after the end of today
    assert run(collections.get("crm-ids", {"created_before": today}))["data"] == []  # before its start
    assert len(run(collections.get("crm-ids", {"updated_before": "2999-01-01T00:00:00Z"}))["data"]) == 3
    assert run(collections.get("crm-ids", {"updated_after": "2999-01-01T00:00:00+02:00"}))["data"] == []


def parse(query):
    from adaptors.collections.store import parse_query

    return parse_query(query)


def test_set_upserts_many_in_one_call_keeping_created_at(store):
    fill(3)
    created = store.page("crm-ids", parse("case-001"), 1).items[0][2]
    run(collections.set("crm-ids", lambda item, state, index: f"case-{index:03}",
                        [{"crm_id": 100}, {"crm_id": 101}, {"crm_id": 102}, {"crm_id": 103}]))
    values = {i["key"]: i["value"] for i in run(collections.get("crm-ids", "*"))["data"]}
    assert values == {f"case-{i:03}": {"crm_id": 100 + i} for i in range(4)}
    key, _, created_after, updated_after = store.page("crm-ids", parse("case-001"), 1).items[0]
    assert created_after == created and updated_after >= created


def test_the_key_function_gets_value_state_and_index(store):
    seen = []
    run(collections.set("crm-ids", lambda value, state, index: seen.append((value, state["tag"], index)) or str(index),
                        ["a", "b"]), {"tag": "t"})
    assert seen == [("a", "t", 0), ("b", "t", 1)]


def test_one_set_with_a_key_twice_keeps_the_last_value(store):
    run(collections.set("crm-ids", lambda item: item["k"], [{"k": "x", "v": 1}, {"k": "x", "v": 2}]))
    assert run(collections.get("crm-ids", "x"))["data"] == {"k": "x", "v": 2}


def test_a_string_key_with_a_list_stores_the_list_as_one_value(store):
    run(collections.set("crm-ids", "facilities", ["f-1", "f-2"]))
    assert run(collections.get("crm-ids", "facilities"))["data"] == ["f-1", "f-2"]


def test_a_failing_set_writes_nothing(store):
    with pytest.raises(InvalidKey):
        run(collections.set("crm-ids", lambda item: item.get("id"), [{"id": "ok"}, {"no": "id"}]))
    assert run(collections.get("crm-ids", "*"))["data"] == []


def test_remove_one_key_or_a_pattern(store):
    fill(12)
    run(collections.remove("crm-ids", "case-000"))
    run(collections.remove("crm-ids", "case-01*"))
    assert [i["key"] for i in run(collections.get("crm-ids", "*"))["data"]] == [f"case-00{i}" for i in range(1, 10)]
    run(collections.remove("crm-ids", {"key": "*", "created_before": "2999-01-01"}))
    assert run(collections.get("crm-ids", "*"))["data"] == []


def test_each_calls_back_with_state_value_and_key_and_writes_the_cursor(store):
    fill(2500)

    def add(state, value, key):
        state["total"] = state.get("total", 0) + value["crm_id"]
        state.setdefault("keys", []).append(key)

    state = run(collections.each("crm-ids", "case-*", add))
    assert state["total"] == sum(range(2500))
    assert state["keys"] == sorted(state["keys"]) and len(state["keys"]) == 2500
    assert state["data"] == {"cursor": None}
    limited = run(collections.each("crm-ids", {"key": "case-*", "limit": 3}, add))
    assert limited["keys"] == ["case-000", "case-001", "case-002"] and limited["data"]["cursor"]


def test_a_missing_collection_is_a_clear_error_for_every_operation(store):
    for operation in (collections.get("nope", "k"), collections.get("nope", "k*"), collections.set("nope", "k", 1),
                      collections.remove("nope", "k"), collections.each("nope", "*", lambda *a: None)):
        with pytest.raises(CollectionNotFound, match="Collection 'nope' not found") as caught:
            run(operation)
        assert "pyfn collections create nope" in caught.value.fix


def test_an_oversized_value_is_refused_and_one_at_the_limit_is_kept(store):
    at_limit = "x" * (MAX_VALUE_BYTES - 2)  # plus the two quotes of the JSON string
    run(collections.set("crm-ids", "big", at_limit))
    assert run(collections.get("crm-ids", "big"))["data"] == at_limit
    with pytest.raises(ValueTooLarge, match="1048577 bytes of JSON; the limit is 1048576"):
        run(collections.set("crm-ids", "bigger", at_limit + "x"))


@pytest.mark.parametrize("key, message", [
    ("", "non-empty string"),
    ("k" * (MAX_KEY_LENGTH + 1), "256 characters long"),
    ("a*b", "cannot contain '\\*'"),
    (7, "must be a string"),
])
def test_bad_keys_are_clear_errors(store, key, message):
    with pytest.raises(InvalidKey, match=message):
        run(collections.set("crm-ids", key, 1))


def test_a_key_function_returning_a_non_string_is_a_clear_error(store):
    with pytest.raises(InvalidKey, match="returned 7 for item 0"):
        run(collections.set("crm-ids", lambda item: item["id"], [{"id": 7}]))


def test_a_key_at_the_length_limit_works(store):
    key = "k" * MAX_KEY_LENGTH
    run(collections.set("crm-ids", key, 1))
    assert run(collections.get("crm-ids", key))["data"] == 1


def test_bad_queries_are_clear_errors(store):
    with pytest.raises(InvalidQuery, match="Unknown collection query option"):
        run(collections.get("crm-ids", {"key": "*", "sort": "desc"}))
    with pytest.raises(InvalidQuery, match="not an ISO 8601"):
        run(collections.get("crm-ids", {"created_after": "last tuesday"}))
    with pytest.raises(InvalidQuery, match="positive integer"):
        run(collections.get("crm-ids", {"key": "*", "limit": 0}))
    with pytest.raises(InvalidQuery, match="Not a collection cursor"):
        run(collections.get("crm-ids", {"key": "*", "cursor": "%%%"}))


def test_values_that_are_not_json_are_refused(store):
    with pytest.raises(TypeError, match="is not JSON"):
        run(collections.set("crm-ids", "k", {1, 2}))


def test_without_a_store_plugged_in_operations_say_how_to_get_one():
    with pytest.raises(CollectionsUnavailable, match="not available in this run"):
        run(collections.get("crm-ids", "k"))


def test_a_key_read_from_state_in_a_job_is_a_lazy_key_not_a_key_function(store, tmp_path):
    from runtime.compiler import compile_job
    from runtime.job import load_job
    from runtime.linker import link, resolve_adaptor

    namespace = link(resolve_adaptor("http"))
    source = 'collections.set("crm-ids", state["data"]["case_id"], state["data"])\n'
    operation, = load_job(compile_job(source, str(tmp_path / "job.py"), namespace), namespace)
    operation.fn({"data": {"case_id": "case-5", "crm_id": 5}})
    assert store.get("crm-ids", "case-5") == '{"case_id":"case-5","crm_id":5}'
