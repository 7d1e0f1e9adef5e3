"""Data forwarding (HQ's repeaters): connections, forwarders, records, attempts, retries, resend.

Each new form (and each case it changes) registers one *record* per matching
forwarder, holding the request to make (see :mod:`.payloads`). A background
thread posts it at once, then classifies the answer as HQ does:

- 2xx: ``SUCCESS`` (204: ``EMPTY``);
- 5xx, a retryable 4xx (400, 404, 408, 409, 412, 423, 424, 425, 426, 428, 429), a connection
  error or a timeout: ``FAIL``, retried after 1 h, 3 h, 9 h... (x3, at most 7 days) until
  ``max_possible_tries`` (6) attempts, then ``CANCELLED``;
- any other 4xx: ``INVALID_PAYLOAD``, never retried;
- a request that cannot even be made (a bad URL): retried up to 3 attempts, then ``CANCELLED``.

Time is compressed: ``speedup`` simulated seconds pass per real second (the
default 3600 makes HQ's first one-hour wait one real second). ``resend``
posts a record again now, whatever its state — how duplicates happen in real
life; ``requeue`` gives a cancelled record 6 more tries.

Example:
    >>> retry_wait(1), retry_wait(2), retry_wait(9)
    (3600, 10800, 604800)
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import uuid

import requests

from . import dates, payloads

__all__ = ["Forwarding", "retry_wait", "RETRYABLE_4XX", "MAX_BACKOFF_ATTEMPTS", "MAX_ATTEMPTS"]

RETRYABLE_4XX = frozenset({400, 404, 408, 409, 412, 423, 424, 425, 426, 428, 429})
MAX_BACKOFF_ATTEMPTS = 6
MAX_ATTEMPTS = 3
MIN_WAIT, MAX_WAIT = 3600, 7 * 86400
_MESSAGE_LIMIT = 1 << 20


def retry_wait(failures: int) -> int:
    """Simulated seconds to wait after the n-th failed attempt: 1 h x 3^(n-1), capped at 7 days.

    Example:
        >>> [retry_wait(n) // 3600 for n in range(1, 6)]
        [1, 3, 9, 27, 81]
    """
    return min(MAX_WAIT, MIN_WAIT * 3 ** (failures - 1))


class Forwarding:
    """The forwarding engine of one simulator; see the module docstring.

    Example:
        >>> from .documents import Store
        >>> engine = Forwarding(Store("demo"), lambda: "http://127.0.0.1", speedup=1e6)
        >>> connection = engine.add_connection("http://127.0.0.1:9/hook")
        >>> engine.add_forwarder("form", connection["id"])["format"]
        'json'
    """

    def __init__(self, store, base_url, speedup: float = 3600.0, timeout: float = 10.0, usernames=None) -> None:
        self.store, self.base_url, self.speedup, self.timeout = store, base_url, speedup, timeout
        self.usernames = usernames or (lambda: {})
        self.connections: dict[str, dict] = {}
        self.forwarders: dict[str, dict] = {}
        self.records: dict[str, dict] = {}
        self._queue: list[tuple[float, int, str]] = []
        self._sequence = itertools.count()
        self._latest: dict[str, int] = {}  # record id -> sequence of its live queue entry
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        store.listeners.append(self._on_form)

    # -- configuration -------------------------------------------------------------------------

    def add_connection(self, url: str, name: str = "", auth_type: str = "none", **auth) -> dict:
        """Add connection settings (``username``/``password``, ``token``, ``api_key``/``api_key_header``/``api_key_prefix``).

        Example:
            >>> from .documents import Store
            >>> engine = Forwarding(Store("demo"), lambda: "http://hq", speedup=1e6)
            >>> engine.add_connection("http://127.0.0.1:9/x", auth_type="bearer", token="t")["auth_type"]
            'bearer'
        """
        if auth_type not in ("none", "basic", "bearer", "api_key"):
            raise ValueError(f"unknown auth_type {auth_type!r}: use none, basic, bearer or api_key")
        connection = {"id": uuid.uuid4().hex, "name": name or url, "url": url, "auth_type": auth_type, **auth}
        self.connections[connection["id"]] = connection
        return connection

    def add_forwarder(self, kind: str, connection_id: str, name: str = "", format: str = "json",  # noqa: A002
                      **options) -> dict:
        """Add a ``form`` or ``case`` forwarder posting to a connection (options: see :mod:`.payloads`).

        Example:
            >>> from .documents import Store
            >>> engine = Forwarding(Store("demo"), lambda: "http://hq", speedup=1e6)
            >>> connection = engine.add_connection("http://127.0.0.1:9/x")
            >>> engine.add_forwarder("case", connection["id"], case_types=["patient"])["case_types"]
            ['patient']
        """
        if kind not in ("form", "case") or format not in ("json", "xml"):
            raise ValueError("kind must be 'form' or 'case' and format 'json' or 'xml'")
        if connection_id not in self.connections:
            raise ValueError(f"unknown connection {connection_id!r}")
        forwarder = {"id": uuid.uuid4().hex, "kind": kind, "name": name or f"{kind} forwarder",
                     "connection_id": connection_id, "format": format, "paused": False, **options}
        self.forwarders[forwarder["id"]] = forwarder
        return forwarder

    def remove_forwarder(self, forwarder_id: str) -> bool:
        """Delete a forwarder (its records stay, and stop being retried).

        Example:
            >>> from .documents import Store
            >>> engine = Forwarding(Store("demo"), lambda: "http://hq", speedup=1e6)
            >>> engine.remove_forwarder("nope")
            False
        """
        return self.forwarders.pop(forwarder_id, None) is not None

    # -- records -------------------------------------------------------------------------------

    def _on_form(self, form_rec: dict, case_recs: list[dict]) -> None:
        for forwarder in list(self.forwarders.values()):
            if forwarder["paused"]:
                continue
            connection = self.connections[forwarder["connection_id"]]
            if forwarder["kind"] == "form":
                made = payloads.form_requests(forwarder, connection, form_rec, self.base_url())
            else:
                made = payloads.case_requests(forwarder, connection, case_recs, self.usernames())
            for request in made:
                self._register(forwarder, request)

    def _register(self, forwarder: dict, request: dict) -> None:
        record = {"id": uuid.uuid4().hex, "forwarder_id": forwarder["id"], "state": "PENDING",
                  "registered_at": dates.iso(dates.now()), "next_check": None, "attempts": [],
                  "max_possible_tries": MAX_BACKOFF_ATTEMPTS, "method": forwarder.get("method", "POST"),
                  **request}
        with self._cond:
            self.records[record["id"]] = record
            self._schedule(record, 0)

    def _schedule(self, record: dict, simulated_wait: float) -> None:
        due = time.monotonic() + simulated_wait / self.speedup
        record["next_check"] = dates.iso(dates.now() + int(simulated_wait / self.speedup * 1e6))
        sequence = self._latest[record["id"]] = next(self._sequence)
        heapq.heappush(self._queue, (due, sequence, record["id"]))
        self._cond.notify_all()

    def list_records(self, state: str | None = None, forwarder_id: str | None = None) -> list[dict]:
        """Records (oldest first), optionally of one state or forwarder; copies, safe to keep.

        Example:
            >>> from .documents import Store
            >>> engine = Forwarding(Store("demo"), lambda: "http://hq", speedup=1e6)
            >>> engine.list_records(state="FAIL")
            []
        """
        with self._cond:
            return [dict(r, attempts=list(r["attempts"])) for r in self.records.values()
                    if (state is None or r["state"] == state) and (forwarder_id in (None, r["forwarder_id"]))]

    def resend(self, record_id: str) -> dict:
        """Post a record again now (synchronously), whatever its state; returns the updated record.

        Example:
            hq.forwarding.resend(record_id)["attempts"][-1]["state"]   # 'SUCCESS' when the receiver said 2xx
        """
        record = self.records[record_id]
        with requests.Session() as session:
            self._attempt(session, record)
        return self.record(record_id)

    def requeue(self, record_id: str) -> dict:
        """Give a record 6 more tries and queue it now.

        Example:
            hq.forwarding.requeue(record_id)["max_possible_tries"]     # attempts so far + 6
        """
        with self._cond:
            record = self.records[record_id]
            record["max_possible_tries"] = len(record["attempts"]) + MAX_BACKOFF_ATTEMPTS
            record["state"] = "PENDING"
            self._schedule(record, 0)
        return self.record(record_id)

    def record(self, record_id: str) -> dict:
        """A copy of one record (``KeyError`` if there is none).

        Example:
            >>> from .documents import Store
            >>> engine = Forwarding(Store("demo"), lambda: "http://hq", speedup=1e6)
            >>> engine.record("nope")
            Traceback (most recent call last):
            ...
            KeyError: 'nope'
        """
        with self._cond:
            record = self.records[record_id]
            return dict(record, attempts=list(record["attempts"]))

    # -- delivery ------------------------------------------------------------------------------

    def _send(self, session: requests.Session, record: dict) -> tuple[str, int | None, str]:
        try:
            response = session.request(record["method"], record["url"], data=record["body"].encode("utf-8"),
                                       headers=record["headers"], timeout=self.timeout, allow_redirects=False)
        except (requests.ConnectionError, requests.Timeout) as error:
            return "server", None, f"{record['url']}\n{type(error).__name__}: {error}"
        except requests.RequestException as error:
            return "client", None, f"{record['url']}\n{type(error).__name__}: {error}"
        message = f"{record['url']}\n{response.status_code}: {response.reason}\n{response.text}"[:_MESSAGE_LIMIT]
        if 200 <= response.status_code < 300:
            return ("EMPTY" if response.status_code == 204 else "SUCCESS"), response.status_code, message
        if response.status_code >= 500 or response.status_code in RETRYABLE_4XX:
            return "server", response.status_code, message
        return "INVALID_PAYLOAD", response.status_code, message

    def _attempt(self, session: requests.Session, record: dict) -> None:
        outcome, status, message = self._send(session, record)
        with self._cond:
            number = len(record["attempts"]) + 1
            limit = MAX_ATTEMPTS if outcome == "client" else record["max_possible_tries"]
            state = outcome if outcome not in ("server", "client") else ("FAIL" if number < limit else "CANCELLED")
            record["attempts"].append({"attempt": number, "datetime": dates.iso(dates.now()), "state": state,
                                       "status_code": status, "message": message})
            record["state"], record["next_check"] = state, None
            if state == "FAIL":
                failures = sum(1 for a in record["attempts"] if a["state"] == "FAIL")
                self._schedule(record, retry_wait(failures))

    def _next_due(self) -> dict | None:
        with self._cond:
            while not self._stopping:
                if self._queue and self._queue[0][0] <= time.monotonic():
                    _, sequence, record_id = heapq.heappop(self._queue)
                    record = self.records[record_id]
                    live = sequence == self._latest.get(record_id) and record["forwarder_id"] in self.forwarders
                    if live and record["state"] in ("PENDING", "FAIL"):
                        return record
                    continue
                self._cond.wait(self._queue[0][0] - time.monotonic() if self._queue else None)
            return None

    def _run(self) -> None:
        with requests.Session() as session:
            while (record := self._next_due()) is not None:
                self._attempt(session, record)

    def start(self) -> None:
        """Start the delivery thread.

        Example:
            >>> from .documents import Store
            >>> engine = Forwarding(Store("demo"), lambda: "http://hq", speedup=1e6)
            >>> engine.start(); engine.stop()
        """
        self._stopping = False
        self._thread = threading.Thread(target=self._run, daemon=True, name="pyfn-sim-forwarding")
        self._thread.start()

    def stop(self) -> None:
        """Stop the delivery thread (records that are due stay queued).

        Example:
            >>> from .documents import Store
            >>> engine = Forwarding(Store("demo"), lambda: "http://hq", speedup=1e6)
            >>> engine.stop()  # stopping an engine that never started is harmless
        """
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)
            self._thread = None
