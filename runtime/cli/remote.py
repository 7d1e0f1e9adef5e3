"""``pyfn trigger`` and ``pyfn runs`` through a running server's API, from any shell.

With ``--server URL`` (or ``PYFN_SERVER``) and the API token (``--api-token`` or
``PYFN_API_TOKEN``), the commands read and queue runs over HTTP: the server holds the
workflows' secrets and the run store, the client needs neither. :class:`RemoteStore` is the
part of a run store these commands use, over ``/api/runs`` and ``POST /api/workflows/<name>/runs``.

Example::

    store = RemoteStore("http://127.0.0.1:4000", "s3cret")
    print([run.state for run in store.list_runs("commcare-sync", limit=5)])
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from runtime.store import AmbiguousId, NotRetryable, RunDetail, RunSummary
from runtime.store.records import Accepted, StepRecord

__all__ = ["RemoteStore", "RemoteRefused", "ServerAccess", "run_trigger_remote"]

_POLL_SECONDS = 0.5
_SUFFIX = ": give more of the id"


@dataclass(frozen=True)
class ServerAccess:
    """Where a running server is and its API token: given as ``db`` to ``pyfn runs`` and ``pyfn trigger``."""

    url: str
    token: str | None = field(default=None, repr=False)


class RemoteRefused(FileNotFoundError):
    """The server cannot be reached or refuses the request; the message says which."""


class RemoteStore:
    """``list_runs``, ``counts``, ``get_run``, ``retry``, ``accept``, ``wait_for`` over a server's API."""

    def __init__(self, server: str, token: str | None):
        import requests

        if not token:
            raise RemoteRefused("--server needs the server's API token: --api-token TOKEN or PYFN_API_TOKEN")
        self.base = server.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self._call("GET", "/api/runs", params={"limit": 1})  # reachable, and the token is right

    def _call(self, method: str, path: str, ok: int = 200, **kwargs: Any) -> Any:
        import requests

        try:
            answer = self.session.request(method, self.base + path, timeout=30, **kwargs)
        except requests.RequestException as error:
            raise RemoteRefused(f"Cannot reach {self.base}: {type(error).__name__}") from None
        if answer.status_code == ok:
            return answer.json()
        try:
            message = str(answer.json().get("error"))
        except ValueError:
            message = answer.text.strip()[:200]
        if answer.status_code == 400 and message.endswith(_SUFFIX):
            raise AmbiguousId(message.removesuffix(_SUFFIX))
        if answer.status_code == 404 and path.startswith("/api/runs/"):
            raise LookupError(message)
        if answer.status_code == 409:
            raise NotRetryable(message)
        raise RemoteRefused(f"{self.base} refused the request ({answer.status_code}): {message}")

    def list_runs(self, workflow: str | None = None, state: str | None = None, limit: int = 50, *,
                  step_failed: bool = False) -> list[RunSummary]:
        params = {k: v for k, v in {"workflow": workflow, "state": state, "limit": limit,
                                    "step_failed": 1 if step_failed else None}.items() if v is not None}
        return [_summary(run) for run in self._call("GET", "/api/runs", params=params)["runs"]]

    def count_step_failed(self, workflow: str | None = None) -> int:
        params = {"limit": 1, **({"workflow": workflow} if workflow else {})}
        return self._call("GET", "/api/runs", params=params)["step_failed"]

    def counts(self, workflow: str | None = None) -> dict[str, int]:
        params = {"limit": 1, **({"workflow": workflow} if workflow else {})}
        return self._call("GET", "/api/runs", params=params)["counts"]

    def get_run(self, ident: str) -> RunDetail | None:
        try:
            data = self._call("GET", f"/api/runs/{ident}")
        except LookupError as error:
            if isinstance(error, AmbiguousId):
                raise
            return None
        steps = [StepRecord(**{f.name: step.get(f.name) for f in fields(StepRecord)}) for step in data["steps"]]
        return RunDetail(_summary(data["run"]), data["input"], data["final_state"], data["webhook_response"], steps,
                         [(line["at"], line["line"]) for line in data["logs"]], data["wiped_at"])

    def retry(self, ident: str, from_step: str | None = None) -> Accepted:
        data = self._call("POST", f"/api/runs/{ident}/retry", ok=201, json={"from_step": from_step})
        return Accepted(data["work_order_id"], data["run_id"])

    def accept(self, workflow: str, body: dict) -> Accepted:
        data = self._call("POST", f"/api/workflows/{workflow}/runs", ok=201, json=body)
        return Accepted(data["work_order_id"], data["run_id"])

    def wait_for(self, run_id: str, timeout: float) -> RunSummary | None:
        deadline = time.monotonic() + timeout
        while True:
            run = self.get_run(run_id)
            if run is None or run.run.final or time.monotonic() >= deadline:
                return run.run if run else None
            time.sleep(min(_POLL_SECONDS, max(deadline - time.monotonic(), 0)))

    def server_running(self) -> bool:
        return True  # it answered

    def close(self) -> None:
        self.session.close()


def _summary(data: dict) -> RunSummary:
    return RunSummary(**{f.name: data.get(f.name) for f in fields(RunSummary) if f.name in data})


def run_trigger_remote(access: ServerAccess, workflow: str, state_path: Path | None, wait: bool,
                       timeout_s: float) -> int:
    """Queue a manual run of ``workflow`` on a running server; print its ids (and, with ``wait``, its outcome)."""
    import json

    from runtime.cli.trigger import wait_and_report

    try:
        body = {"state": json.loads(state_path.read_text(encoding="utf-8"))} if state_path else {}
        store = RemoteStore(access.url, access.token)
    except (OSError, ValueError) as error:
        print(error)
        return 1
    try:
        accepted = store.accept(workflow, body)
        print(f"Queued run {accepted.run_id} (work order {accepted.work_order_id}) of workflow {workflow} "
              f"on {store.base}")
        return wait_and_report(store, accepted.run_id, timeout_s) if wait else 0
    except RemoteRefused as error:
        print(error)
        return 1
    finally:
        store.close()
