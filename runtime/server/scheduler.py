"""Cron triggers: fire each on its schedule, with the cursor as input, once per scheduled time.

A thread of ``pyfn serve`` wakes at each trigger's next fire time (by the
:class:`~runtime.server.clock.ServerClock`) and, through the store,
records the firing and queues its work order in one transaction
(:meth:`~runtime.store.RunStore.fire_cron`; the key ``(workflow, trigger,
scheduled_at)`` is unique, so two servers never fire one schedule twice).

- **Input.** The cursor (:func:`next_input`): the saved output of the trigger's
  ``cursor_step`` — or the final state — of the workflow's last successful
  run, whatever started it (a cron firing, ``pyfn trigger``, a webhook); the
  trigger's ``state:`` (or ``{}``) when there is none yet. A trigger with
  ``carry:`` gets the declared keys of that run's final state instead
  (:func:`runtime.workflow.carry.carried_input`).
- **One at a time.** A firing that falls due while a run of the workflow
  started by a cron trigger or by hand (``manual``) is still queued or running
  waits for it to end, so its input is that run's output; schedules that pass
  meanwhile are one firing, as after downtime.
- **Downtime.** At start, a trigger that fired before and missed schedules
  while the server was down fires once at once (``catch_up: true``, the
  default), for the latest missed time; ``catch_up: false`` skips them. A
  trigger that never fired waits for its next time.

Example:
    >>> from runtime.workflow.triggers import CronTrigger
    >>> from runtime.store import open_store
    >>> store = open_store(":memory:")
    >>> trigger = CronTrigger("nightly", "0 2 * * *", cursor_step="fetch", state={"data": {"n": 0}})
    >>> next_input(store, "sync", trigger)
    {'data': {'n': 0}}
"""

from __future__ import annotations

import copy
import datetime as _dt
import threading
from typing import Any, Callable

from runtime.logger import Logger
from runtime.server.clock import ServerClock
from runtime.store import UNFINISHED_STATES, Accepted, RunStore, iso, parse_iso
from runtime.workflow.project import CronJob
from runtime.workflow.triggers import MANUAL, CronTrigger

__all__ = ["Scheduler", "next_input"]

_MAX_SLEEP_S = 1.0  # real seconds between looks at least (a firing held by a running run is retried then)
_HELD_SLEEP_S = 0.1


def next_input(store: RunStore, workflow: str, trigger: CronTrigger | None) -> Any:
    """The input of the workflow's next cron (or manual) run: the cursor, else the trigger's ``state`` or ``{}``."""
    if trigger is not None and trigger.carry:
        from runtime.workflow.carry import carried_input

        previous, final = store.last_success(workflow) or (None, None)
        return carried_input(trigger.carry, trigger.state, final, previous)
    cursor = store.last_output(workflow, trigger.cursor_step if trigger else None)
    if cursor is not None:
        return cursor
    return copy.deepcopy(trigger.state) if trigger and trigger.state is not None else {}


