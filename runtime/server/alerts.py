"""Alerts: an email (SMTP) and/or a Slack-compatible webhook when a run ends badly or a cron trigger misses.

The project's ``project.yaml`` holds them (``${ENV}`` values are read from the
environment, and are secret)::

    alerts:
      period_minutes: 60            # at most one message per workflow per period (default 60)
      link: https://pyfn.example.org  # where run links point (default: the server's address)
      email:
        host: smtp.example.org
        port: 587                   # default 25
        starttls: true              # default false
        username: pyfn              # optional, with password
        password: ${SMTP_PASSWORD}
        from: pyfn@example.org
        to: [ops@example.org]
      webhook:
        url: ${SLACK_WEBHOOK_URL}   # receives {"text": "..."}

A message goes out when a run ends ``failed``, ``crashed``, ``killed`` or
``lost``, or when a cron trigger missed its schedule. It names the workflow,
the failed step, its error and the run's link; every secret of the project
(step configurations, ``${ENV}`` values, the alert settings' own) is masked.
Within a period a workflow gets one message: later events are folded in, and
their count goes out with the next message once the period is over. Messages
are sent from a thread of their own: a failing channel is logged and never
holds up a run.

Example:
    >>> from runtime.workflow.settings import parse_alerts
    >>> settings = parse_alerts({"webhook": {"url": "http://127.0.0.1:9/hook"}, "period_minutes": 5})
    >>> settings.period_s, settings.webhook_url, settings.email
    (300.0, 'http://127.0.0.1:9/hook', None)
"""

from __future__ import annotations

import queue
import smtplib
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Callable

from runtime.errors import UsageError
from runtime.logger import Logger
from runtime.secrets import Masker
from runtime.store import ClaimedRun, RunStore
from runtime.workflow.project import Project
from runtime.workflow.settings import AlertSettings, EmailChannel

__all__ = ["Alerter", "ALERT_STATES", "project_masker", "send_email"]

ALERT_STATES = frozenset({"failed", "crashed", "killed", "lost"})
@dataclass
class _Window:
    """One workflow's throttle: when its last message went out and what was folded in since."""

    sent_at: float
    folded: int = 0
    latest: str = ""


