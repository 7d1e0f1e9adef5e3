"""pyfn's pytest plugin: fixtures for testing jobs and workflows in CI.

Installing pyfn registers it (the ``pytest11`` entry point ``pyfn``): no
conftest import needed. ``pytest --fixtures`` lists the fixtures below with
their documentation. Heavy modules are imported only when a fixture is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

__all__ = ["collections", "commcare_hq", "http_api", "run_job", "run_workflow", "snapshot"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pyfn")
    group.addoption("--update-snapshots", action="store_true", default=False,
                    help="pyfn: write the snapshot files of the snapshot fixture instead of comparing")


@pytest.fixture
def http_api() -> Iterator[Any]:
    """A recording destination API on 127.0.0.1 (a stand-in CRM, SMS gateway or warehouse).

    Methods: ``route(method, path, response)`` with a ``Response(status, body, headers)``
    (``from runtime.testing import Response``), plain data, or a callable
    ``(request) -> Response | data``; or ``route(method, path, status=, body=, headers=)``; ``requests`` (every request
    received, each with ``method``, ``path``, ``query``, ``headers``, ``body``, ``json``);
    ``last``; ``reset()``; ``url``. Built-in routes: ``/echo``, ``/status/<code>``,
    ``/redirect/<n>``, ``/slow/<ms>``, ``/retry-after/<n>``, ``/gzip``, ``/large/<bytes>``.

    Example:
        def test_upsert(http_api, run_job):
            http_api.route("PATCH", "/contacts/ext/42", {"id": "c-1"})
            result = run_job("jobs/upsert.py", {"configuration": {"baseUrl": http_api.url},
                                                "data": {"case_id": "42"}}, adaptor="http")
            result.assert_ok()
            assert http_api.last.json == {"LastName": "Okafor"}
    """
    from runtime.testing.destination import DestinationAPI

    with DestinationAPI() as api:
        yield api


@pytest.fixture
def commcare_hq() -> Iterator[Any]:
    """A fresh CommCare HQ simulator on a free port, seeded with a small demo project.

    Attributes and helpers: ``url``; ``configuration`` (a ready ``state["configuration"]``
    for the commcare adaptor: hostUrl, domain ``demo``, appId ``demo-app``, username
    ``demo@example.com``, apiKey ``demo-api-key``); ``add_case(type, name, properties)``,
    ``submit(xml)`` and ``add_form(json)`` to add data; ``forms(**filters)`` and
    ``cases(**filters)`` to read what a job submitted, through HQ's own APIs;
    ``add_forwarder(...)``, ``forwarding_records()``, ``set_faults(...)``.

    Example:
        def test_registration(commcare_hq, run_job):
            result = run_job("jobs/register.py", {"configuration": commcare_hq.configuration},
                             adaptor="commcare")
            result.assert_ok()
            assert "Amina" in [c["case_name"] for c in commcare_hq.cases(case_type="patient")]
    """
    from runtime.testing.hq import HQ

    with HQ(seed=20) as hq:
        yield hq


@pytest.fixture
def collections(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Collections for one test, in their own throwaway SQLite file: jobs run by ``run_job`` and
    ``run_workflow`` in the test read and write them.

    Methods: ``load(name, items)`` creates the collection if needed and upserts ``items``, a dict
    ``{key: value}`` or a file (JSON lines ``{"key", "value"}``, or a JSON ``{key: value}`` object; paths
    relative to the project root); ``create(name)``; ``items(name, pattern="*")`` → ``{key: value}``;
    ``get(name, key)``; ``assert_item(name, key, expected)``, ``assert_missing(name, key)``,
    ``assert_items(name, {key: value})`` (exact contents); ``store`` (the store itself).

    Example:
        def test_known_patient_is_updated(collections, run_job, http_api):
            collections.load("crm-ids", {"case-1": "crm-7"})
            http_api.route("PATCH", "/contacts/crm-7", {"id": "crm-7"})
            run_job("jobs/upsert.py", {"data": {"case_id": "case-1"}, "configuration": {"baseUrl": http_api.url}},
                    adaptor="http").assert_ok()
            collections.assert_item("crm-ids", "case-1", "crm-7")
    """
    from adaptors.collections.store import use_store
    from runtime.testing.collections import TestCollections

    kit = TestCollections(tmp_path / "pyfn-collections.db", lambda path: _resolve(request, path))
    with use_store(kit.store):
        yield kit
    kit.close()


