"""Compiled workflows kept in the forkserver, so each run's process starts with its plan ready.

``pyfn serve`` names its workflow files in ``PYFN_SERVE_WORKFLOWS`` (a JSON
list) when it starts the forkserver, which preloads this module: the plans are
compiled once there, and every forked run inherits them. A file that is not
in the cache (or did not compile there) is loaded by the run itself, which
then reports the problem as its crash. Runs see only the variables their steps name
(``runtime.worker.confine``), so a trigger's ``${VAR}`` is not required here.

Example:
    >>> plan_for("/nowhere/missing.yaml")
    Traceback (most recent call last):
    ...
    runtime.errors.UsageError: Workflow file not found: /nowhere/missing.yaml
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from runtime.workflow.model import Workflow
from runtime.workflow.load import load_workflow

__all__ = ["ENV", "keep_only", "plan_for"]

ENV = "PYFN_SERVE_WORKFLOWS"
_PLANS: dict[str, Workflow] = {}


def _preload() -> None:
    try:
        paths = json.loads(os.environ.get(ENV) or "[]")
    except ValueError:
        return
    for path in paths:
        try:
            _PLANS[str(Path(path).resolve())] = load_workflow(Path(path), require_secrets=False)
        except Exception:  # noqa: BLE001 - the run loads it again and reports why it fails
            continue


def keep_only(path: str, plan: Workflow | None = None) -> None:
    """In a run's process: forget every other workflow's plan (and the credentials it holds); keep ``plan`` as its.

    A run's process that loaded its plan itself (a sandboxed one: nothing is preloaded there) keeps it, so
    the run does not read the workflow's files again once it has become another user (``--run-as``).
    """
    key = str(Path(path).resolve())
    for other in [name for name in _PLANS if name != key]:
        del _PLANS[other]
    if plan is not None:
        _PLANS[key] = plan


def plan_for(path: str) -> Workflow:
    """The compiled plan of the workflow file at ``path``: from the cache, else loaded now (see the module example)."""
    cached = _PLANS.get(str(Path(path).resolve()))
    return cached if cached is not None else load_workflow(Path(path), require_secrets=False)


_preload()
