"""The collections storage itself (runtime/store/collections*.py), on a SQLite file and a PostgreSQL database:
administration (names, create, delete, exists, require), patterns with every special character, time bounds,
cursors, closing and reopening, masking, and the JSON-lines format of import and export."""

from __future__ import annotations

import base64
import json
import os
import stat
from datetime import datetime, timedelta

import pytest

from adaptors.collections import CollectionExists, CollectionNotFound, InvalidKey, InvalidQuery
from adaptors.collections.store import MAX_KEY_LENGTH, Query
from runtime.store.collections import StoreCollections, check_name
from runtime.store.collections_io import batches, item_line, read_file, read_lines
from runtime.store.collections_sql import POSTGRES, SQLITE, decode_cursor, encode_cursor, where_clause


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    """A fresh store (SQLite file or PostgreSQL database) with no collection."""
    location = tmp_path / "state" / "pyfn.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = StoreCollections(location)
    yield opened
    opened.close()


def keys(store, pattern, **bounds):
    return [key for key, *_ in store.iterate("c", Query(key=pattern, **bounds))]


def test_names_counts_create_and_delete(store):
    assert store.names() == [] and not store.exists("b")
    store.create("b")
    store.create("a.1")
    store.set_many("b", [("k1", "1"), ("k2", "2")])
    listed = store.names()
    assert [(info.name, info.count) for info in listed] == [("a.1", 0), ("b", 2)]
    assert all(info.created_at.endswith("Z") and info.created_at[:2] == "20" for info in listed)
    assert store.exists("b") and store.exists("a.1") and not store.exists("B")
    with pytest.raises(CollectionExists, match="Collection 'b' exists already"):
        store.create("b")
    assert store.delete("b") == 2
    assert not store.exists("b") and [info.name for info in store.names()] == ["a.1"]
    store.create("b")  # the name is free again, and holds none of the old items
    assert store.get("b", "k1") is None


def test_every_operation_on_a_missing_collection_names_it_and_how_to_create_it(store):
    for call in (lambda: store.delete("nope"), lambda: store.require("nope"), lambda: store.get("nope", "k"),
                 lambda: store.set_many("nope", [("k", "1")]), lambda: store.remove("nope", Query(key="*")),
                 lambda: store.page("nope", Query(key="*"), 10)):
        with pytest.raises(CollectionNotFound) as caught:
            call()
        assert "Collection 'nope' not found" in str(caught.value)
        assert "pyfn collections create nope" in caught.value.fix
    with pytest.raises(CollectionNotFound):
        store.require(7)  # not a name at all
    store.create("here")
    store.require("here")


@pytest.mark.parametrize("name", ["a", "A9", "crm-ids", "x_y.z", "9", "a" * MAX_KEY_LENGTH])
def test_collection_names_that_are_accepted(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "-a", ".a", "_a", "a b", "a/b", "a*", "é", "a\n", "a" * (MAX_KEY_LENGTH + 1),
                                  7, None])
def test_collection_names_that_are_refused_say_how_to_name_one(store, name):
    with pytest.raises(InvalidKey) as caught:
        store.create(name)
    assert repr(name) in str(caught.value) and "letters, digits" in caught.value.fix


def test_patterns_match_only_what_they_say_whatever_the_special_characters(store):
    store.create("c")
    names = ["a%b", "a_b", "axb", "a\\b", "a?b", "a[b", "a[]b", "ab", "b", "a%", "a"]
    store.set_many("c", [(name, "1") for name in names])
    assert keys(store, "a%*") == ["a%", "a%b"]
    assert keys(store, "a_*") == ["a_b"]
    assert keys(store, "a\\*") == ["a\\b"]
    assert keys(store, "a?*") == ["a?b"]  # ? is no wildcard
    assert keys(store, "a[*") == ["a[]b", "a[b"]
    assert keys(store, "a*b") == sorted(n for n in names if n.startswith("a") and n.endswith("b") and len(n) >= 2)
    assert keys(store, "*b") == sorted(n for n in names if n.endswith("b"))
    assert keys(store, "*") == sorted(names)
    assert keys(store, "a?b") == ["a?b"] and keys(store, "a_b") == ["a_b"] and keys(store, "zz") == []


