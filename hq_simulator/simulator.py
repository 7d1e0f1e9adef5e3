"""``CommCareSimulator``: the whole simulated HQ, started in-process or by ``pyfn commcare serve``.

Example:
    >>> import requests
    >>> with CommCareSimulator(seed=20) as hq:
    ...     page = requests.get(f"{hq.url}/a/demo/api/v0.5/case/", headers=hq.auth_header).json()
    >>> page["meta"]["total_count"]
    20
"""

from __future__ import annotations

import gc
import os
import threading
import time

from . import (admin, data_file, directory, fixtures, forms, forms_api, importer, messaging, reports, submissions,
               ucr)
from .auth import Accounts
from .cases import records, v05_api, v2_reads, v2_writes
from .cases.generated import CaseGenerator, GeneratedStore
from .documents import Store
from .faults import Faults
from .forwarding import Forwarding
from .http_server import App, HTTPServer
from .messages import HTTPError
from .seed import APP_ID
from .seed import seed as seed_project
from .xform import xml_to_json

__all__ = ["CommCareSimulator", "DEFAULT_DOMAIN", "DEFAULT_USERNAME", "DEFAULT_PASSWORD", "DEFAULT_API_KEY",
           "DEFAULT_APP_ID"]

DEFAULT_DOMAIN = "demo"
DEFAULT_USERNAME = "demo@example.com"
DEFAULT_PASSWORD = "demo"
DEFAULT_API_KEY = "demo-api-key"
DEFAULT_APP_ID = APP_ID
_MODULES = (forms_api, v05_api, v2_reads, v2_writes, submissions, importer, fixtures, directory, reports, messaging,
            ucr, admin)


