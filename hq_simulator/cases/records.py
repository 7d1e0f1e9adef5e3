"""Case records: applying case blocks, and the three JSON shapes HQ serves a case in.

A case record is a dict with HQ's case fields (dates as microseconds):
``case_id, domain, case_type, case_name, owner_id, external_id, user_id,
opened_by, closed_by, closed, date_opened, date_closed, date_modified,
server_date_opened, server_date_modified, indexed, xform_ids, properties,
indices``. :func:`apply_blocks` turns a form's case blocks into new records
without writing anything, so a submission is all-or-nothing.

Example:
    >>> from ..xform import CaseBlock
    >>> from ..documents import Store
    >>> block = CaseBlock("c1", create={"case_type": "patient", "case_name": "Zoë", "owner_id": "u1"})
    >>> [rec["case_name"] for rec in apply_blocks(Store("demo"), [block], "f1", "u1", 0)]
    ['Zoë']
"""

from __future__ import annotations

from .. import dates
from ..xform import CaseBlock

__all__ = ["CaseFailure", "apply_blocks", "to_v05", "to_forward", "to_v2", "SPECIAL_PROPERTIES"]

SPECIAL_PROPERTIES = ("case_name", "case_type", "owner_id", "external_id", "date_opened")


class CaseFailure(Exception):
    """A form's case blocks cannot be applied (HQ's "processing failure"), e.g. an unknown index target.

    Example:
        >>> str(CaseFailure("InvalidCaseIndex: ..."))
        'InvalidCaseIndex: ...'
    """


def _new_case(store, case_id: str, user_id: str, received: int) -> dict:
    return {
        "case_id": case_id, "domain": store.domain, "case_type": "", "case_name": "", "owner_id": user_id,
        "external_id": None, "user_id": user_id, "opened_by": user_id, "closed_by": None, "closed": False,
        "date_opened": received, "date_closed": None, "date_modified": received,
        "server_date_opened": received, "server_date_modified": received, "indexed": 0,
        "xform_ids": [], "properties": {}, "indices": {},
    }


def _copy(rec: dict) -> dict:
    copy = dict(rec)
    copy["properties"] = dict(rec["properties"])
    copy["indices"] = dict(rec["indices"])
    copy["xform_ids"] = list(rec["xform_ids"])
    return copy


def _phone_time(text: str, default: int) -> int:
    try:
        return dates.parse(text) if text else default
    except ValueError:
        return default


def _set_field(rec: dict, name: str, value: str, modified: int) -> None:
    if name == "date_opened":
        rec["date_opened"] = _phone_time(value, modified)
    elif name == "external_id":
        rec["external_id"] = value or None
    elif name in SPECIAL_PROPERTIES:
        rec[name] = value
    else:
        rec["properties"][name] = value


def _apply_index(rec: dict, block: CaseBlock) -> None:
    for ident, (case_type, relationship, target) in block.index.items():
        if not target:
            rec["indices"].pop(ident, None)
            continue
        rec["indices"][ident] = {"case_id": target, "case_type": case_type,
                                 "relationship": relationship or "child"}


def _apply_block(store, staged: dict, block: CaseBlock, form_id: str, user_id: str, received: int) -> dict:
    if not block.case_id:
        raise CaseFailure("IllegalCaseId: case_id must not be empty")
    existing = staged.get(block.case_id) or store.cases.get(block.case_id)
    author = block.user_id or user_id
    rec = _copy(existing) if existing else _new_case(store, block.case_id, author, received)
    modified = _phone_time(block.date_modified, received)
    if block.create is not None:
        for name in ("case_type", "case_name", "owner_id", "external_id"):
            if block.create.get(name):
                _set_field(rec, name, block.create[name], modified)
        if not existing:
            rec["date_opened"] = modified
    for name, value in block.update.items():
        _set_field(rec, name, value, modified)
    _apply_index(rec, block)
    if block.close:
        rec.update(closed=True, date_closed=modified, closed_by=author)
    rec.update(user_id=author, date_modified=modified, server_date_modified=received)
    if form_id not in rec["xform_ids"]:
        rec["xform_ids"].append(form_id)
    return rec


