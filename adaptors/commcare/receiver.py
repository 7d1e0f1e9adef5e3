"""Posting an XForm to HQ's OpenRosa receiver and reading its ``OpenRosaResponse``.

``POST /a/<domain>/receiver/<appId>/`` with ``Content-Type: text/xml``. HQ answers 201
``submit_success``, 201 ``submit_error`` (received, not processed), 422 ``processing_failure``
(with ``X-OpenRosa-Version: 3.0``) or 500 ``submit_error`` (malformed XML), each as
``<OpenRosaResponse><message nature="...">text</message></OpenRosaResponse>`` (read by ``openrosa.py``).

A submission is safe to repeat (HQ ignores a second form with the same ``instanceID``), so a 5xx
without an OpenRosa message, a 429 or a lost connection is retried; an OpenRosa answer is final.
"""

from __future__ import annotations

from adaptors.http.pool import Response

from .client import Reply, call, settings
from .errors import CommCareHTTPError, ConfigurationError, SubmissionError
from .openrosa import has_openrosa_message, parse_openrosa

__all__ = ["post_xform", "raise_for_nature", "receiver_path"]

_REFUSED = ("processing_failure", "submit_error")


def _has_openrosa_message(response: Response) -> bool:
    return has_openrosa_message(response.content)


def receiver_path(state: dict) -> str:
    """``/a/<domain>/receiver/<appId>/``.

    Raises:
        ConfigurationError: ``configuration.appId`` is missing.
    """
    cfg = settings(state)
    if not cfg.app_id:
        raise ConfigurationError("CommCare configuration is missing appId, which form submissions need",
                                 code="MISSING_CONFIGURATION", missing=["appId"],
                                 fix="Set configuration.appId to the id of the app the forms belong to")
    return f"/a/{cfg.domain}/receiver/{cfg.app_id}/"


def post_xform(state: dict, xml: str) -> Reply:
    """Send ``xml`` to the receiver; the reply's ``data`` is the response text (OpenFn's ``submit``)."""
    return call(state, "POST", receiver_path(state), body=xml, content_type="text/xml", parse_as="text",
                repeatable=True, is_final=_has_openrosa_message)


def raise_for_nature(reply_or_error: Reply | CommCareHTTPError, form_id: str | None) -> tuple[str, str]:
    """``(nature, message)`` of a successful submission; raises ``SubmissionError`` for a refused one.

    Raises:
        SubmissionError: HQ answered ``processing_failure`` or ``submit_error`` (its message in ours).
    """
    if isinstance(reply_or_error, CommCareHTTPError):
        text, status = reply_or_error.body, reply_or_error.status_code
    else:
        text, status = reply_or_error.data, reply_or_error.status
    nature, message = parse_openrosa(text if isinstance(text, str) else "")
    if nature in _REFUSED or status >= 400:
        hq_text = message or (text if isinstance(text, str) else "") or f"HTTP {status}"
        raise SubmissionError(f"HQ refused form {form_id}: {nature or status}: {hq_text.strip()}",
                              code=(nature or f"HTTP_{status}").upper(), nature=nature,
                              hq_message=hq_text.strip(), form_id=form_id, statusCode=status,
                              fix=_fix(nature, hq_text))
    return nature or "", (message or "")


def _fix(nature: str | None, message: str) -> str:
    if "InvalidCaseIndex" in message or "non-existent case" in message:
        return "An index points at a case HQ does not have: create the parent first, or in the same form"
    if nature == "submit_error":
        return "HQ could not process the form: check the XML (well-formed, root xmlns, meta/instanceID)"
    return "Fix the form's case blocks or answers and submit again with a new instanceID"
