"""The events a run tells its observer (``RunContext.notify(event, **payload)``), by name.

The CLI's step cache and a served run's recorder listen to them; each event's
payload is listed with it.

Example:
    >>> seen = []
    >>> from runtime.context import RunContext
    >>> RunContext(notify=lambda event, **payload: seen.append((event, payload))).emit(STEP_NEXT, step="a", next=[])
    >>> seen
    [('step-next', {'step': 'a', 'next': []})]
"""

from __future__ import annotations

__all__ = ["STEP_START", "STEP_COMPLETE", "STEP_NEXT", "PLAN_COMPLETE"]

STEP_START = "step-start"  # step (its key: x, x-1...), state (its input)
STEP_COMPLETE = "step-complete"  # step, state (its output, None if the job returned nothing), duration (ms),
#                                  and error (the PyfnError) when the step failed
STEP_NEXT = "step-next"  # step, next (the ids of the steps its edges lead to; [] for a leaf)
PLAN_COMPLETE = "plan-complete"  # duration (ms)
