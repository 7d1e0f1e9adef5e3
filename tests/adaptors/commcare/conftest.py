"""Fixtures for the commcare adaptor tests: HQ simulators, configurations, a runner, no real sleeping."""

from __future__ import annotations

import logging

import pytest

import adaptors.commcare as commcare
from adaptors.commcare import imports, resilience
from hq_simulator import (DEFAULT_API_KEY, DEFAULT_APP_ID, DEFAULT_DOMAIN, DEFAULT_USERNAME,
                               CommCareSimulator)

SEED = 300


def configuration(hq, **changes) -> dict:
    """A commcare configuration for simulator ``hq`` (the demo user's API key)."""
    return {"hostUrl": hq.url, "domain": DEFAULT_DOMAIN, "appId": DEFAULT_APP_ID, "username": DEFAULT_USERNAME,
            "apiKey": DEFAULT_API_KEY, **changes}


@pytest.fixture(scope="module")
def hq():
    """A simulator seeded with about 300 cases, shared by a test module (read-only tests)."""
    with CommCareSimulator(seed=SEED) as simulator:
        yield simulator


@pytest.fixture
def fresh_hq():
    """A small simulator of the test's own, for tests that write or inject faults."""
    with CommCareSimulator(seed=40) as simulator:
        yield simulator


@pytest.fixture
def config(hq):
    return configuration(hq)


@pytest.fixture
def fresh_config(fresh_hq):
    return configuration(fresh_hq)


@pytest.fixture
def run():
    """``run(config, *operations, state=None)``: the operations through the adaptor's ``execute``."""
    def _run(config: dict, *operations, state: dict | None = None) -> dict:
        return commcare.execute(*operations)({**(state or {}), "configuration": config})
    return _run


@pytest.fixture
def waits(monkeypatch):
    """Record retry waits instead of sleeping (the retry clock moves by each wait); polls do not sleep."""
    recorded: list[float] = []
    now = [0.0]

    def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(resilience, "sleep", fake_sleep)
    monkeypatch.setattr(resilience, "clock", lambda: now[0])
    monkeypatch.setattr(imports, "sleep", lambda seconds: None)
    return recorded


@pytest.fixture
def cc_log(caplog):
    """Records of the ``pyfn.adaptor.commcare`` logger (INFO and up)."""
    caplog.set_level(logging.INFO, logger="pyfn.adaptor.commcare")
    return caplog


@pytest.fixture
def make_config():
    """``make_config(hq, **changes)``: a configuration for any simulator."""
    return configuration
