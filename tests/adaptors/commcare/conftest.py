"""Fixtures for the commcare adaptor tests: HQ simulators, configurations, a runner, retries that do not sleep."""

from __future__ import annotations

import logging

import pytest

import adaptors.commcare as commcare
from adaptors.commcare.resilience import Resilience
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


class Waits(list):
    """The waits of the retry policies it makes, recorded instead of slept; their clock moves by each wait."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def policy(self, **settings) -> Resilience:
        """``configuration.retries`` as ``settings`` give it, waiting into this list (imports' polls too)."""
        return Resilience(**settings, sleep=self.sleep, clock=self.clock)


@pytest.fixture
def waits():
    """Retry waits recorded instead of slept: give ``retries=waits.policy(...)`` to a configuration."""
    return Waits()


@pytest.fixture
def quick_config(fresh_hq, waits):
    """``fresh_config`` whose retries (and polls) wait into ``waits`` instead of sleeping."""
    return configuration(fresh_hq, retries=waits.policy())


@pytest.fixture
def cc_log(caplog):
    """Records of the ``pyfn.adaptor.commcare`` logger (INFO and up)."""
    caplog.set_level(logging.INFO, logger="pyfn.adaptor.commcare")
    return caplog


@pytest.fixture
def make_config():
    """``make_config(hq, **changes)``: a configuration for any simulator."""
    return configuration