def _resolve(request: pytest.FixtureRequest, path: str | Path) -> Path:
    path = Path(path)
    return path if path.is_absolute() else Path(request.config.rootpath) / path


def _with_requests(request: pytest.FixtureRequest, run: Callable[[], Any]) -> Any:
    """Run, then attach the requests the test's ``http_api`` received during the run."""
    api = request.getfixturevalue("http_api") if "http_api" in request.fixturenames else None
    before = len(api.requests) if api else 0
    result = run()
    if api:
        result.requests = list(api.requests[before:])
    return result


@pytest.fixture
def run_job(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Run a job in-process: ``run_job(path, state=None, adaptor="common", timeout_ms=..., immutable=False)``.

    Paths are relative to the project root (pytest's rootdir). Returns a ``RunResult``:
    ``state``, ``data``, ``errors``, ``logs``, ``requests`` (what ``http_api`` received
    during the run), ``crash``, and ``assert_ok()``, ``assert_failed(step, message)``,
    ``assert_crashed(message)``, ``assert_data(expected, **keys)`` whose failures point at
    your test.

    Example:
        def test_hello(run_job):
            result = run_job("jobs/hello.py", {"data": {"patients": [{"name": "ann", ...}]}})
            result.assert_data(count=1)
    """
    from runtime.testing.harness import run_job as run

    def runner(path: str | Path, state: dict | None = None, adaptor: str = "common", **options: Any):
        return _with_requests(request, lambda: run(_resolve(request, path), state, adaptor, **options))
    return runner


@pytest.fixture
def run_workflow(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Validate and run a workflow in-process: ``run_workflow(path, state=None, credentials=None, start=, end=)``.

    Returns a ``RunResult`` as ``run_job`` does; with several leaves, ``state`` is
    ``{step_id: state}`` and ``errors`` merges them. ``credentials`` replaces the workflow's
    credential map: a file, or a mapping ``{name: configuration}``.

    Example:
        def test_failure_path(run_workflow):
            result = run_workflow("workflows/branching.yaml", {"data": {"patients": [{}]}})
            result.assert_failed("check")
            assert result.state["alert"]["reasons"]
            run_workflow("workflows/sync.yaml", credentials={"crm": {"baseUrl": "http://127.0.0.1:9"}})
    """
    from collections.abc import Mapping

    from runtime.testing.harness import run_workflow as run

    def runner(path: str | Path, state: dict | None = None, credentials: str | Path | Mapping | None = None,
               **options: Any):
        creds = credentials if isinstance(credentials, Mapping) or not credentials else _resolve(request, credentials)
        return _with_requests(request, lambda: run(_resolve(request, path), state, creds, **options))
    return runner


@pytest.fixture
def snapshot(request: pytest.FixtureRequest) -> Any:
    """Compare states with JSON snapshots stored beside the test, in ``__snapshots__/<test module>/``.

    ``snapshot.assert_match(value, name, ignore=())`` ignores durations, dates and the keys in
    ``ignore``; ``pytest --update-snapshots`` writes the files (commit them).

    Example:
        def test_mapping(run_job, snapshot):
            result = run_job("jobs/hello.py", {"data": {...}})
            snapshot.assert_match(result.state, "hello")
    """
    from runtime.testing.snapshot import Snapshot

    module = Path(str(request.node.fspath))
    folder = module.parent / "__snapshots__" / module.stem
    return Snapshot(folder, update=request.config.getoption("--update-snapshots"))
