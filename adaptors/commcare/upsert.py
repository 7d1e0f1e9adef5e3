"""``upsert_cases``: create and update many cases with the Case API v2, 100 rows per request.

Each request (``POST /a/<domain>/api/case/v2/`` with a list) becomes one form in HQ and is all or
nothing: a bad row makes HQ answer 400 ``"Error in row 2: ...; Error in row 7: ..."`` and apply
none of the request. Rows are sent so that a row defining a ``temporary_id`` goes before the rows
indexing it; once a chunk is saved, later chunks index those cases by their new ``case_id``.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable

from adaptors.common.references import compose_next_state, expand_references

from .client import call, settings
from .errors import CommCareHTTPError, UpsertError

__all__ = ["upsert_cases"]

log = logging.getLogger("pyfn.adaptor.commcare")
Operation = Callable[[dict], dict]
CHUNK = 100
_ROW_ERROR = re.compile(r"Error in row (\d+): (.*?)(?=; Error in row \d+: |\Z)", re.S)


def _normalised(row: Any, number: int) -> dict:
    if not isinstance(row, dict):
        raise UpsertError(f"Row {number} must be a dict, not {type(row).__name__}", code="INVALID_ROW")
    item = dict(row)
    if "create" not in item:
        if item.get("case_id"):
            item["create"] = False
        elif item.get("temporary_id") or not item.get("external_id"):
            item["create"] = True  # HQ takes temporary_id on creates only
    return item


def _temporary_refs(item: dict) -> set:
    return {ref.get("temporary_id") for ref in (item.get("indices") or {}).values()
            if isinstance(ref, dict) and ref.get("temporary_id")}


def _order(items: list[dict]) -> list[int]:
    """Row positions, stably reordered so a ``temporary_id`` is defined before it is indexed."""
    defined = {item["temporary_id"]: n for n, item in enumerate(items) if item.get("temporary_id")}
    placed: set[int] = set()
    order: list[int] = []

    def place(n: int, trail: tuple) -> None:
        if n in placed or n in trail:
            return
        for ref in _temporary_refs(items[n]):
            if ref in defined:
                place(defined[ref], trail + (n,))
        placed.add(n)
        order.append(n)

    for n in range(len(items)):
        place(n, ())
    return order


class _Run:
    """One upsert: saved cases by row, ``temporary_id`` → ``case_id``, errors, form ids."""

    def __init__(self, state: dict, items: list[dict], on_error: str) -> None:
        self.state, self.items, self.on_error = state, items, on_error
        self.path = f"/a/{settings(state).domain}/api/case/v2/"
        self.cases: list = [None] * len(items)
        self.saved: dict[str, str] = {}
        self.errors: list[dict] = []
        self.form_ids: list[str] = []

    def item(self, n: int) -> dict:
        item = dict(self.items[n])
        if item.get("indices"):
            item["indices"] = {name: self._link(ref) for name, ref in item["indices"].items()}
        return item

    def _link(self, ref: Any) -> Any:
        if isinstance(ref, dict) and ref.get("temporary_id") in self.saved:
            rest = {k: v for k, v in ref.items() if k != "temporary_id"}
            return {**rest, "case_id": self.saved[ref["temporary_id"]]}
        return ref

    def send(self, rows: list[int]) -> None:
        while rows:
            try:
                reply = call(self.state, "POST", self.path, body=[self.item(n) for n in rows])
            except CommCareHTTPError as error:
                rows = self._refused(rows, error)
                continue
            self._saved(rows, reply.data or {})
            return

    def _refused(self, rows: list[int], error: CommCareHTTPError) -> list[int]:
        message = error.body.get("error", "") if isinstance(error.body, dict) else str(error.body or "")
        found = [(int(number), text.strip()) for number, text in _ROW_ERROR.findall(message)]
        if error.status_code != 400 or not found:
            raise error
        bad = {rows[number - 1]: text for number, text in found if 0 < number <= len(rows)}
        new = [{"row": n, "message": text, "case_id": self.items[n].get("case_id"),
                "external_id": self.items[n].get("external_id")} for n, text in sorted(bad.items())]
        self.errors.extend(new)
        if self.on_error == "raise":
            raise UpsertError(f"HQ refused {len(new)} row(s): " + "; ".join(
                f"row {e['row']}: {e['message']}" for e in new[:10]), code="ROWS_REFUSED", errors=new,
                saved=sum(c is not None for c in self.cases), form_ids=self.form_ids,
                fix="Fix the rows named in details.errors (rows count from 0), or pass on_error='report'")
        for entry in new:
            log.warning("upsert_cases: row %d refused: %s", entry["row"], entry["message"])
        return [n for n in rows if n not in bad]

    def _saved(self, rows: list[int], body: dict) -> None:
        form_id = body.get("form_id") or body.get("xform_id")
        if form_id:
            self.form_ids.append(form_id)
        for n, case in zip(rows, body.get("cases") or []):
            self.cases[n] = case
            if self.items[n].get("temporary_id") and isinstance(case, dict):
                self.saved[self.items[n]["temporary_id"]] = case.get("case_id")


def upsert_cases(rows: Any, *, on_error: str = "raise", chunk_size: int = CHUNK) -> Operation:
    """Create and update cases in bulk with the Case API v2 (100 rows per request).

    A row is a v2 case: ``case_type``, ``case_name``, ``owner_id``, ``external_id``, ``properties``
    (string values), ``indices`` (``{"parent": {"case_id" | "external_id" | "temporary_id",
    "case_type", "relationship"}}``), ``close``, ``temporary_id``, and ``create``. Without ``create``,
    a row with ``case_id`` updates that case, a row with ``temporary_id`` or with neither id creates a
    case, and a row with only ``external_id`` is an upsert by external id. ``state["data"]`` becomes ``{"cases": [...],
    "form_ids": [...], "errors": [...]}``: ``cases`` in row order (``None`` for a refused row),
    ``errors`` as ``{"row", "message", "case_id", "external_id"}`` (rows count from 0).

    Args:
        rows: the list of rows; may be lazy.
        on_error: ``"raise"`` (default): stop at the first refused chunk with an ``UpsertError``
            listing its bad rows (earlier chunks stay saved); ``"report"``: send the chunk again
            without its bad rows, go on, and list the refused rows in ``data["errors"]``.
        chunk_size: rows per request (HQ allows at most 100).

    Returns:
        An operation.

    Raises:
        UpsertError: with ``on_error="raise"``, HQ refused rows (``details["errors"]``).

    Example:
        upsert_cases([{"case_type": "mother", "case_name": "Cersei", "owner_id": "u1", "temporary_id": "m1"},
                      {"case_type": "baby", "case_name": "Tommen", "owner_id": "u1",
                       "indices": {"parent": {"temporary_id": "m1", "case_type": "mother"}}},
                      {"external_id": "EH-1", "properties": {"status": "active"}}], on_error="report")

    Differences from OpenFn:
        pyfn only (OpenFn's ``http.post("case/v2", rows)`` sends one request and fails as a whole).
    """
    if on_error not in ("raise", "report"):
        raise ValueError(f"on_error must be 'raise' or 'report', not {on_error!r}")
    if not 0 < chunk_size <= CHUNK:
        raise ValueError(f"chunk_size must be between 1 and {CHUNK}")

    def run(state: dict) -> dict:
        resolved = expand_references(state, rows) or []
        items = [_normalised(row, n) for n, row in enumerate(resolved)]
        job = _Run(state, items, on_error)
        order = _order(items)
        for start in range(0, len(order), chunk_size):
            job.send(order[start:start + chunk_size])
        data = {"cases": job.cases, "form_ids": job.form_ids, "errors": job.errors}
        return compose_next_state(state, data)

    return run
