"""What a run's child process tells its supervisor, one record per message on the pipe.

The child (``runtime.worker.child``) sends them in this order: :class:`Started`,
then :class:`LogLine`, :class:`StepStarted` and :class:`StepCompleted` as the run
goes, and :class:`Done` last. States travel as JSON text (``configuration``
removed); log lines and step errors are already masked. A job's collections
operation is a :class:`CollectionCall` the supervisor answers with a
:class:`CollectionAnswer` on the same pipe (``runtime.worker.collections_relay``):
the run's process never holds a handle to the run store.

On the pipe each record is JSON (:func:`encode`, :func:`decode`), never a pickle:
a hostile job that writes on its end can make the supervisor read a bad record
(:class:`BadMessage`), never run code.

Example:
    >>> decode(encode(StepStarted("2024-05-02T10:15:43.120000Z", "fetch", '{"data":{}}'))).step
    'fetch'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["Started", "LogLine", "StepStarted", "StepCompleted", "Done", "CollectionCall", "CollectionAnswer",
           "Message", "BadMessage", "encode", "decode", "Channel"]


@dataclass(frozen=True, slots=True)
class Started:
    """The run's process is up (the run becomes ``started``)."""


@dataclass(frozen=True, slots=True)
class LogLine:
    """One log line of the run, masked, and when it was logged."""

    at: str
    line: str


@dataclass(frozen=True, slots=True)
class StepStarted:
    """A step (a visit key such as ``x-1``) started with this input state."""

    at: str
    step: str
    input_json: str | None


@dataclass(frozen=True, slots=True)
class StepCompleted:
    """A step ended with this output state and error record (``None`` on success)."""

    at: str
    step: str
    output_json: str | None
    error_json: str | None


@dataclass(frozen=True, slots=True)
class Done:
    """The run ended: Lightning's state, the error type, the final state and the ``webhookResponse``.

    Example:
        >>> Done("failed", "HTTPError").final_json is None
        True
    """

    state: str
    error_type: str | None = None
    final_json: str | None = None
    webhook_response: dict | None = None


@dataclass(frozen=True, slots=True)
class CollectionCall:
    """A job's collections call for the supervisor to make on the run store: a method and its JSON arguments.

    Example:
        >>> CollectionCall("get", ["crm-ids", "case-1"]).method
        'get'
    """

    method: str
    args: list


@dataclass(frozen=True, slots=True)
class CollectionAnswer:
    """The supervisor's answer to a :class:`CollectionCall`: its value, or the error as ``[kind, message, fix]``."""

    value: Any = None
    error: list | None = None


Message = Started | LogLine | StepStarted | StepCompleted | Done | CollectionCall | CollectionAnswer
_KINDS = {cls.__name__: cls for cls in (Started, LogLine, StepStarted, StepCompleted, Done, CollectionCall,
                                        CollectionAnswer)}
_TYPES = {"str": str, "None": type(None), "dict": dict, "list": list, "Any": object}


class BadMessage(ValueError):
    """Bytes on the pipe that are not one of the records above."""


def encode(message: Message) -> bytes:
    """``message`` as the JSON bytes the pipe carries: ``[kind, {field: value}]``."""
    values = {field.name: getattr(message, field.name) for field in fields(message)}
    return json.dumps([type(message).__name__, values], separators=(",", ":")).encode()


def decode(data: bytes) -> Message:
    """The record ``data`` holds (see :func:`encode`); :class:`BadMessage` if it holds none.

    Example:
        >>> decode(b'["Done",{"state":7}]')
        Traceback (most recent call last):
        ...
        runtime.worker.messages.BadMessage: Done.state is not a str
    """
    try:
        kind, values = json.loads(data)
        cls = _KINDS[kind]
        expected = {field.name: field.type for field in fields(cls)}
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise BadMessage("not a message of the run's process") from None
    if not isinstance(values, dict) or not set(values) <= set(expected):
        raise BadMessage(f"{kind} with other fields than {', '.join(expected) or 'none'}")
    for name, value in values.items():
        allowed = tuple(_TYPES[part.strip()] for part in expected[name].split("|"))
        if not isinstance(value, allowed):
            raise BadMessage(f"{kind}.{name} is not a {expected[name]}")
    try:
        return cls(**values)
    except TypeError as error:
        raise BadMessage(f"{kind}: {error}") from None


class Channel:
    """One end of the pipe between a run's process and its supervisor, carrying records as JSON.

    Example:
        >>> import multiprocessing
        >>> left, right = multiprocessing.Pipe()
        >>> Channel(left).send(Started()); Channel(right).recv()
        Started()
    """

    def __init__(self, connection: Any):
        self.connection = connection

    def send(self, message: Message) -> None:
        self.connection.send_bytes(encode(message))

    def recv(self) -> Message:
        """The next record (``EOFError`` when the other end closed; :class:`BadMessage` for anything else)."""
        return decode(self.connection.recv_bytes())

    def poll(self, timeout: float = 0) -> bool:
        return self.connection.poll(timeout)

    def close(self) -> None:
        self.connection.close()