class CommCareSimulator:
    """A CommCare HQ simulator serving HQ's APIs over HTTP on ``host:port`` (port 0 picks a free one).

    Args:
        seed: number of cases of the generated demo project (deterministic: same number, same data);
            ``None`` or 0 makes only the users, locations, app and lookup tables.
        host, port: where to listen (``start()`` binds; ``url`` tells where it went).
        domain: the project space (default ``demo``).
        state_file: a JSON file to load at start (if it exists, instead of seeding) and save at stop.
        forwarding_speedup: simulated seconds per real second for forwarding retries (3600: 1 h -> 1 s).
        forwarding_timeout: seconds a forwarding request may take before it counts as a timeout.
        generate_cases: serve this many generated, read-only cases (see :mod:`.cases.generated`) instead of
            seeded ones: case ``i`` is computed from ``i`` and ``generate_seed`` when asked, never stored,
            so a million cases take the memory of a few. The users, locations and app are seeded as for 0.

    Example:
        >>> hq = CommCareSimulator(seed=0).start()
        >>> hq.url.startswith("http://127.0.0.1:")
        True
        >>> hq.stop()
    """

    def __init__(self, seed: int | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 domain: str = DEFAULT_DOMAIN, state_file: str | None = None,
                 forwarding_speedup: float = 3600.0, forwarding_timeout: float = 10.0,
                 generate_cases: int | None = None, generate_seed: int = 1) -> None:
        if generate_cases is not None and (generate_cases < 0 or state_file):
            raise ValueError("generate_cases must be 0 or more, and generated cases are not saved to a state file")
        self.domain, self.host, self.port, self.state_file = domain, host, port, state_file
        self.accounts = Accounts()
        self.demo_account = self.accounts.add(DEFAULT_USERNAME, DEFAULT_PASSWORD, DEFAULT_API_KEY, [domain],
                                              user_id="d3m0d3m0d3m0d3m0d3m0d3m0d3m0d3m0")
        generator = None if generate_cases is None else CaseGenerator(generate_cases, generate_seed, domain, [])
        self.store = Store(domain) if generator is None else GeneratedStore(domain, generator)
        self.directory = directory.Directory(domain, self.accounts)
        self.directory.add_web_user(self.demo_account)
        self.fixtures = fixtures.LookupTables(domain)
        self.messaging = messaging.MessagingEvents(domain)
        self.ucr = ucr.DataSources(domain)
        self.faults = Faults()
        self.forwarding = Forwarding(self.store, lambda: self.url, forwarding_speedup, forwarding_timeout,
                                     usernames=lambda: {u["id"]: u["username"] for u in self.directory.users.values()})
        self.app = App(self.accounts, self.faults)
        for module in _MODULES:
            module.register(self.app, self)
        self._server: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        if state_file and os.path.exists(state_file):
            data_file.load(self, state_file)
        else:
            seed_project(self, 0 if generator else seed or 0)
        if generator is not None:
            generator.owners = sorted(self.directory.users) or generator.owners

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> "CommCareSimulator":
        """Bind and serve on a background thread; returns ``self``.

        Example:
            >>> hq = CommCareSimulator().start(); hq.port > 0
            True
            >>> hq.stop()
        """
        self._server = HTTPServer((self.host, self.port), self.app)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name="pyfn-sim-http")
        self._thread.start()
        self.forwarding.start()
        return self

    def stop(self) -> None:
        """Stop serving and forwarding; saves the state file if one was given.

        Example:
            >>> hq = CommCareSimulator().start(); hq.stop()
        """
        self.forwarding.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self.state_file:
            self.save()
        gc.unfreeze()  # what seeding froze may be collected again once the simulator is gone

    def __enter__(self) -> "CommCareSimulator":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8000`` (HQ paths start with ``/a/<domain>/``).

        Example:
            >>> CommCareSimulator(port=8123).url
            'http://127.0.0.1:8123'
        """
        return f"http://{self.host}:{self.port}"

    @property
    def auth_header(self) -> dict:
        """``{"Authorization": "ApiKey demo@example.com:demo-api-key"}``, for the demo user.

        Example:
            >>> CommCareSimulator().auth_header
            {'Authorization': 'ApiKey demo@example.com:demo-api-key'}
        """
        return {"Authorization": f"ApiKey {DEFAULT_USERNAME}:{DEFAULT_API_KEY}"}

    # -- helpers the API modules use -----------------------------------------------------------

    def check_domain(self, request) -> None:
        """404 for a project space the simulator does not hold (access was checked before).

        Example:
            >>> from .messages import Request
            >>> request = Request("GET", "/", "", {}, b""); request.match = {"domain": "other"}
            >>> CommCareSimulator().check_domain(request)
            Traceback (most recent call last):
            ...
            hq_simulator.messages.HTTPError: No project space 'other'
        """
        if request.match.get("domain") != self.domain:
            raise HTTPError(404, f"No project space '{request.match.get('domain')}'")

    def case_json(self, case_id: str, fmt: str = "v05") -> str:
        """The JSON text of a case as the v0.5 (``v05``) or v2 (``v2``) API serves it (hold the store lock).

        Example:
            >>> hq = CommCareSimulator(seed=5)
            >>> with hq.store.lock:
            ...     '"case_type"' in hq.case_json(next(iter(hq.store.cases)), "v2")
            True
        """
        rec = self.store.cases[case_id]
        build = (lambda: records.to_v05(rec, self.store)) if fmt == "v05" else (lambda: records.to_v2(rec))
        return self.store.cached_json(fmt, case_id, build)

    def case_jsons(self, case_ids: list[str], fmt: str = "v05") -> list[str]:
        """``case_json`` of each case in order, a page at a time (hold the store lock).

        Example:
            >>> hq = CommCareSimulator(seed=5)
            >>> with hq.store.lock:
            ...     ids = list(hq.store.cases)
            ...     hq.case_jsons(ids) == [hq.case_json(i) for i in ids]
            True
        """
        texts = self.store.cached_texts(fmt, case_ids)
        return [text or self.case_json(case_id, fmt) for case_id, text in zip(case_ids, texts)]

    def summary(self) -> dict:
        """Counts and settings, as ``GET /admin/`` shows them.

        Example:
            >>> CommCareSimulator(seed=10).summary()["counts"]["cases"]
            10
        """
        with self.store.lock:
            counts = {"forms": len(self.store.forms), "cases": len(self.store.cases),
                      "failed_forms": len(self.store.failed_forms), "mobile_workers": len(self.directory.users),
                      "locations": len(self.directory.locations), "forwarders": len(self.forwarding.forwarders),
                      "forwarding_records": len(self.forwarding.records)}
        return {"domain": self.domain, "url": self.url, "counts": counts, "faults": self.faults.settings()}

    # -- the Python API (mirrors the admin API) -------------------------------------------------

    def add_user(self, username: str, password: str | None = None, api_key: str | None = None,
                 domains: list[str] | None = None) -> dict:
        """Add an API user (by default with access to this domain) and return its account.

        Example:
            >>> CommCareSimulator().add_user("ci@example.com", api_key="ci-key")["domains"]
            {'demo'}
        """
        return self.accounts.add(username, password, api_key, domains if domains is not None else [self.domain])

    def add_forwarder(self, kind: str, url: str | None = None, *, connection_id: str | None = None,
                      auth_type: str = "none", format: str = "json", **options) -> dict:  # noqa: A002
        """Add a ``form`` or ``case`` forwarder to ``url`` (or an existing connection); see :mod:`.payloads`.

        Auth options (``username``, ``password``, ``token``, ``api_key``, ``api_key_header``,
        ``api_key_prefix``) go to the connection, the rest to the forwarder.

        Example:
            >>> hq = CommCareSimulator()
            >>> hq.add_forwarder("form", "http://127.0.0.1:4000/hooks/forms", auth_type="basic", username="u",
            ...                  password="p", xmlns_whitelist=["http://example.org/register"])["kind"]
            'form'
        """
        if connection_id is None:
            auth = {k: options.pop(k) for k in list(options) if k in admin.CONNECTION_FIELDS}
            connection_id = self.forwarding.add_connection(url, auth_type=auth_type, **auth)["id"]
        return self.forwarding.add_forwarder(kind, connection_id, format=format, **options)

    def forwarding_records(self, state: str | None = None, forwarder_id: str | None = None) -> list[dict]:
        """Forwarding records (copies), optionally filtered by state (``SUCCESS``, ``FAIL``...).

        Example:
            >>> CommCareSimulator().forwarding_records(state="CANCELLED")
            []
        """
        return self.forwarding.list_records(state, forwarder_id)

    def wait_for_records(self, count: int, state: str | None = None, timeout: float = 10.0) -> list[dict]:
        """Wait until at least ``count`` records are in ``state`` (any state if ``None``); returns them.

        Example:
            >>> CommCareSimulator().wait_for_records(0, "SUCCESS", timeout=0.1)
            []
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self.forwarding_records(state)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.01)

    def resend(self, record_id: str) -> dict:
        """Post a forwarding record again now (how duplicate deliveries happen).

        Example:
            record = hq.forwarding_records("SUCCESS")[0]
            hq.resend(record["id"])     # the receiver gets the same payload a second time
        """
        return self.forwarding.resend(record_id)

    def set_faults(self, **settings) -> dict:
        """Change fault settings (see :mod:`.faults`); returns them all.

        Example:
            >>> CommCareSimulator().set_faults(rate_limit=5, retry_after=2)["rate_limit"]
            5
        """
        return self.faults.set(**settings)

    def clear_faults(self) -> dict:
        """Switch every fault off.

        Example:
            >>> hq = CommCareSimulator(); _ = hq.set_faults(latency=1.0)
            >>> hq.clear_faults()["latency"]
            0.0
        """
        return self.faults.clear()

    def submit(self, xml: str | bytes, app_id: str | None = None, username: str = DEFAULT_USERNAME) -> forms.Outcome:
        """Process an XForm submission in-process, as the receiver would (no HTTP).

        Example:
            >>> hq = CommCareSimulator()
            >>> xml = ('<data xmlns="http://x"><n:meta xmlns:n="http://openrosa.org/jr/xforms">'
            ...        '<n:instanceID>f-1</n:instanceID></n:meta></data>')
            >>> hq.submit(xml).status, hq.submit(xml).status
            ('success', 'duplicate')
        """
        form = xml_to_json(xml)
        account = self.accounts.get(username) or self.demo_account
        text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
        return forms.process(self.store, forms.Submission(form, xml=text, app_id=app_id, username=username,
                                                          user_id=account["user_id"]))

    def add_form(self, form: dict, app_id: str | None = None) -> forms.Outcome:
        """Process a form given as HQ form JSON (``{"#type": "data", "@xmlns": ..., "meta": {...}}``).

        Example:
            >>> hq = CommCareSimulator()
            >>> hq.add_form({"#type": "data", "@xmlns": "http://x", "meta": {"instanceID": "f-2"}}).form_id
            'f-2'
        """
        return forms.process(self.store, forms.Submission(form, app_id=app_id, user_id=self.demo_account["user_id"],
                                                          username=DEFAULT_USERNAME))

    def archive_form(self, form_id: str, archived: bool = True) -> dict | None:
        """Archive (or restore) a form; ``None`` if there is no such form.

        Example:
            >>> hq = CommCareSimulator(seed=5)
            >>> hq.archive_form(next(iter(hq.store.forms)))["archived"]
            True
        """
        return forms.set_archived(self.store, form_id, archived)

    def save(self, path: str | None = None) -> str:
        """Write the state to ``path`` (default: the ``state_file``); returns the path.

        Example:
            >>> import tempfile, os
            >>> path = os.path.join(tempfile.mkdtemp(), "hq.json")
            >>> CommCareSimulator(seed=5).save(path) == path and CommCareSimulator(state_file=path).summary()["counts"]["cases"]
            5
        """
        target = path or self.state_file
        if not target:
            raise ValueError("no path given and no state_file configured")
        return data_file.save(self, target)
