"""Bulk case import: ``POST /a/<domain>/importer/excel/bulk_upload_api/`` and its status URL.

The multipart form carries ``file`` (``.xlsx``, ``.xls`` or ``.csv`` by its name; the first sheet,
a header row), ``case_type`` (required), ``search_field`` (``case_id`` or ``external_id``, default
``case_id``), ``search_column`` (default: the search field), ``create_new_cases=on`` and
``name_column`` (default ``name``). The upload's checks and messages are HQ's
(:mod:`importer_file`). Columns ``owner_id``, ``external_id``, ``parent_id`` (with ``parent_type``,
``parent_relationship_type``, ``parent_identifier``) and ``close`` (``yes``) are special; the others
become case properties. Rows follow HQ's ``do_import`` (corehq/apps/case_importer/do_import.py): a
case is found by its id or external id among cases of ``case_type`` only; a row that finds none is
created with ``create_new_cases=on`` (with an empty name when it has none) and skipped silently
without; a blank search value with ``search_field=external_id`` is a ``Blank External ID`` error, two
cases with the external id ``Too Many Matches``, a parent not found among cases of ``parent_type``
(default: ``case_type``) ``Invalid Parent ID``. The answer is ``{"code": 200, "message": "success",
"status_url"}``; the status is ``{"state": 0|1|2|3, "progress": {"percent"}, "result":
{"match_count", "created_count", "failed_count", "num_chunks", "errors": [{"title", "description",
"column", "rows"}]}}`` (2 = complete, 3 = failed). Rows are applied in chunks of 100, one form each.

Example:
    >>> _options({"case_type": "patient"})["search_column"]
    'case_id'
"""

from __future__ import annotations

import threading
import uuid

from . import dates, forms
from .importer_file import NO_CASES, UploadRefused, check_columns, read_rows
from .messages import Response
from .xform import CASE_XMLNS, META_XMLNS

__all__ = ["register", "IMPORTER_XMLNS", "CHUNK_SIZE"]

IMPORTER_XMLNS = "http://commcarehq.org/case"
CHUNK_SIZE = 100
_SPECIAL = {"owner_id", "external_id", "parent_id", "parent_type", "parent_relationship_type", "parent_identifier",
            "close"}
# HQ's row errors (corehq/apps/case_importer/exceptions.py): title and description
BLANK_EXTERNAL_ID = ("Blank External ID", "Blank external ids were found in these rows causing as error when "
                                          "importing cases.")
TOO_MANY_MATCHES = ("Too Many Matches", "These rows matched more than one case at the same time - this means that "
                                        "there are cases in your system with the same external ID.")
INVALID_PARENT = ("Invalid Parent ID", "An invalid or unknown parent case was specified for the uploaded case.")


class _Import:
    """One import job: options, rows, and the result as it is computed."""

    def __init__(self, options: dict, rows: list[dict], account: dict) -> None:
        self.options, self.rows, self.account = options, rows, account
        self.state, self.percent = 0, 0
        self.result = {"match_count": 0, "created_count": 0, "failed_count": 0, "num_chunks": 0, "errors": []}
        self._errors: dict[tuple, dict] = {}

    def error(self, title: str, description: str, column: str | None, row: int) -> None:
        """Record a row error, grouped by title and column as HQ shows them."""
        self.result["failed_count"] += 1
        entry = self._errors.setdefault((title, column), {"title": title, "description": description,
                                                           "column": column, "rows": []})
        entry["rows"].append(row)

    def status(self) -> dict:
        """The status document served at the status URL."""
        result = dict(self.result, errors=list(self._errors.values())) if self.state >= 2 else None
        return {"state": self.state, "progress": {"percent": self.percent}, "result": result}


def _lookup(store, search_field: str, key: str, case_type: str) -> tuple[str | None, bool]:
    """``lookup_case``: ``(case id or None, several matched)`` among cases of ``case_type``."""
    if search_field == "external_id":
        found = sorted(c for c in store.by_external_id.get(key, ()) if store.cases[c]["case_type"] == case_type)
        return (found[0] if len(found) == 1 else None), len(found) > 1
    rec = store.cases.get(key)
    return (key if rec is not None and rec["case_type"] == case_type else None), False


def _update(row: dict, opts: dict, key: str, existing: bool) -> dict:
    update = {k: v for k, v in row.items()
              if k not in _SPECIAL and k not in (opts["search_column"], opts["name_column"])}
    if existing and row.get(opts["name_column"]):
        update["case_name"] = row[opts["name_column"]]
    if existing and row.get("owner_id"):
        update["owner_id"] = row["owner_id"]
    if opts["search_field"] == "external_id" and key:
        update["external_id"] = key
    elif row.get("external_id"):
        update["external_id"] = row["external_id"]
    return update


def _parent(store, job: _Import, row: dict, number: int) -> dict | None:
    """The index to the row's parent, or ``{}``; ``None`` after recording ``Invalid Parent ID``."""
    if not row.get("parent_id"):
        return {}
    parent = store.cases.get(row["parent_id"])
    if parent is None or parent["case_type"] != (row.get("parent_type") or job.options["case_type"]):
        job.error(*INVALID_PARENT, "parent_id", number)
        return None
    return {row.get("parent_identifier") or "parent": {
        "@case_type": parent["case_type"], "#text": row["parent_id"],
        "@relationship": row.get("parent_relationship_type") or "child"}}


