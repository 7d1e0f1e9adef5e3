"""End to end: CommCare HQ (the simulator) forwards registration forms to ``pyfn serve``, whose workflow
posts each as a patient to a destination API. Every form arrives exactly once, also when the server
is killed (SIGKILL) in the middle of the burst and restarted: HQ retries what was not acknowledged,
``dedupe`` answers what was, and runs the dead server left are run again.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections import Counter

import pytest

from hq_simulator import CommCareSimulator
from hq_simulator.seed import REGISTRATION_XMLNS
from runtime.testing.destination import DestinationAPI, Response

from .conftest import DESTINATION_PASSWORD, FORWARDING_PASSWORD, open_db, wait_until

pytestmark = pytest.mark.slow  # end to end: real processes, seconds each

FORMS = 40
HOOK = "/i/commcare-registrations"


class Patients:
    """The destination's ``POST /patients``: an upsert by ``id`` that counts every request."""

    def __init__(self) -> None:
        self.records: dict[str, dict] = {}
        self.posts: Counter = Counter()
        self.bad_auth = 0
        self.lock = threading.Lock()

    def __call__(self, request) -> Response:
        expected = "Basic " + base64.b64encode(f"pyfn:{DESTINATION_PASSWORD}".encode()).decode()
        if request.headers.get("authorization") != expected:
            self.bad_auth += 1
            return Response(401, {"error": "unauthorized"})
        patient = request.json
        with self.lock:
            self.posts[patient["id"]] += 1
            created = patient["id"] not in self.records
            self.records.setdefault(patient["id"], patient)
        return Response(201 if created else 200, {"id": patient["id"], "created": created})


def registration(number: int) -> dict:
    """A household registration form as a phone would submit it (HQ form JSON)."""
    return {"#type": "data", "@xmlns": REGISTRATION_XMLNS, "@name": "Register Household", "hh_name": f"Otieno-{number}",
            "village": "Kondele", "hh_size": "1",
            "members": [{"name": f"Zoë Otieno-{number}", "sex": "female", "dob": "1990-01-01"}],
            "meta": {"instanceID": str(uuid.uuid4()), "userID": "u-chw1", "username": "chw1"}}


def forward_to(hq: CommCareSimulator, server) -> None:
    hq.add_forwarder("form", server.url + HOOK, auth_type="basic", username="commcare",
                     password=FORWARDING_PASSWORD, xmlns_whitelist=[REGISTRATION_XMLNS])


def final_runs(store) -> list:
    runs = store.list_runs(workflow="commcare-registrations", limit=10 * FORMS)
    return runs if runs and all(run.final for run in runs) else []


def test_every_forwarded_form_reaches_the_destination_exactly_once(server_factory):
    patients = Patients()
    with DestinationAPI() as destination:
        destination.route("POST", "/patients", patients)
        server = server_factory("--workers", "2", destination=destination.url).start()
        with CommCareSimulator(seed=0, forwarding_speedup=36_000, forwarding_timeout=5) as hq:
            forward_to(hq, server)
            form_ids = [hq.add_form(registration(n)).form_id for n in range(FORMS)]
            records = hq.wait_for_records(FORMS, "SUCCESS", timeout=30)
            assert len(records) == FORMS, f"{len(hq.forwarding_records('SUCCESS'))} of {FORMS} delivered"
            resent = [hq.resend(record["id"]) for record in records[:3]]  # HQ's "Resend": duplicates
        store = open_db(server.db)
        try:
            runs = wait_until(lambda: final_runs(store) if len(final_runs(store)) == FORMS else None, timeout=30)
        finally:
            store.close()
    assert sorted(patients.records) == sorted(form_ids)
    assert set(patients.posts.values()) == {1} and patients.bad_auth == 0
    assert all(r["attempts"][-1]["status_code"] == 200 for r in resent), "a resend is a duplicate"
    assert all(r["attempts"][0]["status_code"] == 201 for r in records)
    assert Counter(run.state for run in runs) == {"success": FORMS}
    patient = patients.records[form_ids[7]]
    assert patient == {"id": form_ids[7], "name": "Zoë Otieno-7", "sex": "female", "village": "Kondele",
                       "registered_by": "chw1", "received_on": patient["received_on"]}


def test_killing_the_server_mid_burst_loses_nothing_and_duplicates_nothing(server_factory):
    patients = Patients()
    with DestinationAPI() as destination:
        destination.route("POST", "/patients", patients)
        server = server_factory("--workers", "2", destination=destination.url).start()
        with CommCareSimulator(seed=0, forwarding_speedup=36_000, forwarding_timeout=5) as hq:
            forward_to(hq, server)
            form_ids: list[str] = []
            burst = threading.Thread(target=lambda: form_ids.extend(
                (hq.add_form(registration(n)).form_id, time.sleep(0.01))[0] for n in range(FORMS)))
            burst.start()
            wait_until(lambda: len(hq.forwarding_records("SUCCESS")) >= FORMS // 4, timeout=20)
            server.kill()
            server.start()
            burst.join()
            records = hq.wait_for_records(FORMS, "SUCCESS", timeout=40)
            assert len(records) == FORMS, f"{len(hq.forwarding_records('SUCCESS'))} of {FORMS} delivered"
            failed_attempts = sum(a["state"] == "FAIL" for r in records for a in r["attempts"])
            duplicates = sum(r["attempts"][-1]["status_code"] == 200 for r in records)
        store = open_db(server.db)
        try:
            runs = wait_until(lambda: final_runs(store) if len(
                {run.work_order_id for run in final_runs(store)}) == FORMS else None, timeout=30)
            lost = [run for run in runs if run.state == "lost"]
        finally:
            store.close()
    assert sorted(patients.records) == sorted(form_ids), "every form arrived"
    assert len({run.work_order_id for run in runs}) == FORMS, "one work order per form: no duplicate"
    successes = Counter(run.work_order_id for run in runs if run.state == "success")
    assert len(successes) == FORMS and set(successes.values()) == {1}
    assert Counter(run.state for run in runs) == Counter({"success": FORMS, "lost": len(lost)})
    # a run that the kill interrupted after its POST posts again when it is run again: the
    # destination's upsert by id keeps it one patient; nothing else is ever sent twice
    repeated = {form for form, count in patients.posts.items() if count > 1}
    assert len(repeated) <= len(lost) and max(patients.posts.values()) <= 2
    print(f"\n{failed_attempts} delivery attempts failed while the server was down, {duplicates} retried "
          f"delivery(ies) answered as duplicates, {len(lost)} run(s) lost and run again, {len(repeated)} patient "
          f"POST(s) repeated")
