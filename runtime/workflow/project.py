"""A project as ``pyfn serve`` loads it: every workflow in ``workflows/``, validated together.

Each ``*.yaml``, ``*.yml`` and ``*.json`` file of ``<project>/workflows/`` that
holds a workflow (a ``steps``, ``jobs`` or ``workflow`` key) is loaded; other
files there (a credential map, say) are skipped and named. Every problem of
every workflow is collected, plus the project-wide ones: two workflows with
one name, two webhooks on one path. One :class:`~runtime.errors.ValidationError`
lists them all. Each webhook path maps to its workflow and trigger in
``webhooks`` (the server checks requests against it, ``runtime.server.webhooks``),
cron triggers are listed in ``crons`` for the scheduler, and each workflow's
run policy (retries, concurrency, retention) is its own.

Example:
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "workflows").mkdir()
    >>> _ = (root / "workflows" / "hello.yaml").write_text(
    ...     "steps: [{expression: 'fn(lambda state: state)'}]\\n"
    ...     "triggers: [{type: webhook, path: hello}]\\n")
    >>> project = load_project(root)
    >>> project.webhooks["hello"].workflow, project.workflows["hello"].name, project.crons
    ('hello', 'hello.yaml', [])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from runtime.errors import PyfnError, UsageError, ValidationError
from runtime.workflow import WORKFLOW_SUFFIXES
from runtime.workflow.model import Workflow
from runtime.workflow.settings import AlertSettings, load_alerts
from runtime.workflow.triggers import CronTrigger, WebhookTrigger
from runtime.workflow.version import Snapshot, load_versioned
from runtime.workflow.yaml_lines import load_marked

__all__ = ["Project", "Webhook", "CronJob", "load_project"]

_WORKFLOW_KEYS = ("steps", "jobs", "workflow")


@dataclass(frozen=True)
class Webhook:
    """A webhook trigger and the workflow it queues runs of.

    Example:
        >>> Webhook("registrations", WebhookTrigger("forms")).trigger.url_path
        '/i/forms'
    """

    workflow: str
    trigger: WebhookTrigger


@dataclass(frozen=True, eq=False)
class CronJob:
    """A cron trigger and the workflow it runs (hashed by identity: the scheduler keeps one state per job).

    Example:
        >>> CronJob("sync", CronTrigger("nightly", "0 2 * * *")).trigger.key
        'nightly'
    """

    workflow: str
    trigger: CronTrigger


@dataclass
class Project:
    """The workflows of a project (name → file), their plans, the webhooks by path and the cron triggers.

    Example:
        >>> Project(Path("demo")).webhooks
        {}
    """

    root: Path
    workflows: dict[str, Path] = field(default_factory=dict)
    plans: dict[str, Workflow] = field(default_factory=dict)
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    skipped: list[Path] = field(default_factory=list)
    crons: list[CronJob] = field(default_factory=list)
    alerts: AlertSettings | None = None  # project.yaml's alerts: (runtime.workflow.settings)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)  # name → what it was loaded from

    @property
    def versions(self) -> dict[str, str]:
        """Each workflow's version (``runtime.workflow.version``).

        Example:
            >>> Project(Path("demo")).versions
            {}
        """
        return {name: snap.version for name, snap in sorted(self.snapshots.items())}


def load_project(root: Path) -> Project:
    """Load and validate every workflow of ``root/workflows``; raise ``ValidationError`` listing all problems.

    Example: see the module docstring.
    """
    folder = root / "workflows"
    if not folder.is_dir():
        raise UsageError(f"No workflows folder in {root}",
                         hint="Give the project folder: the one holding workflows/ (and jobs/)")
    project, problems = Project(root), []
    for path in sorted(p for p in folder.iterdir() if p.suffix in WORKFLOW_SUFFIXES and p.is_file()):
        if not _holds_workflow(path):
            project.skipped.append(path)
            continue
        try:
            workflow, snap = load_versioned(path, check_jobs=True)
        except ValidationError as error:
            problems.extend(error.problems)
            continue
        except PyfnError as error:
            problems.append(f"{path}: {error.message}")
            continue
        problems.extend(_add(project, path, workflow, snap))
    try:
        project.alerts = load_alerts(root)
    except PyfnError as error:
        problems.append(error.message)
    if problems:
        count = len(problems)
        raise ValidationError(f"{count} problem{'s' if count > 1 else ''} in the workflows of {root}",
                              problems=problems, hint="Fix them (pyfn validate WORKFLOW) and start again")
    return project


def _holds_workflow(path: Path) -> bool:
    try:
        doc = load_marked(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, PyfnError):
        return True  # load_workflow reports it
    return not isinstance(doc, dict) or any(key in doc for key in _WORKFLOW_KEYS)


def _add(project: Project, path: Path, workflow: Workflow, snap: Snapshot) -> list[str]:
    if workflow.name in project.workflows:
        return [f"{path}: workflow name '{workflow.name}' is also the name of "
                f"{project.workflows[workflow.name]} (give one a different name:)"]
    project.workflows[workflow.name] = path
    project.plans[workflow.name] = workflow
    project.snapshots[workflow.name] = snap
    project.crons.extend(CronJob(workflow.name, trigger) for trigger in workflow.crons)
    problems = []
    for trigger in workflow.webhooks:
        other = project.webhooks.get(trigger.path)
        if other is not None:
            where = f"{path}:{trigger.line}" if trigger.line else str(path)
            problems.append(f"{where}: webhook path '{trigger.path}' is also served for workflow "
                            f"'{other.workflow}' ({project.workflows[other.workflow]})")
            continue
        project.webhooks[trigger.path] = Webhook(workflow.name, trigger)
    return problems
