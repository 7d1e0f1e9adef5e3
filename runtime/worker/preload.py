"""Compiled workflows kept in the forkserver, so each run's process starts with its plan ready.

``pyfn serve`` names its workflow files in ``PYFN_SERVE_WORKFLOWS`` (a JSON
list) when it starts the forkserver, which preloads this module: the plans are
compiled once there (their jobs down to code objects), with the adaptors they use
(and jsonschema when an adaptor publishes a configuration schema), and every forked
run inherits them. Only those: a fork costs more the more memory the forkserver
holds, so an adaptor only a reloaded workflow uses is imported by its runs. A run names the
version its worker has loaded (the snapshot's fingerprint, ``runtime.workflow.version``)
and the files of that version: a cached plan of another version (the project was
reloaded since the forkserver started) is not used, the run compiles the files it
was given instead — never what the disk holds by then. The forkserver lowers its CPU priority
(``runtime.defaults.RUN_NICENESS``), so the runs it forks yield busy cores to the server. A file that is not
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
from typing import Mapping, Sequence

from runtime.defaults import RUN_NICENESS
from runtime.textfile import ReadFiles, serving
from runtime.workflow.model import Workflow
from runtime.workflow.load import load_workflow
from runtime.workflow.version import load_versioned

__all__ = ["ENV", "keep_only", "plan_for"]

ENV = "PYFN_SERVE_WORKFLOWS"
_PLANS: dict[str, tuple[str, Workflow]] = {}  # resolved path → (fingerprint, plan)
_KEYS: dict[str, str] = {}  # a path as given → resolved (a run asks three times; resolving reads the disk)


def _key(path: str) -> str:
    key = _KEYS.get(path)
    if key is None:
        key = _KEYS[path] = str(Path(path).resolve())
    return key


def _preload() -> None:
    if ENV not in os.environ:
        return  # not the forkserver
    os.nice(RUN_NICENESS)  # the forkserver and every run it forks yield the cores to the server
    try:
        paths = json.loads(os.environ[ENV] or "[]")
    except ValueError:
        return
    for path in paths:
        try:
            workflow, snap = load_versioned(Path(path), require_secrets=False)
        except Exception:  # noqa: BLE001 - the run loads it again and reports why it fails
            continue
        for step in workflow.steps.values():
            if step.job is not None:  # compiled to code objects here once, not in every run's process
                step.job.module_code, step.job.operation_codes
            if getattr(step.adaptor.module, "CONFIGURATION_SCHEMA", None):
                import jsonschema  # noqa: F401 - the check of its configuration may need it (runtime.config_check)
        _PLANS[_key(path)] = (snap.fingerprint, workflow)


def keep_only(path: str, plan: Workflow | None = None, fingerprint: str | None = None) -> None:
    """In a run's process: forget every other workflow's plan (and the credentials it holds); keep ``plan`` as its.

    A run's process that loaded its plan itself (a sandboxed one: nothing is preloaded there) keeps it, so
    the run does not read the workflow's files again once it has become another user (``--run-as``).
    """
    key = _key(path)
    for other in [name for name in _PLANS if name != key]:
        del _PLANS[other]
    if plan is not None:
        _PLANS[key] = (fingerprint or "", plan)


def plan_for(path: str, fingerprint: str | None = None, files: Mapping[str, Sequence[str]] | None = None) -> Workflow:
    """The compiled plan of the workflow file at ``path`` (see the module docstring and example).

    With a ``fingerprint``, a cached plan is used only if it is that version; else the plan is
    compiled from ``files`` (the texts of that version: resolved path → (kind, text),
    ``runtime.textfile.ReadFiles.texts``), or from the disk when none are given.
    """
    cached = _PLANS.get(_key(path))
    if cached is not None and (fingerprint is None or cached[0] == fingerprint):
        return cached[1]
    if files is None:
        return load_workflow(Path(path), require_secrets=False)
    with serving(ReadFiles(dict(files))):
        workflow = load_workflow(Path(path), require_secrets=False)
    _PLANS[_key(path)] = (fingerprint or "", workflow)  # the run asks twice (confine, execute)
    return workflow


_preload()
