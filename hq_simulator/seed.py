"""A deterministic, realistic demo project: ``seed(sim, n)`` makes about ``n`` cases.

Same ``n``, same data (the generator is ``random.Random(n)``, timestamps run
from 2024-01-01). The project has a location hierarchy (regions, districts,
villages), mobile workers ``chw1..chwK@<domain>.commcarehq.org`` (password
``demo``) in one case-sharing group per district, and the app ``demo-app``
(version 12, the build every form names) with a household registration form
(a ``members`` repeat creating one patient subcase per member, indexed to the
household, each subcase block inside its repeat entry) and a patient visit
form (a ``medications`` repeat; the patient's case block at ``form.case``, the
household's update at ``form.parents.parent.case``, where app-built forms put
a parent case update), unicode names, closed cases, two lookup tables and an
SMS reminder after each visit. All of it goes through the same form
processing as live submissions.

Example:
    >>> REGISTRATION_XMLNS.rsplit("/", 1)[-1]
    'register-household'
"""

from __future__ import annotations

import gc
import random
import uuid

from . import dates, forms
from .xform import CASE_XMLNS, META_XMLNS

__all__ = ["seed", "REGISTRATION_XMLNS", "VISIT_XMLNS", "APP_ID", "build_app", "PATIENTS_DATA_SOURCE",
           "VISITS_DATA_SOURCE"]

APP_ID = "demo-app"
APP_VERSION = 12  # the released build every seeded form was filled in: its @version, appVersion, build_id
BUILD_ID = f"{APP_ID}-build-{APP_VERSION}"
REGISTRATION_XMLNS = "http://openrosa.org/formdesigner/pyfn-demo/register-household"
VISIT_XMLNS = "http://openrosa.org/formdesigner/pyfn-demo/patient-visit"
_START = dates.parse("2024-01-01T00:00:00Z")
_DAY = 86_400_000_000
_FIRST = ["Akinyi", "Baraka", "José", "Zoë", "Chidinma", "Wanjikũ", "Ngozi", "Amina", "Thảo", "Björn", "Σοφία",
          "अनीता", "李娜", "Oluwaseun", "Fatoumata", "Kwame", "Ayşe", "Émile", "Nomvula", "Tupac"]
_LAST = ["Otieno", "Mwangi", "Nguyễn", "Okafor", "Müller", "Ólafsdóttir", "Đặng", "Diallo", "Mensah",
         "Kariuki", "Öztürk", "Dlamini", "García", "O'Brien", "Achieng"]
_VILLAGES = {"Nyanza": {"Kisumu": ["Kondele", "Nyalenda", "Manyatta"], "Siaya": ["Ugunja", "Bondo", "Yala"]},
             "Coast": {"Kilifi": ["Malindi", "Watamu", "Mtwapa"], "Kwale": ["Ukunda", "Msambweni", "Diani"]}}
_MEDICATIONS = [("ORS", "1 sachet"), ("Zinc", "20 mg"), ("Amoxicillin", "250 mg"), ("Paracetamol", "500 mg"),
                ("Artemether-lumefantrine", "1 tablet")]



def _column(column_id: str, datatype: str, *path: str) -> dict:
    expression = ({"type": "property_name", "property_name": path[0]} if len(path) == 1 else
                  {"type": "property_path", "property_path": list(path)})
    return {"type": "expression", "column_id": column_id, "datatype": datatype, "display_name": column_id,
            "expression": expression}


def _is(name: str, value: str) -> dict:
    return {"type": "boolean_expression", "operator": "eq", "property_value": value,
            "expression": {"type": "property_name", "property_name": name}}


# Two UCR data sources as HQ's DataSourceConfiguration documents: one on cases, one on forms.
PATIENTS_DATA_SOURCE = {
    "_id": "4f1ad1e2b8c34d7e9a6b0c5d2e3f4a5b", "display_name": "Patients", "table_id": "patients",
    "referenced_doc_type": "CommCareCase", "configured_filter": _is("type", "patient"),
    "configured_indicators": [_column("name", "string", "name"), _column("sex", "string", "sex"),
                              _column("dob", "date", "dob"), _column("village", "string", "village"),
                              _column("status", "string", "status"), _column("owner_id", "string", "owner_id"),
                              {"type": "boolean", "column_id": "closed", "display_name": "closed",
                               "filter": {"type": "property_match", "property_name": "closed",
                                          "property_value": True}}]}
