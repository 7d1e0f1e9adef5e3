"""The examples in the server's and the store's docstrings run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["runtime.triggers", "runtime.plan", "runtime.store", "runtime.store.sqlite", "runtime.server.app",
           "runtime.server.child", "runtime.server.payload", "runtime.server.plans", "runtime.server.project",
           "runtime.server.service", "runtime.server.supervisor", "runtime.server.workers",
           "runtime.server.triggers", "runtime.cli.runs", "runtime.schedule", "runtime.policy", "runtime.store.records",
           "runtime.store.sqlite_ops", "runtime.server.api", "runtime.server.clock", "runtime.server.retention",
           "runtime.server.scheduler", "runtime.cli.trigger"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
