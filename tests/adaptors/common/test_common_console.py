"""log and debug."""

from __future__ import annotations

import logging

from adaptors.common import data_value, debug, log


def test_log_resolves_args_renders_json_and_returns_state(caplog):
    state = {"data": {"patients": [{"name": "Ann"}]}}
    with caplog.at_level(logging.INFO, logger="pyfn.job"):
        result = log("patients:", data_value("patients"), 3)(state)
    assert result is state
    [record] = caplog.records
    assert record.name == "pyfn.job" and record.levelno == logging.INFO
    assert record.getMessage() == 'patients: [\n  {\n    "name": "Ann"\n  }\n] 3'


def test_debug_logs_at_debug_level(caplog):
    with caplog.at_level(logging.DEBUG, logger="pyfn.job"):
        debug("state is", lambda state: state["data"])({"data": None})
    [record] = caplog.records
    assert record.levelno == logging.DEBUG and record.getMessage() == "state is null"


def test_debug_is_silent_above_debug_level(caplog):
    with caplog.at_level(logging.INFO, logger="pyfn.job"):
        debug("hidden")({})
    assert caplog.records == []
