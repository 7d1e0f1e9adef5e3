"""Building a correct XForm from plain dicts, or from a project's own jinja2 template.

The form (js2xmlparser layout, see ``xml.py``)::

    <data xmlns="<form xmlns>" name=".." uiVersion="1" version="1" xmlns:jrm="...">
        <question>answer</question> ...                   answers: dicts are groups, lists repeats
        <case xmlns="http://commcarehq.org/case/transaction/v2" case_id=".." date_modified=".." user_id="..">
            <create><case_type/><case_name/><owner_id/></create>
            <update><property>value</property>...</update>
            <index><parent case_type=".." relationship="child">target case_id</parent></index>
            <close/>
        </case> ...                                        one block per case
        <meta xmlns="http://openrosa.org/jr/xforms">deviceID, timeStart, timeEnd, username,
            userID, instanceID (a fresh uuid4), appVersion</meta>
    </data>

A case is a dict: ``case_id`` (omitted: a new case with a fresh id), ``create`` (default: true when
there is no ``case_id``), ``case_type``, ``case_name``, ``owner_id`` (default: the user), ``external_id``,
``properties`` (alias ``update``), ``index`` (``{name: {"case_id" | "temporary_id", "case_type",
"relationship"}}``), ``close`` (bool) and ``temporary_id`` (a name other cases of the form index by).
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import CommCareError
from .xml import to_xml

__all__ = ["CASE_XMLNS", "META_XMLNS", "BuiltForm", "build_form", "now_iso", "render_template"]

CASE_XMLNS = "http://commcarehq.org/case/transaction/v2"
META_XMLNS = "http://openrosa.org/jr/xforms"
APP_VERSION_XMLNS = "http://commcarehq.org/xforms"
JRM_XMLNS = "http://dev.commcarehq.org/jr/xforms"
CASE_KEYS = {"case_id", "create", "case_type", "case_name", "owner_id", "external_id", "properties", "update",
             "index", "close", "temporary_id", "date_opened"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


class FormError(CommCareError):
    """The form cannot be built from what the job gave (a bad case dict, a broken template)."""


@dataclass
class BuiltForm:
    """An XForm ready to submit: its XML, ``instanceID`` and the ids of the cases it touches."""

    xml: str
    form_id: str
    case_ids: list


def now_iso() -> str:
    """Now in UTC as JavaRosa writes times: ``2024-05-02T10:14:59.207Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _fail(message: str, **details: Any) -> FormError:
    return FormError(message, code="INVALID_FORM", **details)


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(f"{what} {name!r} is not a valid XML element name", fix="Use letters, digits, _ . -")
    return name


class _Cases:
    """Turns case dicts into case blocks, giving new cases ids and resolving ``temporary_id`` links."""

    def __init__(self, specs: list[dict], user_id: str, now: str) -> None:
        self.user_id, self.now = user_id, now
        self.specs = [self._check(spec, n) for n, spec in enumerate(specs, start=1)]
        self.ids = [spec.get("case_id") or str(uuid.uuid4()) for spec in self.specs]
        self.temporary = {spec["temporary_id"]: case_id for spec, case_id in zip(self.specs, self.ids)
                          if spec.get("temporary_id")}

    @staticmethod
    def _check(spec: Any, number: int) -> dict:
        if not isinstance(spec, dict):
            raise _fail(f"case {number} must be a dict, not {type(spec).__name__}")
        unknown = sorted(set(spec) - CASE_KEYS)
        if unknown:
            raise _fail(f"case {number}: unknown key(s) {', '.join(unknown)}", allowed=sorted(CASE_KEYS))
        return spec

    def blocks(self) -> list[dict]:
        return [self._block(spec, case_id, n) for n, (spec, case_id) in enumerate(zip(self.specs, self.ids), 1)]

    def _block(self, spec: dict, case_id: str, number: int) -> dict:
        block: dict = {"@": {"xmlns": CASE_XMLNS, "case_id": case_id, "date_modified": self.now,
                             "user_id": self.user_id}}
        creating = spec.get("create", not spec.get("case_id"))
        fields = {k: spec[k] for k in ("case_type", "case_name", "owner_id") if spec.get(k)}
        if creating:
            missing = [k for k in ("case_type", "case_name") if not spec.get(k)]
            if missing:
                raise _fail(f"case {number} creates a case but has no {' or '.join(missing)}")
            block["create"] = {"case_type": fields["case_type"], "case_name": fields["case_name"],
                               "owner_id": fields.get("owner_id") or self.user_id}
        update = {} if creating else dict(fields)
        for key in ("external_id", "date_opened"):
            if spec.get(key) is not None:
                update[key] = spec[key]
        for key, value in (spec.get("properties") or spec.get("update") or {}).items():
            update[_check_name(key, f"case {number}: property")] = value
        if update:
            block["update"] = update
        if spec.get("index"):
            block["index"] = {_check_name(name, f"case {number}: index"): self._index(ref, number)
                              for name, ref in spec["index"].items()}
        if spec.get("close"):
            block["close"] = {}
        return block

    def _index(self, ref: Any, number: int) -> dict:
        if not isinstance(ref, dict) or not ref.get("case_type"):
            raise _fail(f"case {number}: an index needs case_type and case_id (or temporary_id)")
        target = ref.get("case_id") or ""
        if ref.get("temporary_id"):
            target = self.temporary.get(ref["temporary_id"])
            if target is None:
                raise _fail(f"case {number}: no case of this form has temporary_id {ref['temporary_id']!r}")
        return {"@": {"case_type": ref["case_type"], "relationship": ref.get("relationship") or "child"},
                "#": target}


