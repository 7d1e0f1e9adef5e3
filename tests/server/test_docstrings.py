"""The examples in the server's and the store's docstrings run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["runtime.workflow.triggers", "runtime.workflow.model", "runtime.workflow.problems", "runtime.plan", "runtime.store", "runtime.store.sqlite", "runtime.server.app",
           "runtime.worker.child", "runtime.server.payload", "runtime.worker.preload", "runtime.workflow.project",
           "runtime.server.service", "runtime.worker.supervisor", "runtime.worker.pool",
           "runtime.server.webhooks", "runtime.cli.runs", "runtime.workflow.cron", "runtime.workflow.policy", "runtime.store.records",
           "runtime.store.sqlite_ops", "runtime.server.api", "runtime.server.clock", "runtime.server.retention",
           "runtime.server.scheduler", "runtime.cli.trigger"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
