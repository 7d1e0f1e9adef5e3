"""A CommCare HQ simulator: HQ's real APIs and formats, on loopback, for demos and tests.

The same job runs unchanged against it and against www.commcarehq.org. It
serves the form API (v0.5 and ``/api/form/v1/``), the case APIs (v0.5 and v2
with its cursor), the OpenRosa receiver, bulk case import, lookup tables,
mobile workers, groups, locations, applications, configurable report data,
messaging events (SMS), and HQ's data forwarding (repeaters) with its retry
schedule on a compressed clock.
This package imports nothing of ``runtime`` or ``adaptors`` (a test checks it).

Start it in-process (tests)::

    from hq_simulator import CommCareSimulator
    with CommCareSimulator(seed=1000) as hq:   # about 1000 cases, free port
        requests.get(f"{hq.url}/a/demo/api/v0.5/form/", headers=hq.auth_header)

or as a server: ``pyfn commcare serve [--host 127.0.0.1] [--port 8000] [--seed 1000] [--domain demo]``
(also ``python -m hq_simulator serve``).

**Generated cases** (large pulls): ``--generate-cases N [--generate-seed S]`` (in Python
``CommCareSimulator(generate_cases=N, generate_seed=S)``) serves N read-only cases computed from
their position and the seed when asked, never stored, so a million-case pull needs no more memory
than a small one. They are served by the same code and in the same shape as stored cases (v0.5
list and detail with ``indexed_on_start``/offset paging, filters, orders and related cases; v2
list with its cursor, by id, ids and external id): households and their patients, unique
``indexed_on`` in case order. Forms are not generated, a form with case blocks is a processing
failure, and a state file cannot be combined with it. See ``hq_simulator.cases.generated``.

Defaults shared by the demo, the docs and the tests: domain ``demo``; user
``demo@example.com``, password ``demo``, API key ``demo-api-key``
(``Authorization: ApiKey demo@example.com:demo-api-key``, or Basic); app id
``demo-app``; mobile workers ``chw1@demo.commcarehq.org``... with password ``demo``.

**Admin API** (the simulator's own, under ``/admin/``; any configured account's
credentials, e.g. the demo user's): ``GET /admin/`` (summary);
``GET|POST /admin/connections``; ``GET|POST /admin/forwarders``,
``DELETE /admin/forwarders/<id>``, ``POST /admin/forwarders/<id>/pause|resume``;
``GET /admin/forwarding/records[?state=&forwarder_id=]``,
``GET /admin/forwarding/records/<id>``, ``POST /admin/forwarding/records/<id>/resend|requeue``;
``GET|POST|DELETE /admin/faults``; ``POST /admin/users``;
``POST /admin/forms/<id>/archive|unarchive``; ``POST /admin/save``. See :mod:`.admin` for bodies
(and ``docs/commcare.md``); ``pyfn commcare forward|deliveries|replay`` call the forwarding ones.
The Python API mirrors it: ``hq.add_forwarder(...)``, ``hq.forwarding_records()``,
``hq.resend(id)``, ``hq.set_faults(...)``, ``hq.add_user(...)``, ``hq.submit(xml)``,
``hq.add_form(form_json)``, ``hq.archive_form(id)``, ``hq.save(path)``.

Example:
    >>> DEFAULT_DOMAIN, DEFAULT_USERNAME, DEFAULT_API_KEY, DEFAULT_APP_ID
    ('demo', 'demo@example.com', 'demo-api-key', 'demo-app')
"""

from .simulator import (
    DEFAULT_API_KEY,
    DEFAULT_APP_ID,
    DEFAULT_DOMAIN,
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    CommCareSimulator,
)

__all__ = [
    "CommCareSimulator",
    "DEFAULT_API_KEY",
    "DEFAULT_APP_ID",
    "DEFAULT_DOMAIN",
    "DEFAULT_PASSWORD",
    "DEFAULT_USERNAME",
]
