"""A phone's multipart submission seen as HQ serves it: one-entry repeat, UTC datetimes, a JPEG attachment.

Written to HQ's behaviour: ``convert_xform_to_json`` and ``adjust_datetimes``
(corehq/form_processor/utils/xform.py), ``get_instance_and_attachment``
(corehq/apps/receiverwrapper/util.py), ``XFormInstanceResource.dehydrate_attachments``
(corehq/apps/api/resources/v0_4.py) and ``FormAttachmentAPI`` (corehq/apps/api/object_fetch_api.py).
"""

from __future__ import annotations

import uuid
from urllib.parse import urlparse

import pytest

from hq_simulator.form_json import as_stored

FORM_XMLNS = "http://openrosa.org/formdesigner/household-survey"
# The start of a real JPEG (SOI, JFIF APP0) and its end marker, with bytes that are not UTF-8 in between.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) + b"\xff\xd9"


def survey_xml(form_id: str, members: list[str]) -> bytes:
    entries = "".join(f"<members><name>{name}</name><seen_at>2024-05-02T10:11:13.855+03:00</seen_at></members>"
                      for name in members)
    return f"""<?xml version="1.0" ?>
<data xmlns="{FORM_XMLNS}" name="Household survey" uiVersion="1" version="7">
  <visit_time>2024-05-02T10:11:13.855+03:00</visit_time>
  <visit_date>2024-05-02</visit_date>
  <phone>+254700000001</phone>
  {entries}
  <photo>house.jpg</photo>
  <n1:meta xmlns:n1="http://openrosa.org/jr/xforms">
    <n1:deviceID>commcare_abc</n1:deviceID>
    <n1:timeStart>2024-05-02T10:01:00.000+03:00</n1:timeStart>
    <n1:timeEnd>2024-05-02T10:14:59.207+03:00</n1:timeEnd>
    <n1:username>chw1</n1:username>
    <n1:userID>u-chw1</n1:userID>
    <n1:instanceID>{form_id}</n1:instanceID>
  </n1:meta>
</data>""".encode()


def submit_multipart(api, form_id: str, members: list[str]):
    files = {"xml_submission_file": ("form.xml", survey_xml(form_id, members), "text/xml"),
             "house.jpg": ("house.jpg", JPEG, "image/jpeg")}
    return api.post("/a/demo/receiver/", files=files, headers={"X-OpenRosa-Version": "3.0"})


@pytest.fixture
def forwarded(fresh_hq, receiver):
    fresh_hq.add_forwarder("form", receiver.url + "/forms", include_app_id_param=False)
    return receiver


def test_a_multipart_phone_submission_as_the_form_api_serves_it(fresh_api):
    form_id = str(uuid.uuid4())
    assert submit_multipart(fresh_api, form_id, ["Akinyi"]).status_code == 201
    doc = fresh_api.get(f"/a/demo/api/v0.5/form/{form_id}/").json()
    form = doc["form"]
    assert form["members"] == {"name": "Akinyi", "seen_at": "2024-05-02T07:11:13.855000Z"}
    assert form["visit_time"] == "2024-05-02T07:11:13.855000Z"
    assert form["visit_date"] == "2024-05-02" and form["phone"] == "+254700000001"
    assert form["meta"]["timeStart"] == "2024-05-02T07:01:00.000000Z"
    assert doc["metadata"]["timeEnd"] == "2024-05-02T07:14:59.207000Z"
    photo = doc["attachments"]["house.jpg"]
    assert photo["content_type"] == "image/jpeg" and photo["length"] == len(JPEG)
    assert photo["url"].endswith(f"/a/demo/api/form/attachment/{form_id}/house.jpg")
    assert doc["attachments"]["form.xml"]["content_type"] == "text/xml"


