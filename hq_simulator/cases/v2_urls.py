"""The Case API v2 URLs, as HQ routes them (``corehq/apps/hqcase`` routes and ``urls.py``).

The list and the case-by-id URLs take their trailing slash or not (HQ made it
optional, dimagi/commcare-hq PR 29939); the external-id and bulk-fetch URLs
need it (without it Django's ``APPEND_SLASH`` answers 301, see
:mod:`..http_server`). A case id is word characters, ``-`` and ``,`` (a comma
list is a bulk get); an external id is anything, slashes included. The
deprecated ``v0.6/case/`` spelling routes to the same views.

Example:
    >>> import re
    >>> bool(re.fullmatch(LIST, "/a/demo/api/case/v2")), bool(re.fullmatch(DETAIL, "/a/demo/api/case/v2/c1,c2"))
    (True, True)
    >>> re.fullmatch(EXTERNAL, "/a/demo/api/v0.6/case/ext/HH/42/")["external_id"]
    'HH/42'
"""

from __future__ import annotations

__all__ = ["LIST", "DETAIL", "EXTERNAL", "BULK_FETCH"]

_ROOT = r"/a/(?P<domain>[^/]+)/api/(?:case/v2|v0\.6/case)/"
LIST = _ROOT + "?"
DETAIL = _ROOT + r"(?P<case_id>[\w\-,]+)/?"
EXTERNAL = _ROOT + r"ext/(?P<external_id>.+)/"
BULK_FETCH = _ROOT + r"bulk-fetch/"
