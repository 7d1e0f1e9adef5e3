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
    """A cycle of step ids (first id repeated at the end), or None.

    Depth-first without recursion, so a chain of thousands of steps is checked in time
    linear in its steps and edges.

    Example:
        >>> from runtime.plan import Edge, Step
        >>> steps = {"a": Step("a", None, next=[Edge("b")]), "b": Step("b", None, next=[Edge("a")])}
        >>> find_cycle(Plan("wf", steps, "a"))
        ['a', 'b', 'a']
    """
    colour: dict[str, int] = {}  # 1: on the current trail, 2: done
    for root in plan.steps:
        if root in colour:
            continue
        colour[root] = 1
        trail, pending = [root], [iter(plan.steps[root].next)]
        while pending:
            edge = next(pending[-1], None)
            if edge is None:
                colour[trail.pop()] = 2
                pending.pop()
            elif edge.target in plan.steps and colour.get(edge.target) == 1:
                return trail[trail.index(edge.target):] + [edge.target]
            elif edge.target in plan.steps and edge.target not in colour:
                colour[edge.target] = 1
                trail.append(edge.target)
                pending.append(iter(plan.steps[edge.target].next))
    return None
