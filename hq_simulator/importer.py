"""Bulk case import: ``POST /a/<domain>/importer/excel/bulk_upload_api/`` and its status URL.

The multipart form carries ``file`` (xlsx or legacy xls, first sheet, a header row),
``case_type`` (required), ``search_field`` (``case_id`` or ``external_id``,
default ``case_id``), ``search_column`` (default: the search field),
``create_new_cases=on`` and ``name_column`` (default ``name``). Columns
``owner_id``, ``external_id``, ``parent_id`` (with ``parent_type``,
``parent_relationship_type``) and ``close`` (``yes``) are special; the others
become case properties. The answer is ``{"code": 200, "message": "success",
"status_url"}``; the status is ``{"state": 0|1|2|3, "progress": {"percent"},
"result": {"match_count", "created_count", "num_chunks", "errors": [{"title",
"description", "column", "rows"}]}}`` (2 = complete, 3 = failed). Rows are
applied in chunks of 100, one form each.

Example:
    >>> _cell(3.0), _cell(None), _cell("Zoë")
    ('3', '', 'Zoë')
"""

from __future__ import annotations

import datetime
import io
import threading
import uuid

from . import dates, forms
from .messages import Response
from .xform import CASE_XMLNS, META_XMLNS

__all__ = ["register", "IMPORTER_XMLNS", "CHUNK_SIZE"]

IMPORTER_XMLNS = "http://commcarehq.org/case"
CHUNK_SIZE = 100
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the signature of a legacy .xls (a compound document)
_SPECIAL = {"owner_id", "external_id", "parent_id", "parent_type", "parent_relationship_type", "close"}


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value).strip()


class _Import:
    """One import job: options, rows, and the result as it is computed."""

    def __init__(self, options: dict, rows: list[dict], account: dict) -> None:
        self.options, self.rows, self.account = options, rows, account
        self.state, self.percent = 0, 0
        self.result = {"match_count": 0, "created_count": 0, "num_chunks": 0, "errors": []}
        self._errors: dict[tuple, dict] = {}

    def error(self, title: str, description: str, column: str, row: int) -> None:
        """Record a row error, grouped by title and column as HQ shows them."""
        entry = self._errors.setdefault((title, column), {"title": title, "description": description,
                                                           "column": column, "rows": []})
        entry["rows"].append(row)

    def status(self) -> dict:
        """The status document served at the status URL."""
        result = dict(self.result, errors=list(self._errors.values())) if self.state >= 2 else None
        return {"state": self.state, "progress": {"percent": self.percent}, "result": result}


def _find_case(store, opts: dict, key: str) -> str | None:
    if opts["search_field"] == "external_id":
        found = sorted(store.by_external_id.get(key, ())) if key else []
        return found[0] if found else None
    return key if key in store.cases else None


def _creation(job: _Import, row: dict, number: int, key: str) -> tuple[str, dict] | None:
    opts = job.options
    if not opts["create_new_cases"]:
        job.error("Case not found", "No case matches the search column; create_new_cases is off.",
                  opts["search_column"], number)
        return None
    if not row.get(opts["name_column"]):
        job.error("Missing case name", "New cases need a name.", opts["name_column"], number)
        return None
    job.result["created_count"] += 1
    case_id = key if opts["search_field"] == "case_id" and key else str(uuid.uuid4())
    return case_id, {"case_type": opts["case_type"], "case_name": row[opts["name_column"]],
                     "owner_id": row.get("owner_id") or job.account["user_id"]}


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


def _row_block(store, job: _Import, row: dict, number: int, now: str) -> dict | None:
    opts = job.options
    key = row.get(opts["search_column"], "")
    node = {"@xmlns": CASE_XMLNS, "@user_id": job.account["user_id"], "@date_modified": now}
    case_id = _find_case(store, opts, key)
    if case_id is None:
        creation = _creation(job, row, number, key)
        if creation is None:
            return None
        case_id, node["create"] = creation
    else:
        job.result["match_count"] += 1
    node["@case_id"], node["update"] = case_id, _update(row, opts, key, existing="create" not in node)
    if row.get("parent_id"):
        if row["parent_id"] not in store.cases:
            job.error("Invalid parent", f"No case with id '{row['parent_id']}'.", "parent_id", number)
            return None
        node["index"] = {"parent": {"@case_type": row.get("parent_type") or "", "#text": row["parent_id"],
                                    "@relationship": row.get("parent_relationship_type") or "child"}}
    if row.get("close", "").lower() in ("yes", "y", "true"):
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


def _xlsx_rows(data: bytes) -> list[tuple]:
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


def _xls_rows(data: bytes) -> list[list]:
    import xlrd

    book = xlrd.open_workbook(file_contents=data)
    sheet = book.sheet_by_index(0)

    def value(cell):
        if cell.ctype == xlrd.XL_CELL_DATE:
            return xlrd.xldate_as_datetime(cell.value, book.datemode)
        return None if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) else cell.value
    return [[value(cell) for cell in sheet.row(number)] for number in range(sheet.nrows)]


def _read_rows(data: bytes) -> list[dict]:
    # HQ opens .xlsx and legacy .xls alike (corehq/util/workbook_reading: openpyxl, and xlrd for .xls)
    rows = _xls_rows(data) if data.startswith(_OLE2) else _xlsx_rows(data)
    header = [_cell(h) for h in rows[0]] if rows else []
    return [{h: _cell(v) for h, v in zip(header, row) if h} for row in rows[1:] if any(v is not None for v in row)]


def _fail(message: str) -> Response:
    return Response.json({"code": 500, "message": message}, 500)


def _options(text: dict) -> dict:
    search_field = text.get("search_field") or "case_id"
    return {"case_type": text.get("case_type"), "search_field": search_field,
            "search_column": text.get("search_column") or search_field,
            "create_new_cases": text.get("create_new_cases", "").lower() in ("on", "true", "yes"),
            "name_column": text.get("name_column") or "name"}


class _Routes:
    """The importer handlers, bound to one simulator; jobs are kept for their status URLs."""

    def __init__(self, sim) -> None:
        self.sim, self.jobs = sim, {}

    def upload(self, request) -> Response:
        self.sim.check_domain(request)
        fields = request.form()
        options = _options({k: v.data.decode("utf-8", "replace").strip() for k, v in fields.items() if k != "file"})
        if "file" not in fields:
            return _fail("Missing file: send the workbook in the field 'file'")
        if not options["case_type"]:
            return _fail("Missing case_type")
        if options["search_field"] not in ("case_id", "external_id"):
            return _fail("search_field must be 'case_id' or 'external_id'")
        try:
            rows = _read_rows(fields["file"].data)
        except Exception as error:  # any unreadable workbook is reported, not raised
            return _fail(f"Could not read the workbook: {error}")
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
