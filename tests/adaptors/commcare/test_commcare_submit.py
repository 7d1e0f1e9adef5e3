"""Form submission: OpenFn's submit (XML as given) and submit_form (meta, case blocks, templates)."""

from __future__ import annotations

import logging
import uuid

import pytest

from adaptors.commcare import CommCareHTTPError, SubmissionError, get, get_cases, submit, submit_form
from adaptors.commcare.xform import FormError
from adaptors.commcare.xml import to_xml
from adaptors.common import field, fields

DEMO_USER_ID = "d3m0d3m0d3m0d3m0d3m0d3m0d3m0d3m0"
XMLNS = "http://openrosa.org/formdesigner/pyfn-tests/register"


def _openfn_form(instance_id: str, case: dict | None = None) -> dict:
    form = {"@": {"xmlns": XMLNS, "uiVersion": "1", "version": "9", "name": "Registration"}, "question1": "Taylor"}
    if case:
        form["n0:case"] = case
    form["n1:meta"] = {"@": {"xmlns:n1": "http://openrosa.org/jr/xforms"}, "n1:deviceID": "openfn",
                       "n1:username": "demo@example.com", "n1:userID": DEMO_USER_ID, "n1:instanceID": instance_id}
    return form


def test_submit_sends_js2xmlparser_xml_and_data_is_the_openrosa_response(run, fresh_config, fresh_hq):
    form_id, case_id = str(uuid.uuid4()), str(uuid.uuid4())
    case = {"@": {"case_id": case_id, "user_id": DEMO_USER_ID, "date_modified": "2024-05-02T10:14:59.207Z",
                  "xmlns:n0": "http://commcarehq.org/case/transaction/v2"},
            "n0:create": {"n0:case_name": "bar", "n0:owner_id": DEMO_USER_ID, "n0:case_type": "member"}}
    state = run(fresh_config, submit(fields(field("@", {"xmlns": XMLNS}), field("question1", lambda s: s["name"]),
                                             field("n1:meta", _openfn_form(form_id)["n1:meta"]),
                                             field("n0:case", case))), state={"name": "Taylor"})
    assert state["response"]["statusCode"] == 201
    assert 'nature="submit_success"' in state["data"] and isinstance(state["data"], str)
    with fresh_hq.store.lock:
        stored = fresh_hq.store.forms[form_id]
        assert fresh_hq.store.cases[case_id]["case_name"] == "bar"
    assert stored["xml"].startswith('<?xml version="1.0" encoding="UTF-8"?>\n<data xmlns=')
    assert stored["doc"]["form"]["question1"] == "Taylor"


def test_submit_is_byte_for_byte_what_to_xml_writes(run, fresh_config, fresh_hq):
    form = _openfn_form(str(uuid.uuid4()))
    run(fresh_config, submit(form))
    with fresh_hq.store.lock:
        assert fresh_hq.store.forms[form["n1:meta"]["n1:instanceID"]]["xml"] == to_xml("data", form)


def test_submit_error_is_data_and_a_warning_as_in_openfn(run, fresh_config, cc_log):
    case = {"@": {"case_id": str(uuid.uuid4()), "xmlns:n0": "http://commcarehq.org/case/transaction/v2"},
            "n0:index": {"n0:parent": {"@": {"case_type": "household"}, "#": "no-such-case"}}}
    state = run(fresh_config, submit(_openfn_form(str(uuid.uuid4()), case)))
    assert 'nature="submit_error"' in state["data"] and "InvalidCaseIndex" in state["data"]
    assert any("submit_error" in r.getMessage() for r in cc_log.records if r.levelno == logging.WARNING)


def test_malformed_xml_fails_at_once(run, quick_config, waits):
    with pytest.raises(CommCareHTTPError) as caught:
        run(quick_config, submit({"@": {"xmlns": XMLNS}, "bad name": "x"}))
    assert caught.value.status_code == 500 and "Invalid XML" in caught.value.message and waits == []


