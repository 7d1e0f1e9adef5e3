"""Bulk uploads: ``submit_xls`` and ``bulk`` build an xlsx workbook, post it, and wait for HQ's import.

- case data: ``POST /a/<domain>/importer/excel/bulk_upload_api/`` (field ``file``); HQ answers
  ``{"code", "message", "status_url"}`` and imports in the background: the adaptor polls
  ``status_url`` until ``state`` is 2 (complete) or 3 (failed).
- lookup tables: ``POST /a/<domain>/fixtures/fixapi/`` (field ``file-to-upload``), polled the same
  way when HQ hands back a ``status_url`` (``async``).

``state["data"]`` holds HQ's answer plus the import's outcome: ``state``, ``result`` (HQ's status
result), ``created`` (``created_count``), ``updated`` (``match_count``) and ``errors`` (HQ's row
errors: ``{"title", "description", "column", "rows"}``).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

from adaptors.common.references import compose_next_state, expand_references

from .client import Reply, call, local_path, settings
from .errors import CommCareError, CommCareHTTPError, ImportFailed
from .workbook import XLSX_MIME, workbook_bytes

__all__ = ["bulk", "submit_xls"]

log = logging.getLogger("pyfn.adaptor.commcare")
Operation = Callable[[dict], dict]
COMPLETE, FAILED = 2, 3
POLL_TIMEOUT = 600.0
_XLS_PARAMS = ("case_type", "search_field", "create_new_cases")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _upload(state: dict, path: str, field: str, sheets: dict, params: dict) -> Reply:
    files = [(field, ("data.xlsx", workbook_bytes(sheets), XLSX_MIME))]
    files += [(str(k), (None, _text(v))) for k, v in params.items()]
    return call(state, "POST", path, files=files, parse_as="json")


def _poll(state: dict, status_url: str, timeout: float) -> dict:
    """The status document once HQ's import has ended (or ``ImportFailed`` after ``timeout`` seconds)."""
    deadline, wait = time.monotonic() + timeout, 0.1
    while True:
        status = call(state, "GET", local_path(status_url)).data or {}
        if status.get("state") in (COMPLETE, FAILED):
            return status
        if time.monotonic() + wait > deadline:
            raise ImportFailed(f"The import did not finish within {timeout:g}s (state {status.get('state')})",
                               code="IMPORT_TIMEOUT", status=status, status_url=status_url,
                               fix="Raise poll_timeout, or pass wait=False and check status_url later")
        settings(state).sleep(wait)
        wait = min(wait * 2, 2.0)


def _outcome(state: dict, answer: Any, wait: bool, timeout: float) -> dict:
    data = dict(answer) if isinstance(answer, dict) else {"message": answer}
    if isinstance(data.get("message"), str):
        data["message"] = data["message"].replace("\n", "")
    if not wait or not data.get("status_url"):
        return data
    status = _poll(state, data["status_url"], timeout)
    result = status.get("result") or {}
    data.update(state=status.get("state"), result=result, created=result.get("created_count", 0),
                updated=result.get("match_count", 0), errors=result.get("errors") or [])
    if status.get("state") == FAILED:
        raise ImportFailed(f"HQ's import failed: {_summary(data['errors']) or 'no reason given'}",
                           code="IMPORT_FAILED", status=status, fix="Check details.status.result.errors")
    if data["errors"]:
        log.warning("import finished with row errors: %s", _summary(data["errors"]))
    log.info("import complete: %d created, %d updated", data["created"], data["updated"])
    return data


def _summary(errors: list) -> str:
    return "; ".join(f"{e.get('title')}: {e.get('description')} (rows {e.get('rows')})" for e in errors[:5])


def _refused(error: CommCareHTTPError) -> CommCareError:
    body = error.body if isinstance(error.body, dict) else {"message": error.body}
    return CommCareError(f"HQ refused the upload: {body.get('message') or error.message}", code="UPLOAD_REFUSED",
                         body=body, statusCode=error.status_code, fix=error.fix)