def _meta(meta: dict, form_id: str, user_id: str, username: str, now: str) -> dict:
    block = {"@": {"xmlns": META_XMLNS}, "deviceID": "pyfn", "timeStart": now, "timeEnd": now,
             "username": username, "userID": user_id, "instanceID": form_id,
             "appVersion": {"@": {"xmlns": APP_VERSION_XMLNS}, "#": "pyfn CommCare adaptor"}}
    for key, value in meta.items():
        block[_check_name(key, "meta field")] = value
    return block


def _parts(answers: dict, cases: list, meta: dict, user_id: str, username: str) -> tuple[dict, dict, _Cases]:
    for key in answers:
        if key in ("case", "meta"):
            raise _fail(f"answers may not have a question named {key!r}: pass cases with case=, meta with meta=")
    now = now_iso()
    resolved = _Cases(cases, user_id, now)
    form_id = str(meta.get("instanceID") or uuid.uuid4())
    return resolved.blocks(), _meta({**meta, "instanceID": form_id}, form_id, user_id, username, now), resolved


def build_form(xmlns: str, answers: dict | None = None, cases: list | None = None, meta: dict | None = None, *,
               user_id: str, username: str, name: str | None = None, version: str = "1") -> BuiltForm:
    """The XForm for ``answers`` and ``cases`` (see the module docstring).

    Raises:
        FormError: a case dict or a name is invalid.
    """
    blocks, meta_block, resolved = _parts(answers or {}, cases or [], meta or {}, user_id, username)
    root = {"xmlns": xmlns, **({"name": name} if name else {}), "uiVersion": "1", "version": str(version),
            "xmlns:jrm": JRM_XMLNS}
    form: dict = {"@": root, **(answers or {})}
    if blocks:
        form["case"] = blocks
    form["meta"] = meta_block
    return BuiltForm(to_xml("data", form), meta_block["instanceID"], resolved.ids)


def _fragment(name: str, value: Any) -> str:
    return to_xml(name, value).split("\n", 1)[1] if value else ""


def render_template(template: str | Path, xmlns: str, answers: dict | None = None, cases: list | None = None,
                    meta: dict | None = None, *, user_id: str, username: str) -> BuiltForm:
    """Render a jinja2 XForm template (a file path or the template text).

    The template sees ``answers``, ``xmlns``, ``form_id``, ``user_id``, ``username``, ``now``,
    ``meta`` (the meta values), ``meta_block`` (the ``<meta>`` element), ``case_blocks`` (every
    ``<case>`` element), ``cases`` and ``case_ids``. Values are XML-escaped; the blocks are not.

    Raises:
        FormError: the template is missing, fails to render, is not well-formed XML, or has no
            ``meta/instanceID`` (add ``{{ meta_block }}``).
    """
    import jinja2
    from markupsafe import Markup

    blocks, meta_block, resolved = _parts(answers or {}, cases or [], meta or {}, user_id, username)
    environment, source = _environment(template)
    context = {"answers": answers or {}, "xmlns": xmlns, "form_id": meta_block["instanceID"], "user_id": user_id,
               "username": username, "now": meta_block["timeEnd"], "cases": cases or [], "case_ids": resolved.ids,
               "meta": {k: v for k, v in meta_block.items() if k != "@"},
               "meta_block": Markup(_fragment("meta", meta_block)),
               "case_blocks": Markup("\n".join(_fragment("case", block) for block in blocks))}
    try:
        text = environment.from_string(source).render(context)
    except jinja2.TemplateError as error:
        raise _fail(f"The XForm template failed to render: {error}") from error
    return BuiltForm(text, _instance_id(text), resolved.ids)


def _environment(template: str | Path):
    import jinja2

    text = str(template)
    looks_like_path = isinstance(template, Path) or ("<" not in text and "{" not in text)
    if not looks_like_path:
        return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined), text
    path = Path(text).expanduser()
    if not path.is_file():
        raise _fail(f"XForm template not found: {text}", fix="Give the template's path or its text")
    loader = jinja2.FileSystemLoader(str(path.parent))
    return (jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined),
            path.read_text(encoding="utf-8"))


def _instance_id(text: str) -> str:
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as error:
        raise _fail(f"The rendered XForm is not well-formed XML: {error}") from error
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == "instanceID" and (element.text or "").strip():
            return element.text.strip()
    raise _fail("The rendered XForm has no meta/instanceID", fix="Put {{ meta_block }} inside the form's root")
