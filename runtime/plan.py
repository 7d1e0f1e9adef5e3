"""The execution plan: steps joined by edges, as OpenFn's ExecutionPlan.

A single job is a plan of one step (``job-1``); a workflow YAML compiles to a
plan of many (see ``runtime.workflow.load``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from runtime.compiler import CompiledJob
from runtime.errors import UsageError
from runtime.linker import Adaptor
from runtime.workflow.policy import RunPolicy

__all__ = ["Edge", "Step", "WebhookAuth", "Trigger", "Plan", "WORKFLOW_SUFFIXES", "plan_for_job", "find_step",
           "describe_plan", "describe_trigger", "describe_policy"]

Condition = Callable[[Any, str], bool]
WORKFLOW_SUFFIXES = (".yaml", ".yml", ".json")  # files holding a workflow; anything else is a job


@dataclass
class Edge:
    """An edge to ``target``; ``check(state, upstream_id)`` decides whether it is followed."""

    target: str
    condition: str | None = None
    check: Condition | None = None
    label: str | None = None
    disabled: bool = False

    def follows(self, state: Any, upstream: str) -> bool:
        if self.disabled:
            return False
        return True if self.check is None else bool(self.check(state, upstream))


@dataclass
class Step:
    """A step: a job run with an adaptor, its configuration and default state, and its edges."""

    id: str
    job: CompiledJob | None
    adaptor: Adaptor = field(default_factory=lambda: Adaptor("common"))
    name: str | None = None
    configuration: dict | None = None
    state: dict | None = None
    next: list[Edge] = field(default_factory=list)
    wait_all: bool = False


@dataclass
class WebhookAuth:
    """How a webhook checks its caller, with the secrets resolved from the credential map.

    ``type`` is ``basic`` (``username`` and ``password``) or ``api_key`` (the
    ``x-api-key`` header holds ``api_key``). The secrets never appear in a repr.

    Example:
        >>> WebhookAuth("api_key", "forwarding-key", api_key="k-123")
        WebhookAuth(type='api_key', credential='forwarding-key')
    """

    type: str
    credential: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)


@dataclass
class Trigger:
    """A trigger of a workflow: ``pyfn serve`` serves each ``webhook`` at ``/i/<path>`` and fires each ``cron``.

    Webhooks: ``reply`` is ``async`` (the ids at once) or ``sync`` (wait for the
    run); ``dedupe`` is a JSONPath into the request body whose value identifies
    a delivery (``dedupe_expr`` is its compiled form). Cron triggers: ``id``
    names it (``cron`` by default), ``schedule`` is five-field cron in
    ``timezone`` (``cron`` is its :class:`~runtime.workflow.cron.CronSchedule`),
    ``cursor_step`` is the step whose last successful output is the next input
    (``None``: the final state), ``state`` the first run's input, and
    ``catch_up`` whether a schedule missed while the server was down runs once
    at start. ``line`` is where the trigger is in the workflow file.

    Example:
        >>> Trigger("webhook", "commcare-registrations").url_path
        '/i/commcare-registrations'
        >>> Trigger("cron", id="nightly", schedule="0 2 * * *").key
        'nightly'
    """

    type: str
    path: str = ""
    auth: WebhookAuth | None = None
    reply: str = "async"
    dedupe: str | None = None
    enabled: bool = True
    line: int | None = None
    dedupe_expr: Any = field(default=None, repr=False, compare=False)
    id: str | None = None
    schedule: str | None = None
    timezone: str = "UTC"
    cursor_step: str | None = None
    state: dict | None = None
    catch_up: bool = True
    cron: Any = field(default=None, repr=False, compare=False)

    @property
    def url_path(self) -> str:
        return f"/i/{self.path}"

    @property
    def key(self) -> str:
        """What the run store records as a work order's trigger: a webhook's path, a cron trigger's id."""
        return self.path if self.type == "webhook" else str(self.id)


@dataclass
class Plan:
    """Steps by id, where to start, the workflow's credentials and its triggers."""

    name: str
    steps: dict[str, Step]
    start: str
    credentials: dict | None = None
    triggers: list[Trigger] = field(default_factory=list)
    policy: RunPolicy = field(default_factory=RunPolicy)

    def parents(self, step_id: str) -> list[str]:
        return [s.id for s in self.steps.values() if any(e.target == step_id for e in s.next)]