def submit_xls(data: Any, params: Any = None, *, wait: bool = True, poll_timeout: float = POLL_TIMEOUT) -> Operation:
    """Upload rows as a case import (HQ's bulk case importer) and wait for it to finish.

    The rows become the first sheet of an xlsx workbook (a header of every key) sent to
    ``/a/<domain>/importer/excel/bulk_upload_api/`` with ``case_type``, ``search_field`` (``case_id``
    or ``external_id``) and ``create_new_cases`` (``"on"``) from ``params``.

    Args:
        data: a list of row dicts; may be lazy.
        params: ``{"case_type", "search_field", "create_new_cases"}`` (only these are sent); may be lazy.
        wait: poll HQ's status until the import ends (default); ``False`` returns HQ's first answer.
        poll_timeout: seconds to wait for the import before raising ``ImportFailed``.

    Returns:
        An operation; ``state["data"]`` is ``{"code", "message", "status_url", "state", "result",
        "created", "updated", "errors"}``.

    Raises:
        ImportFailed: HQ's import failed or did not end in time.
        CommCareError: HQ refused the upload (its ``message`` in ours).

    Example:
        submit_xls([{"case_id": "", "name": "Zoë", "village": "Yala"}],
                   {"case_type": "patient", "search_field": "case_id", "create_new_cases": "on"})

    Differences from OpenFn:
        Writes an xlsx workbook (OpenFn's SheetJS writes legacy .xls), waits for the import and reports
        its counts and row errors (OpenFn returns HQ's first answer). ``params`` may be lazy.
    """

    def run(state: dict) -> dict:
        rows = expand_references(state, data)
        options = expand_references(state, params) or {}
        sent = {k: options[k] for k in _XLS_PARAMS if k in options}
        path = f"/a/{settings(state).domain}/importer/excel/bulk_upload_api/"
        try:
            reply = _upload(state, path, "file", {"SheetJS": list(rows or [])}, sent)
        except CommCareHTTPError as error:
            raise _refused(error) from error
        next_state = compose_next_state(state, _outcome(state, reply.data, wait, poll_timeout))
        return {**next_state, "response": reply.meta()}

    return run


def bulk(type: str, data: Any, params: Any = None, *, wait: bool = True,  # noqa: A002 - OpenFn's name
         poll_timeout: float = POLL_TIMEOUT) -> Operation:
    """Bulk-upload case data or lookup tables as an xlsx workbook, and wait for HQ to import it.

    - ``"case-data"``: ``data`` is a list of rows, sent as field ``file`` to the case importer with
      every ``params`` key as a form field (``case_type``, ``search_field``, ``search_column``,
      ``create_new_cases``, ``name_column``).
    - ``"lookup-table"``: ``data`` is ``{sheet name: rows}`` (a ``types`` sheet and one per table),
      sent as ``file-to-upload`` to ``/fixtures/fixapi/`` with ``params`` (``replace``, ``async``).

    Args:
        type: ``"case-data"`` or ``"lookup-table"`` (any case).
        data: rows, or sheets of rows; may be lazy.
        params: form fields (values sent as text, booleans as ``true``/``false``); may be lazy.
        wait: poll HQ's ``status_url`` until the import ends (default).
        poll_timeout: seconds to wait before raising ``ImportFailed``.

    Returns:
        An operation; ``state["data"]`` is ``{"message", "code", ...}`` plus, after waiting,
        ``state``, ``result``, ``created``, ``updated`` and ``errors``.

    Raises:
        ValueError: an unknown ``type`` (OpenFn's "Unrecognized type").
        ImportFailed: HQ's import failed or did not end in time.

    Example:
        bulk("case-data", state["data"]["rows"], {"case_type": "patient", "search_field": "external_id",
                                                   "search_column": "external_id", "create_new_cases": "on"})

    Differences from OpenFn:
        Waits for the import and reports its counts and row errors; ``params`` may be lazy; the whole
        answer is kept in ``data`` (OpenFn keeps ``message`` and ``code``).
    """
    kind = str(type).lower()
    if kind not in ("case-data", "lookup-table"):
        error = ValueError("Unrecognized type")
        error.description = f"The type key was not recognized: {type}"  # type: ignore[attr-defined]
        error.fix = "Set type to case-data or lookup-table"  # type: ignore[attr-defined]
        raise error

    def run(state: dict) -> dict:
        rows = expand_references(state, data)
        options = expand_references(state, params) or {}
        domain = settings(state).domain
        if kind == "case-data":
            path, field, sheets = f"/a/{domain}/importer/excel/bulk_upload_api/", "file", {"SheetJS": list(rows or [])}
        else:
            if not isinstance(rows, dict):
                raise TypeError("bulk('lookup-table', data): data must be {sheet name: rows}, with a 'types' sheet")
            path, field, sheets = f"/a/{domain}/fixtures/fixapi/", "file-to-upload", rows
        try:
            reply = _upload(state, path, field, sheets, options)
        except CommCareHTTPError as error:
            raise _refused(error) from error
        next_state = compose_next_state(state, _outcome(state, reply.data, wait, poll_timeout))
        return {**next_state, "response": reply.meta()}

    return run