def _case(run, config, case_id):
    return run(config, get_cases(ids=[case_id]))["data"][0]


def test_submit_form_creates_several_cases_with_an_index(run, fresh_config, fresh_hq):
    state = run(fresh_config, submit_form(XMLNS, {"hh_name": "Otieno", "members": [{"name": "A"}, {"name": "B"}]},
                                          case=[{"temporary_id": "hh", "case_type": "household", "case_name": "Otieno",
                                                 "external_id": "HH-9", "properties": {"village": "Yala"}},
                                                {"case_type": "patient", "case_name": "Akinyi",
                                                 "properties": {"dob": "1990-01-01"},
                                                 "index": {"parent": {"temporary_id": "hh", "case_type": "household"}}}],
                                          name="Register household"))
    data = state["data"]
    assert data["nature"] == "submit_success" and len(data["case_ids"]) == 2
    household, patient = (_case(run, fresh_config, i) for i in data["case_ids"])
    assert household["case_type"] == "household" and household["external_id"] == "HH-9"
    assert household["properties"]["village"] == "Yala" and household["owner_id"] == DEMO_USER_ID
    assert patient["indices"]["parent"] == {"case_id": household["case_id"], "case_type": "household",
                                            "relationship": "child"}
    with fresh_hq.store.lock:
        form = fresh_hq.store.forms[data["form_id"]]["doc"]
    assert form["form"]["@xmlns"] == XMLNS and form["form"]["members"][1] == {"name": "B"}
    meta = form["metadata"]
    assert meta["instanceID"] == data["form_id"] and meta["userID"] == DEMO_USER_ID
    assert meta["username"] == "demo@example.com" and meta["timeStart"] and meta["timeEnd"]


def test_submit_form_updates_closes_and_reindexes(run, fresh_config):
    created = run(fresh_config, submit_form(XMLNS, {}, case=[{"case_type": "household", "case_name": "H1"},
                                                             {"case_type": "patient", "case_name": "P1"}]))
    household, patient = created["data"]["case_ids"]
    run(fresh_config, submit_form(XMLNS, {"visit": "yes"}, case=[
        {"case_id": patient, "case_name": "P1 renamed", "properties": {"status": "seen"},
         "index": {"parent": {"case_id": household, "case_type": "household", "relationship": "extension"}}},
        {"case_id": household, "close": True}]))
    patient_now, household_now = _case(run, fresh_config, patient), _case(run, fresh_config, household)
    assert patient_now["case_name"] == "P1 renamed" and patient_now["properties"]["status"] == "seen"
    assert patient_now["indices"]["parent"]["relationship"] == "extension"
    assert household_now["closed"] is True and patient_now["closed"] is False


def test_every_submission_gets_a_fresh_instance_id(run, fresh_config):
    first = run(fresh_config, submit_form(XMLNS, {"q": 1}))["data"]["form_id"]
    second = run(fresh_config, submit_form(XMLNS, {"q": 1}))["data"]["form_id"]
    assert first != second and uuid.UUID(first).version == 4


def test_a_refused_form_is_a_submission_error_with_hqs_message(run, fresh_config):
    with pytest.raises(SubmissionError) as caught:
        run(fresh_config, submit_form(XMLNS, {}, case={"case_type": "patient", "case_name": "Orphan",
                                                       "index": {"parent": {"case_id": "missing-parent",
                                                                            "case_type": "household"}}}))
    error = caught.value
    assert "InvalidCaseIndex" in error.message and "missing-parent" in error.details["hq_message"]
    assert error.details["nature"] == "submit_error" and error.fix


