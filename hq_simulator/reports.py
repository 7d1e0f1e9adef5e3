"""Configurable report (UCR) data: ``/a/<domain>/api/configurablereportdata/v1/<report_id>/``
(also at the older ``/a/<domain>/api/v0.5/configurablereportdata/<report_id>/``).

Pages hold at most 50 rows: a ``limit`` above 50 answers 400 "Limit may not exceed 50.", a
negative or non-numeric ``limit``/``offset`` 400 as well (``ConfigurableReportDataResource`` in
corehq/apps/api/resources/v0_5.py); ``offset`` moves on;
``next_page`` is the relative URL of the next page keeping the filters, or
``""`` on the last one; ``total_records`` counts the filtered rows. Any
parameter named like a column's slug is an exact filter on it. The report list
is ``/api/v0.5/simplereportconfiguration/``. Rows are computed from the cases
and cached until the next write.

Example:
    >>> [r["id"] for r in REPORTS]
    ['demo-patients', 'demo-villages']
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlencode

from .messages import Response
from .tastypie import BadRequest

__all__ = ["REPORTS", "MAX_LIMIT", "register"]

MAX_LIMIT = 50


def _patient_rows(store) -> list[dict]:
    rows = []
    for case_id in store.case_index.ids:
        rec = store.cases[case_id]
        if rec["case_type"] == "patient":
            props = rec["properties"]
            rows.append({"case_id": case_id, "name": rec["case_name"], "sex": props.get("sex", ""),
                         "dob": props.get("dob", ""), "village": props.get("village", ""),
                         "status": "closed" if rec["closed"] else "open"})
    return rows


def _village_rows(store) -> list[dict]:
    households, patients = Counter(), Counter()
    for rec in store.cases.values():
        village = rec["properties"].get("village", "")
        if rec["case_type"] == "household":
            households[village] += 1
        elif rec["case_type"] == "patient" and not rec["closed"]:
            patients[village] += 1
    return [{"village": v, "households": households[v], "open_patients": patients[v]} for v in sorted(households)]


def _columns(*pairs: tuple[str, str]) -> list[dict]:
    return [{"header": header, "slug": slug} for header, slug in pairs]


REPORTS = [
    {"id": "demo-patients", "title": "Patients", "rows": _patient_rows,
     "columns": _columns(("Case ID", "case_id"), ("Name", "name"), ("Sex", "sex"), ("Date of birth", "dob"),
                         ("Village", "village"), ("Status", "status"))},
    {"id": "demo-villages", "title": "Households by village", "rows": _village_rows,
     "columns": _columns(("Village", "village"), ("Households", "households"), ("Open patients", "open_patients"))},
]


def _whole(request, name: str, default: int, message: str) -> int:
    """A non-negative integer query parameter, or 400 with HQ's ``message``."""
    try:
        value = int(request.param(name) or default)
    except ValueError:
        raise BadRequest(message) from None
    if value < 0:
        raise BadRequest(message)
    return value


def _page(request, rows: list[dict]) -> tuple[list[dict], str]:
    offset = _whole(request, "offset", 0, "start must be a positive integer.")
    limit = _whole(request, "limit", MAX_LIMIT, "limit must be a positive integer.")
    if limit > MAX_LIMIT:
        raise BadRequest(f"Limit may not exceed {MAX_LIMIT}.")
    next_page = ""
    if offset + limit < len(rows):
        params = {**{k: v for k, v in request.query.items() if k not in ("offset", "limit")},
                  "offset": [str(offset + limit)], "limit": [str(limit)]}
        next_page = f"{request.path}?{urlencode(params, doseq=True)}"
    return rows[offset:offset + limit], next_page


class _Routes:
    """The report handlers, bound to one simulator, with rows cached until the next write."""

    def __init__(self, sim) -> None:
        self.sim, self.store, self._cache = sim, sim.store, {}
        self.by_id = {report["id"]: report for report in REPORTS}

    def _rows(self, report: dict) -> list[dict]:
        key = (report["id"], self.store.version)
        if key not in self._cache:
            self._cache.clear()
            with self.store.lock:
                self._cache[key] = report["rows"](self.store)
        return self._cache[key]

    def report_data(self, request) -> Response:
        self.sim.check_domain(request)
        report = self.by_id.get(request.match["report_id"])
        if report is None:
            return Response.json({"error": f"Report {request.match['report_id']} not found"}, 404)
        slugs = {c["slug"] for c in report["columns"]}
        wanted = {k: v[-1] for k, v in request.query.items() if k in slugs}
        rows = [r for r in self._rows(report) if all(str(r[k]) == v for k, v in wanted.items())]
        data, next_page = _page(request, rows)
        return Response.json({"columns": report["columns"], "data": data, "next_page": next_page,
                              "total_records": len(rows)})

    def report_list(self, request) -> Response:
        self.sim.check_domain(request)
        objects = [{"id": r["id"], "title": r["title"], "filters": [], "columns": r["columns"],
                    "resource_uri": f"/a/{self.store.domain}/api/v0.5/simplereportconfiguration/{r['id']}/"}
                   for r in REPORTS]
        meta = {"limit": 20, "next": None, "offset": 0, "previous": None, "total_count": len(objects)}
        return Response.json({"meta": meta, "objects": objects})


def register(app, sim) -> None:
    """Add the report routes to ``app`` for simulator ``sim``.

    Example:
        >>> from hq_simulator import CommCareSimulator  # it registers every API module
        >>> sorted({r.method for r in CommCareSimulator().app.routes if r.handler.__module__ == __name__})
        ['GET']
    """
    routes = _Routes(sim)
    app.route("GET", r"/a/(?P<domain>[^/]+)/api/configurablereportdata/v1/(?P<report_id>[^/]+)/",
              routes.report_data)
    app.route("GET", r"/a/(?P<domain>[^/]+)/api/v0\.5/configurablereportdata/(?P<report_id>[^/]+)/",
              routes.report_data)  # the older path, which OpenFn's fetchReportData uses
    app.route("GET", r"/a/(?P<domain>[^/]+)/api/v0\.5/simplereportconfiguration/", routes.report_list)
