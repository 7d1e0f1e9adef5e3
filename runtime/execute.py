"""Walk a plan, as OpenFn's ``executePlan``: one FIFO queue, breadth-first, one step at a time.

Each finished step queues every step whose edge matches its output. A step
with several parents runs once per arriving edge, the visits named ``x``,
``x-1``, ``x-2``… The result is the single leaf's state, or
``{step_key: state}`` when there are several leaves.

Beyond OpenFn, a step with ``wait: all`` runs once, after every parent that
will run has finished: the arriving outputs are held until no queued step can
still reach one of its parents, then it runs on the last arrival's state with
every parent's output in ``state["upstream"][parent_key]``.
"""

from __future__ import annotations

import time
from collections import deque
from contextlib import nullcontext
from typing import Any, NamedTuple

import adaptors
from adaptors.collections.plug import use_store

from runtime import events
from runtime.context import RunContext
from runtime.errors import EdgeConditionError
from runtime.plan import Plan, Step
from runtime.state import assemble_state, default_state
from runtime.step import execute_step

__all__ = ["execute_plan"]


class _Visit(NamedTuple):
    step_id: str
    state: Any


def execute_plan(plan: Plan, input_state: dict | None, ctx: RunContext) -> Any:
    """Run ``plan`` from ``input_state``; return the final state (``None`` if undefined).

    ``ctx.options.collections`` (when set) is the store the run's ``collections`` operations use.
    """
    _start_adaptors(plan)
    walk = _Walk(plan, ctx)
    walk.queue.append(_Visit(ctx.options.start or plan.start, input_state or default_state()))
    started = time.perf_counter()
    store = ctx.options.collections
    with use_store(store) if store is not None else nullcontext():
        while walk.queue:
            visit = walk.queue.popleft()
            walk.run(plan.steps[visit.step_id], visit)
            if visit.step_id == ctx.options.end:
                break
    ctx.emit(events.PLAN_COMPLETE, duration=(time.perf_counter() - started) * 1000)
    return walk.result()


def _start_adaptors(plan: Plan) -> None:
    """Call each adaptor's optional ``on_run_start`` hook once (common always takes part)."""
    names = {"common"} | {step.adaptor.name for step in plan.steps.values() if step.job}
    for name in sorted(names):
        hook = getattr(adaptors.load(name), "on_run_start", None)
        if callable(hook):
            hook()


class _Walk:
    """The state of one plan walk: the queue, visit counts, leaves and held joins."""

    def __init__(self, plan: Plan, ctx: RunContext):
        self.plan, self.ctx = plan, ctx
        self.queue: deque[_Visit] = deque()
        self.visits: dict[str, int] = {}
        self.leaves: dict[str, Any] = {}
        self.held: dict[str, dict[str, Any]] = {}
        self.reach = _descendants(plan)

    def run(self, step: Step, visit: _Visit) -> None:
        key = self._key(step.id)
        previous = visit.state if isinstance(visit.state, dict) or visit.state is None else {"data": visit.state}
        state = assemble_state(previous, step.state, step.configuration, self.plan.credentials)
        result = execute_step(step, state, self.ctx, key)
        targets = self._next(step, result.state)
        self.ctx.emit(events.STEP_NEXT, step=key, next=targets)
        for target in targets:
            if self.plan.steps[target].wait_all:
                self.held.setdefault(target, {})[key] = result.state
            else:
                self.queue.append(_Visit(target, result.state))
        if not targets and result.state is not None:
            self.leaves[key] = result.state
        self._release_joins()

    def _key(self, step_id: str) -> str:
        count = self.visits.get(step_id, 0)
        self.visits[step_id] = count + 1
        return step_id if count == 0 else f"{step_id}-{count}"

    def _next(self, step: Step, state: Any) -> list[str]:
        if step.id == self.ctx.options.end:
            return []
        targets = []
        for edge in step.next:
            try:
                follow = edge.follows(state, step.id)
            except Exception as exc:
                raise EdgeConditionError(
                    f"The condition of edge {step.id} -> {edge.target} raised "
                    f"{type(exc).__name__}: {exc}",
                    hint=f"Fix the condition {edge.condition!r}; it reads the output of {step.id}",
                ) from exc
            if follow:
                targets.append(edge.target)
        return targets

    def _release_joins(self) -> None:
        for join_id in list(self.held):
            if self._can_still_arrive(join_id):
                continue
            outputs = self.held.pop(join_id)
            last = list(outputs.values())[-1]
            base = last if isinstance(last, dict) else {"data": last}
            self.queue.append(_Visit(join_id, {**base, "upstream": outputs}))

    def _can_still_arrive(self, join_id: str) -> bool:
        """Whether a queued step, or another held join, may still reach a parent of ``join_id``."""
        parents = set(self.plan.parents(join_id))
        pending = [v.step_id for v in self.queue] + [j for j in self.held if j != join_id]
        return any(p in parents or parents & self.reach[p] for p in pending)

    def result(self) -> Any:
        if not self.leaves:
            return None
        if len(self.leaves) == 1:
            return next(iter(self.leaves.values()))
        return dict(self.leaves)


def _descendants(plan: Plan) -> dict[str, set[str]]:
    """Every step reachable from each step (the plan is acyclic once validated); no recursion.

    Only joins (``wait: all``) need it: a plan without one gets an empty map.
    """
    found: dict[str, set[str]] = {}
    if not any(step.wait_all for step in plan.steps.values()):
        return found
    for root in plan.steps:
        stack = [(root, False)]
        while stack:
            step_id, children_done = stack.pop()
            targets = [e.target for e in plan.steps[step_id].next if e.target in plan.steps]
            if children_done:
                found[step_id] = set(targets).union(*(found[t] for t in targets))
            elif step_id not in found:
                stack.append((step_id, True))
                stack.extend((t, False) for t in targets if t not in found)
    return found