VISITS_DATA_SOURCE = {
    "_id": "9c2e7b1a5d6f4e3c8b0a1d2c3e4f5a6b", "display_name": "Patient visits", "table_id": "visits",
    "referenced_doc_type": "XFormInstance", "configured_filter": _is("xmlns", VISIT_XMLNS),
    "configured_indicators": [_column("patient_id", "string", "form", "case", "@case_id"),
                              _column("visit_date", "date", "form", "visit_date"),
                              _column("weight", "decimal", "form", "weight"),
                              _column("outcome", "string", "form", "outcome"),
                              _column("received_on", "datetime", "received_on")]}


def _question(label: str, path: str, kind: str, repeat: str | None = None, options=None) -> dict:
    tag = {"Text": "input", "Int": "input", "Date": "input", "Decimal": "input", "PhoneNumber": "input",
           "Select": "select1", "Repeat": "repeat"}[kind]
    return {"label": label, "tag": tag, "value": path, "type": kind, "repeat": repeat, "group": repeat,
            "options": [{"label": o, "value": o} for o in options or []], "required": False}


def build_app(domain: str) -> dict:
    """The definition of ``demo-app`` as the application API serves it (modules, forms, questions).

    Example:
        >>> [m["case_type"] for m in build_app("demo")["modules"]]
        ['household', 'patient']
    """
    members, meds = "/data/members", "/data/medications"
    registration = [_question("Household name", "/data/hh_name", "Text"),
                    _question("Village", "/data/village", "Text"), _question("Household size", "/data/hh_size", "Int"),
                    _question("Members", members, "Repeat"), _question("Name", f"{members}/name", "Text", members),
                    _question("Sex", f"{members}/sex", "Select", members, ["female", "male"]),
                    _question("Date of birth", f"{members}/dob", "Date", members),
                    _question("Phone number", f"{members}/phone", "PhoneNumber", members)]
    visit = [_question("Visit date", "/data/visit_date", "Date"),
             _question("Temperature", "/data/temperature", "Decimal"), _question("Weight", "/data/weight", "Decimal"),
             _question("Outcome", "/data/outcome", "Select", None, ["ongoing", "recovered", "referred", "moved"]),
             _question("Medications", meds, "Repeat"), _question("Medication", f"{meds}/medication", "Text", meds),
             _question("Dose", f"{meds}/dose", "Text", meds)]
    built = dates.iso(_START)
    return {"id": APP_ID, "name": "Household Health (demo)", "version": APP_VERSION, "is_released": True, "built_on": built,
            "build_comment": "seeded", "built_from_app_id": None,
            "versions": [{"id": BUILD_ID, "built_on": built, "build_comment": "seeded", "is_released": True,
                          "version": APP_VERSION}],
            "modules": [
                {"name": {"en": "Households"}, "case_type": "household", "unique_id": "households",
                 "case_properties": ["village", "hh_size", "last_visit_date"],
                 "forms": [{"xmlns": REGISTRATION_XMLNS, "name": {"en": "Register Household"},
                            "unique_id": "register-household", "questions": registration}]},
                {"name": {"en": "Patients"}, "case_type": "patient", "unique_id": "patients",
                 "case_properties": ["sex", "dob", "village", "status", "phone", "last_visit_date", "weight", "visits"],
                 "forms": [{"xmlns": VISIT_XMLNS, "name": {"en": "Patient Visit"}, "unique_id": "patient-visit",
                            "questions": visit}]}],
            "resource_uri": f"/a/{domain}/api/v0.5/application/{APP_ID}/"}


