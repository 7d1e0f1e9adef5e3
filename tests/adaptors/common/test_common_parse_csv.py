"""parse_csv: options, input kinds, chunking and callbacks."""

from __future__ import annotations

import io
import logging

import pytest

from adaptors.common import parse_csv

CSV = "name,age\nAnn,1\nBob,2\nCy,45\n"
ROWS = [{"name": "Ann", "age": "1"}, {"name": "Bob", "age": "2"}, {"name": "Cy", "age": "45"}]


def test_parses_rows_keyed_by_header_with_string_values():
    result = parse_csv(CSV)({"data": "orig", "references": []})
    assert result == {"data": ROWS, "references": ["orig"]}


def test_chunks_put_earlier_chunks_on_references():
    result = parse_csv("a\n1\n2\n", {"chunkSize": 1})({"data": {"orig": True}, "references": []})
    assert result["data"] == [{"a": "2"}]
    assert result["references"] == [{"orig": True}, [{"a": "1"}]]


def test_chunk_size_python_name_and_partial_last_chunk():
    result = parse_csv(CSV, chunk_size=2)({"data": None, "references": []})
    assert result["data"] == ROWS[2:]
    assert result["references"] == [None, ROWS[:2]]


def test_callback_is_called_per_chunk():
    calls = []

    def callback(state, rows):
        calls.append(rows)
        return {**state, "count": state.get("count", 0) + len(rows)}

    result = parse_csv(CSV, {"chunk_size": 2}, callback)({"data": "keep"})
    assert calls == [ROWS[:2], ROWS[2:]]
    assert result == {"data": "keep", "count": 3}


@pytest.mark.parametrize("size", [0, -3])
def test_chunk_size_below_one_is_rejected(size):
    with pytest.raises(ValueError, match="^chunkSize must be at least 1$"):
        parse_csv(CSV, {"chunkSize": size})({})


def test_no_rows_leaves_state_unchanged():
    state = {"data": 1}
    assert parse_csv("name,age\n")(state) is state


def test_unknown_options_are_ignored_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="pyfn.adaptor.common"):
        result = parse_csv("a;b\n1;2\n", {"delimiter": ";", "relax_quotes": True})({})
    assert result["data"] == [{"a": "1", "b": "2"}]
    assert "relax_quotes" in caplog.text


def test_trims_values_skips_empty_lines_and_strips_bom():
    text = "\ufeff name , city \n\n Ann ,  \"Lusaka, ZM\" \r\n\r\nBob,Ndola"
    assert parse_csv(text)({})["data"] == [
        {"name": "Ann", "city": "Lusaka, ZM"}, {"name": "Bob", "city": "Ndola"}]


def test_trim_false_alone_still_trims_but_ltrim_rtrim_false_do_not():
    assert parse_csv("a\n x \n", {"trim": False})({})["data"] == [{"a": "x"}]
    assert parse_csv("a\n x \n", {"ltrim": False, "rtrim": False})({})["data"] == [{"a": " x "}]


def test_quotes_and_doubled_quote_escapes():
    text = 'id,note\n1,"said ""hi"", left"\n2,"two\nlines"\n'
    assert parse_csv(text)({})["data"] == [
        {"id": "1", "note": 'said "hi", left'}, {"id": "2", "note": "two\nlines"}]


def test_columns_list_and_false():
    assert parse_csv("1,2,3\n", columns=["a", None, "c"])({})["data"] == [{"a": "1", "c": "3"}]
    assert parse_csv("1,2\n3,4\n", columns=False)({})["data"] == [["1", "2"], ["3", "4"]]


def test_wrong_record_length_raises():
    with pytest.raises(ValueError, match="Invalid Record Length: columns length is 2, got 3 on line 3"):
        parse_csv("a,b\n1,2\n1,2,3\n")({})


def test_file_like_binary_and_lazy_input():
    assert parse_csv(io.StringIO(CSV))({})["data"] == ROWS
    assert parse_csv(io.BytesIO(("\ufeff" + CSV).encode("utf-8")))({})["data"] == ROWS
    assert parse_csv(lambda state: state["data"]["csv"])({"data": {"csv": CSV}})["data"] == ROWS


def test_iterable_chunks_split_anywhere_including_crlf_and_utf8():
    raw = "name,city\r\nZoë,\"Lu\r\nsaka\"\r\nBob,Ndola".encode("utf-8")
    pieces = [raw[i:i + 3] for i in range(0, len(raw), 3)]
    assert parse_csv(iter(pieces))({})["data"] == [
        {"name": "Zoë", "city": "Lu\r\nsaka"}, {"name": "Bob", "city": "Ndola"}]
    assert parse_csv(["a,b\n", "1,2\n"])({})["data"] == [{"a": "1", "b": "2"}]


def test_multi_character_delimiter_is_refused():
    with pytest.raises(ValueError, match="one-character delimiter"):
        parse_csv("a||b\n", {"delimiter": "||"})({})
