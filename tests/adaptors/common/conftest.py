"""Shared fixtures for the common adaptor's tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from adaptors.common import cursors


@pytest.fixture
def frozen_clock(monkeypatch):
    """Freeze the cursor clock at 2024-03-05 14:07:09.123 in UTC+2; returns that moment."""
    moment = datetime(2024, 3, 5, 14, 7, 9, 123000, tzinfo=timezone(timedelta(hours=2)))
    monkeypatch.setattr(cursors, "_now", lambda: moment)
    cursors.reset_cursor()
    yield moment
    cursors.reset_cursor()


@pytest.fixture
def patients_state():
    """A state with three patients and a batch, the shape of ``tests/openfn_recorded/common_job.json``."""
    return {
        "configuration": {"secret": "s3cret"},
        "data": {
            "patients": [
                {"name": "Ann", "age": 1},
                {"name": "Bob", "age": 2},
                {"name": "Cy", "age": 45},
            ],
            "batch": "B-7",
        },
    }
