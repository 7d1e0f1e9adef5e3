"""A workflow's version: a content hash of what it runs, and the texts it was loaded from.

The **version** (stored with every run, shown by ``pyfn runs show`` and the run
page) hashes the workflow file, its job files and the *shape* of its credential
and configuration files (their keys and value types, never their values): two
servers holding the same files agree on it wherever the project lies. The
**fingerprint** hashes every byte read, secrets included; it stays in memory
and only tells whether anything changed (a new password, say).

Example:
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "wf.yaml").write_text("steps: [{expression: 'fn(lambda state: state)'}]\\n")
    >>> workflow, snap = load_versioned(root / "wf.yaml")
    >>> len(snap.version), snap.version == load_versioned(root / "wf.yaml")[1].version
    (12, True)
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from runtime.textfile import ReadFiles, recording
from runtime.workflow.model import Workflow

__all__ = ["Snapshot", "load_versioned", "snapshot_of", "shape"]

_TEXT_KINDS = ("workflow", "job")  # hashed as they are; anything else (credentials, configuration) by shape


@dataclass(frozen=True)
class Snapshot:
    """The files a workflow was loaded from, its version (stored) and its fingerprint (memory only).

    Example:
        >>> snap = snapshot_of(ReadFiles({"/p/w.yaml": ("workflow", "steps: []")}), Path("/p"))
        >>> snap.paths
        ['/p/w.yaml']
    """

    files: ReadFiles
    version: str
    fingerprint: str
    env_names: tuple[str, ...] = ()  # the ${VAR}s its steps name (values stay in the environment)

    @property
    def paths(self) -> list[str]:
        """Every file read, resolved."""
        return sorted(self.files.texts)


def shape(value: Any) -> Any:
    """A value with every leaf replaced by its type's name: what a credential file holds, not its secrets.

    Example:
        >>> shape({"username": "ana", "password": "s3cret", "ports": [80]})
        {'password': 'str', 'ports': ['int'], 'username': 'str'}
    """
    if isinstance(value, dict):
        return {str(key): shape(item) for key, item in sorted(value.items(), key=lambda pair: str(pair[0]))}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def _shape_of_text(text: str) -> str:
    try:
        return json.dumps(shape(yaml.safe_load(text)), sort_keys=True)
    except yaml.YAMLError:
        return "unreadable"


def snapshot_of(files: ReadFiles, base: Path, env_names: tuple[str, ...] = ()) -> Snapshot:
    """The snapshot of what a load read; names are hashed relative to ``base`` (the workflow's folder)."""
    version, fingerprint = hashlib.sha256(), hashlib.sha256()
    for path in sorted(files.texts):
        kind, text = files.texts[path]
        name = os.path.relpath(path, base).encode()
        version.update(name + b"\0" + kind.encode() + b"\0")
        version.update((text if kind in _TEXT_KINDS else _shape_of_text(text)).encode() + b"\0")
        fingerprint.update(name + b"\0" + text.encode() + b"\0")
    return Snapshot(files, version.hexdigest()[:12], fingerprint.hexdigest(), env_names)


def load_versioned(path: Path, **options: Any) -> tuple[Workflow, Snapshot]:
    """``load_workflow(path, **options)`` and the snapshot of the files it read (see the module example)."""
    from runtime.workflow.load import load_workflow

    with recording() as files:
        workflow = load_workflow(path, **options)
    names = tuple(sorted({name for step in workflow.steps.values() for name in step.env}))
    return workflow, snapshot_of(files, Path(path).resolve().parent, names)