class _Generator:
    """Builds the project's forms from one random stream."""

    def __init__(self, sim, rng: random.Random) -> None:
        self.sim, self.rng = sim, rng
        self.workers: list[tuple[dict, str]] = []  # (user, village name)
        self.events: list[tuple[int, int, dict, dict]] = []  # (time, order, form, user)

    def uid(self) -> str:
        """A version-4 UUID drawn from the seeded stream."""
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"

    def name(self) -> tuple[str, str]:
        return self.rng.choice(_FIRST), self.rng.choice(_LAST)

    def places(self) -> list[tuple[str, str]]:
        directory, villages = self.sim.directory, []
        for code, label, parent in (("region", "Region", None), ("district", "District", "region"),
                                    ("village", "Village", "district")):
            directory.add_location_type(code, label, parent)
        for region, districts in _VILLAGES.items():
            region_id = directory.add_location(region, "region", location_id=self.uid().replace("-", ""),
                                               created=_START)["location_id"]
            for district, names in districts.items():
                district_id = directory.add_location(district, "district", region_id, created=_START,
                                                     location_id=self.uid().replace("-", ""))["location_id"]
                for village in names:
                    lat, lon = f"{self.rng.uniform(-4.5, 0.5):.5f}", f"{self.rng.uniform(34.0, 40.0):.5f}"
                    loc = directory.add_location(village, "village", district_id, latitude=lat, longitude=lon,
                                                 location_id=self.uid().replace("-", ""), created=_START)
                    villages.append((loc["location_id"], village))
        return villages

    def people(self, count: int, villages: list) -> None:
        for number in range(1, count + 1):
            first, last = self.name()
            location_id, village = villages[(number - 1) % len(villages)]
            user = self.sim.directory.add_mobile_worker(
                f"chw{number}", password="demo", first_name=first, last_name=last, location_id=location_id,
                user_id=self.uid().replace("-", ""), phone=f"+2547{self.rng.randrange(10**7, 10**8)}")
            self.workers.append((user, village))

    def groups(self) -> None:
        """One case-sharing group per district, of the workers of its villages (ids from the names: no draw)."""
        for districts in _VILLAGES.values():
            for district, names in districts.items():
                members = [user["id"] for user, village in self.workers if village in names]
                group_id = uuid.uuid5(uuid.NAMESPACE_URL, f"pyfn-demo/group/{district}").hex
                self.sim.directory.add_group(f"{district} CHWs", members, group_id=group_id, case_sharing=True,
                                             metadata={"district": district})

    def meta(self, user: dict, start: int, end: int, form_id: str) -> dict:
        return {"@xmlns": META_XMLNS, "deviceID": f"commcare_{user['id'][:8]}", "timeStart": dates.iso(start),
                "timeEnd": dates.iso(end), "username": user["username"].split("@")[0], "userID": user["id"],
                "instanceID": form_id, "appVersion": {"@xmlns": "http://commcarehq.org/xforms",
                                                      "#text": f"CommCare Android, version \"2.53.1\". App v{APP_VERSION}."}}

    def block(self, case_id: str, user: dict, when: str, create=None, update=None, index=None, close=False) -> dict:
        """A case block JSON modified at ``when`` (ISO text) by ``user``."""
        node = {"@xmlns": CASE_XMLNS, "@case_id": case_id, "@date_modified": when, "@user_id": user["id"]}
        for key, value in (("create", create), ("update", update), ("index", index)):
            if value:
                node[key] = value
        if close:
            node["close"] = ""
        return node

    def household(self, when: int, size: int) -> list[tuple[str, str, str]]:
        """Queue one registration form; returns its patients as (case id, household id, village)."""
        user, village = self.rng.choice(self.workers)
        surname, household_id, members, patients = self.rng.choice(_LAST), self.uid(), [], []
        stamp = dates.iso(when)
        for _ in range(size):
            first = self.rng.choice(_FIRST)
            sex = self.rng.choice(("female", "male"))
            dob = dates.iso(_START - self.rng.randrange(365, 80 * 365) * _DAY)[:10]
            patient_id = self.uid()
            phone = f"+2547{int(patient_id[:8], 16) % 10**8:08d}"  # from the id: the rng sequence stays
            props = {"sex": sex, "dob": dob, "village": village, "status": "active", "phone": phone}
            members.append({"name": f"{first} {surname}", "sex": sex, "dob": dob, "phone": phone, "case": self.block(
                patient_id, user, stamp, {"case_type": "patient", "case_name": f"{first} {surname}",
                                         "owner_id": user["id"]}, props,
                {"parent": {"@case_type": "household", "@relationship": "child", "#text": household_id}})})
            patients.append((patient_id, household_id, village))
        form_id = self.uid()
        household = self.block(household_id, user, stamp,
                               {"case_type": "household", "case_name": surname, "owner_id": user["id"]},
                               {"village": village, "hh_size": str(size),
                                "external_id": f"HH-{len(self.events) + 1:06d}"})
        form = {"#type": "data", "@xmlns": REGISTRATION_XMLNS, "@name": "Register Household", "@uiVersion": "1",
                "@version": str(APP_VERSION), "hh_name": surname, "village": village, "hh_size": str(size), "case": household,
                "members": members, "meta": self.meta(user, when - 300_000_000, when, form_id)}
        self.events.append((when, len(self.events), form, user))
        return patients

    def visit(self, when: int, patient: tuple, visits: int, close_household: bool) -> None:
        """Queue one patient visit form (patient and household blocks, a medications repeat)."""
        patient_id, household_id, _ = patient
        user, _ = self.rng.choice(self.workers)
        outcome = self.rng.choice(("ongoing", "ongoing", "recovered", "referred", "moved"))
        stamp = dates.iso(when)
        day = stamp[:10]
        weight, temperature = f"{self.rng.uniform(3, 90):.1f}", f"{self.rng.uniform(36.0, 39.5):.1f}"
        meds = [{"medication": m, "dose": d} for m, d in self.rng.sample(_MEDICATIONS, self.rng.randint(1, 3))]
        patient = self.block(patient_id, user, stamp, update={
            "last_visit_date": day, "weight": weight, "visits": str(visits),
            "status": "closed" if outcome in ("recovered", "moved") else "active"},
            close=outcome in ("recovered", "moved"))
        # as the app builder writes a parent case update: the form's own case at /data/case, the
        # parent's in /data/parents/parent/case (corehq/apps/app_manager form_preparation_v2 tests)
        household = self.block(household_id, user, stamp, update={"last_visit_date": day}, close=close_household)
        form_id = self.uid()
        form = {"#type": "data", "@xmlns": VISIT_XMLNS, "@name": "Patient Visit", "@uiVersion": "1",
                "@version": str(APP_VERSION), "visit_date": day, "temperature": temperature, "weight": weight,
                "outcome": outcome, "medications": meds, "case": patient,
                "parents": {"parent": {"case": household}},
                "meta": self.meta(user, when - 600_000_000, when, form_id)}
        self.events.append((when, len(self.events), form, user))

    def timeline(self, cases: int) -> None:
        """Queue registrations until ``cases`` cases exist, and visits for about 40% of patients."""
        made, when = 0, _START
        span = 365 * _DAY
        gap = max(span // max(cases // 3, 1), 1_000_000)
        while made < cases:
            size = min(self.rng.randint(1, 4), cases - made - 1)
            when += self.rng.randrange(gap // 2, gap * 3 // 2 + 1)
            made += 1 + size
            for patient in self.household(when, size):
                visit_time = when
                for visits in range(1, 4):
                    if self.rng.random() >= 0.4:
                        break
                    visit_time += self.rng.randrange(_DAY, 30 * _DAY)
                    self.visit(visit_time, patient, visits, close_household=self.rng.random() < 0.03)

    def lookup_tables(self, villages: list) -> None:
        tables = self.sim.fixtures
        table = tables.add_table("village", ["name", "district", "region"], table_id="village-table")
        for region, districts in _VILLAGES.items():
            for district, names in districts.items():
                for name in names:
                    tables.add_item(table["id"], {"name": name, "district": district, "region": region},
                                    item_id=f"village-{name.lower()}")
        table = tables.add_table("medication", ["name", "dose"], table_id="medication-table")
        for name, dose in _MEDICATIONS:
            tables.add_item(table["id"], {"name": name, "dose": dose}, item_id=f"medication-{name.lower()}")


def seed(sim, cases: int) -> None:
    """Fill an empty simulator with the demo project (about ``cases`` cases; 0 makes only users, places, app).

    Example:
        >>> from hq_simulator import CommCareSimulator
        >>> with CommCareSimulator(seed=50) as hq:
        ...     len(hq.store.cases)
        50
    """
    collecting = gc.isenabled()
    gc.disable()  # a burst of long-lived containers: collecting during it only costs time
    try:
        generator = _Generator(sim, random.Random(cases))
        villages = generator.places()
        generator.people(max(3, min(50, cases // 500 + 3)), villages)
        generator.groups()
        sim.directory.add_app(build_app(sim.domain))
        generator.lookup_tables(villages)
        sim.ucr.add(PATIENTS_DATA_SOURCE)
        sim.ucr.add(VISITS_DATA_SOURCE)
        generator.timeline(cases)
        generator.events.sort(key=lambda event: event[:2])
        _replay(sim.store, generator.events)
        _reminders(sim, generator.events)
    finally:
        if collecting:
            gc.enable()
        gc.freeze()  # seeded data lives as long as the simulator: keep full collections off it (stop() thaws)


def _reminders(sim, events: list) -> None:
    """An SMS reminder to the patient the day after each visit (the messaging-event API's data)."""
    for when, _, form, _ in events:
        if form["@xmlns"] == VISIT_XMLNS:
            case = sim.store.cases[form["case"]["@case_id"]]
            sim.messaging.add_sms(case["case_id"], case["case_name"], case["properties"].get("phone", ""),
                                  f"Hello {case['case_name']}, remember your next visit.", when + _DAY)


def _replay(store, events: list) -> None:
    with store.lock, store.bulk():
        for when, _, form, user in events:
            forms.process(store, forms.Submission(
                form, app_id=APP_ID, build_id=BUILD_ID, user_id=user["id"], username=user["username"],
                submit_ip="41.90.64.10", is_phone=True, received=when + 45_000_000))
