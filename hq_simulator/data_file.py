"""Saving the simulator's data to a JSON file and loading it back.

Saved: forms (with their XML and attachments, base64), cases, failed forms, the clock, accounts,
mobile workers, web users, groups, messaging events, locations, apps, lookup tables, UCR data sources
(``ucr_data_sources``: HQ's ``DataSourceConfiguration`` documents, see ``ucr_spec``), connections and
forwarders. Not saved: forwarding records and fault settings (they describe a
run, not a project).

Example:
    >>> FORMAT_VERSION
    1
"""

from __future__ import annotations

import base64
import json
import os
import tempfile

__all__ = ["save", "load", "FORMAT_VERSION"]

FORMAT_VERSION = 1


def _attachments_as_text(rec: dict) -> dict:
    if not rec.get("attachments"):
        return rec
    return dict(rec, attachments={name: {"content_type": part["content_type"],
                                         "base64": base64.b64encode(part["data"]).decode("ascii")}
                                  for name, part in rec["attachments"].items()})


def _attachments_as_bytes(rec: dict) -> dict:
    if not rec.get("attachments"):
        return rec
    return dict(rec, attachments={name: {"content_type": part["content_type"], "data": base64.b64decode(part["base64"])}
                                  for name, part in rec["attachments"].items()})


def _snapshot(sim) -> dict:
    store, directory = sim.store, sim.directory
    with store.lock:
        return {
            "format": FORMAT_VERSION, "domain": sim.domain, "clock": store.clock.last,
            "forms": [_attachments_as_text(rec) for rec in store.forms.values()], "cases": list(store.cases.values()),
            "failed_forms": list(store.failed_forms.values()),
            "accounts": [dict(a, domains=sorted(a["domains"])) for a in sim.accounts.all()],
            "users": list(directory.users.values()), "groups": list(directory.groups.values()), "web_users": list(directory.web_users.values()),
            "locations": list(directory.locations.values()),
            "location_types": list(directory.location_types.values()), "apps": list(directory.apps.values()),
            "lookup_tables": list(sim.fixtures.tables.values()), "lookup_items": list(sim.fixtures.items.values()),
            "connections": list(sim.forwarding.connections.values()), "messaging_events": sim.messaging.events,
            "forwarders": list(sim.forwarding.forwarders.values()),
            "ucr_data_sources": [{k: v for k, v in c.items() if k != "resource_uri"} for c in sim.ucr.configs.values()],
        }


def save(sim, path: str) -> str:
    """Write the simulator's data to ``path`` atomically; returns the path.

    Example:
        hq.save("/tmp/hq.json")    # or CommCareSimulator(state_file="hq.json"): loaded at start, saved at stop
    """
    data = _snapshot(sim)
    folder = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, delete=False, suffix=".tmp") as handle:
        json.dump(data, handle, ensure_ascii=False)
    os.chmod(handle.name, 0o644)
    os.replace(handle.name, path)
    return path


def load(sim, path: str) -> None:
    """Replace the simulator's data with what ``path`` holds.

    Example:
        load(CommCareSimulator(), "/tmp/hq.json")   # what CommCareSimulator(state_file=...) does at start
    """
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if data.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: not a simulator state file of format {FORMAT_VERSION}")
    store, directory = sim.store, sim.directory
    for account in data["accounts"]:
        sim.accounts.add(account["username"], account["password"], account["api_key"], account["domains"],
                         account["user_id"])
    directory.users = {u["id"]: u for u in data["users"]}
    directory.web_users = {u["id"]: u for u in data["web_users"]}
    directory.groups = {g["id"]: g for g in data.get("groups", [])}
    directory.locations = {loc["location_id"]: loc for loc in data["locations"]}
    directory.location_types = {t["code"]: t for t in data["location_types"]}
    directory.apps = {a["id"]: a for a in data["apps"]}
    sim.fixtures.tables = {t["id"]: t for t in data["lookup_tables"]}
    sim.fixtures.items = {i["id"]: i for i in data["lookup_items"]}
    sim.forwarding.connections = {c["id"]: c for c in data["connections"]}
    sim.messaging.events = list(data.get("messaging_events", []))
    sim.forwarding.forwarders = {f["id"]: f for f in data["forwarders"]}
    sim.ucr.configs = {}
    for config in data.get("ucr_data_sources", []):
        sim.ucr.add(config)
    store.failed_forms = {f["id"]: f for f in data["failed_forms"]}
    store.restore([_attachments_as_bytes(rec) for rec in data["forms"]], data["cases"], data["clock"])
