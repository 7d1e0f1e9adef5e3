"""What every layer of a run shares: loggers, masking, options, event callback."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from runtime import defaults
from runtime.errors import StepTimeoutError
from runtime.logger import Logger, Loggers, Masker, create_loggers

__all__ = ["RunOptions", "RunContext"]


@dataclass(frozen=True)
class RunOptions:
    """Options of one run (``pyfn execute`` flags), settled before the run starts: ``start`` and ``end`` are step ids."""

    timeout_ms: int | None = defaults.STEP_TIMEOUT_MS
    immutable: bool = False
    start: str | None = None
    end: str | None = None
    on_stuck: Callable[[StepTimeoutError], None] | None = None
    strict: bool = False  # a JSONPath that matches nothing fails the step instead of warning
    # the collections of the run (an adaptors.collections CollectionStore); None keeps the one plugged in already
    collections: Any = None


@dataclass(frozen=True)
class RunContext:
    """Passed down plan → step → expression so no layer reaches for globals; built once per run."""

    options: RunOptions = field(default_factory=RunOptions)
    loggers: Loggers = field(default_factory=create_loggers)
    notify: Callable[..., None] | None = None

    @property
    def masker(self) -> Masker:
        return self.loggers.masker

    @property
    def log(self) -> Logger:
        return self.loggers.runtime

    def emit(self, event: str, **payload: Any) -> None:
        """Tell an observer (the CLI's step cache, the server's run store) what happened."""
        if self.notify:
            self.notify(event, **payload)
