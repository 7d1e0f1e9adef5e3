"""The OpenRosa receiver: raw and multipart submissions, case blocks, failures, duplicates and edits."""

from __future__ import annotations

import uuid

RECEIVER = "/a/demo/receiver/"
NS = "http://commcarehq.org/case/transaction/v2"


def xform(instance_id: str, cases: str = "", extra: str = "<hh_name>Otieno</hh_name>") -> str:
    return f"""<?xml version="1.0" ?>
<data xmlns="http://example.org/forms/register" name="Register" uiVersion="1" version="12">
  {extra}
  {cases}
  <n1:meta xmlns:n1="http://openrosa.org/jr/xforms">
    <n1:deviceID>sim-device-01</n1:deviceID>
    <n1:timeStart>2024-05-02T10:11:13.855Z</n1:timeStart>
    <n1:timeEnd>2024-05-02T10:14:59.207Z</n1:timeEnd>
    <n1:username>chw1</n1:username>
    <n1:userID>u-chw1</n1:userID>
    <n1:instanceID>{instance_id}</n1:instanceID>
    <n2:appVersion xmlns:n2="http://commcarehq.org/xforms">CommCare Version 2.53</n2:appVersion>
  </n1:meta>
</data>"""


def case_block(case_id: str, body: str) -> str:
    return (f'<n0:case xmlns:n0="{NS}" case_id="{case_id}" date_modified="2024-05-02T10:14:59.207Z" '
            f'user_id="u-chw1">{body}</n0:case>')


def create(name: str, case_type: str = "household") -> str:
    return (f"<n0:create><n0:case_type>{case_type}</n0:case_type><n0:case_name>{name}</n0:case_name>"
            f"<n0:owner_id>u-chw1</n0:owner_id></n0:create>")


def message(response) -> tuple[str, str]:
    text = response.text
    nature = text.split('nature="')[1].split('"')[0]
    return nature, text.split(">", 2)[2].split("</message>")[0]


def test_raw_xml_submission_creates_cases_and_answers_201(fresh_api, fresh_hq):
    form_id, household, patient = (str(uuid.uuid4()) for _ in range(3))
    cases = case_block(household, create("Otieno") + "<n0:update><n0:village>Kisumu</n0:village>"
                       "<n0:external_id>HH-42</n0:external_id></n0:update>")
    cases += case_block(patient, create("Akinyi", "patient") +
                        f'<n0:index><n0:parent case_type="household">{household}</n0:parent></n0:index>')
    response = fresh_api.post(RECEIVER, data=xform(form_id, cases).encode(), headers={"Content-Type": "text/xml"})
    assert response.status_code == 201 and response.headers["Content-Type"].startswith("text/xml")
    assert message(response) == ("submit_success", "   √   ")
    form = fresh_api.get(f"/a/demo/api/v0.5/form/{form_id}/").json()
    assert isinstance(form["form"]["case"], list) and form["form"]["case"][0]["@case_id"] == household
    assert form["form"]["meta"]["appVersion"] == {"@xmlns": "http://commcarehq.org/xforms",
                                                  "#text": "CommCare Version 2.53"}
    assert form["metadata"]["timeStart"] == "2024-05-02T10:11:13.855000Z" and form["app_id"] is None
    assert form["is_phone_submission"] is False
    hh = fresh_api.get(f"/a/demo/api/v0.5/case/{household}/").json()
    assert hh["properties"]["village"] == "Kisumu" and hh["properties"]["external_id"] == "HH-42"
    assert hh["xform_ids"] == [form_id]
    child = fresh_api.get(f"/a/demo/api/case/v2/{patient}/").json()
    assert child["indices"]["parent"] == {"case_id": household, "case_type": "household", "relationship": "child"}


def test_multipart_submission_with_app_id(fresh_api):
    form_id = str(uuid.uuid4())
    response = fresh_api.post(f"{RECEIVER}demo-app/", files={
        "xml_submission_file": ("form.xml", xform(form_id).encode(), "text/xml"),
        "photo.jpg": ("photo.jpg", b"\xff\xd8", "image/jpeg")})
    assert response.status_code == 201
    form = fresh_api.get(f"/a/demo/api/v0.5/form/{form_id}/").json()
    assert form["app_id"] == "demo-app" and form["build_id"] == "demo-app-build-12"


def test_update_close_and_remove_index(fresh_api, fresh_hq):
    patient = next(r for r in fresh_hq.store.cases.values() if r["case_type"] == "patient" and not r["closed"])
    block = case_block(patient["case_id"], "<n0:update><n0:weight>61.5</n0:weight></n0:update>"
                       '<n0:index><n0:parent case_type="household"></n0:parent></n0:index><n0:close/>')
    assert fresh_api.post(RECEIVER, data=xform(str(uuid.uuid4()), block).encode()).status_code == 201
    case = fresh_api.get(f"/a/demo/api/case/v2/{patient['case_id']}/").json()
    assert case["closed"] and case["properties"]["weight"] == "61.5" and case["indices"] == {}
    assert case["date_closed"] == "2024-05-02T10:14:59.207000Z"


