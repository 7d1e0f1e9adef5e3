"""What the commcare adaptor raises, on top of the http adaptor's errors.

```
HTTPAdaptorError (adaptors.http)       base: message, code, fix, JSON-safe details
  HTTPError (adaptors.http)            HQ answered with an error status
    CommCareHTTPError                  ... with HQ's own message and a fix hint (401/403/404/429)
  CommCareError                        the adaptor's own failures
    ConfigurationError                 configuration is missing what an operation needs
    SubmissionError                    HQ refused a form: processing_failure, submit_error
    ImportFailed                       a bulk import ended in HQ's error state, or never ended
    UpsertError                        Case API v2 rows were rejected (errors per row)
    PaginationLoopError                a list kept asking for the same page
```

Every class carries ``fix`` (shown by the runtime as a hint) and ``details`` (written to
``state.errors[step].details``). Configuration values are never put in a message.
"""

from __future__ import annotations

from typing import Any

from adaptors.http.errors import HTTPAdaptorError, HTTPError

from .openrosa import parse_openrosa

__all__ = ["CommCareError", "CommCareHTTPError", "ConfigurationError", "ImportFailed",
           "PaginationLoopError", "SubmissionError", "UpsertError", "hq_message", "http_error"]

AUTH_FIX = ("Check configuration.username and configuration.apiKey: HQ expects the header "
            "'Authorization: ApiKey <username>:<api key>' where username is the email of the web user "
            "who owns the key (the adaptor builds it: give the bare key, not 'ApiKey ...' or 'user:key'), "
            "or give configuration.password for Basic auth. Keys restricted to an IP range or to other "
            "project spaces are refused too.")
FORBIDDEN_FIX = ("The credentials are valid but the user may not do this in project '{domain}': check "
                 "configuration.domain (the project space in /a/<domain>/), that the user is a member of it, "
                 "and that its role grants API access (and 'edit data' for writes).")
NOT_FOUND_FIX = "Check the path and configuration.domain; ids are case-sensitive."
RATE_FIX = ("HQ is rate-limiting this project: the adaptor waits Retry-After and retries by default "
            "(configuration.retries); raise page sizes (limit) to make fewer requests.")


class CommCareError(HTTPAdaptorError):
    """Base of the commcare adaptor's own errors (``code``, ``fix``, ``details``)."""


class ConfigurationError(CommCareError):
    """``state["configuration"]`` lacks what the operation needs (named in the message)."""


class SubmissionError(CommCareError):
    """HQ received a form but did not process it (OpenRosa ``processing_failure`` or ``submit_error``).

    Attributes:
        nature: the OpenRosa message nature.
        hq_message: HQ's message, e.g. ``"InvalidCaseIndex: Case 'x' references non-existent case 'y'"``.
        form_id: the ``instanceID`` of the refused form.
    """


class ImportFailed(CommCareError):
    """A bulk upload ended in HQ's failed state (3), or did not finish within ``poll_timeout``."""


class UpsertError(CommCareError):
    """Case API v2 refused rows; ``details["errors"]`` lists ``{"row", "message"}`` per rejected row."""


class PaginationLoopError(CommCareError):
    """The server kept answering with the same page (a repeated offset, cursor or ``indexed_on`` bound)."""


class CommCareHTTPError(HTTPError):
    """An error status from HQ, with HQ's message (``{"error": ...}`` or plain text) and a ``fix`` hint."""

    fix: str | None = None

    @property
    def details(self) -> dict[str, Any]:
        details = super().details
        if self.fix:
            details["fix"] = self.fix
        return details


def hq_message(body: Any) -> str | None:
    """HQ's explanation in an error body: ``{"error": ...}``, an OpenRosa message, or short plain text."""
    if isinstance(body, dict):
        error = body.get("error") or body.get("message")
        return str(error) if error else None
    if isinstance(body, str):
        text = body.strip()
        if "<OpenRosaResponse" in text:
            return parse_openrosa(text)[1] or None
        if text and len(text) <= 500 and not text.lstrip().startswith("<"):
            return text
    return None


def http_error(*, method: str, url: str, status: int, reason: str, body: Any, headers: dict,
               duration: int, domain: str) -> CommCareHTTPError:
    """OpenFn's ``"GET to <url> returned 404: Not Found"``, plus HQ's message and a hint when known."""
    message = f"{method} to {url} returned {status}: {reason}"
    explanation = hq_message(body)
    if explanation:
        message += f" ({explanation})"
    error = CommCareHTTPError(message, status_code=status, status_message=reason, url=url, method=method,
                              duration=duration, body=body, headers=headers)
    error.fix = {401: AUTH_FIX, 403: FORBIDDEN_FIX.format(domain=domain), 404: NOT_FOUND_FIX,
                 429: RATE_FIX}.get(status)
    return error
