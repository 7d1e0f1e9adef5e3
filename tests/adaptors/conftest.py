"""Fixtures for every adaptor test."""

from __future__ import annotations

import pytest

from adaptors.common import cursors


@pytest.fixture(autouse=True)
def _each_test_is_a_new_run():
    """Forget the cursor key and start time that an earlier test left behind.

    As in OpenFn, ``cursor``'s key lives for the whole run (the runtime calls
    ``reset_cursor`` when a run begins); a test calling operations directly is a
    run of its own, whichever tests ran before it in the same process.
    """
    cursors.reset_cursor()
    yield
    cursors.reset_cursor()
