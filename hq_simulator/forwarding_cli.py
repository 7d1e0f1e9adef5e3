"""``pyfn commcare forward | deliveries | replay``: data forwarding of a running simulator, from the shell.

They call the simulator's admin API (``/admin/forwarders``, ``/admin/forwarding/records``) with
the demo user's API key unless told otherwise, so nobody has to write those requests by hand.

Example:
    >>> from typer.testing import CliRunner
    >>> from .cli import app
    >>> "--requeue" in CliRunner().invoke(app, ["replay", "--help"]).output
    True
"""

from __future__ import annotations

from typing import List, Optional

import requests
import typer

from .simulator import DEFAULT_API_KEY, DEFAULT_USERNAME

__all__ = ["register", "forward", "deliveries", "replay"]

_HQ = typer.Option("http://127.0.0.1:8000", "--hq", envvar="PYFN_COMMCARE_URL",
                   help="The running simulator's URL (as printed by 'pyfn commcare serve').")
_USER = typer.Option(DEFAULT_USERNAME, "--username", help="An account of the simulator.")
_KEY = typer.Option(DEFAULT_API_KEY, "--api-key", help="That account's API key.")


def _admin(method: str, hq: str, path: str, username: str, api_key: str, body: dict | None = None) -> object:
    try:
        response = requests.request(method, f"{hq.rstrip('/')}/admin/{path}", json=body, timeout=30,
                                    headers={"Authorization": f"ApiKey {username}:{api_key}"})
    except requests.RequestException as error:
        typer.echo(f"No simulator answered at {hq}: {error}", err=True)
        raise typer.Exit(1) from None
    if response.status_code >= 400:
        typer.echo(f"{method} /admin/{path} returned {response.status_code}: {response.text.strip()}", err=True)
        raise typer.Exit(1)
    return response.json() if response.content else None


def forward(
    kind: str = typer.Argument(..., help="form or case: what to forward."),
    url: str = typer.Argument(..., help="Where to POST each payload (e.g. a 'pyfn serve' webhook URL)."),
    auth: Optional[str] = typer.Option(None, help="Basic auth for the forwarded requests, as USER:PASSWORD."),
    payload_format: str = typer.Option("json", "--format", help="json (HQ's form/case JSON) or xml."),
    xmlns: Optional[List[str]] = typer.Option(None, help="Forms: only these xmlns (repeat the option)."),
    case_type: Optional[List[str]] = typer.Option(None, help="Cases: only these case types (repeat the option)."),
    hq: str = _HQ, username: str = _USER, api_key: str = _KEY,
) -> None:
    """Add a data forwarder (HQ's Data Forwarding) to the running simulator.

    Example:
        $ pyfn commcare forward form http://127.0.0.1:8080/i/commcare-registrations --auth commcare:secret
        forwarder 3f2a... sends forms to http://127.0.0.1:8080/i/commcare-registrations
    """
    body: dict = {"kind": kind, "url": url, "format": payload_format}
    if auth:
        name, _, password = auth.partition(":")
        body.update(auth_type="basic", username=name, password=password)
    if xmlns:
        body["xmlns_whitelist"] = list(xmlns)
    if case_type:
        body["case_types"] = list(case_type)
    made = _admin("POST", hq, "forwarders", username, api_key, body)
    typer.echo(f"forwarder {made['id']} sends {kind}s to {url}")


def deliveries(
    state: Optional[str] = typer.Option(None, help="Only records in this state: PENDING, SUCCESS, FAIL, "
                                                   "CANCELLED, EMPTY or INVALID_PAYLOAD."),
    forwarder: Optional[str] = typer.Option(None, help="Only this forwarder's records."),
    hq: str = _HQ, username: str = _USER, api_key: str = _KEY,
) -> None:
    """List forwarding records (one per payload), oldest first: id, state, attempts, last answer.

    Example:
        $ pyfn commcare deliveries --state FAIL
        9c1e...  FAIL  form f959...  2 attempts  last: 503 Service Unavailable
    """
    query = "&".join(f"{k}={v}" for k, v in (("state", state), ("forwarder_id", forwarder)) if v)
    records = _admin("GET", hq, "forwarding/records" + (f"?{query}" if query else ""), username, api_key)["records"]
    for record in records:
        last = record["attempts"][-1] if record["attempts"] else None
        answer = f"last: {last['status_code'] or ''} {last['message'] or ''}".strip() if last else "not sent yet"
        typer.echo(f"{record['id']}  {record['state']}  {record['payload_type']} {record['payload_id']}  "
                   f"{len(record['attempts'])} attempts  {answer[:100]}")
    typer.echo(f"{len(records)} record(s)")


def replay(
    record_id: str = typer.Argument(..., help="A record id, as 'pyfn commcare deliveries' lists them."),
    requeue: bool = typer.Option(False, "--requeue", help="Queue it with 6 more tries (HQ's Requeue) instead "
                                                          "of sending it once now (HQ's Resend)."),
    hq: str = _HQ, username: str = _USER, api_key: str = _KEY,
) -> None:
    """Send a forwarding record's payload again (a duplicate delivery, as HQ's Resend).

    Example:
        $ pyfn commcare replay 9c1e...
        9c1e... SUCCESS after 3 attempts
    """
    record = _admin("POST", hq, f"forwarding/records/{record_id}/{'requeue' if requeue else 'resend'}",
                    username, api_key)
    typer.echo(f"{record['id']} {record['state']} after {len(record['attempts'])} attempts")


def register(app: typer.Typer) -> None:
    """Add the three commands to the simulator's CLI.

    Example:
        >>> from .cli import app
        >>> sorted(c.name or c.callback.__name__ for c in app.registered_commands)
        ['deliveries', 'forward', 'replay', 'serve']
    """
    for command in (forward, deliveries, replay):
        app.command()(command)
