"""Check a workflow's step graph: edges to unknown steps, an unknown start, cycles.

Each problem is added with its line (``runtime.workflow.problems``), so all are reported at once.
"""

from __future__ import annotations

from typing import Any

from runtime.plan import Plan
from runtime.workflow.problems import Problems
from runtime.workflow.yaml_lines import line_of

__all__ = ["check_graph", "find_cycle"]


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
