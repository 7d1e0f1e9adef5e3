"""What every layer of a run shares: loggers, masking, options, event callback."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from runtime.errors import StepTimeoutError
from runtime.logger import Logger, Masker, create_loggers

__all__ = ["RunOptions", "RunContext"]

DEFAULT_TIMEOUT_MS = 300_000


@dataclass
class RunOptions:
    """Options of one run (``pyfn execute`` flags)."""

    timeout_ms: int | None = DEFAULT_TIMEOUT_MS
    immutable: bool = False
    start: str | None = None
    end: str | None = None
    on_stuck: Callable[[StepTimeoutError], None] | None = None
    strict: bool = False  # a JSONPath that matches nothing fails the step instead of warning


@dataclass
class RunContext:
    """Passed down plan → step → expression so no layer reaches for globals."""

    options: RunOptions = field(default_factory=RunOptions)
    loggers: dict[str, Logger] = field(default_factory=create_loggers)
    notify: Callable[..., None] | None = None

    @property
    def masker(self) -> Masker:
        return self.loggers["R/T"].sink.masker

    @property
    def log(self) -> Logger:
        return self.loggers["R/T"]

    def emit(self, event: str, **payload: Any) -> None:
        """Tell an observer (the CLI's step cache, the server's run store) what happened."""
        if self.notify:
            self.notify(event, **payload)
