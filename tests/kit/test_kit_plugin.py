"""The pytest plugin as implementers use it: pytest in a subprocess on a project of their own."""

import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # end to end: real processes, seconds each

ROOT = Path(__file__).resolve().parents[2]


# a user's project has pytest and pyfn, not the plugins pyfn's own test tools bring (hypothesis, anyio, xdist:
# 3 s of imports in each pytest below); pyfn's plugin still loads through its entry point, as a user's does
NOT_A_USERS = [arg for plugin in entry_points(group="pytest11")
               if plugin.dist is None or plugin.dist.name != "pyfn-runtime" for arg in ("-p", f"no:{plugin.name}")]


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *NOT_A_USERS, *args],
                          cwd=folder, capture_output=True, text=True, timeout=120)


class Project(type(Path())):
    """A user's project folder with a helper to write its test file."""

    def write_test(self, source: str) -> Path:
        path = self / "tests" / "test_jobs.py"
        path.write_text(textwrap.dedent(source))
        return path


@pytest.fixture
def project(tmp_path):
    tmp_path = Project(tmp_path)
    (tmp_path / "jobs").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    (tmp_path / "jobs" / "greet.py").write_text(
        'fn(lambda state: {**state, "data": {"greeting": "hello " + state["data"]["name"]}})\n')
    (tmp_path / "jobs" / "push.py").write_text(
        'post("/contacts", {"name": state["data"]["name"]})\n')
    (tmp_path / "jobs" / "fail.py").write_text(
        'def fail(state):\n    raise ValueError("no phone number")\nfn(fail)\n')
    return tmp_path


def test_fixtures_are_listed_with_their_documentation(project):
    shown = pytest_in(project, "--fixtures")
    for name in ("run_job", "run_workflow", "http_api", "commcare_hq", "snapshot", "collections"):
        assert f"{name} -- " in shown.stdout, name
    assert "A recording destination API on 127.0.0.1" in shown.stdout


def test_run_job_http_api_and_assertions_pass_in_a_users_project(project):
    project.write_test("""
        def test_greet(run_job):
            run_job("jobs/greet.py", {"data": {"name": "Ann"}}).assert_data(greeting="hello Ann")

        def test_push(run_job, http_api):
            http_api.route("POST", "/contacts", {"id": "c-1"})
            result = run_job("jobs/push.py", {"data": {"name": "Ann"},
                                              "configuration": {"baseUrl": http_api.url}}, adaptor="http")
            result.assert_data({"id": "c-1"})
            assert [r.json for r in result.requests] == [{"name": "Ann"}]

        def test_fail(run_job):
            error = run_job("jobs/fail.py", {"data": {}}).assert_failed("job-1", "phone")
            assert error["name"] == "JobError"
    """)
    result = pytest_in(project)
    assert "3 passed" in result.stdout, result.stdout + result.stderr


def test_failing_assertions_point_at_the_users_test(project):
    project.write_test("""
        def test_wrong(run_job):
            run_job("jobs/greet.py", {"data": {"name": "Ann"}}).assert_data(greeting="bye")
    """)
    result = pytest_in(project)
    assert "1 failed" in result.stdout
    assert "state['data']['greeting'] is 'hello Ann', expected 'bye'" in result.stdout
    assert "tests/test_jobs.py:3" in result.stdout
    assert "harness.py" not in result.stdout


def test_snapshots_are_written_then_compared_ignoring_dates(project):
    project.write_test("""
        import datetime
        def test_snap(run_job, snapshot):
            state = run_job("jobs/greet.py", {"data": {"name": "Ann"}}).state
            state["when"] = datetime.datetime.now().isoformat()
            snapshot.assert_match(state, "greet")
    """)
    missing = pytest_in(project)
    assert "run pytest --update-snapshots to create it" in missing.stdout
    assert "1 passed" in pytest_in(project, "--update-snapshots").stdout
    stored = project / "tests" / "__snapshots__" / "test_jobs" / "greet.json"
    assert '"when": "<date>"' in stored.read_text()
    assert "1 passed" in pytest_in(project).stdout
    stored.write_text(stored.read_text().replace("hello Ann", "hello Bob"))
    changed = pytest_in(project)
    assert "1 failed" in changed.stdout and '-    "greeting": "hello Bob"' in changed.stdout


