"""Collect every problem of a workflow, with its line, and check the step graph.

Validation never stops at the first problem: a user fixing a workflow sees
them all at once, each as ``workflow.yaml:12: what is wrong``.
"""

from __future__ import annotations

from typing import Any

from runtime.errors import ValidationError
from runtime.workflow.yaml_lines import line_of
from runtime.plan import Plan

__all__ = ["Problems", "check_graph"]


class Problems:
    """The problems found in one file, in the order found."""

    def __init__(self, path: str):
        self.path = path
        self.items: list[tuple[int | None, str]] = []

    def add(self, line: int | None, message: str) -> None:
        self.items.append((line, message))

    def lines(self) -> list[str]:
        ordered = sorted(self.items, key=lambda item: item[0] or 0)
        return [f"{self.path}:{line}: {message}" if line else f"{self.path}: {message}"
                for line, message in ordered]

    def raise_if_any(self) -> None:
        if self.items:
            count = len(self.items)
            raise ValidationError(f"{count} problem{'s' if count > 1 else ''} in {self.path}",
                                  problems=self.lines(),
                                  hint="Fix them and run pyfn validate again")


def check_graph(plan: Plan, doc: Any, raw_steps: dict[str, dict], problems: Problems) -> None:
    """Unknown edge targets, an unknown start, and cycles; ``raw_steps`` maps ids to their YAML."""
    for step in plan.steps.values():
        raw = raw_steps[step.id]
        for edge in step.next:
            if edge.target not in plan.steps:
                next_map = raw.get("next") if isinstance(raw.get("next"), dict) else None
                line = line_of(next_map, edge.target) if next_map else line_of(raw, "next")
                problems.add(line, f"step {step.id}: next step '{edge.target}' does not exist")
    if plan.steps and plan.start not in plan.steps:
        problems.add(line_of(doc, "start"), f"start step '{plan.start}' does not exist")
    cycle = find_cycle(plan)
    if cycle:
        problems.add(line_of(raw_steps[cycle[0]], "next"), f"circular dependency: {' -> '.join(cycle)}")


def find_cycle(plan: Plan) -> list[str] | None:
    """A cycle of step ids (first id repeated at the end), or None."""
    colour: dict[str, int] = {}
    trail: list[str] = []

    def visit(step_id: str) -> list[str] | None:
        colour[step_id] = 1
        trail.append(step_id)
        for edge in plan.steps[step_id].next:
            if edge.target not in plan.steps:
                continue
            if colour.get(edge.target) == 1:
                return trail[trail.index(edge.target):] + [edge.target]
            if edge.target not in colour and (found := visit(edge.target)):
                return found
        trail.pop()
        colour[step_id] = 2
        return None

    for step_id in plan.steps:
        if step_id not in colour and (found := visit(step_id)):
            return found
    return None