def apply_blocks(store, blocks: list[CaseBlock], form_id: str, user_id: str, received: int) -> list[dict]:
    """Return the new records of every case the blocks touch (in block order), or raise :class:`CaseFailure`.

    An update to a case that does not exist yet creates it, as HQ does; an
    index to a case that exists neither in the store nor anywhere in the same
    form is a failure. Nothing is written: the caller stores the records.

    Example:
        >>> from ..documents import Store
        >>> apply_blocks(Store("demo"), [CaseBlock("c", update={"x": "1"})], "f", "u", 0)[0]["properties"]
        {'x': '1'}
    """
    if blocks and store.read_only_cases:
        raise CaseFailure(store.read_only_cases)
    staged: dict[str, dict] = {}
    for block in blocks:
        staged[block.case_id] = _apply_block(store, staged, block, form_id, user_id, received)
    for block in blocks:  # as HQ, indices are checked once the whole form is applied: order does not matter
        for _, _, target in block.index.values():
            if target and target not in staged and target not in store.cases:
                raise CaseFailure(
                    f"InvalidCaseIndex: Case '{block.case_id}' references non-existent case '{target}'")
    return list(staged.values())


def _properties(rec: dict) -> dict:
    return {
        **rec["properties"], "case_name": rec["case_name"], "case_type": rec["case_type"],
        "owner_id": rec["owner_id"], "external_id": rec["external_id"],
        "date_opened": dates.iso(rec["date_opened"]),
    }


def to_forward(rec: dict) -> dict:
    """The case as HQ forwards it (``to_api_json(lite=True)``): full state, no reverse indices.

    Example:
        >>> sorted(to_forward({**_new_case(type("S", (), {"domain": "d"}), "c", "u", 0)}))[:3]
        ['attachments', 'case_id', 'closed']
    """
    return {
        "domain": rec["domain"], "case_id": rec["case_id"], "user_id": rec["user_id"],
        "closed": rec["closed"], "date_closed": dates.iso(rec["date_closed"]),
        "date_modified": dates.iso(rec["date_modified"]),
        "server_date_modified": dates.iso(rec["server_date_modified"]),
        "server_date_opened": dates.iso(rec["server_date_opened"]),
        "opened_by": rec["opened_by"], "closed_by": rec["closed_by"], "version": "2.0",
        "xform_ids": list(rec["xform_ids"]), "properties": _properties(rec),
        "indices": {k: dict(v) for k, v in rec["indices"].items()}, "attachments": {},
    }


def to_v05(rec: dict, store) -> dict:
    """The case as an object of the v0.5 case API (adds ``id``, ``indexed_on``, ``reverse_indices``).

    Example:
        >>> from ..documents import Store
        >>> store = Store("demo")
        >>> rec = store.put_case(apply_blocks(store, [CaseBlock("c")], "f", "u", 0)[0])
        >>> to_v05(rec, store)["resource_uri"]
        '/a/demo/api/v0.5/case/c/'
    """
    doc = to_forward(rec)
    reverse = {}
    for child_id in sorted(store.children.get(rec["case_id"], ())):
        child = store.cases.get(child_id)
        for ident, index in (child["indices"] if child else {}).items():
            if index["case_id"] == rec["case_id"]:  # HQ keys reverse indices by identifier: last child wins
                reverse[ident] = {"case_id": child_id, "case_type": child["case_type"],
                                  "relationship": index["relationship"]}
    doc.update(id=rec["case_id"], indexed_on=dates.iso(rec["indexed"]), reverse_indices=reverse,
               resource_uri=f"/a/{rec['domain']}/api/v0.5/case/{rec['case_id']}/")
    return doc


def to_v2(rec: dict) -> dict:
    """The case as the Case API v2 serialises it (``serialize_es_case``).

    Example:
        >>> from ..documents import Store
        >>> rec = apply_blocks(Store("demo"), [CaseBlock("c", update={"dob": "2001-02-03"})], "f", "u", 0)[0]
        >>> to_v2(rec)["properties"]
        {'dob': '2001-02-03'}
    """
    return {
        "domain": rec["domain"], "case_id": rec["case_id"], "case_type": rec["case_type"],
        "case_name": rec["case_name"], "external_id": rec["external_id"], "owner_id": rec["owner_id"],
        "date_opened": dates.iso(rec["date_opened"]), "last_modified": dates.iso(rec["date_modified"]),
        "server_last_modified": dates.iso(rec["server_date_modified"]),
        "indexed_on": dates.iso(rec["indexed"]), "closed": rec["closed"],
        "date_closed": dates.iso(rec["date_closed"]), "is_deprecated": False,
        "properties": dict(rec["properties"]),
        "indices": {k: dict(v) for k, v in rec["indices"].items()},
    }