def test_run_workflow_against_the_shipped_branching_example(run_workflow):
    result = run_workflow(ROOT / "workflows" / "branching.yaml", {"data": {"patients": [{"sex": "q"}]}})
    result.assert_failed("check", "must have required property")
    assert result.state["alert"]["subject"] == "Registrations were not sent to the CRM"


def test_crash_is_reported_not_raised(run_job, tmp_path):
    job = tmp_path / "crash.py"
    job.write_text("fn(lambda state: nowhere)\n")
    result = run_job(job)
    result.assert_crashed("name 'nowhere' is not defined")
    with pytest.raises(AssertionError, match="the run aborted"):
        result.assert_ok()


def test_commcare_hq_fixture_adds_and_reads_cases(commcare_hq):
    case_id = commcare_hq.add_case("patient", "Amina", {"village": "Kamwala"})
    mine = [c for c in commcare_hq.cases(case_type="patient") if c["case_id"] == case_id]
    assert mine[0]["case_name"] == "Amina" and mine[0]["properties"]["village"] == "Kamwala"
    assert commcare_hq.configuration["hostUrl"] == commcare_hq.url
    assert len(commcare_hq.forms()) > 0


def test_run_workflow_takes_credentials_as_a_mapping_and_route_a_status_body_and_headers(run_workflow, http_api,
                                                                                          tmp_path):
    (tmp_path / "send.py").write_text('post("/sms", {"to": state["data"]["phone"]})\n')
    workflow = tmp_path / "remind.yaml"
    workflow.write_text("credentials: missing.yaml\n"
                        "steps: [{id: send, adaptor: http, job: send.py, configuration: sms-gateway}]\n")
    http_api.route("POST", "/sms", status=401, body={"error": "bad token"}, headers={"WWW-Authenticate": "Bearer"})
    result = run_workflow(workflow, {"data": {"phone": "+254700000001"}},
                          credentials={"sms-gateway": {"baseUrl": http_api.url, "access_token": "t-1"}})
    result.assert_failed("send", "POST to " + http_api.url + "/sms returned 401: Unauthorized")
    details = result.errors["send"]["details"]
    assert details["body"] == {"error": "bad token"} and details["headers"]["www-authenticate"] == "Bearer"
    headers = {key.lower(): value for key, value in http_api.last.headers.items()}
    assert headers["authorization"] == "Bearer t-1" and http_api.last.json == {"to": "+254700000001"}
    http_api.route("POST", "/sms", {"sid": "SM1"})
    from_file = tmp_path / "creds.json"
    from_file.write_text('{"sms-gateway": {"baseUrl": "%s"}}' % http_api.url)
    run_workflow(workflow, {"data": {"phone": "+1"}}, credentials=str(from_file)).assert_data({"sid": "SM1"})
    with pytest.raises(TypeError, match="a response or status=/body=/headers=, not both"):
        http_api.route("GET", "/x", {"a": 1}, status=500)


def test_collections_fixture_preloads_a_file_and_its_assertions_point_at_the_users_test(project):
    (project / "tests" / "data").mkdir()
    (project / "tests" / "data" / "visits.jsonl").write_text('{"key": "a", "value": 2}\n{"key": "b", "value": 3}\n')
    (project / "jobs" / "count.py").write_text(
        'collections.each("visits", "*", lambda state, value, key: state.update(total=state.get("total", 0) + value))\n')
    project.write_test("""
        def test_count(collections, run_job):
            collections.load("visits", "tests/data/visits.jsonl")
            assert run_job("jobs/count.py").state["total"] == 5

        def test_wrong(collections):
            collections.load("visits", {"a": 1})
            collections.assert_item("visits", "a", 2)
    """)
    result = pytest_in(project)
    assert "1 failed, 1 passed" in result.stdout, result.stdout + result.stderr
    assert "visits['a'] is 1, expected 2" in result.stdout and "tests/test_jobs.py:8" in result.stdout
