"""Form records: processing a submitted form (cases, duplicates, edits) and its API JSON.

:func:`process` is the one path every write takes, whatever brought the form
in: the OpenRosa receiver, the Case API v2, the bulk case importer and the
seeder all hand it form JSON (see :mod:`.xform`). It applies the form's case
blocks atomically, stores the form and the cases with fresh ``indexed_on``
values and tells the listeners (data forwarding) once per form.

Example:
    >>> from .documents import Store
    >>> store = Store("demo")
    >>> form = {"#type": "data", "@xmlns": "x", "meta": {"instanceID": "f1", "userID": "u1"}}
    >>> process(store, Submission(form)).status
    'success'
    >>> process(store, Submission(form)).status
    'duplicate'
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from dataclasses import dataclass, field

from . import dates
from .form_json import as_stored
from .cases.records import CaseFailure, apply_blocks
from .xform import case_blocks, json_to_xml

__all__ = ["Submission", "Outcome", "process", "to_api", "form_xml", "attachment", "set_archived"]

SUCCESS_MESSAGE = "   √   "
_CANONICAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\Z")
_INDEXING_DELAY = 1_100_000  # a form given a past receipt time was indexed 1.1 s after it


@dataclass
class Submission:
    """A form on its way in: its JSON, and what the request said about it.

    Example:
        >>> Submission({"#type": "data"}, app_id="demo-app").app_id
        'demo-app'
    """

    form: dict
    xml: str | None = None
    app_id: str | None = None
    build_id: str | None = None
    user_id: str = ""
    username: str = ""
    submit_ip: str = "127.0.0.1"
    is_phone: bool = False
    received: int | None = None
    attachments: dict = field(default_factory=dict)  # name -> (content type, bytes): the other multipart parts


@dataclass
class Outcome:
    """What became of a submission: ``success``, ``duplicate`` or ``failure`` (with HQ's message).

    Example:
        >>> Outcome("f1", "failure", "InvalidCaseIndex: ...").status
        'failure'
    """

    form_id: str
    status: str
    message: str = SUCCESS_MESSAGE
    cases: list = field(default_factory=list)


def _text(value: object) -> object:
    return value.get("#text") if isinstance(value, dict) else value


def _normalised_time(value: object) -> str | None:
    value = _text(value)
    if isinstance(value, str) and _CANONICAL_TIME.match(value):
        return value
    try:
        return dates.iso(dates.parse(str(_text(value))))
    except (ValueError, TypeError):
        return _text(value)


def _metadata(meta: dict) -> dict:
    out = {key: _text(meta.get(key)) for key in ("appVersion", "deviceID", "instanceID", "userID", "username")}
    out["timeStart"] = _normalised_time(meta.get("timeStart"))
    out["timeEnd"] = _normalised_time(meta.get("timeEnd"))
    out["location"] = _text(meta.get("location")) or None
    for key in ("commcare_version", "app_build_version"):
        if key in meta:
            out[key] = _text(meta[key])
    return out


def _form_id(form: dict) -> str:
    meta = form.get("meta") if isinstance(form.get("meta"), dict) else {}
    return str(_text(meta.get("instanceID")) or "").strip() or str(uuid.uuid4())


def _build_doc(store, sub: Submission, form_id: str, received: int) -> dict:
    form = sub.form
    return {
        "id": form_id, "domain": store.domain, "app_id": sub.app_id, "build_id": sub.build_id,
        "archived": False, "type": form.get("#type", "data"), "version": form.get("@version", ""),
        "uiversion": form.get("@uiVersion", ""), "received_on": dates.iso(received),
        "server_modified_on": dates.iso(received), "indexed_on": None, "edited_on": None,
        "edited_by_user_id": None, "is_phone_submission": sub.is_phone,
        "initial_processing_complete": True, "problem": None, "submit_ip": sub.submit_ip,
        "form": form, "metadata": _metadata(form.get("meta") if isinstance(form.get("meta"), dict) else {}),
    }


def _record(doc: dict, sub: Submission, received: int, modified: int, case_ids: list) -> dict:
    form = doc["form"]
    rec = {
        "id": doc["id"], "doc": doc, "xml": sub.xml, "xmlns": form.get("@xmlns", ""),
        "app_id": sub.app_id, "user_id": doc["metadata"]["userID"] or sub.user_id,
        "received": received, "modified": modified, "indexed": 0, "archived": False, "case_ids": case_ids,
    }
    if sub.attachments:
        rec["attachments"] = {name: {"content_type": kind, "data": data}
                              for name, (kind, data) in sub.attachments.items()}
    return rec


def process(store, sub: Submission) -> Outcome:
    """Apply one submission to the store and notify ``store.listeners``; see the module docstring.

    A resubmission of an identical form is a duplicate (nothing changes, HQ
    still answers success); the same ``instanceID`` with other content is an
    edit: the form is replaced (``edited_on`` set) and its case blocks applied.

    Example:
        >>> from .documents import Store
        >>> store = Store("demo")
        >>> form = {"#type": "data", "meta": {"instanceID": "f1"}, "case": {"@case_id": "c1", "create": {
        ...     "case_type": "t", "case_name": "n", "owner_id": "o"}}}
        >>> process(store, Submission(form)).cases[0]["case_type"], store.forms["f1"]["case_ids"]
        ('t', ['c1'])
    """
    sub = dataclasses.replace(sub, form=as_stored(sub.form))
    with store.lock:
        form_id = _form_id(sub.form)
        existing = store.forms.get(form_id)
        if existing is not None and existing["doc"]["form"] == sub.form:
            return Outcome(form_id, "duplicate")
        received = sub.received if sub.received is not None else dates.now()
        blocks = case_blocks(sub.form)
        doc = _build_doc(store, sub, form_id, received)
        try:
            records = apply_blocks(store, blocks, form_id, doc["metadata"]["userID"] or sub.user_id, received)
        except CaseFailure as failure:
            doc.update(problem=str(failure), initial_processing_complete=False)
            store.failed_forms[form_id] = doc
            return Outcome(form_id, "failure", str(failure))
        first_received = received
        if existing is not None:
            first_received = existing["received"]
            doc.update(received_on=existing["doc"]["received_on"], edited_on=dates.iso(received),
                       edited_by_user_id=sub.user_id or doc["metadata"]["userID"])
        at = None if sub.received is None else sub.received + _INDEXING_DELAY
        rec = store.put_form(_record(doc, sub, first_received, received, [r["case_id"] for r in records]), at=at)
        for case in records:
            store.put_case(case, at=at)
        for listener in list(store.listeners):
            listener(rec, records)
        return Outcome(form_id, "success", cases=records)


def form_xml(rec: dict) -> str:
    """The form's XML: as submitted, or rendered from its JSON for generated forms (not kept: memory).

    Example:
        >>> from .documents import Store
        >>> store = Store("demo")
        >>> _ = process(store, Submission({"#type": "data", "@xmlns": "x", "meta": {"instanceID": "f1"}}))
        >>> form_xml(store.forms["f1"])[:40]
        '<?xml version="1.0" ?><data xmlns="x"><m'
    """
    return rec["xml"] if rec.get("xml") is not None else json_to_xml(rec["doc"]["form"])


def _xml_length(rec: dict) -> int:
    if "xml_length" not in rec:
        rec["xml_length"] = len(form_xml(rec).encode("utf-8"))
    return rec["xml_length"]


def to_api(rec: dict, base_url: str, forwarded: bool = False) -> dict:
    """The form as the form API (and the ``form_json`` forwarder) serialises it (section 1.1).

    Example:
        >>> from .documents import Store
        >>> store = Store("demo")
        >>> _ = process(store, Submission({"#type": "data", "meta": {"instanceID": "f1"}}))
        >>> to_api(store.forms["f1"], "http://hq")["resource_uri"]
        '/a/demo/api/v0.5/form/f1/'
    """
    doc = dict(rec["doc"])
    url = f"{base_url}/a/{doc['domain']}/api/form/attachment/{doc['id']}/"
    # corehq/apps/api/resources/v0_4.py XFormInstanceResource.dehydrate_attachments: every blob, form.xml too
    doc["attachments"] = {name: {"content_type": part["content_type"], "length": len(part["data"]), "url": url + name}
                          for name, part in rec.get("attachments", {}).items()}
    doc["attachments"]["form.xml"] = {"content_type": "text/xml", "length": _xml_length(rec), "url": url + "form.xml"}
    doc["resource_uri"] = "" if forwarded else f"/a/{doc['domain']}/api/v0.5/form/{doc['id']}/"
    return doc


def attachment(rec: dict, name: str) -> tuple[str, bytes] | None:
    """A form's attachment by name, as ``(content type, bytes)`` (``form.xml`` is the form itself).

    Example:
        >>> from .documents import Store
        >>> store = Store("demo")
        >>> _ = process(store, Submission({"#type": "data", "meta": {"instanceID": "f1"}},
        ...                               attachments={"photo.jpg": ("image/jpeg", b"\\xff\\xd8")}))
        >>> attachment(store.forms["f1"], "photo.jpg"), attachment(store.forms["f1"], "nope")
        (('image/jpeg', b'\\xff\\xd8'), None)
    """
    if name == "form.xml":
        return "text/xml", form_xml(rec).encode("utf-8")
    part = rec.get("attachments", {}).get(name)
    return None if part is None else (part["content_type"], part["data"])


def set_archived(store, form_id: str, archived: bool) -> dict | None:
    """Archive or restore a form: it gets a new ``server_modified_on`` and ``indexed_on``.

    Example:
        >>> from .documents import Store
        >>> set_archived(Store("demo"), "nope", True) is None
        True
    """
    with store.lock:
        rec = store.forms.get(form_id)
        if rec is None:
            return None
        now = dates.now()
        rec = dict(rec, archived=archived, modified=now)
        rec["doc"] = dict(rec["doc"], archived=archived, server_modified_on=dates.iso(now))
        return store.put_form(rec)
