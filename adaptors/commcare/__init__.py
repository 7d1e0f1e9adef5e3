"""The commcare adaptor: OpenFn's ``@openfn/language-commcare`` 4.2.1 for pyfn jobs, and more.

OpenFn's operations: ``get`` (``/a/<domain>/api/v0.5/<path>/``, every page followed unless
``offset`` is given), ``post``, ``request``, the ``http`` namespace (``http.get("case/v2", ...)``
for the newer APIs), ``submit`` (JSON → XForm XML as js2xmlparser 1.0 writes it), ``submit_xls``,
``bulk("case-data" | "lookup-table", ...)`` and ``fetch_report_data``. pyfn's: ``submit_form`` (a
complete XForm from plain dicts: meta block, case blocks, or a jinja2 template), ``list_cases`` /
``get_cases`` / ``upsert_cases`` (Case API v2), ``fetch_forms`` / ``fetch_cases`` (incremental
pulls resuming from ``state["cursor"]``), and ``repeat_entries`` (a repeat group as a list, whether
HQ sent one entry as an object or several as a list). Common's operations (``fn``, ``each``...) are in scope too.

Configuration (``state["configuration"]``, checked against ``CONFIGURATION_SCHEMA`` before the
step): ``hostUrl``, ``domain``, ``appId``, ``username``, and ``apiKey`` (sent as ``Authorization:
ApiKey <username>:<apiKey>``) or ``password`` (Basic); pyfn adds ``retries``, ``timeout``, ``tls`` and
``userId``. The configuration and the auth header are never logged.

Each request logs ``GET https://hq/a/demo/api/v0.5/case/?type=patient - 200 in 85ms`` on
``pyfn.adaptor.commcare``; list operations log a progress line per page (``cases: page 12,
12000/100000 (12%), 8450/s``) or draw a bar when stderr is a terminal, and take ``each_page=`` to
stream pages through the job without keeping them. All requests of a step share one HTTP session.
A status ≥ 400 raises ``CommCareHTTPError`` (OpenFn's message, plus HQ's), with a ``fix`` hint for
401/403.

Differences from OpenFn:
    - Resilience is on by default (``configuration.retries``): a 429 waits ``Retry-After`` and is
      sent again; 5xx and connection errors of repeatable requests (GET, PUT, form submissions, bulk
      fetches) are retried with backoff for up to 5 minutes. OpenFn never retries.
    - Error messages keep OpenFn's ``GET to <url> returned 404: Not Found`` and add HQ's own message;
      ``post`` raises that error instead of throwing HQ's ``error`` text alone.
    - A slash is added to API paths (HQ's URLs end with one; OpenFn relies on HQ's redirect).
    - ``fetch_report_data`` sends ``params`` to CommCare (OpenFn sends them to ``post_url``), fetches
      every page, puts the report in ``state["data"]`` (OpenFn returns the state unchanged), and
      posts to another origin without the CommCare credentials (OpenFn refuses such a URL).
    - ``submit_xls``/``bulk`` write xlsx workbooks (``submit_xls`` wrote .xls), wait for HQ's import
      and report created/updated counts and row errors; their ``params`` may be lazy.
    - ``submit`` logs its JSON and XML at debug level only; a ``datetime`` is written in ISO 8601.
    - Credentials: ``apiKey`` and ``password`` count when non-empty (OpenFn checks the key's presence
      and sends ``ApiKey user:undefined``); the schema requires ``username`` and one of them.
    - List operations take ``each_page=`` and ``progress=``; ``http.*`` paths get the same slash rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import json
from importlib import resources
from typing import Any

from adaptors.http.session import execute as http_execute

from . import http_namespace as http
from .cases_v2 import get_cases, list_cases
from .errors import (CommCareError, CommCareHTTPError, ImportFailed, PaginationLoopError,  # noqa: F401
                     SubmissionError, UpsertError)
from .imports import bulk, submit_xls
from .incremental import fetch_cases, fetch_forms
from .operations import get, post, request
from .repeats import repeat_entries
from .reports import fetch_report_data
from .submission import submit, submit_form
from .upsert import upsert_cases

__all__ = ["bulk", "fetch_cases", "fetch_forms", "fetch_report_data", "get", "get_cases", "http", "list_cases",
           "post", "repeat_entries", "request", "submit", "submit_form", "submit_xls", "upsert_cases"]

if TYPE_CHECKING:  # a job of this adaptor has common's names too: editors see them with one import
    from adaptors.common import *  # noqa: F403
    __all__ += [  # common's __all__, collections and state, written out as type checkers need (a test keeps them equal)
        "alter_state", "array_to_string", "as_", "as_data", "assert_", "chunk", "combine",
        "compose_next_state", "cursor", "data_path", "data_value", "date_fns", "debug", "each",
        "execute", "expand_references", "field", "fields", "fn", "fn_if", "group", "human_proper",
        "index", "join", "json_value", "last_reference_value", "log", "map", "merge", "parse_csv",
        "reference_path", "scrub_emojis", "source", "source_value", "split_keys", "to_array",
        "util", "validate", "collections", "state"
    ]

CONFIGURATION_SCHEMA: dict[str, Any] = json.loads(
    resources.files(__name__).joinpath("configuration-schema.json").read_text(encoding="utf-8"))
"""JSON Schema (draft-07) of ``state["configuration"]``; the runtime checks it before a step."""

# As OpenFn's commcare adaptor: start from {"references": [], "data": None, **state} and run the
# step's operations in one HTTP session, closed when the last returns or one raises.
execute = http_execute