def test_time_bounds_exclude_the_moment_itself_and_keep_what_is_inside(store):
    store.create("c")
    store.set_many("c", [("k", "1")])
    (_, _, created, updated), = store.iterate("c", Query(key="*"))
    for column, moment in (("created", created), ("updated", updated)):
        at = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        before, after = (_iso(at - timedelta(milliseconds=1)), _iso(at + timedelta(milliseconds=1)))
        assert keys(store, "*", **{f"{column}_after": moment}) == []
        assert keys(store, "*", **{f"{column}_before": moment}) == []
        assert keys(store, "*", **{f"{column}_after": before, f"{column}_before": after}) == ["k"]
        assert keys(store, "*", **{f"{column}_after": after}) == [] and keys(store, "*", **{f"{column}_before": before}) == []


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_pages_follow_each_other_through_a_prefix_and_stop(store):
    store.create("c")
    store.set_many("c", [(f"p-{i:02}", str(i)) for i in range(7)] + [("o", "0"), ("q", "0")])
    page = store.page("c", Query(key="p-*"), 3)
    seen = [key for key, *_ in page.items]
    while page.cursor:
        assert decode_cursor(page.cursor) == seen[-1]
        page = store.page("c", Query(key="p-*", cursor=page.cursor), 3)
        seen += [key for key, *_ in page.items]
    assert seen == [f"p-{i:02}" for i in range(7)]
    one = store.page("c", Query(key="*"), 100)
    assert one.cursor is None and len(one.items) == 9
    exact = store.page("c", Query(key="*"), 9)
    assert exact.cursor is None and len(exact.items) == 9


def test_a_cursor_pyfn_did_not_make_is_refused_with_a_hint(store):
    store.create("c")
    for bad in ("%%%", "YQ", "/w=="):  # not base64, bad padding, not UTF-8
        with pytest.raises(InvalidQuery) as caught:
            store.page("c", Query(key="*", cursor=bad), 5)
        assert "Not a collection cursor" in str(caught.value) and "previous get or each" in caught.value.fix


@pytest.mark.parametrize("key", ["case-9", "ü?>", "\U0001f600~~~", "", "a" * 300])
def test_cursors_round_trip_any_key_and_use_url_safe_characters(key):
    cursor = encode_cursor(key)
    assert decode_cursor(cursor) == key and not set(cursor) & set("+/")


def test_a_cursor_with_the_url_safe_characters_is_read():
    key = ">?>?>?"  # its base64 has both - and _ in the URL-safe alphabet
    cursor = encode_cursor(key)
    assert "-" in cursor and "_" in cursor and cursor == base64.urlsafe_b64encode(key.encode()).decode()
    assert decode_cursor(cursor) == key


def test_the_where_clause_seeks_from_the_cursor_or_the_prefix():
    assert where_clause(SQLITE, "c", "k", []) == ("WHERE collection = ? AND key = ?", ["c", "k"])
    assert where_clause(POSTGRES, "c", "*", [("created_at", ">=", "t")]) == (
        "WHERE collection = %s AND created_at >= %s::timestamptz", ["c", "t"])
    assert where_clause(SQLITE, "c", "p-*", [], "a") == (  # a cursor before the prefix: seek from the prefix
        "WHERE collection = ? AND +key GLOB ? AND key >= ? AND key < ?", ["c", "p-*", "p-", "p-\U0010ffff"])
    assert where_clause(SQLITE, "c", "p-*", [], "p-") == (
        "WHERE collection = ? AND +key GLOB ? AND key > ? AND key < ?", ["c", "p-*", "p-", "p-\U0010ffff"])
    assert where_clause(POSTGRES, "c", "*x", [], "m") == (
        "WHERE collection = %s AND key LIKE %s AND key > %s", ["c", "%x", "m"])


