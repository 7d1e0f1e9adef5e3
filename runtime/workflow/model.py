"""A workflow: the plan the engine runs, plus what ``pyfn serve`` needs around it (triggers, run policy).

The engine (``runtime.execute``) runs a :class:`Workflow` as the :class:`~runtime.plan.Plan` it is;
the server reads its ``webhooks``, ``crons`` and ``policy``.

Example:
    >>> from runtime.plan import Step
    >>> from runtime.workflow.triggers import WebhookTrigger
    >>> wf = Workflow("forms", {"fetch": Step("fetch", None)}, "fetch", triggers=[WebhookTrigger("forms", reply="sync")])
    >>> print(describe_workflow(wf))
    Workflow forms: 1 steps, start at fetch
      fetch [common] no job
      trigger webhook /i/forms: no auth, reply sync
"""

from __future__ import annotations

from dataclasses import dataclass, field

from runtime.plan import Plan, describe_plan
from runtime.workflow.policy import RunPolicy
from runtime.workflow.triggers import CronTrigger, Trigger, WebhookTrigger

__all__ = ["Workflow", "describe_workflow", "describe_trigger", "describe_policy"]


@dataclass
class Workflow(Plan):
    """A plan with the workflow file's triggers and run policy (see the module example)."""

    triggers: list[Trigger] = field(default_factory=list)
    policy: RunPolicy = field(default_factory=RunPolicy)

    @property
    def webhooks(self) -> list[WebhookTrigger]:
        return [t for t in self.triggers if isinstance(t, WebhookTrigger)]

    @property
    def crons(self) -> list[CronTrigger]:
        return [t for t in self.triggers if isinstance(t, CronTrigger)]

    @property
    def warnings(self) -> list[str]:
        """What is valid but likely to hurt: a cron trigger whose next input depends on the branch a run took."""
        leaves = [step.id for step in self.steps.values() if not step.next]
        if len(leaves) < 2:
            return []
        return [f"cron trigger {t.key}: the next run's input is the final state of whichever leaf ran last "
                f"({', '.join(leaves)}), so its shape changes with the branch taken; declare carry: (the keys "
                f"of the final state that carry over, e.g. carry: {{cursor: \"$.references.cursor\"}}) or "
                f"cursor_step: (the step whose output carries over)"
                for t in self.crons if not t.cursor_step and not t.carry]


def describe_workflow(workflow: Workflow) -> str:
    """The compiled workflow as ``pyfn compile WORKFLOW`` prints it: steps, edges, conditions, triggers, policy."""
    lines = [describe_plan(workflow)]
    for trigger in workflow.triggers:
        where = trigger.url_path if isinstance(trigger, WebhookTrigger) else trigger.key
        lines.append(f"  trigger {trigger.type} {where}: {describe_trigger(trigger)}")
    policy = describe_policy(workflow.policy)
    if policy:
        lines.append(f"  policy: {policy}")
    lines += [f"  warning: {warning}" for warning in workflow.warnings]
    return "\n".join(lines)


def describe_trigger(trigger: Trigger) -> str:
    """``auth basic (forwarding-basic), reply async, dedupe $.id`` — one line, no secrets.

    Example:
        >>> describe_trigger(WebhookTrigger("forms", reply="sync", enabled=False))
        'no auth, reply sync, disabled'
        >>> describe_trigger(CronTrigger("cron", "0 2 * * *", cursor_step="fetch"))
        'schedule 0 2 * * * (UTC), cursor fetch, catch up'
    """
    if isinstance(trigger, CronTrigger):
        carried = f"carry {', '.join(f'{k} from {v}' for k, v in trigger.carry.items())}" if trigger.carry else \
            f"cursor {trigger.cursor_step or 'final state'}"
        parts = [f"schedule {trigger.schedule} ({trigger.timezone})", carried,
                 "catch up" if trigger.catch_up else "no catch-up"]
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
