"""The run store's collections (runtime/store/collections*.py) called directly, as the CLI and the API call them:
names, locations, administration, the connection, cursors, the WHERE clause and the JSON lines format."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest

from adaptors.collections import CollectionExists, CollectionNotFound, InvalidKey, InvalidQuery, ValueTooLarge
from adaptors.collections.store import MAX_VALUE_BYTES, Query
from runtime.store.collections import CollectionInfo, StoreCollections, _text, check_name
from runtime.store.collections_io import batches, item_line, read_file, read_lines
from runtime.store.collections_sql import POSTGRES, SQLITE, decode_cursor, encode_cursor, where_clause

NAME_FIX = "Name collections with letters, digits, '-', '_' and '.' (crm-ids)"


@pytest.fixture
def sqlite_store(tmp_path):
    """A store in a fresh SQLite file with an empty ``crm-ids`` collection."""
    store = StoreCollections(tmp_path / "pyfn.db")
    store.create("crm-ids")
    yield store
    store.close()


# -- names -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["crm-ids", "a", "7", "A.b_c-d", "x" * 255])
def test_a_good_name_is_kept_as_given(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "-crm", ".crm", "_crm", "crm ids", "crm/ids", "crm*", "x" * 256, 7, None])
def test_a_bad_name_is_an_invalid_key_naming_it_with_how_to_name_one(name, sqlite_store):
    with pytest.raises(InvalidKey) as caught:
        sqlite_store.create(name)
    assert str(caught.value) == f"Not a collection name: {name!r}"
    assert caught.value.fix == NAME_FIX
    assert sqlite_store.names() == [CollectionInfo("crm-ids", 0, sqlite_store.names()[0].created_at)]


def test_create_twice_is_collection_exists_and_the_store_stays_usable(sqlite_store):
    with pytest.raises(CollectionExists) as caught:
        sqlite_store.create("crm-ids")
    assert str(caught.value) == "Collection 'crm-ids' exists already"
    sqlite_store.create("other")  # the failed create's transaction was rolled back
    assert [c.name for c in sqlite_store.names()] == ["crm-ids", "other"]


# -- administration ----------------------------------------------------------------------------------------------
def test_names_counts_delete_exists_and_require(sqlite_store):
    sqlite_store.create("b-list")
    assert sqlite_store.set_many("crm-ids", [("k1", "1"), ("k2", "2"), ("k3", "3")]) == 3
    assert sqlite_store.set_many("b-list", [("k1", "9")]) == 1
    names = sqlite_store.names()
    assert [(c.name, c.count) for c in names] == [("b-list", 1), ("crm-ids", 3)]
    assert all(isinstance(c.created_at, str) and c.created_at.endswith("Z") for c in names)
    assert sqlite_store.exists("crm-ids") and not sqlite_store.exists("nope")
    sqlite_store.require("crm-ids")
    assert sqlite_store.delete("crm-ids") == 3
    assert not sqlite_store.exists("crm-ids")
    assert [(c.name, c.count) for c in sqlite_store.names()] == [("b-list", 1)]
    assert sqlite_store.get("b-list", "k1") == "9"  # another collection's items stay
    for call in (lambda: sqlite_store.require("crm-ids"), lambda: sqlite_store.delete("crm-ids"),
                 lambda: sqlite_store.get("crm-ids", "k1")):
        with pytest.raises(CollectionNotFound) as caught:
            call()
        assert str(caught.value) == "Collection 'crm-ids' not found"
        assert caught.value.fix == ("Create it first: pyfn collections create crm-ids (collections are created "
                                    "explicitly, as in Lightning)")
    sqlite_store.create("crm-ids")
    assert sqlite_store.get("crm-ids", "k1") is None  # a new collection of the old name starts empty


def test_a_name_that_is_not_text_is_not_found():
    store = StoreCollections(":memory:")
    with pytest.raises(CollectionNotFound):
        store.require(7)


def test_iterate_reads_every_match_page_by_page(sqlite_store):
    sqlite_store.set_many("crm-ids", [(f"k{i}", str(i)) for i in range(5)] + [("other", "0")])
    items = list(sqlite_store.iterate("crm-ids", Query("k*", page_size=2)))
    assert [(key, value) for key, value, _created, _updated in items] == [(f"k{i}", str(i)) for i in range(5)]


def test_set_many_masks_every_secret_in_keys_and_values(sqlite_store):
    store = StoreCollections(sqlite_store.location, mask=lambda text: text.replace("hunter2", "****"))
    assert store.set_many("crm-ids", [("k-hunter2", '"pw hunter2"'), ("plain", '"x"')]) == 2
    assert store.get("crm-ids", "k-****") == '"pw ****"'
    assert store.get("crm-ids", "k-hunter2") is None
    assert sqlite_store.get("crm-ids", "plain") == '"x"'
    store.close()


def test_remove_takes_only_the_matching_keys_and_says_how_many(sqlite_store):
    sqlite_store.set_many("crm-ids", [("a1", "1"), ("a2", "2"), ("b1", "3")])
    assert sqlite_store.remove("crm-ids", Query("a*")) == 2
    assert [k for k, *_ in sqlite_store.iterate("crm-ids", Query())] == ["b1"]


# -- the SQLite connection ---------------------------------------------------------------------------------------
def test_a_sqlite_url_opens_the_file_it_names_private_and_in_wal_mode(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "state" / "pyfn.db"
    store = StoreCollections(f"sqlite:///{path}")
    store.create("crm-ids")
    store.close()
    assert os.listdir(tmp_path) == ["state"]
    assert path.stat().st_mode & 0o777 == 0o600
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("SELECT name FROM collections").fetchall() == [("crm-ids",)]
    db.close()


def test_memory_makes_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = StoreCollections(":memory:")
    store.create("crm-ids")
    assert store.exists("crm-ids")
    store.close()
    assert os.listdir(tmp_path) == []


def test_close_then_use_again_reopens_and_close_unopened_is_fine(tmp_path):
    store = StoreCollections(tmp_path / "pyfn.db")
    store.close()  # never opened
    store.create("crm-ids")
    store.set_many("crm-ids", [("k", "1")])
    store.close()
    store.close()
    assert store.get("crm-ids", "k") == "1"
    store.close()


def test_one_store_is_shared_by_threads(sqlite_store):
    sqlite_store.set_many("crm-ids", [("k", "1")])
    got = []
    thread = threading.Thread(target=lambda: got.append(sqlite_store.get("crm-ids", "k")))
    thread.start()
    thread.join()
    assert got == ["1"]


def test_a_writer_waits_up_to_30_seconds_for_another_to_finish(sqlite_store):
    assert sqlite_store._rows("PRAGMA busy_timeout") == [(30000,)]


def test_reads_do_not_wait_for_a_writer_holding_the_lock(sqlite_store):
    sqlite_store.set_many("crm-ids", [("k", "1")])
    writer = sqlite3.connect(sqlite_store.location, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:  # a read taking the write lock would wait for the writer (30 s) and then fail
        assert [c.name for c in sqlite_store.names()] == ["crm-ids"]
        assert sqlite_store.exists("crm-ids")
        sqlite_store.require("crm-ids")
        assert sqlite_store.get("crm-ids", "k") == "1"
        assert [k for k, *_ in sqlite_store.iterate("crm-ids", Query())] == ["k"]
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_stored_times_read_back_as_iso_text():
    assert _text("2024-01-31T10:00:00.000000Z") == "2024-01-31T10:00:00.000000Z"
    assert _text(datetime(2024, 1, 31, 10, tzinfo=timezone.utc)).startswith("2024-01-31T10:00:00")


# -- cursors -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["case-9", ">>>", "??>", "ÿ", ""])
def test_a_cursor_stands_after_its_key_even_when_base64_needs_dash_or_underscore(key):
    cursor = encode_cursor(key)
    assert "+" not in cursor and "/" not in cursor
    assert decode_cursor(cursor) == key


def test_cursors_of_keys_whose_base64_has_dash_and_underscore_page_on(sqlite_store):
    keys = [">>>", ">>?", "??>", "???"]  # base64 Pj4-, Pj4_, Pz8-, Pz8_
    sqlite_store.set_many("crm-ids", [(k, "1") for k in keys])
    seen, cursor = [], None
    for _ in range(len(keys)):
        page = sqlite_store.page("crm-ids", Query(cursor=cursor), 1)
        seen += [k for k, *_ in page.items]
        cursor = page.cursor
        if cursor is None:
            break
    assert seen == sorted(keys)


@pytest.mark.parametrize("cursor", ["not base64!", "Pj4", "@@@@", "é", "_w=="])
def test_a_cursor_pyfn_did_not_make_is_an_invalid_query_with_a_hint(cursor, sqlite_store):
    with pytest.raises(InvalidQuery) as caught:
        sqlite_store.page("crm-ids", Query(cursor=cursor), 10)
    assert str(caught.value) == f"Not a collection cursor: {cursor!r}"
    assert caught.value.fix == "Pass the cursor a previous get or each returned"


# -- the WHERE clause --------------------------------------------------------------------------------------------
def test_where_clause_for_one_key_a_prefix_and_everything():
    assert where_clause(SQLITE, "c", "k1", []) == ("WHERE collection = ? AND key = ?", ["c", "k1"])
    assert where_clause(POSTGRES, "c", "*", []) == ("WHERE collection = %s", ["c"])
    assert where_clause(SQLITE, "c", "a*", []) == (
        "WHERE collection = ? AND +key GLOB ? AND key >= ? AND key < ?", ["c", "a*", "a", "a\U0010ffff"])
    assert where_clause(POSTGRES, "c", "*a_", []) == ("WHERE collection = %s AND key LIKE %s", ["c", "%a\\_"])


def test_where_clause_time_bounds_and_a_cursor_before_or_after_the_prefix():
    bounds = [("created_at", ">=", "2024-02-01T00:00:00.000000Z"), ("updated_at", "<", "2024-03-01T00:00:00.000000Z")]
    assert where_clause(POSTGRES, "c", "*", bounds, "k") == (
        "WHERE collection = %s AND created_at >= %s::timestamptz AND updated_at < %s::timestamptz AND key > %s",
        ["c", bounds[0][2], bounds[1][2], "k"])
    assert where_clause(SQLITE, "c", "b*", [], "a") == (  # a cursor before the prefix: the prefix is the start
        "WHERE collection = ? AND +key GLOB ? AND key >= ? AND key < ?", ["c", "b*", "b", "b\U0010ffff"])
    assert where_clause(SQLITE, "c", "b*", [], "b") == (  # the prefix itself as cursor: after it
        "WHERE collection = ? AND +key GLOB ? AND key > ? AND key < ?", ["c", "b*", "b", "b\U0010ffff"])


def test_time_bounds_select_items_by_created_and_updated(sqlite_store):
    sqlite_store.set_many("crm-ids", [("k", "1")])
    keys = lambda **bounds: [k for k, *_ in sqlite_store.iterate("crm-ids", Query(**bounds))]  # noqa: E731
    assert keys(created_after="2000-01-01T00:00:00Z", updated_before="2999-01-01T00:00:00Z") == ["k"]
    assert keys(created_before="2000-01-01T00:00:00Z") == []
    assert keys(updated_after="2999-01-01T00:00:00Z") == []


def test_question_mark_and_bracket_are_plain_characters_in_a_sqlite_pattern(sqlite_store):
    sqlite_store.set_many("crm-ids", [(k, "1") for k in ("a?", "ab", "a[b]", "ab]")])
    keys = lambda pattern: [k for k, *_ in sqlite_store.iterate("crm-ids", Query(pattern))]  # noqa: E731
    assert keys("*?") == ["a?"]
    assert keys("*[b]") == ["a[b]"]
    assert SQLITE.pattern("a?[*") == "a[?][[]*"


def test_postgres_like_escapes_backslash_percent_and_underscore():
    assert POSTGRES.pattern("a\\b%c_d*") == "a\\\\b\\%c\\_d%"
    assert POSTGRES.sql("a = ? AND b = ?") == "a = %s AND b = %s"


# -- PostgreSQL --------------------------------------------------------------------------------------------------
def test_a_postgresql_url_keeps_collections_in_that_database(pg_url, tmp_path, monkeypatch):
    from runtime.store.pgconn import connect

    monkeypatch.chdir(tmp_path)
    store = StoreCollections(pg_url)
    assert store.dialect is POSTGRES
    store.create("crm-ids")
    store.set_many("crm-ids", [("k1", '{"a":1}'), ("k2", "2")])
    [info] = store.names()
    assert (info.name, info.count) == ("crm-ids", 2) and info.created_at.endswith("Z")
    assert [(k, v) for k, v, c, u in store.iterate("crm-ids", Query())] == [("k1", '{"a":1}'), ("k2", "2")]
    assert store.delete("crm-ids") == 2
    store.create("crm-ids")
    store.close()
    with connect(pg_url) as db:
        assert db.execute("SELECT name FROM collections").fetchall() == [("crm-ids",)]
    assert os.listdir(tmp_path) == []


# -- JSON lines --------------------------------------------------------------------------------------------------
def test_read_lines_skips_blank_lines_and_names_a_bad_line():
    assert list(read_lines(['{"key":"a","value":1}', "  ", "", '{"key":"b","value":{"x":[1, 2]}}'])) == [
        ("a", "1"), ("b", '{"x":[1,2]}')]
    with pytest.raises(InvalidQuery, match=r"^items.jsonl line 3 is not JSON: "):
        list(read_lines(['{"key":"a","value":1}', "", "{nope"], "items.jsonl"))
    for bad in ('[1]', '{"key":"a"}', '{"value":1}'):
        with pytest.raises(InvalidQuery) as caught:
            list(read_lines(["", bad]))
        assert str(caught.value) == f'input line 2 is not an object with "key" and "value": {bad}'
    long = '{"value": 1, "pad": "' + "x" * 100 + '"}'
    with pytest.raises(InvalidQuery) as caught:
        list(read_lines([long]))
    assert str(caught.value).endswith(": " + long[:80])
    with pytest.raises(InvalidKey):
        list(read_lines(['{"key":"a*","value":1}']))


def test_read_file_reads_json_lines_or_one_json_object(tmp_path):
    lines = tmp_path / "items.jsonl"
    lines.write_text('{"key":"a","value":1}\n\n{"key":"é","value":"ü"}\n', encoding="utf-8")
    assert list(read_file(lines)) == [("a", "1"), ("é", '"ü"')]
    obj = tmp_path / "items.json"
    obj.write_text('\n  \t{"a": 1, "b": {"c": "é"}}', encoding="utf-8")
    assert list(read_file(str(obj))) == [("a", "1"), ("b", '{"c":"é"}')]
    jsonl_obj = tmp_path / "obj.jsonl"  # an object in a .jsonl file is a line, not a whole-file object
    jsonl_obj.write_text('{"key":"a","value":1}', encoding="utf-8")
    assert list(read_file(jsonl_obj)) == [("a", "1")]
    obj.write_text('{"a*": 1}', encoding="utf-8")
    with pytest.raises(InvalidKey):
        list(read_file(obj))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"key":"a","value":1}\n{', encoding="utf-8")
    with pytest.raises(InvalidQuery, match=r"bad.jsonl line 2 is not JSON"):
        list(read_file(bad))


def test_item_line_and_batches():
    assert item_line("é-1", '{"x":1}') == '{"key":"é-1","value":{"x":1}}'
    assert item_line('a"b', "2") == '{"key":"a\\"b","value":2}'
    assert list(batches(range(5), 2)) == [[0, 1], [2, 3], [4]]
    assert list(batches([])) == []
    assert [len(b) for b in batches(range(2001))] == [1000, 1000, 1]


def test_an_oversized_value_read_from_a_file_names_its_key(tmp_path):
    big = "x" * MAX_VALUE_BYTES
    with pytest.raises(ValueTooLarge, match=r"^The value of collection key 'big-1' is "):
        list(read_lines([json.dumps({"key": "big-1", "value": big})]))
    obj = tmp_path / "items.json"
    obj.write_text(json.dumps({"big-2": big}), encoding="utf-8")
    with pytest.raises(ValueTooLarge, match=r"^The value of collection key 'big-2' is "):
        list(read_file(obj))


def test_a_json_file_of_lines_is_refused_with_what_to_do(tmp_path):
    as_lines = tmp_path / "one.json"  # JSON lines start with { too, but a .json file is read as one object
    as_lines.write_text('{"key": "a", "value": 1}\n{"key": "b", "value": 2}\n', encoding="utf-8")
    with pytest.raises(InvalidQuery, match="one.json is not one JSON object") as caught:
        list(read_file(as_lines))
    assert caught.value.fix == ('Write one object in a .json file, or one {"key": ..., "value": ...} per line '
                                'in a .jsonl file')


# -- on both databases -------------------------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    """A fresh store (SQLite file or PostgreSQL database) with no collection."""
    location = tmp_path / "state" / "pyfn.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = StoreCollections(location)
    yield opened
    opened.close()


def keys(store, pattern, **bounds):
    return [key for key, *_ in store.iterate("c", Query(key=pattern, **bounds))]


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
