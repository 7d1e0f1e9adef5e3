"""A workflow's run policy: automatic retries, concurrency and data retention (``pyfn serve`` applies it).

```yaml
name: commcare-sync
retry: {max: 3, delay: 30s, backoff: 2}   # failed or crashed runs; on: [failed, crashed, killed]
                                          # max 1-10, delay up to 7d, backoff 1-10
max_concurrency: 1                        # 1: one run at a time, strictly in arrival order
history_days: 90                          # delete work orders, runs, steps and logs after 90 days
keep_dataclips_days: 7                    # wipe inputs and outputs after 7 days, keep the metadata
zero_persistence: false                   # true: never store inputs or outputs
```

Every problem is added with its line, as for steps.

Example:
    >>> problems = Problems("wf.yaml")
    >>> policy = parse_policy({"retry": {"max": 2, "delay": "50ms", "backoff": 2}, "max_concurrency": 1}, problems)
    >>> policy.retry.delays(), policy.max_concurrency, problems.items
    ([0.05, 0.1], 1, [])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from runtime.workflow.problems import Problems
from runtime.workflow.yaml_lines import line_of

__all__ = ["RetryPolicy", "RunPolicy", "parse_policy", "parse_duration", "POLICY_KEYS", "RETRY_STATES"]

POLICY_KEYS = ("retry", "max_concurrency", "history_days", "keep_dataclips_days", "zero_persistence")
RETRY_KEYS = {"max", "delay", "backoff", "on"}
RETRY_STATES = ("failed", "crashed", "killed")
MAX_RETRIES, MAX_BACKOFF, MAX_RETRY_DELAY_S = 10, 10, 7 * 86400  # no retry storm, no retry next year
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*")
_UNITS = {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class RetryPolicy:
    """Retry a run that ended in one of ``on`` up to ``max`` times, the n-th after ``delay * backoff**(n-1)`` s.

    Example:
        >>> RetryPolicy(max=3, delay=30, backoff=2).delays()
        [30, 60, 120]
    """

    max: int
    delay: float = 30.0
    backoff: float = 1.0
    on: frozenset[str] = frozenset({"failed", "crashed"})

    def delay_of(self, retry: int) -> float:
        """Seconds before automatic retry number ``retry`` (1 for the first)."""
        return self.delay * self.backoff ** (retry - 1)

    def delays(self) -> list[float]:
        return [self.delay_of(n) for n in range(1, self.max + 1)]


@dataclass(frozen=True)
class RunPolicy:
    """What ``pyfn serve`` does around a workflow's runs; the default does nothing special.

    Example:
        >>> RunPolicy().keeps_data, RunPolicy(zero_persistence=True).keeps_data
        (True, False)
    """

    retry: RetryPolicy | None = None
    max_concurrency: int | None = None
    history_days: float | None = None
    keep_dataclips_days: float | None = None
    zero_persistence: bool = False
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def keeps_data(self) -> bool:
        return not self.zero_persistence

    @property
    def retains_everything(self) -> bool:
        return self.history_days is None and self.keep_dataclips_days is None


def parse_duration(value: Any) -> float:
    """Seconds in ``30s``, ``50ms``, ``2m``, ``1h``, ``1d`` or a plain number of seconds.

    Example:
        >>> parse_duration("50ms"), parse_duration("2m"), parse_duration(1.5)
        (0.05, 120, 1.5)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return value
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a duration (e.g. 30s, 500ms, 2m, 1h)")
    number = float(match.group(1))
    number = int(number) if number.is_integer() else number
    result = number * _UNITS[match.group(2)]
    return int(result) if float(result).is_integer() and match.group(2) != "ms" else round(result, 6)


def parse_policy(doc: Any, problems: Problems) -> RunPolicy:
    """The run policy of a workflow document (its top-level keys), adding a problem per mistake."""
    if not isinstance(doc, dict):
        return RunPolicy()
    history = _days(doc, "history_days", problems)
    dataclips = _days(doc, "keep_dataclips_days", problems)
    if history is not None and dataclips is not None and dataclips > history:
        problems.add(line_of(doc, "keep_dataclips_days"),
                     f"keep_dataclips_days ({dataclips:g}) cannot be longer than history_days ({history:g})")
    zero = doc.get("zero_persistence", False)
    if not isinstance(zero, bool):
        problems.add(line_of(doc, "zero_persistence"), f"zero_persistence must be true or false, not {zero!r}")
        zero = False
    return RunPolicy(_retry(doc, problems), _concurrency(doc, problems), history, dataclips, zero,
                     {key: line_of(doc, key) for key in POLICY_KEYS if key in doc})


def _concurrency(doc: dict, problems: Problems) -> int | None:
    value = doc.get("max_concurrency")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.add(line_of(doc, "max_concurrency"),
                     f"max_concurrency must be a whole number of runs, at least 1, not {value!r}")
        return None
    return value


def _days(doc: dict, key: str, problems: Problems) -> float | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        problems.add(line_of(doc, key), f"{key} must be a number of days greater than 0, not {value!r}")
        return None
    return value


def _retry(doc: dict, problems: Problems) -> RetryPolicy | None:
    spec = doc.get("retry")
    if spec is None:
        return None
    line = line_of(doc, "retry")
    if not isinstance(spec, dict):
        problems.add(line, "retry must be a mapping such as {max: 3, delay: 30s, backoff: 2}")
        return None
    for key in spec:
        if key not in RETRY_KEYS and key is not True:  # YAML 1.1 reads a bare `on:` key as true
            problems.add(line_of(spec, key) or line, f"unknown key '{key}' in retry (expected one of: "
                                                     f"{', '.join(sorted(RETRY_KEYS))})")
    count = spec.get("max")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_RETRIES:
        problems.add(line_of(spec, "max") or line, f"retry max must be a whole number of retries from 1 to "
                                                   f"{MAX_RETRIES}, not {count!r}")
        return None
    try:
        delay = parse_duration(spec.get("delay", 30))
        if delay > MAX_RETRY_DELAY_S:
            raise ValueError(f"{spec.get('delay')!r} is longer than 7 days")
    except ValueError as error:
        problems.add(line_of(spec, "delay") or line, f"retry delay: {error}")
        delay = 30
    backoff = spec.get("backoff", 1)
    if isinstance(backoff, bool) or not isinstance(backoff, (int, float)) or not 1 <= backoff <= MAX_BACKOFF:
        problems.add(line_of(spec, "backoff") or line, f"retry backoff must be a number from 1 to {MAX_BACKOFF}, "
                                                       f"not {backoff!r}")
        backoff = 1
    return RetryPolicy(count, delay, backoff, _retry_on(spec, line, problems))


def _retry_on(spec: dict, line: int | None, problems: Problems) -> frozenset[str]:
    key = "on" if "on" in spec or True not in spec else True
    value = spec.get(key, ["failed", "crashed"])
    states = [value] if isinstance(value, str) else value
    if not isinstance(states, list) or not states or any(s not in RETRY_STATES for s in states):
        problems.add(line_of(spec, key) or line, f"retry on must list run states among "
                                                  f"{', '.join(RETRY_STATES)}, not {value!r}")
        return frozenset({"failed", "crashed"})
    return frozenset(states)
