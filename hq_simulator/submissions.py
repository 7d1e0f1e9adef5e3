"""The OpenRosa submission receiver: ``POST /a/<domain>/receiver/[<app_id>/]``.

The body is the raw XML (``text/xml``, Android style) or ``multipart/form-data``
with the XML in the part ``xml_submission_file`` (J2ME/ODK style); the aliases
``receiver/api/`` and ``receiver/submission/`` are accepted too. Every other
part of a multipart body (a photo, a signature) is an attachment of the form,
named by its part name with the part's content type, as HQ's
``get_instance_and_attachment`` (``corehq/apps/receiverwrapper/util.py``) reads
``request.FILES``. The XML becomes form JSON as HQ converts it: without the
app's schema, so a repeat with one entry is an object (see :mod:`.form_json`).
Answers, in an ``OpenRosaResponse`` envelope:

- 201 ``submit_success`` (``"   √   "``): processed, or a duplicate of a form already received;
- 422 ``processing_failure`` when ``X-OpenRosa-Version: 3.0`` was sent and the case
  blocks cannot be applied (e.g. an index to an unknown case), else 201 ``submit_error``;
- 500 ``submit_error`` for malformed XML.

Example:
    >>> openrosa_response(201, "submit_success", "   √   ").status
    201
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from . import forms
from .messages import HTTPError, Response
from .xform import xml_to_json

__all__ = ["register", "openrosa_response", "OPENROSA_XMLNS", "MAGIC_PART"]

OPENROSA_XMLNS = "http://openrosa.org/http/response"
MAGIC_PART = "xml_submission_file"  # couchforms.const.MAGIC_PROPERTY


def openrosa_response(status: int, nature: str, message: str) -> Response:
    """An ``OpenRosaResponse`` XML answer with one message of the given nature.

    Example:
        >>> openrosa_response(422, "processing_failure", "InvalidCaseIndex: x").body[:60]
        b'<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
    """
    body = (f'<OpenRosaResponse xmlns="{OPENROSA_XMLNS}">'
            f'<message nature={quoteattr(nature)}>{escape(message)}</message></OpenRosaResponse>')
    return Response(status, body.encode("utf-8"), {"Content-Type": "text/xml; charset=utf-8"})


def _submitted(request) -> tuple[bytes, dict]:
    if not request.header("content-type", "").startswith("multipart/"):
        return request.body, {}
    parts = request.form()
    xml = parts.pop(MAGIC_PART, None)
    if xml is None:
        raise HTTPError(400, f"No XML submission file: send the form in the part '{MAGIC_PART}'")
    return xml.data, {name: (part.content_type, part.data) for name, part in parts.items()}


def register(app, sim) -> None:
    """Add the receiver routes to ``app`` for simulator ``sim``.

    Example:
        >>> from hq_simulator import CommCareSimulator  # it registers every API module
        >>> sorted({r.method for r in CommCareSimulator().app.routes if r.handler.__module__ == __name__})
        ['POST']
    """
    store = sim.store

    def receive(request):
        sim.check_domain(request)
        xml, attachments = _submitted(request)
        try:
            form = xml_to_json(xml)
        except ET.ParseError as error:
            return openrosa_response(500, "submit_error", f"Invalid XML: {error}")
        app_id = request.match.get("app_id")
        app_id = None if app_id in (None, "api", "submission") else app_id
        outcome = forms.process(store, forms.Submission(
            form, xml=xml.decode("utf-8", "replace"), app_id=app_id, build_id=sim.directory.build_id(app_id),
            user_id=request.account["user_id"], username=request.account["username"],
            submit_ip=request.client_ip, is_phone=request.header("x-openrosa-version") is not None,
            attachments=attachments))
        if outcome.status != "failure":
            return openrosa_response(201, "submit_success", outcome.message)
        if (request.header("x-openrosa-version") or "").startswith("3"):
            return openrosa_response(422, "processing_failure", outcome.message)
        return openrosa_response(201, "submit_error", outcome.message)

    app.route("POST", r"/a/(?P<domain>[^/]+)/receiver/", receive, style="xml")
    app.route("POST", r"/a/(?P<domain>[^/]+)/receiver/(?P<app_id>[^/]+)/", receive, style="xml")
