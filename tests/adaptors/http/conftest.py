"""Fixtures for the http adaptor tests: a real destination API on 127.0.0.1."""

from __future__ import annotations

import logging
import socket

import pytest

from runtime.testing.destination import DestinationAPI


@pytest.fixture(scope="session")
def destination():
    """One DestinationAPI for the whole test session."""
    with DestinationAPI() as api:
        yield api


@pytest.fixture
def api(destination):
    """The destination API, with its records, counters and user routes cleared."""
    destination.reset(routes=True)
    yield destination
    destination.reset(routes=True)


@pytest.fixture
def config(api):
    """A step configuration pointing at the destination API."""
    return {"baseUrl": api.url}


@pytest.fixture
def http_log(caplog):
    """Records of the ``pyfn.adaptor.http`` logger (INFO and up)."""
    caplog.set_level(logging.INFO, logger="pyfn.adaptor.http")
    return caplog


@pytest.fixture
def closed_port():
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
