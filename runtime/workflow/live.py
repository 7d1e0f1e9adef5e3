"""The project a server or worker serves now, swapped whole when a reload validated a change.

Readers take :attr:`LiveProject.project` once per request or run and use that
object throughout (a swap never changes a project in place), so a delivery, a
cron firing or a run sees one version from start to end. :meth:`LiveProject.reload`
loads and validates the project folder again, exactly as at start-up
(``runtime.workflow.project``): an invalid change keeps the served project and
records every problem in :attr:`LiveProject.status`; a valid one is swapped in
and told to the ``on_swap`` listeners (the claim loops, the scheduler, the
store's membership row, the metrics). The watching is ``runtime.worker.reload``'s.

Example:
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "workflows").mkdir()
    >>> hook = "steps: [{expression: 'fn(lambda state: state)'}]\\ntriggers: [{type: webhook, path: %s}]\\n"
    >>> _ = (root / "workflows" / "hello.yaml").write_text(hook % "hello")
    >>> live = LiveProject(load_project(root))
    >>> _ = (root / "workflows" / "hello.yaml").write_text(hook % "hi")
    >>> live.reload().swapped, sorted(live.project.webhooks)
    (True, ['hi'])
    >>> _ = (root / "workflows" / "hello.yaml").write_text("steps: [")
    >>> result = live.reload()
    >>> result.swapped, live.status.ok, sorted(live.project.webhooks)
    (False, False, ['hi'])
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Callable

from runtime.errors import PyfnError, ValidationError
from runtime.workflow.project import Project, load_project

__all__ = ["LiveProject", "ReloadStatus", "Reloaded", "as_live"]


@dataclass
class ReloadStatus:
    """How the last reload went: ``ok``, the problems of a refused change, the versions served, when.

    Example:
        >>> ReloadStatus(versions={"forms": "3f2c9a0b1d4e"}).as_json()["ok"]
        True
    """

    ok: bool = True
    problems: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    at: str | None = None  # when a change was last seen (ISO, UTC)
    reloads: int = 0
    watching: bool = False  # off with --no-reload

    def as_json(self) -> dict:
        return {"ok": self.ok, "watching": self.watching, "problems": list(self.problems),
                "versions": dict(self.versions), "at": self.at, "reloads": self.reloads}


@dataclass(frozen=True)
class Reloaded:
    """What one :meth:`LiveProject.reload` did: swapped in a new project, or refused a change (its problems).

    ``changed`` names the workflows whose version differs (added, changed or removed).
    """

    swapped: bool
    problems: list[str] = field(default_factory=list)
    changed: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # name → (old, new)


class LiveProject:
    """The served project and its reload status (see the module docstring)."""

    def __init__(self, project: Project):
        self.project = project
        self.status = ReloadStatus(versions=project.versions)
        self.on_swap: list[Callable[[Project], None]] = []
        self.on_refused: list[Callable[[list[str]], None]] = []

    def reload(self) -> Reloaded:
        """Load the project folder again; swap it in if it is valid and differs (see the module example)."""
        self.status.at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        try:
            new = load_project(self.project.root)
        except PyfnError as error:
            problems = error.problems if isinstance(error, ValidationError) else [error.message]
            self.status.ok, self.status.problems = False, list(problems)
            for listener in self.on_refused:
                listener(problems)
            return Reloaded(False, list(problems))
        self.status.ok, self.status.problems = True, []
        changed = _changes(self.project, new)
        if not changed and _fingerprints(self.project) == _fingerprints(new):
            return Reloaded(False)
        self.project = new
        self.status.versions, self.status.reloads = new.versions, self.status.reloads + 1
        for listener in self.on_swap:
            listener(new)
        return Reloaded(True, changed=changed)


def _fingerprints(project: Project) -> dict[str, str]:
    return {name: snap.fingerprint for name, snap in project.snapshots.items()}


def _changes(old: Project, new: Project) -> dict[str, tuple[str | None, str | None]]:
    before, after = old.versions, new.versions
    return {name: (before.get(name), after.get(name)) for name in sorted(set(before) | set(after))
            if before.get(name) != after.get(name)}


def as_live(project: Project | LiveProject) -> LiveProject:
    """``project`` itself when live, else a live project never reloaded (what a test's app serves).

    Example:
        >>> from pathlib import Path
        >>> as_live(Project(Path("demo"))).status.ok
        True
    """
    return project if isinstance(project, LiveProject) else LiveProject(project)
