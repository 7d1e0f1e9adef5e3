"""The run's process's end of its pipe: its records go out in bundles, a few writes per run.

Each write wakes the supervisor, which stores what it read in one transaction: a record per write
costs a wake-up and a transaction each. The :class:`Outbox` holds the runtime's own records and sends
them, with the one that calls for it, as one bundle (``runtime.worker.messages.encode_bundle``) when:

- a step starts (``StepStarted``: the store shows it running, with its input, while its job runs);
- the job calls the collections (``CollectionCall``: it waits for the answer);
- the run ends (``Done``).

While a step's job runs (``live``) every record goes out at once: a job's log lines reach the store as
the step goes on, and stay there if the run is killed. A one-step run sends three bundles.

Example:
    >>> import multiprocessing
    >>> from runtime.worker.messages import Done, LogLine, Started, StepStarted, decode_bundle
    >>> left, right = multiprocessing.Pipe()
    >>> outbox = Outbox(left)
    >>> outbox.send(Started()); outbox.send(LogLine("2024-05-02T10:15:43Z", "hello")); right.poll(0)
    False
    >>> outbox.send(StepStarted("2024-05-02T10:15:43Z", "map", "{}")); len(decode_bundle(right.recv_bytes()))
    3
"""

from __future__ import annotations

import threading
from typing import Any

from runtime.worker.messages import (CollectionCall, Done, Message, StepCompleted, StepStarted, decode,
                                     encode_bundle)

__all__ = ["Outbox"]

_SEND_NOW = (StepStarted, CollectionCall, Done)


class Outbox:
    """Bundles a run's records on ``connection`` (a ``multiprocessing`` connection): see the module docstring."""

    def __init__(self, connection: Any):
        self.connection = connection
        self.held: list[Message] = []
        self.live = False  # a step's job is running: its records go out at once
        self.lock = threading.Lock()  # a job's threads log too

    def send(self, message: Message) -> None:
        with self.lock:
            self.held.append(message)
            if isinstance(message, StepStarted):
                self.live = True
            elif isinstance(message, StepCompleted):
                self.live = False
                return
            if self.live or isinstance(message, _SEND_NOW):
                held, self.held = self.held, []
                self.connection.send_bytes(encode_bundle(held))

    def recv(self) -> Message:
        """The supervisor's answer to a collections call (``EOFError`` when it closed the pipe)."""
        return decode(self.connection.recv_bytes())