def test_the_attachment_url_gives_back_the_bytes_and_their_type(fresh_api):
    form_id = str(uuid.uuid4())
    submit_multipart(fresh_api, form_id, ["Akinyi", "Baraka"])
    doc = fresh_api.get(f"/a/demo/api/v0.5/form/{form_id}/").json()
    assert [m["name"] for m in doc["form"]["members"]] == ["Akinyi", "Baraka"]
    photo = fresh_api.get(urlparse(doc["attachments"]["house.jpg"]["url"]).path)
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg" and photo.content == JPEG
    xml = fresh_api.get(urlparse(doc["attachments"]["form.xml"]["url"]).path)
    assert xml.content == survey_xml(form_id, ["Akinyi", "Baraka"])  # as submitted, offsets and all
    assert fresh_api.get(f"/a/demo/api/form/attachment/{form_id}/nothing.jpg").status_code == 404


def test_data_forwarding_sends_the_same_json_with_the_attachment_listed(fresh_hq, fresh_api, forwarded):
    form_id = str(uuid.uuid4())
    submit_multipart(fresh_api, form_id, ["Akinyi"])
    fresh_hq.wait_for_records(1, "SUCCESS")
    body = forwarded.json_bodies()[0]
    served = fresh_api.get(f"/a/demo/api/v0.5/form/{form_id}/").json()
    assert body["form"] == served["form"] and body["form"]["members"]["name"] == "Akinyi"
    assert body["attachments"] == served["attachments"]
    download = fresh_api.get(urlparse(body["attachments"]["house.jpg"]["url"]).path)
    assert download.content == JPEG


def test_every_source_of_form_json_gets_hqs_shape(fresh_hq, fresh_api):
    outcome = fresh_hq.add_form({"#type": "data", "@xmlns": FORM_XMLNS, "members": [{"name": "Zoë"}],
                                 "when": "2024-05-02 10:11:13+03:00",
                                 "meta": {"instanceID": "json-1", "timeEnd": "2024-05-02T10:14:59-01:00"}})
    form = fresh_api.get(f"/a/demo/api/v0.5/form/{outcome.form_id}/").json()
    assert form["form"]["members"] == {"name": "Zoë"} and form["form"]["when"] == "2024-05-02T07:11:13.000000Z"
    assert form["metadata"]["timeEnd"] == "2024-05-02T11:14:59.000000Z"


def test_seeded_forms_have_no_list_of_one_anywhere(hq):
    def lists_of_one(node) -> int:
        if isinstance(node, list):
            return (len(node) == 1) + sum(lists_of_one(item) for item in node)
        if isinstance(node, dict):
            return sum(lists_of_one(value) for value in node.values())
        return 0

    forms = [rec["doc"]["form"] for rec in hq.store.forms.values()]
    assert sum(lists_of_one(form) for form in forms) == 0
    assert any(isinstance(form.get("members"), dict) for form in forms)
    assert any(isinstance(form.get("members"), list) for form in forms)


@pytest.mark.parametrize("text, stored", [
    ("2024-05-02T10:11:13.855+03:00", "2024-05-02T07:11:13.855000Z"),
    ("2024-05-02T10:11:13Z", "2024-05-02T10:11:13.000000Z"),
    ("2024-05-02T10:11:13", "2024-05-02T10:11:13.000000Z"),      # no offset: taken as UTC
    ("2024-05-02 23:30-02:00", "2024-05-03T01:30:00.000000Z"),
    ("2024-05-02", "2024-05-02"),                                  # a date alone is not a datetime
    ("10:11:13", "10:11:13"),
    ("12345678901234", "12345678901234"),
])
def test_datetime_like_strings_are_stored_in_utc(text, stored):
    assert as_stored({"q": text}) == {"q": stored}


def test_attachments_survive_saving_and_loading_the_state_file(fresh_hq, fresh_api, tmp_path):
    from hq_simulator import CommCareSimulator
    form_id = str(uuid.uuid4())
    submit_multipart(fresh_api, form_id, ["Akinyi"])
    path = fresh_hq.save(str(tmp_path / "hq.json"))
    with CommCareSimulator(state_file=path) as again:
        doc = again.store.forms[form_id]
        assert doc["attachments"]["house.jpg"] == {"content_type": "image/jpeg", "data": JPEG}
