"""One connection pool per step: keep-alive connections for every request of the step.

``execute`` opens a ``StepSession`` and puts it in a ``ContextVar``; each verb reads it, so a
job making thousands of requests reuses its connections. A verb run outside ``execute``
(a unit test calling ``get("/x")(state)``) gets a temporary session, closed after the call.

The pool ignores the environment: no proxy variables and no ``~/.netrc`` credentials slipping
into requests, as OpenFn's undici client does not read them. No cookie jar either: a
``Set-Cookie`` answer is not sent back by later requests, as with undici.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from contextvars import ContextVar
from typing import Any, Callable, Iterator

from .errors import HTTPAdaptorError
from .pool import Pool

__all__ = ["StepSession", "current_session", "execute", "step_session", "tls_arguments"]

_CURRENT: ContextVar["StepSession | None"] = ContextVar("pyfn_http_step_session", default=None)


class StepSession:
    """The step's connection ``Pool`` plus what must be cleaned up with it (streams, TLS temp files)."""

    def __init__(self) -> None:
        self.session = Pool()
        self._closables: list[Any] = []
        self._tempdir: str | None = None

    def register(self, closable: Any) -> None:
        """Close ``closable`` (a ``ResponseStream``) when the step ends."""
        self._closables.append(closable)

    def pem_file(self, value: Any, what: str) -> str:
        """A path for a TLS option: a path as given, or PEM text/bytes written to a temp file."""
        if isinstance(value, (list, tuple)):
            value = "\n".join(v.decode() if isinstance(v, bytes) else str(v) for v in value)
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        text = str(value)
        if "-----BEGIN" not in text:
            path = os.path.expanduser(text)
            if not os.path.isfile(path):
                raise HTTPAdaptorError(f"tls.{what}: no such file: {text}", code="TLS_CONFIG",
                                       fix=f"Give tls.{what} as a path to a PEM file or as PEM text")
            return path
        if self._tempdir is None:
            self._tempdir = tempfile.mkdtemp(prefix="pyfn-http-tls-")
        path = os.path.join(self._tempdir, hashlib.sha256(text.encode()).hexdigest()[:16] + ".pem")
        if not os.path.exists(path):
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
                handle.write(text)
        return path

    def close(self) -> None:
        """Close registered streams, the session's connections and the TLS temp files."""
        for closable in reversed(self._closables):
            with contextlib.suppress(Exception):
                closable.close()
        self._closables.clear()
        self.session.close()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None


@contextlib.contextmanager
def step_session() -> Iterator[StepSession]:
    """Open the step's session for the ``with`` block and close it after, even on error."""
    step = StepSession()
    token = _CURRENT.set(step)
    try:
        yield step
    finally:
        _CURRENT.reset(token)
        step.close()


@contextlib.contextmanager
def current_session() -> Iterator[tuple[StepSession, bool]]:
    """``(step, temporary)``: the step's session, or a temporary one closed on exit."""
    step = _CURRENT.get()
    if step is not None:
        yield step, False
        return
    step = StepSession()
    try:
        yield step, True
    finally:
        step.close()


def tls_arguments(tls: dict[str, Any] | None, step: StepSession) -> dict[str, Any]:
    """The pool's TLS arguments (``verify``, ``cert``) for the ``tls`` option.

    ``tls`` keys: ``ca`` (CA bundle: path or PEM text, or a list), ``cert`` and ``key``
    (client certificate: path or PEM text), ``verify`` / OpenFn's ``rejectUnauthorized``
    (``False`` turns off certificate checks).
    """
    if not tls:
        return {}
    if not isinstance(tls, dict):
        raise TypeError(f"tls must be a dict, not {type(tls).__name__}")
    arguments: dict[str, Any] = {}
    verify = tls.get("verify", tls.get("rejectUnauthorized", True))
    if verify is False:
        arguments["verify"] = False
    elif tls.get("ca"):
        arguments["verify"] = step.pem_file(tls["ca"], "ca")
    if tls.get("cert"):
        cert = step.pem_file(tls["cert"], "cert")
        arguments["cert"] = (cert, step.pem_file(tls["key"], "key")) if tls.get("key") else cert
    return arguments


def execute(*operations: Callable[[dict], dict]) -> Callable[[dict], dict]:
    """Run ``operations`` in order in one HTTP session, from OpenFn's http initial state.

    The state starts as ``{"references": [], "data": None, **state}``. The session (and every
    ``parse_as="stream"`` body) is closed when the last operation returns or one raises.

    Example:
        execute(get("/patients"), post("/sync", lambda state: state["data"]))(state)
    """

    def run(state: dict) -> dict:
        state = {"references": [], "data": None, **state}
        with step_session():
            for operation in operations:
                state = operation(state)
        return state

    return run
