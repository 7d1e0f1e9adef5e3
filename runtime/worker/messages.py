"""What a run's child process tells its supervisor, one record per message on the pipe.

The child (``runtime.worker.child``) sends them in this order: :class:`Started`,
then :class:`LogLine`, :class:`StepStarted` and :class:`StepCompleted` as the run
goes, and :class:`Done` last. States travel as JSON text (``configuration``
removed); log lines and step errors are already masked.

Example:
    >>> import pickle
    >>> pickle.loads(pickle.dumps(StepStarted("2024-05-02T10:15:43.120000Z", "fetch", '{"data":{}}'))).step
    'fetch'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Started", "LogLine", "StepStarted", "StepCompleted", "Done", "Message"]


@dataclass(frozen=True, slots=True)
class Started:
    """The run's process is up (the run becomes ``started``)."""


@dataclass(frozen=True, slots=True)
class LogLine:
    """One log line of the run, masked, and when it was logged."""

    at: str
    line: str


@dataclass(frozen=True, slots=True)
class StepStarted:
    """A step (a visit key such as ``x-1``) started with this input state."""

    at: str
    step: str
    input_json: str | None


@dataclass(frozen=True, slots=True)
class StepCompleted:
    """A step ended with this output state and error record (``None`` on success)."""

    at: str
    step: str
    output_json: str | None
    error_json: str | None


@dataclass(frozen=True, slots=True)
class Done:
    """The run ended: Lightning's state, the error type, the final state and the ``webhookResponse``.

    Example:
        >>> Done("failed", "HTTPError").final_json is None
        True
    """

    state: str
    error_type: str | None = None
    final_json: str | None = None
    webhook_response: dict | None = None


Message = Started | LogLine | StepStarted | StepCompleted | Done
