"""The supervision of one run's process: its records stored as they come, its limits checked every 50 ms.

See ``runtime.worker.supervisor`` for what is checked and how a run ends; :class:`Watch` is its loop.
It reads the run's pipe through an ``Inbox`` (``runtime.worker.messages``) and records what arrives in
one store transaction per read; the limits are checked on their own cadence (every ``CHECK_SECONDS``),
whatever the records do, so a chatty run costs no more checks than a quiet one.

Example:
    >>> Outcome("killed", "OOMError").aborted
    False
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from runtime.store import RawJSON
from runtime.worker.collections_relay import answer
from runtime.worker.confine import kill_group, tree_resident_bytes
from runtime.worker.messages import (BadMessage, Channel, CollectionAnswer, CollectionCall, Done, Inbox, LogLine,
                                     Message, MessageTooLarge, Started, StepCompleted, StepStarted)

__all__ = ["CHECK_SECONDS", "Outcome", "Watch"]

CHECK_SECONDS = 0.05  # how often a run's time and memory are checked
_ENDS = ("success", "failed", "crashed", "killed")  # how a run's process may say its run ended
_MAX_READS_PER_POLL = 1000  # a record is two reads (its length, then its body in chunks of 1 MiB)


@dataclass
class Outcome:
    """How a run ended; ``aborted`` means the server stopped it (shutdown) and it must be queued again.

    Example:
        >>> Outcome("killed", "OOMError").aborted
        False
    """

    state: str
    error_type: str | None = None
    final_state: RawJSON | None = None
    webhook_response: dict | None = None
    aborted: bool = False


class Watch:
    """The supervision loop of one run's process (``supervisor`` is the ``Supervisor`` that started it)."""

    def __init__(self, supervisor: Any, run_id: str, process: Any, receiver: Any, abort: threading.Event,
                 persist: bool = True, version: str | None = None):
        self.store, self.limits, self.persist = supervisor.store, supervisor.limits, persist
        self.collections = supervisor.collections
        self.run_id, self.process, self.abort = run_id, process, abort
        self.receiver, self.inbox = Channel(receiver), Inbox(receiver, self.limits.message_mb * 1024 * 1024)
        self.started = time.monotonic()
        self.next_check = self.started + CHECK_SECONDS
        self.outcome: Outcome | None = None
        self.closed = False
        self.version = version  # the workflow's version the run executes

    def until_done(self) -> Outcome:
        while self.outcome is None:
            if self.closed:
                self.process.join(timeout=1)
                return self._exited()
            if self.inbox.poll(max(0.0, self.next_check - time.monotonic())):
                self._drain()
            now = time.monotonic()
            if self.outcome is None and now >= self.next_check:
                self.next_check = now + CHECK_SECONDS
                self.outcome = self._check_limits()
        return self.outcome

    def _drain(self) -> None:
        """Record the bundles waiting on the pipe (up to a bound) in one store transaction; a collections
        call (last: the child waits for its answer) is answered after it, as the collections have a
        connection of their own."""
        messages: list[Message] = []
        refused: BadMessage | None = None
        for _ in range(_MAX_READS_PER_POLL):
            try:
                bundle = self.inbox.read()
            except (EOFError, OSError):
                self.closed = True
                break
            except BadMessage as error:
                refused = error
                break
            if bundle is not None:
                messages += bundle
                if isinstance(bundle[-1], (Done, CollectionCall)):  # only ever last (decode_bundle)
                    break
            if not self.inbox.poll(0):
                break
        call = messages.pop() if messages and isinstance(messages[-1], CollectionCall) else None
        with self.store.batch():
            self._record(messages)
        if refused is not None:
            self._refuse(refused)
        elif call is not None:
            self._handle(call)

    def _record(self, messages: list[Message]) -> None:
        logs: list[tuple[str, str]] = []
        for message in messages:
            if isinstance(message, LogLine):
                logs.append((message.at, message.line))
            else:
                self.store.append_logs(self.run_id, logs)
                logs = []
                self._handle(message)
        self.store.append_logs(self.run_id, logs)

    def _refuse(self, error: BadMessage) -> None:
        """The run's process sent what the server does not read: it is killed and its run crashed."""
        if isinstance(error, MessageTooLarge):
            self._kill(f"CRITICAL ERROR! The run's process sent {error}: keep big data in a collection "
                       f"and return a smaller state (or log less at once)")
        else:
            self._kill(f"CRITICAL ERROR! The run's process sent what pyfn cannot read ({error})")
        self.outcome = Outcome("crashed", "ExitError")

    def _handle(self, message: Message) -> None:
        if isinstance(message, Started):
            self.store.started(self.run_id, self.version)
        elif isinstance(message, StepStarted):
            input_state = _raw(message.input_json) if self.persist else None
            self.store.step_started(self.run_id, message.step, input_state, at=message.at)
        elif isinstance(message, StepCompleted):
            output = _raw(message.output_json) if self.persist else None
            self.store.step_finished(self.run_id, message.step, output, _raw(message.error_json), at=message.at)
        elif isinstance(message, CollectionCall):
            self.receiver.send(answer(self.collections, message) if self.collections is not None else
                               CollectionAnswer(error=["CollectionsUnavailable", "This server keeps no collections",
                                                       None]))
        elif isinstance(message, Done):
            state = message.state if message.state in _ENDS else "crashed"  # a hostile job cannot claim "lost"
            self.outcome = Outcome(state, message.error_type, _raw(message.final_json), message.webhook_response)

    def _check_limits(self) -> Outcome | None:
        if self.abort.is_set():
            self._kill("CRITICAL ERROR! The server is shutting down: run stopped, it will run again")
            return Outcome("lost", "LostError", aborted=True)
        elapsed_ms = (time.monotonic() - self.started) * 1000
        if self.limits.timeout_ms and elapsed_ms > self.limits.timeout_ms:
            self._kill(f"CRITICAL ERROR! Workflow failed to return within {self.limits.timeout_ms}ms")
            return Outcome("killed", "TimeoutError")
        rss = tree_resident_bytes(self.process.pid)
        if self.limits.memory_mb and rss is not None and rss > self.limits.memory_bytes:
            self._kill(f"CRITICAL ERROR! Run exceeded maximum memory usage "
                       f"({rss // 1048576} MB > {self.limits.memory_mb} MB)")
            return Outcome("killed", "OOMError")
        return None

    def _kill(self, reason: str) -> None:
        kill_group(self.process.pid)
        self.process.kill()
        self.process.join(timeout=2)
        self.store.append_logs(self.run_id, [f"[R/T] ✘ {reason}"])

    def _exited(self) -> Outcome:
        code = self.process.exitcode
        self.store.append_logs(self.run_id, [f"[R/T] ✘ CRITICAL ERROR! The run's process exited "
                                             f"(exit code {code}) without reporting an outcome"])
        return Outcome("crashed", "ExitError")




def _raw(text: str | None) -> RawJSON | None:
    return None if text is None else RawJSON(text)
