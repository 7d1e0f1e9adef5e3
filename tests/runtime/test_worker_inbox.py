"""The supervisor's end of a run's pipe: records read a chunk at a time, a half-sent one never waited on."""

from __future__ import annotations

import multiprocessing
import os
import struct
import threading

import pytest

from runtime.worker.messages import Channel, Done, Inbox, LogLine, MessageTooLarge, encode


def _read_while(inbox: Inbox, writing: threading.Thread) -> list:
    """Every record read while ``writing`` writes, and after until the pipe is empty: never a read without data."""
    seen = []
    while writing.is_alive() or inbox.poll(0):
        if inbox.poll(0.05):
            seen += inbox.read() or []  # the records of a bundle it completed, or none yet
    return seen


def _read_now(inbox: Inbox) -> None:
    while inbox.poll(0):
        inbox.read()


def _write(left, data: bytes) -> threading.Thread:
    writing = threading.Thread(target=left._send, args=(data,))
    writing.start()
    return writing


def test_a_half_sent_record_is_held_until_its_end_arrives_without_waiting_for_it():
    left, right = multiprocessing.Pipe()
    os.set_blocking(right.fileno(), False)  # a read waiting for what is not sent yet fails instead of hanging
    inbox = Inbox(right, 8 * 1024 * 1024)
    final = '{"data":"' + "d" * 3_000_000 + '"}'  # a few chunks
    record = encode(Done("success", None, final))
    raw = struct.pack("!i", len(record)) + record
    left.send_bytes(encode(LogLine("2024-05-02T10:15:43Z", "one")))
    cut = len(raw) // 2  # the run's process stops halfway through a record
    assert _read_while(inbox, _write(left, raw[:cut])) == [LogLine("2024-05-02T10:15:43Z", "one")]
    assert _read_while(inbox, _write(left, raw[cut:])) == [Done("success", None, final)]


def test_a_record_announced_past_the_bound_is_refused_before_its_body_is_read():
    left, right = multiprocessing.Pipe()
    Channel(left).send(LogLine("at", "x" * 1024))
    with pytest.raises(MessageTooLarge) as refused:
        _read_now(Inbox(right, 1024))
    assert refused.value.size > 1024 and right.poll(0)  # its body is still unread on the pipe


def test_a_record_announced_past_2_gib_is_refused():
    left, right = multiprocessing.Pipe()
    left._send(struct.pack("!i", -1))  # multiprocessing's prefix of a record past 2 GiB
    with pytest.raises(MessageTooLarge, match="more than 2048 MB"):
        _read_now(Inbox(right, 64 * 1024 * 1024))
