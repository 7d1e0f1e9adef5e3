"""parse_xml: XML and HTML parsed for the script, OpenFn's rules for the result."""

from __future__ import annotations

import json

import pytest

from adaptors.http import execute, get, parse_xml
from adaptors.http.markup import Document, parse_document
from runtime.testing.destination import SAMPLE_HTML, SAMPLE_XML

ATOM = """<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>One</title></entry>
<entry><title>Two</title></entry></feed>"""


def test_script_gets_a_queryable_xml_document():
    seen = {}

    def script(doc):
        seen["doc"] = doc
        return json.dumps([{"id": p.get("id"), "name": p.findtext("name")} for p in doc("//patient")])

    state = parse_xml(SAMPLE_XML, script)({"data": {"old": 1}, "references": []})
    assert state["data"] == [{"id": "1", "name": "Ann"}, {"id": "2", "name": "Bob"}, {"id": "3", "name": "Cy"}]
    assert state["references"] == [{"old": 1}]
    doc = seen["doc"]
    assert isinstance(doc, Document) and doc.kind == "xml" and doc.root.tag == "patients"


def test_xml_queries():
    doc = parse_document(SAMPLE_XML)
    assert doc.texts("//patient[@status='active']/name") == ["Ann", "Cy"]
    assert doc.texts("//h:age") == ["30", "41", "45"]  # the document's own prefix
    assert doc.attr("/patients/patient[2]", "id") == "2"
    assert doc.find("//patient[last()]").get("id") == "3"
    assert doc.text("//nothing") == "" and doc.find("//nothing") is None
    assert doc.namespaces == {"h": "http://example.org/health"}
    assert len(list(doc.iter("patient"))) == 3


def test_default_namespace_matches_plain_names():
    assert parse_document(ATOM).texts("//entry/title") == ["One", "Two"]


def test_bytes_with_a_declared_encoding():
    xml = '<?xml version="1.0" encoding="ISO-8859-1"?><a>café</a>'.encode("latin-1")
    assert parse_document(xml).text("/a") == "café"


def test_html_document_with_unclosed_tags():
    doc = parse_document(SAMPLE_HTML)
    assert doc.kind == "html" and doc.root.tag == "html"
    assert doc.text("//title") == "Clinics"
    assert doc.attr("//h1", "id") == "title"
    assert doc.table() == [["Name", "Beds"], ["North", "12"], ["South", "7"]]
    assert doc.table(columns=True) == [["Name", "North", "South"], ["Beds", "12", "7"]]
    assert doc.texts("//ul/li") == ["one", "two"]
    assert doc.text("//p") == "Last updated today"
    assert doc.findall("//table[@class='data clinics']")


def test_malformed_xml_falls_back_to_html():
    doc = parse_document("<root><item>a<item>b</root>")
    assert doc.kind == "html" and doc.texts("//item") == ["ab", "b"]


@pytest.mark.parametrize("result, data", [
    ('{"a": 1}', {"a": 1}),
    ("[1, 2]", [1, 2]),
    ("not json", {"body": "not json"}),
    (["x", "y"], {"body": ["x", "y"]}),
    ({"k": "v"}, {"body": {"k": "v"}}),
    (5, 5),
    (None, {"body": None}),
])
def test_result_rules_are_openfns(result, data):
    assert parse_xml("<a/>", lambda doc: result)({})["data"] == data


def test_no_script_wraps_the_input():
    state = parse_xml("<a>1</a>")({"data": 0, "references": []})
    assert state["data"] == {"body": "<a>1</a>"} and state["references"] == [0]


def test_lazy_input_from_a_previous_request(config):
    state = execute(
        get("/html"),
        parse_xml(lambda s: s["data"], lambda doc: json.dumps(doc.table())),
    )({"configuration": config})
    assert state["data"][1] == ["North", "12"]
    assert state["references"][-1].startswith("<!DOCTYPE html>")


def test_non_text_input_is_a_type_error():
    with pytest.raises(TypeError, match="XML or HTML text"):
        parse_xml({"body": "<a/>"}, lambda doc: 1)({})
