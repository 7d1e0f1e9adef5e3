"""PostgreSQL connections for the run store: a small pool, and one listener for ``LISTEN/NOTIFY``.

The pool hands out autocommit connections (a statement is its own
transaction; ``with conn.transaction()`` groups several), at most ``size`` at
once, and drops a connection that broke so the next caller gets a fresh one.
The listener keeps one connection ``LISTEN``-ing and calls the callbacks of
each channel with the notification's payload; when its connection breaks it
reconnects and calls every callback with ``None`` (something may have been
missed while it was away), so callers keep polling only as a fallback.

Example::

    pool = Pool("postgresql://pyfn@db/pyfn", size=4)
    with pool.connection() as conn:
        conn.execute("SELECT 1").fetchone()       # (1,)
    listener = Listener("postgresql://pyfn@db/pyfn")
    listener.on("pyfn_runs", lambda payload: print("queued:", payload))
    listener.close(); pool.close()
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from typing import Any, Callable, Iterator

try:
    import psycopg
except ImportError as missing:  # pragma: no cover - depends on the installation
    raise ImportError("A PostgreSQL run store needs psycopg 3: pip install 'psycopg[binary]>=3.1'") from missing

__all__ = ["Pool", "Listener", "connect"]

_RECONNECT_SECONDS = 1.0


def connect(url: str, **settings: Any) -> psycopg.Connection:
    """An autocommit connection named ``pyfn`` in ``pg_stat_activity``.

    Example::

        with connect("postgresql://pyfn@db/pyfn") as conn:
            conn.execute("SELECT 1")
    """
    settings.setdefault("application_name", "pyfn")
    settings.setdefault("connect_timeout", 10)
    return psycopg.connect(url, autocommit=True, **settings)


class Pool:
    """At most ``size`` connections to ``url``, shared by the threads of one process.

    Example::

        with Pool(url).connection() as conn, conn.transaction():
            conn.execute("UPDATE runs SET ...")
    """

    def __init__(self, url: str, size: int = 10, wait_seconds: float = 30.0):
        self.url, self.size, self.wait_seconds = url, size, wait_seconds
        self._idle: list[psycopg.Connection] = []
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._closed = False
        self._pinned = threading.local()  # .conn: the connection of this thread's transaction()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Inside the block, every :meth:`connection` of this thread is one connection in one transaction.

        Example::

            with pool.transaction():
                with pool.connection() as conn:
                    conn.execute("UPDATE runs SET ...")
                with pool.connection() as conn:   # the same connection, the same transaction
                    conn.execute("INSERT INTO logs ...")
        """
        if getattr(self._pinned, "conn", None) is not None:
            yield
            return
        with self.connection() as conn, conn.transaction():
            self._pinned.conn = conn
            try:
                yield
            finally:
                self._pinned.conn = None

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A connection for the ``with`` block; back to the pool after it, unless it broke."""
        pinned = getattr(self._pinned, "conn", None)
        if pinned is not None:
            yield pinned
            return
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise psycopg.OperationalError(f"no free connection to the run store within {self.wait_seconds:g}s")
        conn = None
        try:
            conn = self._take()
            yield conn
        finally:
            self._give_back(conn)
            self._slots.release()

    def _take(self) -> psycopg.Connection:
        with self._lock:
            if self._closed:
                raise psycopg.OperationalError("the run store is closed")
            while self._idle:
                conn = self._idle.pop()
                if not conn.closed and not conn.broken:
                    return conn
        return connect(self.url)

    def _give_back(self, conn: psycopg.Connection | None) -> None:
        if conn is None:
            return
        healthy = not conn.closed and not conn.broken and \
            conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        with self._lock:
            if healthy and not self._closed:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        """Close every idle connection; connections in use close when they come back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


class Listener:
    """A thread that ``LISTEN``s on the channels it was asked for and calls their callbacks.

    Example::

        listener = Listener(url)
        listener.on("pyfn_ended", lambda run_id: print(run_id, "ended"))
    """

    def __init__(self, url: str):
        self.url = url
        self._callbacks: dict[str, list[Callable[[str | None], None]]] = defaultdict(list)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._changed = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()

    def on(self, channel: str, callback: Callable[[str | None], None]) -> None:
        """Call ``callback(payload)`` for every notification on ``channel`` (starts listening)."""
        with self._lock:
            self._callbacks[channel].append(callback)
            self._changed.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="pyfn-store-listener", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                with connect(self.url) as conn:
                    self._listen(conn)
            except psycopg.Error:
                self.connected.clear()
                self._dispatch_all()  # anything could have happened while we were away
                self._stop.wait(_RECONNECT_SECONDS)

    def _listen(self, conn: psycopg.Connection) -> None:
        listening: set[str] = set()
        self._changed.set()  # a new connection listens on nothing yet: every channel, again after a reconnect
        while not self._stop.is_set():
            if self._changed.is_set():
                self._changed.clear()
                with self._lock:
                    channels = set(self._callbacks) - listening
                for channel in sorted(channels):
                    conn.execute(f'LISTEN "{channel}"')
                    listening.add(channel)
                self.connected.set()
            for note in conn.notifies(timeout=0.5):
                self._dispatch(note.channel, note.payload)

    def _dispatch(self, channel: str, payload: str | None) -> None:
        with self._lock:
            callbacks = list(self._callbacks.get(channel, ()))
        for callback in callbacks:
            try:
                callback(payload)
            except Exception:  # noqa: BLE001 - a callback's bug must not stop the listener
                pass

    def _dispatch_all(self) -> None:
        with self._lock:
            channels = list(self._callbacks)
        for channel in channels:
            self._dispatch(channel, None)

    def close(self, timeout: float = 2.0) -> None:
        """Stop listening (the thread ends within about half a second)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            deadline = time.monotonic() + timeout
            thread.join(max(0.0, deadline - time.monotonic()))