def test_unknown_index_target_is_submit_error_or_422_for_openrosa_3(fresh_api, fresh_hq):
    before = (len(fresh_hq.store.forms), len(fresh_hq.store.cases))
    good, bad = str(uuid.uuid4()), str(uuid.uuid4())
    cases = case_block(good, create("Fine")) + case_block(
        bad, create("Orphan", "patient") + '<n0:index><n0:parent case_type="household">missing-parent</n0:parent>'
        "</n0:index>")
    legacy = fresh_api.post(RECEIVER, data=xform(str(uuid.uuid4()), cases).encode())
    assert legacy.status_code == 201
    nature, text = message(legacy)
    assert nature == "submit_error" and f"Case '{bad}' references non-existent case 'missing-parent'" in text
    modern = fresh_api.post(RECEIVER, data=xform(str(uuid.uuid4()), cases).encode(),
                            headers={"X-OpenRosa-Version": "3.0"})
    assert modern.status_code == 422 and message(modern)[0] == "processing_failure"
    assert (len(fresh_hq.store.forms), len(fresh_hq.store.cases)) == before  # atomic: the good case is not there
    assert len(fresh_hq.store.failed_forms) == 2


def test_malformed_xml_is_500_submit_error(fresh_api):
    response = fresh_api.post(RECEIVER, data=b"<data><unclosed></data>")
    assert response.status_code == 500 and message(response)[0] == "submit_error"


def test_duplicate_instance_id_is_accepted_once(fresh_api, fresh_hq):
    form_id, case_id = str(uuid.uuid4()), str(uuid.uuid4())
    body = xform(form_id, case_block(case_id, create("Once"))).encode()
    assert fresh_api.post(RECEIVER, data=body).status_code == 201
    indexed = fresh_hq.store.cases[case_id]["indexed"]
    again = fresh_api.post(RECEIVER, data=body)
    assert again.status_code == 201 and message(again)[0] == "submit_success"
    assert fresh_hq.store.cases[case_id]["indexed"] == indexed  # nothing reprocessed


def test_same_instance_id_with_new_content_is_an_edit(fresh_api, fresh_hq):
    form_id, case_id = str(uuid.uuid4()), str(uuid.uuid4())
    fresh_api.post(RECEIVER, data=xform(form_id, case_block(case_id, create("Before"))).encode())
    first = fresh_api.get(f"/a/demo/api/v0.5/form/{form_id}/").json()
    edited = xform(form_id, case_block(case_id, "<n0:update><n0:case_name>After</n0:case_name></n0:update>"),
                   extra="<hh_name>Edited</hh_name>")
    assert fresh_api.post(RECEIVER, data=edited.encode()).status_code == 201
    second = fresh_api.get(f"/a/demo/api/v0.5/form/{form_id}/").json()
    assert second["form"]["hh_name"] == "Edited" and second["edited_on"] and second["indexed_on"] > first["indexed_on"]
    assert second["received_on"] == first["received_on"]
    assert fresh_hq.store.cases[case_id]["case_name"] == "After"


def test_receiver_needs_credentials_and_answers_mobile_workers(fresh_hq):
    import requests
    body = xform(str(uuid.uuid4())).encode()
    assert requests.post(fresh_hq.url + RECEIVER, data=body).status_code == 401
    worker = requests.post(fresh_hq.url + RECEIVER, data=body, auth=("chw1@demo.commcarehq.org", "demo"))
    assert worker.status_code == 201


def test_a_repeat_of_a_known_form_is_an_object_with_one_entry_and_a_list_with_two(fresh_api):
    # HQ converts the XML without the app's schema (corehq/form_processor/utils/xform.py)
    def submit(entries: int) -> dict:
        form_id = str(uuid.uuid4())
        meds = "<medications><medication>ORS</medication><dose>1</dose></medications>" * entries
        xml = (f'<data xmlns="http://openrosa.org/formdesigner/pyfn-demo/patient-visit">{meds}'
               f'<n1:meta xmlns:n1="http://openrosa.org/jr/xforms"><n1:instanceID>{form_id}</n1:instanceID>'
               "</n1:meta></data>")
        assert fresh_api.post(RECEIVER, data=xml.encode()).status_code == 201
        return fresh_api.get(f"/a/demo/api/v0.5/form/{form_id}/").json()["form"]

    assert submit(1)["medications"] == {"medication": "ORS", "dose": "1"}
    assert submit(2)["medications"] == [{"medication": "ORS", "dose": "1"}] * 2


def test_the_python_api_submits_without_http(fresh_hq):
    outcome = fresh_hq.submit(xform("py-1", case_block("py-case", create("Py"))))
    assert outcome.status == "success" and [c["case_id"] for c in outcome.cases] == ["py-case"]
    assert fresh_hq.submit(xform("py-1", case_block("py-case", create("Py")))).status == "duplicate"
