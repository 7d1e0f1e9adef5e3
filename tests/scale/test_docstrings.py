"""The examples in the scale-out modules' docstrings run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["runtime.store.postgres", "runtime.store.postgres_ops", "runtime.store.postgres_members",
           "runtime.store.pgconn", "runtime.store.migrate", "runtime.store.migrations", "runtime.worker.heartbeat",
           "runtime.worker.main", "tests.postgres", "runtime.cli.scale_commands"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
