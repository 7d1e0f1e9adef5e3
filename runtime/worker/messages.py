"""What a run's child process tells its supervisor, one record per message on the pipe.

The child (``runtime.worker.child``) sends them in this order: :class:`Started`,
then :class:`LogLine`, :class:`StepStarted` and :class:`StepCompleted` as the run
goes, and :class:`Done` last. States travel as JSON text (``configuration``
removed); log lines and step errors are already masked. A job's collections
operation is a :class:`CollectionCall` the supervisor answers with a
:class:`CollectionAnswer` on the same pipe (``runtime.worker.collections_relay``):
the run's process never holds a handle to the run store.

On the pipe each record is JSON (:func:`encode`, :func:`decode`), never a pickle; the run's process sends
its records in bundles, a JSON list of records per write (:func:`encode_bundle`, :func:`decode_bundle`,
``runtime.worker.outbox``):
a hostile job that writes on its end can make the supervisor read a bad record
(:class:`BadMessage`), never run code. The supervisor reads through an :class:`Inbox`: a
chunk at a time, never waiting on a half-sent record, and never a record longer than its
bound (:class:`MessageTooLarge`, ``runtime.defaults.RUN_MESSAGE_MB``).

Example:
    >>> decode(encode(StepStarted("2024-05-02T10:15:43.120000Z", "fetch", '{"data":{}}'))).step
    'fetch'
"""

from __future__ import annotations

import json
import os
import select
import struct
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["Started", "LogLine", "StepStarted", "StepCompleted", "Done", "CollectionCall", "CollectionAnswer",
           "Message", "BadMessage", "MessageTooLarge", "encode", "decode", "encode_bundle", "decode_bundle", "Channel",
           "Inbox"]


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
_HEADER = struct.Struct("!i")  # multiprocessing's length prefix; -1 announces a record past 2 GiB
_CHUNK = 1024 * 1024  # what one read takes from the pipe


class BadMessage(ValueError):
    """Bytes on the pipe that are not one of the records above."""


class MessageTooLarge(BadMessage):
    """A record announced longer than the supervisor reads (``size`` is ``None`` past 2 GiB).

    Example:
        >>> str(MessageTooLarge(None, 64 * 1024 * 1024))
        'a record of more than 2048 MB, over the 64 MB a state or log line may take'
    """

    def __init__(self, size: int | None, limit: int):
        self.size, self.limit = size, limit
        told = "more than 2048 MB" if size is None else f"{size / 1048576:.0f} MB"
        super().__init__(f"a record of {told}, over the {limit // 1048576} MB a state or log line may take")


def encode(message: Message) -> bytes:
    """``message`` as the JSON bytes the pipe carries: ``[kind, {field: value}]``."""
    return json.dumps(_pair(message), separators=(",", ":")).encode()


def encode_bundle(messages: list[Message]) -> bytes:
    """``messages`` as one JSON record of the pipe: ``[[kind, {field: value}], ...]``."""
    return json.dumps([_pair(message) for message in messages], separators=(",", ":")).encode()


def _pair(message: Message) -> list:
    return [type(message).__name__, {field.name: getattr(message, field.name) for field in fields(message)}]


def decode_bundle(data: bytes) -> list[Message]:
    """The records a bundle holds (a single record is a bundle of one); :class:`BadMessage` if it holds other
    things, or goes on past a :class:`CollectionCall` (the run waits for its answer) or a :class:`Done`.

    Example:
        >>> decode_bundle(encode_bundle([Started(), Done("success")]))
        [Started(), Done(state='success', error_type=None, final_json=None, webhook_response=None)]
        >>> decode_bundle(b'[["Done",{"state":"success"}],["Started",{}]]')
        Traceback (most recent call last):
        ...
        runtime.worker.messages.BadMessage: a bundle going on past its Done
    """
    pairs = _json(data)
    if not isinstance(pairs, list) or not pairs or not isinstance(pairs[0], list):
        return [_message(pairs)]
    messages = [_message(pair) for pair in pairs]
    for message in messages[:-1]:
        if isinstance(message, (CollectionCall, Done)):
            raise BadMessage(f"a bundle going on past its {type(message).__name__}")
    return messages


def decode(data: bytes) -> Message:
    """The record ``data`` holds (see :func:`encode`); :class:`BadMessage` if it holds none.

    Example:
        >>> decode(b'["Done",{"state":7}]')
        Traceback (most recent call last):
        ...
        runtime.worker.messages.BadMessage: Done.state is not a str
    """
    return _message(_json(data))


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BadMessage("not a message of the run's process") from None


def _message(pair: Any) -> Message:
    """The record of a decoded ``[kind, {field: value}]`` pair (see :func:`decode`)."""
    try:
        kind, values = pair
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


class Inbox:
    """The supervisor's end of the pipe, read a chunk at a time: never more than ``limit`` bytes held.

    :meth:`read` never waits on a record still arriving (the supervisor keeps checking the run's
    limits meanwhile), and refuses a record whose length prefix is past ``limit`` before reading it.

    Example:
        >>> import multiprocessing
        >>> left, right = multiprocessing.Pipe()
        >>> Channel(left).send(Started()); inbox = Inbox(right, 1024)
        >>> [inbox.read() for _ in range(2) if inbox.poll(1)]
        [None, [Started()]]
        >>> left.send_bytes(b"x" * 2000)
        >>> try:
        ...     inbox.read()
        ... except MessageTooLarge as error:
        ...     print(error.size, error.limit)
        2000 1024
    """

    def __init__(self, connection: Any, limit: int):
        self.connection, self.limit = connection, limit
        self.fd = connection.fileno()
        self.header, self.body, self.size = bytearray(), bytearray(), None
        self.poller = select.poll()  # registered once: multiprocessing's poll builds a selector per call
        self.poller.register(self.fd, select.POLLIN)

    def poll(self, timeout: float = 0) -> bool:
        """Whether a read would not wait (data, or the other end closed), waiting up to ``timeout`` seconds."""
        return bool(self.poller.poll(timeout * 1000))

    def read(self) -> list[Message] | None:
        """One read (call it when :meth:`poll` says so): the records of the bundle it completes (see
        :func:`decode_bundle`), or ``None`` while one arrives.

        ``EOFError`` when the other end closed; :class:`MessageTooLarge`, :class:`BadMessage`.
        """
        if self.size is None:
            self.header += _read(self.fd, _HEADER.size - len(self.header))
            if len(self.header) < _HEADER.size:
                return None
            (size,), self.header = _HEADER.unpack(self.header), bytearray()
            if size == -1 or size > self.limit:
                raise MessageTooLarge(None if size == -1 else size, self.limit)
            if size < 0:
                raise BadMessage("a record of negative length")
            self.size = size
        elif len(self.body) < self.size:
            self.body += _read(self.fd, min(_CHUNK, self.size - len(self.body)))
        if len(self.body) < self.size:
            return None
        body, self.body, self.size = self.body, bytearray(), None
        return decode_bundle(body)


def _read(fd: int, count: int) -> bytes:
    data = os.read(fd, count)
    if not data:
        raise EOFError("the run's process closed its pipe")
    return data