class Alerter:
    """Turns run ends and missed schedules into throttled, scrubbed messages, sent by a thread of its own.

    Example::

        alerter = Alerter(settings, masker, "http://127.0.0.1:4000", log, store)
        pool.on_end.append(alerter.run_ended)
        alerter.start()   # ... alerter.stop() at shutdown
    """

    def __init__(self, settings: AlertSettings, masker: Masker, base_url: str, log: Logger, store: RunStore,
                 clock: Callable[[], float] = time.monotonic):
        self.settings, self.masker, self.log, self.store, self.clock = settings, masker, log, store, clock
        self.base_url = settings.link or base_url
        self.masker.add_secrets(settings.secrets)
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()
        self._outbox: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None

    # -- events ---------------------------------------------------------------------------------
    def run_ended(self, claimed: ClaimedRun, state: str, seconds: float = 0.0) -> None:
        """A pool's ``on_end`` hook: alert when ``state`` is one of :data:`ALERT_STATES`."""
        if state in ALERT_STATES:
            self.run_failed(claimed.workflow, claimed.id, state)

    def run_lost(self, run_id: str) -> None:
        """A run found lost (left unfinished by a process that died): alert as for any run ending ``lost``."""
        summary = self.store.summary(run_id)
        if summary is not None:
            self.run_failed(summary.workflow, run_id, "lost")

    def run_failed(self, workflow: str, run_id: str, state: str) -> None:
        """Alert for a run of ``workflow`` that ended ``state`` (its failed step and error read from the store)."""
        failed = [step for step in self.store.step_records(run_id) if step.error]
        lines = [f"Workflow: {workflow}", f"Run: {run_id} ended {state}"]
        if failed:
            error = failed[-1].error or {}
            lines += [f"Step: {failed[-1].step}", f"Error: {error.get('name')}: {error.get('message')}"]
        lines.append(f"Link: {self.base_url}/runs/{run_id}")
        self.event(workflow, f"[pyfn] {workflow}: run {state}", lines)

    def cron_missed(self, workflow: str, trigger: str, detail: str) -> None:
        """Alert that cron trigger ``trigger`` of ``workflow`` missed its schedule."""
        self.event(workflow, f"[pyfn] {workflow}: cron {trigger} missed its schedule",
                   [f"Workflow: {workflow}", f"Trigger: cron {trigger}", detail,
                    f"Link: {self.base_url}/runs?workflow={workflow}"])

    def event(self, workflow: str, subject: str, lines: list[str]) -> None:
        """Send now, or fold into the workflow's current period."""
        now = self.clock()
        with self._lock:
            window = self._windows.get(workflow)
            if window is not None and now - window.sent_at < self.settings.period_s:
                window.folded += 1
                window.latest = subject
                self.log.always(f"alert for {workflow} folded in ({window.folded} since the last message)")
                return
            folded = window.folded if window else 0
            self._windows[workflow] = _Window(now)
        if folded:
            lines = [*lines, "", f"{folded} more alert(s) of {workflow} were folded in since the last message."]
        self._outbox.put((self.masker.mask(subject), self.masker.mask("\n".join(lines))))

    def flush(self) -> None:
        """Send the folded counts of the periods that are over (the thread calls it; tests may too)."""
        now = self.clock()
        with self._lock:
            due = [(name, w) for name, w in self._windows.items()
                   if w.folded and now - w.sent_at >= self.settings.period_s]
            for name, window in due:
                self._windows[name] = _Window(now)
        for name, window in due:
            body = (f"Workflow: {name}\n{window.folded} alert(s) were folded in since the last message; "
                    f"the latest: {window.latest}\nLink: {self.base_url}/runs?workflow={name}")
            self._outbox.put((self.masker.mask(f"[pyfn] {name}: {window.folded} more alert(s)"),
                              self.masker.mask(body)))

    # -- sending --------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="pyfn-alerts", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Send what is queued (within ``timeout``), then stop; folded counts not yet due are logged."""
        self._outbox.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
        pending = sum(w.folded for w in self._windows.values())
        if pending:
            self.log.warn(f"{pending} folded alert(s) were not sent before the server stopped")

    def _loop(self) -> None:
        while True:
            try:
                item = self._outbox.get(timeout=min(60.0, max(1.0, self.settings.period_s / 10)))
            except queue.Empty:
                self.flush()
                continue
            if item is None:
                return
            self.send(*item)

    def send(self, subject: str, body: str) -> None:
        """Deliver one message on every channel; a failure is logged, never raised."""
        if self.settings.email is not None:
            self._try("email", lambda: send_email(self.settings.email, subject, body))
        if self.settings.webhook_url:
            self._try("webhook", lambda: _post_webhook(self.settings.webhook_url, subject, body))

    def _try(self, channel: str, action: Callable[[], None]) -> None:
        try:
            action()
            self.log.always(f"alert sent by {channel}")
        except Exception as exc:  # noqa: BLE001 - a channel down must not stop the server
            self.log.error(self.masker.mask(f"alert by {channel} failed: {type(exc).__name__}: {exc}"))


def project_masker(project: Project, masker: Masker | None = None) -> Masker:
    """A masker of every secret the project's workflows configure (their steps' and credentials' secrets).

    Given ``masker`` learns them on top of what it masks already (a reload's new credentials).
    """
    masker = masker if masker is not None else Masker()
    for plan in project.plans.values():
        if plan.credentials:
            for configuration in plan.credentials.values():
                masker.add_configuration(configuration)
        for step in plan.steps.values():
            masker.add_configuration(step.configuration, step.secrets)
    return masker


def send_email(channel: EmailChannel, subject: str, body: str) -> None:
    """One email over SMTP (STARTTLS and login when configured)."""
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, channel.sender, ", ".join(channel.to)
    message.set_content(body)
    with smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout_s) as smtp:
        if channel.starttls:
            smtp.starttls()
        if channel.username:
            smtp.login(channel.username, channel.password or "")
        smtp.send_message(message)


def _post_webhook(url: str, subject: str, body: str) -> None:
    import requests

    answer = requests.post(url, json={"text": f"*{subject}*\n{body}"}, timeout=10)
    answer.raise_for_status()
