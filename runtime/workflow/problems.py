"""Every problem of a workflow file, with its line, collected before any is reported.

Validation never stops at the first problem: a user fixing a workflow sees
them all at once, each as ``workflow.yaml:12: what is wrong``.

Example:
    >>> problems = Problems("wf.yaml")
    >>> problems.add(12, "unknown key 'stpes'"); problems.add(None, "'steps' must be a non-empty list of steps")
    >>> problems.lines()
    ["wf.yaml: 'steps' must be a non-empty list of steps", "wf.yaml:12: unknown key 'stpes'"]
"""

from __future__ import annotations

from runtime.errors import ValidationError

__all__ = ["Problems"]


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