class Scheduler:
    """Fires the project's cron triggers (see the module docstring).

    Example::

        scheduler = Scheduler(store, project.crons, ServerClock(), pool.wake, log)
        scheduler.start()       # catches up, then fires on time
        scheduler.stop()
    """

    def __init__(self, store: RunStore, crons: list[CronJob], clock: ServerClock, wake: Callable[[], None],
                 log: Logger, on_missed: Callable[[str, str, str], None] | None = None):
        self.store, self.clock, self.wake, self.log = store, clock, wake, log
        # on_missed(workflow, trigger key, what happened): a schedule was missed (alerts)
        self.on_missed = on_missed or (lambda workflow, trigger, detail: None)
        self.last: dict[CronJob, _dt.datetime] = {}
        self.held: set[CronJob] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()  # a reload's update() against the loop's tick()
        self._set_jobs(crons)

    def _set_jobs(self, crons: list[CronJob]) -> None:
        self.jobs = [job for job in crons if job.trigger.enabled and job.trigger.cron is not None]
        self._unfinished_keys = {job.workflow: [MANUAL] for job in self.jobs}
        for job in self.jobs:
            self._unfinished_keys[job.workflow].append(job.trigger.key)

    def start(self, always: bool = False) -> None:
        """Catch up (in this thread, so it is done when ``start`` returns), then fire on time in a thread.

        ``always``: start the thread even with no cron trigger yet (a reload may add some, :meth:`update`).
        """
        self.catch_up()
        if self.jobs or always:
            self._thread = threading.Thread(target=self._loop, name="pyfn-scheduler", daemon=True)
            self._thread.start()

    def update(self, crons: list[CronJob]) -> None:
        """A reload: fire these triggers from now on. A trigger kept as it was keeps its place; a new or
        rescheduled one fires at its next scheduled time (nothing is caught up for it)."""
        now = self.clock.now()
        with self._lock:
            before = {(job.workflow, job.trigger.key, job.trigger.schedule): job for job in self.jobs}
            self._set_jobs(crons)
            last, held = {}, set()
            for job in self.jobs:
                old = before.get((job.workflow, job.trigger.key, job.trigger.schedule))
                last[job] = self.last[old] if old is not None else job.trigger.cron.latest_at_or_before(now)
                if old in self.held:
                    held.add(job)
            self.last, self.held = last, held

    def halt(self) -> None:
        """Fire nothing more (safe in a signal handler: it does not wait)."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def catch_up(self) -> None:
        """Start each trigger where the store says it last fired; fire once for schedules missed meanwhile."""
        now = self.clock.now()
        for job in self.jobs:
            latest = job.trigger.cron.latest_at_or_before(now)
            fired = parse_iso(self.store.last_firing(job.workflow, job.trigger.key))
            if fired is None or fired >= latest:
                self.last[job] = latest if fired is None else fired
                continue
            missed = len(job.trigger.cron.fire_times(fired, now, limit=1000))
            label = f"cron {job.trigger.key} of {job.workflow} missed {missed}{'+' if missed >= 1000 else ''} " \
                    f"schedule(s) while the server was down"
            self.on_missed(job.workflow, job.trigger.key, label)
            if job.trigger.catch_up:
                self.log.warn(f"{label}: one catch-up run for {iso(latest)}")
                self.last[job] = fired  # tick() fires it now
            else:
                self.log.warn(f"{label}: skipped (catch_up: false)")
                self.last[job] = latest
        self.tick(now)

    def tick(self, now: _dt.datetime | None = None) -> list[Accepted]:
        """Fire every trigger that is due at ``now`` (the clock's time by default); what was queued."""
        with self._lock:
            return self._tick(now or self.clock.now())

    def _tick(self, now: _dt.datetime) -> list[Accepted]:
        queued = []
        for job in self.jobs:
            due = job.trigger.cron.latest_at_or_before(now)
            if due <= self.last[job]:
                continue
            if self._busy(job):
                if job not in self.held:
                    self.log.always(f"cron {job.trigger.key} of {job.workflow} is due for {iso(due)}: it waits for "
                                  f"the workflow's running cron or manual run to end")
                self.held.add(job)
                continue
            self.held.discard(job)
            accepted = self._fire(job, due)
            if accepted:
                queued.append(accepted)
        if queued:
            self.wake()
        return queued

    def _busy(self, job: CronJob) -> bool:
        return bool(self.store.list_runs(job.workflow, state=UNFINISHED_STATES, limit=1,
                                         trigger=self._unfinished_keys[job.workflow]))

    def _fire(self, job: CronJob, due: _dt.datetime) -> Accepted | None:
        self.last[job] = due
        try:
            accepted = self.store.fire_cron(job.workflow, job.trigger.key, iso(due),
                                            next_input(self.store, job.workflow, job.trigger))
        except Exception as exc:  # noqa: BLE001 - the next tick tries the next schedule
            text = f"cron {job.trigger.key} of {job.workflow} could not fire for {iso(due)}: {type(exc).__name__}: {exc}"
            self.log.error(text)
            self.on_missed(job.workflow, job.trigger.key, text)
            return None
        if accepted is None:
            self.log.always(f"cron {job.trigger.key} of {job.workflow} for {iso(due)} was fired by another server")
        else:
            self.log.success(f"cron {job.trigger.key} of {job.workflow} fired for {iso(due)}: run {accepted.run_id}")
        return accepted

    def _sleep_seconds(self) -> float:
        with self._lock:
            jobs, last, held = self.jobs, self.last, self.held
        if held:
            return _HELD_SLEEP_S
        if not jobs:
            return _MAX_SLEEP_S
        now = self.clock.now()
        upcoming = min(job.trigger.cron.next_after(max(now, last[job])) for job in jobs)
        return min(_MAX_SLEEP_S, max(0.005, self.clock.real_seconds((upcoming - now).total_seconds())))

    def _loop(self) -> None:
        while not self._stop.wait(self._sleep_seconds()):
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - a store hiccup must not end the schedules
                self.log.error(f"the scheduler failed: {type(exc).__name__}: {exc}")