def test_a_closed_store_opens_again_when_used(store):
    store.create("c")
    store.set_many("c", [("k", '"v"')])
    store.close()
    store.close()  # twice is harmless
    assert store.get("c", "k") == '"v"'


def test_a_runs_secrets_are_masked_in_the_keys_and_values_it_sets(tmp_path):
    store = StoreCollections(tmp_path / "pyfn.db", mask=lambda text: text.replace("s3cret", "****"))
    store.create("c")
    assert store.set_many("c", [("k-s3cret", '"a s3cret"'), ("k", '"plain"')]) == 2
    assert dict((key, value) for key, value, *_ in store.iterate("c", Query(key="*"))) == {
        "k-****": '"a ****"', "k": '"plain"'}
    store.close()


@pytest.mark.parametrize("location", ["sqlite:///{}", "{}"])
def test_a_sqlite_location_with_or_without_its_scheme_is_the_same_private_file(tmp_path, location):
    path = tmp_path / "made" / "pyfn.db"
    store = StoreCollections(location.format(path))
    store.create("c")
    store.close()
    assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert StoreCollections(path).exists("c")


def test_an_in_memory_store_makes_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = StoreCollections(":memory:")
    store.create("c")
    assert store.exists("c") and os.listdir(tmp_path) == []


def test_json_lines_are_read_skipping_blank_lines_and_naming_a_bad_one():
    lines = ['{"key": "a", "value": {"x": 1}}', "", "  ", '{"key": "b", "value": [1, "é"]}']
    assert list(read_lines(lines)) == [("a", '{"x":1}'), ("b", '[1,"é"]')]
    with pytest.raises(InvalidQuery, match="in.txt line 2 is not JSON"):
        list(read_lines(['{"key": "a", "value": 1}', "{nope"], "in.txt"))
    for bad in ('[1]', '{"key": "a"}', '{"value": 1}'):
        with pytest.raises(InvalidQuery, match=r'input line 1 is not an object with "key" and "value"'):
            list(read_lines([bad]))


def test_a_json_file_is_read_as_lines_or_as_one_object(tmp_path):
    lines = tmp_path / "items.jsonl"
    lines.write_text('{"key": "a", "value": 1}\n{"key": "b", "value": "two"}\n', encoding="utf-8")
    assert list(read_file(lines)) == [("a", "1"), ("b", '"two"')]
    whole = tmp_path / "items.json"
    whole.write_text('\n  {"a": 1, "b": {"c": "é"}}', encoding="utf-8")
    assert list(read_file(whole)) == [("a", "1"), ("b", '{"c":"é"}')]
    as_lines = tmp_path / "one.json"
    as_lines.write_text('{"key": "a", "value": 1}\n{"key": "b", "value": 2}\n', encoding="utf-8")
    with pytest.raises(InvalidQuery, match="one.json is not one JSON object") as caught:  # lines start with { too
        list(read_file(as_lines))
    assert ".jsonl" in caught.value.fix
    other = tmp_path / "items.txt"
    other.write_text('{"key": "a", "value": 1}\n', encoding="utf-8")
    assert list(read_file(other)) == [("a", "1")]


def test_an_item_line_is_the_format_read_back():
    line = item_line("é-1", '{"x":[1,2]}')
    assert line == '{"key":"é-1","value":{"x":[1,2]}}'
    assert list(read_lines([line])) == [("é-1", '{"x":[1,2]}')]
    assert json.loads(item_line('a"b', "null")) == {"key": 'a"b', "value": None}


def test_batches_cut_at_the_size_and_keep_everything():
    assert list(batches(range(5), 2)) == [[0, 1], [2, 3], [4]]
    assert list(batches([], 3)) == []
    assert [len(batch) for batch in batches(range(2500))] == [1000, 1000, 500]
