"""Form submission: OpenFn's ``submit`` (JSON → XML as given) and pyfn's ``submit_form`` (a full XForm).

Both post to ``/a/<domain>/receiver/<appId>/`` (see ``receiver.py``).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

from adaptors.common.references import compose_next_state, expand_references

from .client import settings
from .errors import CommCareHTTPError, ConfigurationError
from .operations import prepare_next_state
from .paging import OffsetPager, pages
from .openrosa import parse_openrosa
from .receiver import post_xform, raise_for_nature
from .xform import build_form, render_template
from .xml import to_xml

__all__ = ["submit", "submit_form", "user_id_of"]

log = logging.getLogger("pyfn.adaptor.commcare")
Operation = Callable[[dict], dict]
_USER_IDS: dict[tuple, str] = {}


def submit(data: Any) -> Operation:
    """Submit a form given as JSON, converted to XML as OpenFn does (js2xmlparser 1.0).

    The dict becomes the ``<data>`` root: ``"@"`` holds attributes (put the form's ``xmlns`` there),
    ``"#"`` an element's text, lists repeat elements. The adaptor adds nothing: the ``meta`` block
    (with a fresh ``instanceID``) and any case blocks are yours to write (``submit_form`` writes them
    for you). ``state["data"]`` becomes HQ's OpenRosa response text.

    Args:
        data: the form as a dict (or JSON text); may be lazy, e.g. ``fields(...)``.

    Returns:
        An operation.

    Raises:
        CommCareHTTPError: HQ answered ≥ 400 (422 ``processing_failure``, 500 malformed XML...).

    Example:
        submit(fields(
            field("@", lambda state: {"xmlns": "http://openrosa.org/formdesigner/register"}),
            field("name", state["data"]["name"]),
            field("n1:meta", lambda state: {"@": {"xmlns:n1": "http://openrosa.org/jr/xforms"},
                                            "n1:instanceID": util.uuid()}),
        ))

    Differences from OpenFn:
        A ``submit_error`` answer is logged as a warning (OpenFn is silent). The raw JSON and the XML
        are logged at debug level (OpenFn prints them). A ``datetime`` is written in ISO 8601 (JavaScript
        writes ``Date.toString()``). The submission is retried on 429/5xx (HQ drops duplicates).
    """

    def run(state: dict) -> dict:
        body = expand_references(state, data)
        xml = to_xml("data", body)
        log.debug("Raw JSON body: %s", json.dumps(body, default=str))
        log.debug("X-form submission: %s", xml)
        reply = post_xform(state, xml)
        nature, message = parse_openrosa(reply.data or "")
        if nature and nature != "submit_success":
            log.warning("HQ answered %s: %s", nature, message)
        return prepare_next_state(state, reply)

    return run


def user_id_of(state: dict) -> str:
    """The HQ user id of ``configuration.username``: ``configuration.userId``, else looked up once.

    Raises:
        ConfigurationError: the user is not listed among the project's web users or mobile workers.
    """
    config = state.get("configuration") or {}
    if config.get("userId"):
        return str(config["userId"])
    cfg = settings(state)
    key = (cfg.host, cfg.domain, cfg.username)
    if key not in _USER_IDS:
        _USER_IDS[key] = _look_up(state, cfg)
    return _USER_IDS[key]


def _look_up(state: dict, cfg) -> str:
    for resource in ("web-user", "user"):
        pager = OffsetPager(f"/a/{cfg.domain}/api/v0.5/{resource}/", {"limit": 1000})
        try:
            for users, _reply in pages(state, pager, resource, progress=False):
                for user in users if isinstance(users, list) else []:
                    if str(user.get("username", "")).lower() == str(cfg.username).lower():
                        return str(user["id"])
        except CommCareHTTPError as error:
            if error.status_code not in (403, 404):
                raise
    raise ConfigurationError(f"Could not find the user id of {cfg.username} in project {cfg.domain}",
                             code="UNKNOWN_USER", fix="Pass meta={'userID': ...} to submit_form or set "
                                                      "configuration.userId")


def submit_form(xmlns: Any, answers: Any = None, case: Any = None, meta: Any = None, *,
                template: Any = None, name: Any = None, version: Any = "1") -> Operation:
    """Submit a complete XForm built from plain dicts: answers, case changes and a fresh meta block.

    The form gets the ``meta`` block HQ needs (``instanceID`` = a new uuid4, ``timeStart``/``timeEnd``
    = now, ``username``, ``userID``) and one case block per case dict, so one form can create, update,
    close and index several cases. A case dict has ``case_id`` (omit it to create a new case),
    ``case_type``, ``case_name``, ``owner_id`` (default: the user), ``external_id``, ``properties``,
    ``index`` (``{"parent": {"case_id" or "temporary_id", "case_type", "relationship"}}``), ``close``
    and ``temporary_id`` (a name the other cases of the form can index). With ``template`` the form is
    rendered from the project's own jinja2 XForm instead (see ``xform.render_template``: it gets
    ``answers``, ``meta_block``, ``case_blocks``...). ``state["data"]`` becomes ``{"form_id",
    "case_ids", "nature", "message"}``.

    Args:
        xmlns: the form's xmlns (the form designer's ``http://openrosa.org/formdesigner/...``).
        answers: question → value; dicts are groups, lists are repeats; may be lazy.
        case: one case dict or a list of them; may be lazy.
        meta: meta fields to set or override (``userID``, ``deviceID``, ``instanceID``...).
        template: a path to a jinja2 XForm template, or its text.
        name: the form's name (root attribute). version: the form's version (root attribute).

    Returns:
        An operation.

    Raises:
        SubmissionError: HQ answered ``processing_failure`` or ``submit_error``; the message is HQ's.
        FormError: a case dict or the template is invalid.

    Example:
        submit_form("http://openrosa.org/formdesigner/register-household",
                    {"hh_name": state["data"]["name"], "village": "Kondele"},
                    case=[{"temporary_id": "hh", "case_type": "household", "case_name": state["data"]["name"],
                           "properties": {"village": "Kondele"}},
                          {"case_type": "patient", "case_name": "Akinyi", "properties": {"dob": "1990-01-01"},
                           "index": {"parent": {"temporary_id": "hh", "case_type": "household"}}}])

    Differences from OpenFn:
        pyfn only (OpenFn's ``submit`` leaves the XForm, its meta block and its case blocks to the job).
    """

    def run(state: dict) -> dict:
        values = expand_references(state, {"xmlns": xmlns, "answers": answers, "case": case, "meta": meta,
                                           "template": template, "name": name, "version": version})
        built = _build(state, values)
        log.debug("X-form submission: %s", built.xml)
        try:
            reply = post_xform(state, built.xml)
        except CommCareHTTPError as error:
            if isinstance(error.body, str) and "<OpenRosaResponse" in error.body:
                raise_for_nature(error, built.form_id)
            raise
        nature, message = raise_for_nature(reply, built.form_id)
        data = {"form_id": built.form_id, "case_ids": built.case_ids, "nature": nature, "message": message}
        return {**compose_next_state(state, data), "response": reply.meta()}

    return run


def _build(state: dict, values: dict):
    meta = dict(values["meta"] or {})
    cases = values["case"] if isinstance(values["case"], list) else ([values["case"]] if values["case"] else [])
    user_id = str(meta.get("userID") or user_id_of(state))
    username = str(meta.get("username") or settings(state).username or "")
    if values["template"]:
        return render_template(values["template"], str(values["xmlns"]), values["answers"], cases, meta,
                               user_id=user_id, username=username)
    return build_form(str(values["xmlns"]), values["answers"], cases, meta, user_id=user_id, username=username,
                      name=values["name"], version=values["version"] or "1")
