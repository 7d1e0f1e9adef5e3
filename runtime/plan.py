"""The execution plan: steps joined by edges, as OpenFn's ExecutionPlan.

A single job is a plan of one step (``job-1``, see :func:`load_plan`); a
workflow file compiles to a plan of many (``runtime.workflow.load``), which
also carries the workflow's triggers and run policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from runtime.compiler import CompiledJob, compile_job
from runtime.errors import UsageError
from runtime.linker import Adaptor, link, resolve_adaptor
from runtime.textfile import read_text

__all__ = ["Edge", "Step", "Plan", "plan_for_job", "load_plan", "find_step", "describe_plan"]

Condition = Callable[[Any, str], bool]


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
    env: dict[str, str] = field(default_factory=dict)  # the ${ENV} variables of its configuration

    @property
    def secrets(self) -> frozenset[str]:
        """The values of its ``${ENV}`` variables: secrets, whatever their key (``runtime.secrets``)."""
        return frozenset(self.env.values())


@dataclass
class Plan:
    """Steps by id, where to start, and the credentials every step's configuration starts from."""

    name: str
    steps: dict[str, Step]
    start: str
    credentials: dict | None = None

    def parents(self, step_id: str) -> list[str]:
        return [s.id for s in self.steps.values() if any(e.target == step_id for e in s.next)]


def plan_for_job(job: CompiledJob, adaptor: Adaptor, name: str) -> Plan:
    """The plan of a single job, as the OpenFn CLI wraps a lone job file."""
    step = Step(id="job-1", job=job, adaptor=adaptor, name=name)
    return Plan(name=name, steps={step.id: step}, start=step.id)


def load_plan(path: str | Path, adaptor: str | None = None, source: str | None = None) -> Plan:
    """Compile the job file at ``path`` with ``adaptor`` (a specifier; common by default) into its one-step plan.

    ``source`` is the job's text when it is not read from ``path``.

    Example:
        >>> plan = load_plan("hello.py", "http", source="get('/patients')")
        >>> plan.name, plan.start, plan.steps["job-1"].adaptor.name
        ('hello', 'job-1', 'http')
    """
    path = Path(path)
    resolved = resolve_adaptor(adaptor)
    text = read_text(path, "job") if source is None else source
    return plan_for_job(compile_job(text, str(path), link(resolved)), resolved, path.stem)


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
    """The steps and edges of a plan, a line each, as ``pyfn compile WORKFLOW`` prints them.

    Example:
        >>> plan = Plan("wf", {"a": Step("a", None, next=[Edge("b", "on_job_success")]), "b": Step("b", None)}, "a")
        >>> print(describe_plan(plan))
        Workflow wf: 2 steps, start at a
          a [common] no job
            -> b when on_job_success
          b [common] no job
    """
    lines = [f"Workflow {plan.name}: {len(plan.steps)} steps, start at {plan.start}"]
    for step in plan.steps.values():
        job = f"{step.job.path} ({len(step.job.operations)} operations)" if step.job else "no job"
        wait = ", waits for all parents" if step.wait_all else ""
        lines.append(f"  {step.id} [{step.adaptor.name}] {job}{wait}")
        for edge in step.next:
            rule = "disabled" if edge.disabled else (edge.condition or "always")
            label = f" ({edge.label})" if edge.label else ""
            lines.append(f"    -> {edge.target} when {rule}{label}")
    return "\n".join(lines)