def _row_block(store, job: _Import, row: dict, number: int, now: str) -> dict | None:
    opts = job.options
    key = row.get(opts["search_column"], "")
    if not any(row.values()):
        return None  # a blank row is skipped, no error
    if opts["search_field"] == "external_id" and not key:
        job.error(*BLANK_EXTERNAL_ID, None, number)
        return None
    case_id, several = _lookup(store, opts["search_field"], key, opts["case_type"])
    if several:
        job.error(*TOO_MANY_MATCHES, None, number)
        return None
    if case_id is None and not opts["create_new_cases"]:
        return None  # HQ skips it silently
    index = _parent(store, job, row, number)
    if index is None:
        return None
    node = {"@xmlns": CASE_XMLNS, "@user_id": job.account["user_id"], "@date_modified": now}
    if case_id is None:
        case_id = uuid.uuid4().hex
        node["create"] = {"case_type": opts["case_type"], "case_name": row.get(opts["name_column"], ""),
                          "owner_id": row.get("owner_id") or job.account["user_id"]}
        job.result["created_count"] += 1
    else:
        job.result["match_count"] += 1
    node["@case_id"], node["update"] = case_id, _update(row, opts, key, existing="create" not in node)
    if index:
        node["index"] = index
    if "create" not in node and row.get("close") == "yes":
        node["close"] = ""
    return node


def _run(store, job: _Import) -> None:
    total = max(len(job.rows), 1)
    for start in range(0, len(job.rows), CHUNK_SIZE):
        now = dates.iso(dates.now())
        with store.lock:
            blocks = [b for i, row in enumerate(job.rows[start:start + CHUNK_SIZE], start=start + 2)
                      if (b := _row_block(store, job, row, i, now)) is not None]
            if blocks:
                form = {"#type": "data", "@xmlns": IMPORTER_XMLNS, "@name": "Bulk case import", "case": blocks,
                        "meta": {"@xmlns": META_XMLNS, "deviceID": "bulk_upload_api", "timeStart": now,
                                 "timeEnd": now, "username": job.account["username"],
                                 "userID": job.account["user_id"], "instanceID": str(uuid.uuid4())}}
                forms.process(store, forms.Submission(form, user_id=job.account["user_id"],
                                                      username=job.account["username"]))
        job.result["num_chunks"] += 1
        job.percent = min(100, (start + CHUNK_SIZE) * 100 // total)
    job.state, job.percent = 2, 100


def _run_safely(store, job: _Import) -> None:
    try:
        _run(store, job)
    except Exception as error:  # the job must end in a state a poller can see
        job.error("Import failed", str(error), "", 0)
        job.state = 3


def _fail(message: str) -> Response:
    return Response.json({"code": 500, "message": message}, 500)


def _options(text: dict) -> dict:
    """The import's settings from the form's text fields, defaulted as HQ's ``request.POST.get`` does."""
    search_field = text.get("search_field", "case_id")
    return {"case_type": text.get("case_type"), "search_field": search_field,
            "search_column": text.get("search_column", search_field),
            "create_new_cases": text.get("create_new_cases") == "on", "name_column": text.get("name_column", "name")}


def _case_types(sim) -> set:
    """The project's case types: its apps' and its cases' (``get_case_types_from_apps`` and ES)."""
    types = {m.get("case_type") for app in sim.directory.apps.values() for m in app.get("modules", [])}
    with sim.store.lock:
        types |= {rec["case_type"] for rec in sim.store.cases.values()}
    return types - {None, ""}


def _checked_upload(sim, fields: dict) -> tuple[dict, list[dict]]:
    """HQ's checks of an upload, in HQ's order; raises ``UploadRefused`` with HQ's message."""
    options = _options({k: v.data.decode("utf-8", "replace") for k, v in fields.items() if k != "file"})
    if "file" not in fields or not options["case_type"]:
        raise UploadRefused("Error: Invalid POST request. Both 'file' and 'case_type' are required")
    if options["search_field"] not in ("case_id", "external_id"):
        raise UploadRefused(f"Error: Illegal value for search_field: {options['search_field']}")
    rows = read_rows(fields["file"].filename, fields["file"].data)
    if not _case_types(sim):
        raise UploadRefused(NO_CASES)
    return options, check_columns(rows)


class _Routes:
    """The importer handlers, bound to one simulator; jobs are kept for their status URLs."""

    def __init__(self, sim) -> None:
        self.sim, self.jobs = sim, {}

    def upload(self, request) -> Response:
        self.sim.check_domain(request)
        try:  # bulk_case_upload_api: every refusal is 500 {"code": 500, "message"}
            options, rows = _checked_upload(self.sim, request.form())
        except UploadRefused as refused:
            return _fail(refused.message)
        job_id = uuid.uuid4().hex
        self.jobs[job_id] = job = _Import(options, rows, request.account)
        job.state = 1
        threading.Thread(target=_run_safely, args=(self.sim.store, job), daemon=True, name="pyfn-sim-import").start()
        status_url = f"{request.base_url}/a/{self.sim.store.domain}/importer/excel/status/{job_id}/"
        return Response.json({"code": 200, "message": "success", "status_url": status_url})

    def status(self, request) -> Response:
        self.sim.check_domain(request)
        job = self.jobs.get(request.match["job_id"])
        return Response.json(job.status()) if job else Response.json({"error": "Unknown import"}, 404)


def register(app, sim) -> None:
    """Add the importer routes to ``app`` for simulator ``sim``.

    Example:
        >>> from hq_simulator import CommCareSimulator  # it registers every API module
        >>> sorted({r.method for r in CommCareSimulator().app.routes if r.handler.__module__ == __name__})
        ['GET', 'POST']
    """
    routes = _Routes(sim)
    app.route("POST", r"/a/(?P<domain>[^/]+)/importer/excel/bulk_upload_api/", routes.upload)
    app.route("GET", r"/a/(?P<domain>[^/]+)/importer/excel/status/(?P<job_id>[^/]+)/", routes.status)