def plan_for_job(job: CompiledJob, adaptor: Adaptor, name: str) -> Plan:
    """The plan of a single job, as the OpenFn CLI wraps a lone job file."""
    step = Step(id="job-1", job=job, adaptor=adaptor, name=name)
    return Plan(name=name, steps={step.id: step}, start=step.id)


def find_step(plan: Plan, pattern: str) -> str:
    """The id of the step matching ``pattern``: an exact id, or a unique fragment of an id or name."""
    if pattern in plan.steps:
        return pattern
    needle = pattern.lower()
    matches = [s.id for s in plan.steps.values()
               if needle in s.id.lower() or needle in (s.name or "").lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(f"No step matches '{pattern}'",
                         hint=f"Steps are: {', '.join(plan.steps)}")
    raise UsageError(f"'{pattern}' matches several steps: {', '.join(matches)}",
                     hint="Give more of the id, or the exact id")


def describe_plan(plan: Plan) -> str:
    """The compiled plan as ``pyfn compile WORKFLOW`` prints it: steps, edges, conditions."""
    lines = [f"Workflow {plan.name}: {len(plan.steps)} steps, start at {plan.start}"]
    for step in plan.steps.values():
        job = f"{step.job.path} ({len(step.job.operations)} operations)" if step.job else "no job"
        wait = ", waits for all parents" if step.wait_all else ""
        lines.append(f"  {step.id} [{step.adaptor.name}] {job}{wait}")
        for edge in step.next:
            rule = "disabled" if edge.disabled else (edge.condition or "always")
            label = f" ({edge.label})" if edge.label else ""
            lines.append(f"    -> {edge.target} when {rule}{label}")
    for trigger in plan.triggers:
        where = trigger.url_path if trigger.type == "webhook" else trigger.key
        lines.append(f"  trigger {trigger.type} {where}: {describe_trigger(trigger)}")
    policy = describe_policy(plan.policy)
    if policy:
        lines.append(f"  policy: {policy}")
    return "\n".join(lines)


def describe_trigger(trigger: Trigger) -> str:
    """``auth basic (forwarding-basic), reply async, dedupe $.id`` — one line, no secrets.

    Example:
        >>> describe_trigger(Trigger("webhook", "forms", reply="sync", enabled=False))
        'no auth, reply sync, disabled'
        >>> describe_trigger(Trigger("cron", id="cron", schedule="0 2 * * *", cursor_step="fetch"))
        'schedule 0 2 * * * (UTC), cursor fetch, catch up'
    """
    if trigger.type == "cron":
        parts = [f"schedule {trigger.schedule} ({trigger.timezone})",
                 f"cursor {trigger.cursor_step or 'final state'}", "catch up" if trigger.catch_up else "no catch-up"]
        return ", ".join(parts + ([] if trigger.enabled else ["disabled"]))
    parts = [f"auth {trigger.auth.type} ({trigger.auth.credential})" if trigger.auth else "no auth",
             f"reply {trigger.reply}"]
    if trigger.dedupe:
        parts.append(f"dedupe {trigger.dedupe}")
    if not trigger.enabled:
        parts.append("disabled")
    return ", ".join(parts)


def describe_policy(policy: RunPolicy) -> str:
    """``retry 3x after 30s (x2), max concurrency 1, history 90 days`` — empty for the default policy.

    Example:
        >>> from runtime.workflow.policy import RetryPolicy
        >>> describe_policy(RunPolicy(RetryPolicy(3, 30, 2), max_concurrency=1, keep_dataclips_days=7))
        'retry 3x after 30s (x2) on crashed, failed, max concurrency 1, dataclips 7 days'
    """
    parts = []
    if policy.retry:
        retry = policy.retry
        backoff = f" (x{retry.backoff:g})" if retry.backoff != 1 else ""
        parts.append(f"retry {retry.max}x after {retry.delay:g}s{backoff} on {', '.join(sorted(retry.on))}")
    if policy.max_concurrency:
        parts.append(f"max concurrency {policy.max_concurrency}")
    if policy.history_days:
        parts.append(f"history {policy.history_days:g} days")
    if policy.keep_dataclips_days:
        parts.append(f"dataclips {policy.keep_dataclips_days:g} days")
    if policy.zero_persistence:
        parts.append("zero persistence")
    return ", ".join(parts)