def test_user_id_comes_from_meta_or_configuration_without_a_lookup(run, fresh_config, fresh_hq, cc_log):
    state = run({**fresh_config, "userId": "cfg-user"}, submit_form(XMLNS, {}, case={"case_type": "t", "case_name": "n"}))
    assert not any("web-user" in r.getMessage() for r in cc_log.records)
    assert _case(run, fresh_config, state["data"]["case_ids"][0])["owner_id"] == "cfg-user"
    state = run(fresh_config, submit_form(XMLNS, {}, case={"case_type": "t", "case_name": "n", "owner_id": "o"},
                                          meta={"userID": "meta-user", "deviceID": "tablet-7"}))
    with fresh_hq.store.lock:
        meta = fresh_hq.store.forms[state["data"]["form_id"]]["doc"]["metadata"]
    assert meta["userID"] == "meta-user" and meta["deviceID"] == "tablet-7"


TEMPLATE = """<?xml version="1.0"?>
<data xmlns="{{ xmlns }}" name="Visit">
  <patient_name>{{ answers.name }}</patient_name>
  <temperature>{{ answers.temperature }}</temperature>
  {{ case_blocks }}
  {{ meta_block }}
</data>
"""


def test_submit_form_renders_a_projects_jinja2_template(run, fresh_config, fresh_hq, tmp_path):
    path = tmp_path / "visit.xml.j2"
    path.write_text(TEMPLATE, encoding="utf-8")
    state = run(fresh_config, submit_form(XMLNS, {"name": "Zoë & Co", "temperature": 37.5},
                                          case={"case_type": "patient", "case_name": "Zoë"}, template=str(path)))
    with fresh_hq.store.lock:
        form = fresh_hq.store.forms[state["data"]["form_id"]]["doc"]["form"]
    assert form["patient_name"] == "Zoë & Co" and form["temperature"] == "37.5"
    assert _case(run, fresh_config, state["data"]["case_ids"][0])["case_name"] == "Zoë"


def test_a_template_without_meta_is_refused_before_sending(run, fresh_config):
    with pytest.raises(FormError, match="no meta/instanceID"):
        run(fresh_config, submit_form(XMLNS, {"a": 1}, template='<data xmlns="{{ xmlns }}"/>'))
    with pytest.raises(FormError, match="not well-formed"):
        run(fresh_config, submit_form(XMLNS, {}, template="<data>{{ meta_block }}"))


@pytest.mark.parametrize("case, words", [
    ({"case_type": "t"}, "has no case_name"),
    ({"case_id": "x", "colour": "red"}, "unknown key(s) colour"),
    ({"case_type": "t", "case_name": "n", "properties": {"bad name": 1}}, "not a valid XML element name"),
    ({"case_type": "t", "case_name": "n", "index": {"parent": {"temporary_id": "nope", "case_type": "h"}}},
     "no case of this form has temporary_id 'nope'"),
])
def test_invalid_case_dicts_are_named(run, fresh_config, case, words):
    with pytest.raises(FormError) as caught:
        run(fresh_config, submit_form(XMLNS, {}, case=case, meta={"userID": "u"}))
    assert words in caught.value.message


def test_answers_cannot_shadow_case_or_meta(run, fresh_config):
    with pytest.raises(FormError, match="question named 'meta'"):
        run(fresh_config, submit_form(XMLNS, {"meta": 1}, meta={"userID": "u"}))


def test_submitted_cases_are_listed_by_get(run, fresh_config):
    created = run(fresh_config, submit_form(XMLNS, {}, case={"case_type": "clinic", "case_name": "North"}))
    listed = run(fresh_config, get("case", {"type": "clinic"}))
    assert [c["id"] for c in listed["data"]] == created["data"]["case_ids"]


def test_form_name_and_version_are_root_attributes(run, fresh_config, fresh_hq):
    state = run(fresh_config, submit_form(XMLNS, {"q": 1}, name="Visit", version=12, meta={"userID": "u"}))
    with fresh_hq.store.lock:
        form = fresh_hq.store.forms[state["data"]["form_id"]]["doc"]
    assert form["form"]["@name"] == "Visit" and form["version"] == "12" and form["uiversion"] == "1"
