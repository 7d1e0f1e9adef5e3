"""``pyfn commcare serve``: run the CommCare HQ simulator until Ctrl-C (and ``forward``, ``deliveries``,
``replay`` for its data forwarding: see :mod:`.forwarding_cli`).

``pyfn`` mounts :data:`app` as ``pyfn commcare``; ``python -m hq_simulator serve`` runs it too.

Example:
    >>> from typer.testing import CliRunner
    >>> "--seed" in CliRunner().invoke(app, ["serve", "--help"]).output
    True
"""

from __future__ import annotations

import signal
import threading
import time

import typer

from . import forwarding_cli
from .simulator import (DEFAULT_API_KEY, DEFAULT_APP_ID, DEFAULT_DOMAIN, DEFAULT_PASSWORD, DEFAULT_USERNAME,
                        CommCareSimulator)

__all__ = ["app", "serve"]

app = typer.Typer(help="A local CommCare HQ simulator: HQ's APIs, formats and data forwarding.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  pretty_exceptions_enable=False)


def _banner(hq: CommCareSimulator, seconds: float) -> str:
    summary = hq.summary()["counts"]
    return "\n".join([
        f"CommCare HQ simulator listening on {hq.url}",
        f"  project (domain): {hq.domain}   app id: {DEFAULT_APP_ID}",
        f"  user: {DEFAULT_USERNAME}   password: {DEFAULT_PASSWORD}   API key: {DEFAULT_API_KEY}",
        f"  e.g. curl -H 'Authorization: ApiKey {DEFAULT_USERNAME}:{DEFAULT_API_KEY}' "
        f"{hq.url}/a/{hq.domain}/api/v0.5/case/",
        f"  data: {summary['cases']} cases, {summary['forms']} forms, {summary['mobile_workers']} mobile workers "
        f"(seeded in {seconds:.1f}s); mobile workers log in as chw1@{hq.domain}.commcarehq.org / demo",
        *[f"  forwarding {f['kind']}s to {hq.forwarding.connections[f['connection_id']]['url']}"
          for f in hq.forwarding.forwarders.values()],
        f"  admin API: {hq.url}/admin/ (same credentials)   Ctrl-C stops.",
    ])


def _add_forwarders(hq: CommCareSimulator, forms_url: str | None, cases_url: str | None,
                    case_types: str | None, auth: str | None) -> None:
    credentials = {}
    if auth:
        username, _, password = auth.partition(":")
        credentials = {"auth_type": "basic", "username": username, "password": password}
    if forms_url:
        hq.add_forwarder("form", forms_url, **credentials)
    if cases_url:
        types = [t.strip() for t in (case_types or "").split(",") if t.strip()]
        hq.add_forwarder("case", cases_url, case_types=types, **credentials)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the server as Ctrl-C does, saving the state file


@app.callback()
def main() -> None:
    """A local CommCare HQ simulator: HQ's APIs, formats and data forwarding."""


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (keep the loopback default unless you "
                                               "mean to expose the simulator)."),
    port: int = typer.Option(8000, help="Port to listen on; 0 picks a free one."),
    seed: int = typer.Option(1000, help="Number of cases in the generated demo project (same number, same "
                                        "data); 0 for users, locations and the app only."),
    generate_cases: int = typer.Option(None, "--generate-cases", help="Serve N generated, read-only cases instead "
                                       "of the seeded ones: each computed from its position and --generate-seed "
                                       "when asked, never stored (a million cases in the memory of a few)."),
    generate_seed: int = typer.Option(1, "--generate-seed", help="Seed of the generated cases (same seed, same "
                                                                 "cases)."),
    domain: str = typer.Option(DEFAULT_DOMAIN, help="Project space name: URLs are /a/<domain>/..."),
    state_file: str = typer.Option(None, "--state-file", help="JSON file to load at start (instead of seeding, "
                                                              "when it exists) and to save at exit."),
    forwarding_speedup: float = typer.Option(3600.0, help="Simulated seconds per real second for data-forwarding "
                                                          "retries (3600: HQ's 1 hour wait takes 1 second)."),
    forwarding_timeout: float = typer.Option(10.0, help="Seconds a forwarding request may take before it counts "
                                                        "as a timeout (and is retried)."),
    latency: float = typer.Option(0.0, help="Fault: seconds added to every API answer."),
    error_rate: float = typer.Option(0.0, help="Fault: share (0-1) of API requests answered 500."),
    rate_limit: int = typer.Option(None, help="Fault: API requests per second before 429 with Retry-After."),
    forward_forms: str = typer.Option(None, help="Data forwarding: POST every new form (HQ's form JSON) to this "
                                                 "URL. More options: the admin API, POST /admin/forwarders."),
    forward_cases: str = typer.Option(None, help="Data forwarding: POST every case change (full case JSON) to "
                                                 "this URL."),
    forward_case_types: str = typer.Option(None, help="Comma-separated case types the case forwarder sends "
                                                      "(default: all)."),
    forward_auth: str = typer.Option(None, help="Basic auth for forwarded requests, as USER:PASSWORD."),
) -> None:
    """Serve HQ's APIs on HOST:PORT and print the URL and the demo credentials.

    Example:
        $ pyfn commcare serve --port 8000 --seed 1000
        CommCare HQ simulator listening on http://127.0.0.1:8000
    """
    started = time.monotonic()
    try:
        hq = CommCareSimulator(seed=seed, host=host, port=port, domain=domain, state_file=state_file,
                               forwarding_speedup=forwarding_speedup, forwarding_timeout=forwarding_timeout,
                               generate_cases=generate_cases, generate_seed=generate_seed)
    except ValueError as error:
        typer.echo(f"Cannot serve: {error}", err=True)
        raise typer.Exit(2) from None
    seconds = time.monotonic() - started
    faults = {k: v for k, v in {"latency": latency, "error_rate": error_rate, "rate_limit": rate_limit}.items()
              if v not in (None, 0, 0.0)}
    if faults:
        hq.set_faults(**faults)
    _add_forwarders(hq, forward_forms, forward_cases, forward_case_types, forward_auth)
    try:
        hq.start()
    except OSError as error:
        typer.echo(f"Could not listen on {host}:{port}: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(_banner(hq, seconds), color=False)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        typer.echo("Stopping.")
    finally:
        hq.stop()


forwarding_cli.register(app)


