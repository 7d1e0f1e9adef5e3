"""The http adaptor: OpenFn's ``@openfn/language-http`` 7.x for pyfn jobs.

Operations: ``request``, ``get``, ``post``, ``put``, ``patch``, ``delete`` (OpenFn's ``del``)
and ``parse_xml``; common's operations (``fn``, ``each``, ``parse_csv``...) are in scope too.
Configuration (``state["configuration"]``, checked against ``CONFIGURATION_SCHEMA``):
``baseUrl``, ``username`` + ``password`` (Basic), ``access_token`` (Bearer, wins), ``tls``,
``retries``. Credentials are applied only with a ``baseUrl``, never over an ``Authorization``
header the job set, and an absolute URL on another origin than ``baseUrl`` is refused.

Each request sets ``state["data"]`` to the parsed body, appends the previous data to
``references`` and sets ``state["response"]`` = ``{url, method, statusCode, statusMessage,
headers, duration, query}``; it logs ``GET https://x/patients - 200 in 12ms`` on the
``pyfn.adaptor.http`` logger. A status ≥ 400 raises ``HTTPError`` with OpenFn's message
(``GET to https://x/nope returned 404: Not Found``) and ``details`` {message, statusCode,
statusMessage, url, duration, method, body, headers}. All requests of a step share one
connection pool (urllib3, keep-alive), opened and closed by ``execute``.

Differences from OpenFn:
    - List bodies are sent as JSON (OpenFn treats arrays as iterables: ``["x", "y"]`` is
      sent as ``xy`` and a list of objects fails). Numbers and ``True`` are sent as JSON
      too (OpenFn: "Unsupported body type").
    - ``parse_xml`` parses its input (OpenFn 7.x hands cheerio ``{body: data}``, so scripts
      see an empty document). Scripts get a ``Document`` queried with ElementPath
      (``doc("//row")``, ``doc.text(path)``, ``doc.table()``) instead of cheerio's ``$``.
    - Retries (``retries`` option or ``configuration.retries``): opt-in, off by default.
    - ``timeout`` is in **seconds** (OpenFn: milliseconds); a value ≥ 1000 logs a warning.
    - Option names are snake_case (``content_type``, ``parse_as``, ``max_redirects``);
      OpenFn's camelCase spellings are accepted. Unknown options are logged and ignored.
    - ``content_type``: an unknown value raises (OpenFn silently uses JSON); a MIME type such
      as ``"application/fhir+json"`` may be given; ``"urlencoded"`` sends a URL-encoded form
      (``"form"`` is multipart, as in OpenFn). ``parse_as``: an unknown value raises.
    - An explicit ``parse_as`` reads the body even without a ``Content-Type`` header (OpenFn
      returns nothing); a HEAD response has no body.
    - An error response whose JSON body is invalid still raises the ``HTTPError`` (with the
      body as text); OpenFn raises a body-parsing error instead.
    - The ``Authorization`` check ignores case (OpenFn only sees the exact key
      ``Authorization`` and would send a second header).
    - A URL counts as absolute only when it starts with ``http(s)://`` (OpenFn's ``parseUrl``
      also matches ``http://`` inside a query string and then fails).
    - Query values that are dicts are sent as JSON (OpenFn sends them empty).
    - Every request is logged, with the URL as sent (OpenFn skips 0 ms requests and repeats
      the URL's own query string).
    - A status ``http-status-codes`` does not know gets the server's reason phrase (OpenFn
      throws "Status code does not exist").
    - The configuration schema requires ``username`` and ``password`` together and an
      http(s) ``baseUrl`` (OpenFn ignores a lone username).
    - ``parse_as="stream"`` gives a ``ResponseStream`` (a binary file object), closed by
      ``execute`` at the end of the step: consume it within the step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import json
from importlib import resources
from typing import Any

from .errors import HTTPError  # noqa: F401  (importable for jobs and tests, not a job name)
from .markup import Document, parse_xml  # noqa: F401
from .operations import delete, get, patch, post, put, request
from .responses import ResponseStream  # noqa: F401
from .session import execute  # noqa: F401  (the runtime runs a step's operations through it)

__all__ = ["delete", "get", "parse_xml", "patch", "post", "put", "request"]

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
