"""What a forwarder sends: which forms and cases it picks, and each request's URL, headers and body.

A *connection* (HQ's Connection Settings) is a URL plus auth: ``none``,
``basic`` (username/password), ``bearer`` (token) or ``api_key`` (a header,
``X-API-Key`` by default, holding ``api_key_prefix + api_key``). A *forwarder*
(HQ's repeater) is ``kind`` ``form`` or ``case`` with a ``format`` (``json``,
the simulator's default, or ``xml``) and its filters: ``xmlns_whitelist`` and
``user_blocklist`` for forms (plus ``include_app_id_param``, default true);
``case_types`` and ``user_blocklist`` for cases (plus ``case_events``: ``all``,
``create`` or ``update``, as Create/UpdateCaseRepeater).

Example:
    >>> auth_headers({"auth_type": "bearer", "token": "t"})
    {'Authorization': 'Bearer t'}
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from . import forms
from .cases import records as case_records
from .xform import CASE_XMLNS, json_to_xml

__all__ = ["auth_headers", "form_requests", "case_requests"]


def auth_headers(connection: dict) -> dict:
    """The headers that authenticate a connection's requests.

    Example:
        >>> auth_headers({"auth_type": "api_key", "api_key": "k", "api_key_header": "x-api-key", "api_key_prefix": "Key "})
        {'x-api-key': 'Key k'}
    """
    kind = connection.get("auth_type") or "none"
    if kind == "basic":
        pair = f"{connection.get('username', '')}:{connection.get('password', '')}".encode("utf-8")
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    if kind == "bearer":
        return {"Authorization": f"Bearer {connection.get('token', '')}"}
    if kind == "api_key":
        header = connection.get("api_key_header") or "X-API-Key"
        return {header: f"{connection.get('api_key_prefix') or ''}{connection.get('api_key', '')}"}
    return {}


def _with_query(url: str, name: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{name}={quote(value, safe='')}"


def _blocked(forwarder: dict, user_id: str, username: str) -> bool:
    blocked = set(forwarder.get("user_blocklist") or ())
    return bool(blocked) and (user_id in blocked or username in blocked)


def form_requests(forwarder: dict, connection: dict, rec: dict, base_url: str) -> list[dict]:
    """The request (zero or one) a form forwarder makes for a new form.

    Example:
        >>> from .documents import Store
        >>> from . import forms
        >>> store = Store("demo")
        >>> _ = forms.process(store, forms.Submission({"#type": "data", "meta": {"instanceID": "f1"}}, app_id="a"))
        >>> request = form_requests({}, {"url": "http://r/hook"}, store.forms["f1"], "http://hq")[0]
        >>> request["url"], request["headers"]["Content-Type"]
        ('http://r/hook?app_id=a', 'application/json')
    """
    whitelist = set(forwarder.get("xmlns_whitelist") or ())
    doc = rec["doc"]
    if whitelist and rec["xmlns"] not in whitelist:
        return []
    if _blocked(forwarder, rec["user_id"], doc["metadata"].get("username") or ""):
        return []
    url = connection["url"]
    if forwarder.get("include_app_id_param", True) and rec.get("app_id"):
        url = _with_query(url, "app_id", rec["app_id"])
    headers = {"received-on": doc["received_on"], **auth_headers(connection)}
    if forwarder.get("format", "json") == "xml":
        body, headers["Content-Type"] = forms.form_xml(rec), "text/xml"
    else:
        body = json.dumps(forms.to_api(rec, base_url, forwarded=True))
        headers["Content-Type"] = "application/json"
    return [{"payload_type": "form", "payload_id": rec["id"], "url": url, "headers": headers, "body": body}]


def _case_xml(state: dict) -> str:
    props = state["properties"]
    block = {"@xmlns": CASE_XMLNS, "@case_id": state["case_id"], "@user_id": state["user_id"],
             "@date_modified": state["date_modified"],
             "create": {"case_type": props["case_type"], "case_name": props["case_name"],
                        "owner_id": props["owner_id"]},
             "update": {k: v for k, v in props.items() if k not in ("case_type", "case_name", "owner_id")}}
    if state["indices"]:
        block["index"] = {k: {"@case_type": v["case_type"], "@relationship": v["relationship"], "#text": v["case_id"]}
                          for k, v in state["indices"].items()}
    if state["closed"]:
        block["close"] = ""
    return json_to_xml({"#type": "case", **block})


def _wanted_case(forwarder: dict, rec: dict) -> bool:
    types = set(forwarder.get("case_types") or ())
    if types and rec["case_type"] not in types:
        return False
    events = forwarder.get("case_events", "all")
    created = len(rec["xform_ids"]) == 1
    return events == "all" or (events == "create") == created


def case_requests(forwarder: dict, connection: dict, records: list[dict], usernames: dict) -> list[dict]:
    """One request per changed case the forwarder wants, each with the case's full current state.

    Example:
        >>> from .documents import Store
        >>> from . import forms
        >>> store = Store("demo")
        >>> outcome = forms.process(store, forms.Submission({"#type": "data", "meta": {"instanceID": "f1"},
        ...     "case": {"@case_id": "c1", "create": {"case_type": "patient", "case_name": "n", "owner_id": "o"}}}))
        >>> [r["payload_id"] for r in case_requests({"case_types": ["patient"]}, {"url": "http://r"}, outcome.cases, {})]
        ['c1']
    """
    requests = []
    for rec in records:
        if not _wanted_case(forwarder, rec) or _blocked(forwarder, rec["user_id"], usernames.get(rec["user_id"], "")):
            continue
        state = case_records.to_forward(rec)
        headers = {"server-modified-on": state["server_date_modified"], **auth_headers(connection)}
        if forwarder.get("format", "json") == "xml":
            body, headers["Content-Type"] = _case_xml(state), "text/xml"
        else:
            body, headers["Content-Type"] = json.dumps(state), "application/json"
        requests.append({"payload_type": "case", "payload_id": rec["case_id"], "url": connection["url"],
                         "headers": headers, "body": body})
    return requests
