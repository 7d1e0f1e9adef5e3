"""validate: schema sources, error collection, caching."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from adaptors.common import each, validate

SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "additionalProperties": False,
}


def test_valid_data_adds_an_empty_error_list():
    state = {"data": {"name": "Ann"}, "schema": SCHEMA}
    result = validate()(state)
    assert result is state and result["validationErrors"] == []


def test_invalid_data_is_collected_never_raised():
    state = {"data": {"age": -1, "extra": 1}, "schema": SCHEMA}
    result = validate()(state)
    [entry] = result["validationErrors"]
    assert entry["data"] == {"age": -1, "extra": 1}
    assert entry["errors"] == [
        {"instancePath": "", "schemaPath": "#/required", "keyword": "required",
         "params": {"missingProperty": "name"}, "message": "must have required property 'name'"},
        {"instancePath": "/age", "schemaPath": "#/properties/age/minimum", "keyword": "minimum",
         "params": {"comparison": ">=", "limit": 0}, "message": "must be >= 0"},
        {"instancePath": "", "schemaPath": "#/additionalProperties", "keyword": "additionalProperties",
         "params": {"additionalProperty": "extra"}, "message": "must NOT have additional properties"},
    ]


def test_schema_and_data_as_values_paths_and_lazy_values():
    state = {"data": {"ignored": True}, "form": {"name": 5}, "schemas": {"person": SCHEMA}}
    result = validate("$.schemas.person", "form")(state)
    assert result["validationErrors"][0]["errors"][0]["message"] == "must be string"
    assert result["validationErrors"][0]["data"] == {"ignored": True}  # OpenFn stores state.data
    result = validate(lambda s: s["schemas"]["person"], {"name": "ok"})({"schemas": {"person": SCHEMA}})
    assert result["validationErrors"] == []


def test_each_item_validated_errors_accumulate():
    state = {"data": [{"name": "a"}, {"name": 1}, {}], "schema": SCHEMA}
    result = each("$.data[*]", validate())(state)
    assert [entry["data"] for entry in result["validationErrors"]] == [{"name": 1}, {}]


def test_schemas_without_id_do_not_collide():
    strings = {"type": "string"}
    numbers = {"type": "number"}
    assert len(validate(strings, 5)({})["validationErrors"]) == 1
    assert validate(numbers, 5)({})["validationErrors"] == []  # OpenFn reuses the string schema here


def test_draft_2020_schema_is_honoured():
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "array", "prefixItems": [{"type": "integer"}]}
    assert len(validate(schema, ["x"])({})["validationErrors"]) == 1


def test_missing_schema_raises_a_clear_error():
    with pytest.raises(ValueError, match="validate needs a JSON schema") as caught:
        validate()({"data": 1})
    assert caught.value.fix


def test_schema_from_file_url(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(SCHEMA))
    result = validate(path.as_uri())({"data": {"name": 3}})
    assert result["validationErrors"][0]["errors"][0]["instancePath"] == "/name"


@pytest.fixture(scope="module")
def schema_server():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = json.dumps(SCHEMA).encode() if self.path == "/schema" else b"{}"
            self.send_response(200 if self.path == "/schema" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_schema_from_http_url(schema_server):
    result = validate(f"{schema_server}/schema")({"data": {}})
    assert result["validationErrors"][0]["errors"][0]["keyword"] == "required"


def test_unreachable_schema_url_raises(schema_server):
    with pytest.raises(ValueError, match="could not load the schema"):
        validate(f"{schema_server}/missing")({"data": {}})
