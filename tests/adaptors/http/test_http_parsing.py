"""parse_as, empty bodies, charsets, gzip, large bodies and streams."""

from __future__ import annotations

import base64
import csv
import io

import pytest

from adaptors.http import execute, get
from adaptors.http.errors import ResponseParseError
from adaptors.http.responses import ResponseStream
from adaptors.http.session import _CURRENT
from runtime.testing.destination import SAMPLE_CSV, Response


def fetch(config, path, **options):
    return execute(get(path, options))({"configuration": config}).get("data")


def test_auto_parses_json_and_leaves_text(config):
    assert fetch(config, "/status/200") == {"status": 200, "path": "/status/200"}
    assert fetch(config, "/csv") == SAMPLE_CSV
    assert fetch(config, "/xml").startswith("<?xml")


def test_forced_json_and_text(api, config):
    api.route("GET", "/json-as-text", Response(200, '{"a": 1}', {"Content-Type": "text/plain"}))
    assert fetch(config, "/json-as-text", parse_as="json") == {"a": 1}
    assert fetch(config, "/status/200", parse_as="text") == '{"status": 200, "path": "/status/200"}'


def test_invalid_json_is_openfns_parse_error(api, config):
    api.route("GET", "/broken", Response(200, b"{oops", {"Content-Type": "application/json"}))
    with pytest.raises(ResponseParseError) as caught:
        fetch(config, "/broken")
    error = caught.value
    assert str(error) == "200: Error parsing the response body"
    assert error.details["parseAs"] == "auto" and error.details["contentType"] == "application/json"
    assert error.details["bodyLength"] == 5


def test_base64(config):
    data = fetch(config, "/large/1000", parse_as="base64")
    raw = base64.b64decode(data)
    assert len(raw) == 1000 and raw.startswith(b"0123456789abc")


def test_empty_bodies_are_none(api, config):
    assert fetch(config, "/status/204") is None
    api.route("GET", "/zero", Response(200, b"", {"Content-Type": "application/json"}))
    assert fetch(config, "/zero") is None
    assert fetch(config, "/zero", parse_as="json") is None


def test_no_content_type_gives_no_data_whatever_parse_as_says(api, config):
    """OpenFn's readResponseBody returns undefined without a Content-Type (tests/openfn_recorded)."""
    api.route("GET", "/untyped", Response(200, b"plain", {"Content-Type": None}))
    assert fetch(config, "/untyped") is None
    assert fetch(config, "/untyped", parse_as="text") is None


def test_charset_of_the_content_type_is_used(api, config):
    api.route("GET", "/latin", Response(200, "café".encode("latin-1"), {"Content-Type": "text/plain; charset=ISO-8859-1"}))
    assert fetch(config, "/latin") == "café"


def test_gzip_is_decoded(config):
    state = execute(get("/gzip"))({"configuration": config})
    assert state["data"]["gzipped"] is True and state["data"]["items"][-1] == 99
    assert state["response"]["headers"]["content-encoding"] == "gzip"


def test_large_body(config):
    assert len(fetch(config, "/large/3000000", parse_as="text")) == 3_000_000


def test_stream_reads_a_large_body_in_chunks_and_is_closed_by_execute(config):
    seen = {}

    def consume(state):
        stream = state["data"]
        assert isinstance(stream, ResponseStream) and stream.status_code == 200
        seen["first"] = stream.read(10)
        seen["size"] = 10 + sum(len(chunk) for chunk in stream.iter_content(1 << 16))
        seen["stream"] = stream
        return state

    execute(get("/large/5000000", {"parse_as": "stream"}), consume)({"configuration": config})
    assert seen["first"] == b"0123456789" and seen["size"] == 5_000_000
    assert seen["stream"].closed


def test_stream_left_unread_is_closed_at_the_end_of_the_step(config):
    state = execute(get("/large/1000000", {"parse_as": "stream"}))({"configuration": config})
    assert state["data"].closed


def test_stream_as_text_lines(config):
    def read_csv(state):
        text = io.TextIOWrapper(state["data"], encoding="utf-8")
        return {**state, "rows": list(csv.DictReader(text))}

    state = execute(get("/csv", {"parse_as": "stream"}), read_csv)({"configuration": config})
    assert state["rows"][0] == {"name": "Ann", "age": "30"} and len(state["rows"]) == 3


def test_stream_of_gzip_body_is_decoded(config):
    def read_all(state):
        return {**state, "raw": state["data"].read()}
    state = execute(get("/gzip", {"parse_as": "stream"}), read_all)({"configuration": config})
    assert state["raw"].startswith(b'{"gzipped": true')


def test_stream_outside_execute_still_reads(config):
    assert _CURRENT.get() is None
    stream = get("/large/200000", {"parse_as": "stream"})({"configuration": config})["data"]
    try:
        assert len(stream.read()) == 200_000
    finally:
        stream.close()


@pytest.mark.parametrize("body, expected", [
    (b'{"n": 123456789012345678901234567890, "x": 0.1, "s": "\\u00e9\\ud83d\\ude00"}',
     {"n": 123456789012345678901234567890, "x": 0.1, "s": "é😀"}),
    (b'{"a": NaN, "a": 1}', {"a": 1}),                   # what only Python's json reads is still read
    (b'["\\ud800"]', ["\ud800"]),                        # a lone surrogate, as Python's json gives it
    ('{"name": "Zoë \udcff"}'.encode("utf-8", "surrogateescape"), {"name": "Zoë \ufffd"}),  # bad UTF-8 replaced
    ("\ufeff[1]".encode("utf-8"), None),                  # a BOM is refused, as before
])
def test_json_bodies_read_as_pythons_json_reads_them(api, config, body, expected):
    api.route("GET", "/j", Response(200, body, {"Content-Type": "application/json"}))
    if expected is None:
        with pytest.raises(ResponseParseError):
            fetch(config, "/j")
    else:
        assert fetch(config, "/j") == expected


def test_json_in_another_charset_is_decoded_with_it(api, config):
    body = '{"name": "Ã©"}'.encode("latin-1")  # also valid UTF-8 (for "é"): the charset decides
    api.route("GET", "/latin", Response(200, body, {"Content-Type": "application/json; charset=ISO-8859-1"}))
    assert fetch(config, "/latin") == {"name": "Ã©"}
