"""Workflow execution order, edges, joins and results — run in-process through load_workflow."""

import io
import textwrap

import pytest

from runtime import RunContext, RunOptions, execute_plan
from runtime.errors import EdgeConditionError, RuntimeCrash
from runtime.logger import LogSink, create_loggers
from runtime.workflow.load import load_workflow

# Each step appends its visit to state["trail"]; `boom` raises.
MARK = 'fn(lambda state: {**state, "trail": [*state.get("trail", []), "%s"]})\n'


@pytest.fixture
def workflow(tmp_path):
    """Write a workflow YAML (and a marking job per step id) and return a runner."""
    def make(yaml_text: str, jobs=()):
        for step_id in jobs:
            (tmp_path / f"{step_id}.py").write_text(MARK % step_id)
        (tmp_path / "boom.py").write_text(
            'def boom(state):\n    raise ValueError("boom")\nfn(boom)\n')
        path = tmp_path / "workflow.yaml"
        path.write_text(textwrap.dedent(yaml_text))
        return Runner(path)
    return make


class Runner:
    def __init__(self, path):
        self.path = path
        self.out = io.StringIO()

    def run(self, state=None, **options):
        plan = load_workflow(self.path)
        ctx = RunContext(RunOptions(**options), create_loggers("info", LogSink(self.out)))
        return execute_plan(plan, state, ctx)


def test_linear_steps_pass_state_along(workflow):
    run = workflow("""
        steps:
          - {id: a, job: a.py, next: b}
          - {id: b, job: b.py}
    """, jobs="ab")
    assert run.run()["trail"] == ["a", "b"]


@pytest.mark.parametrize("edge, follows", [
    ("true", True), ("false", False), ("always", True), ("on_job_success", True),
    ("on_job_failure", False), ('"state[\'data\'][\'n\'] > 1"', True), ('"state[\'data\'][\'n\'] > 5"', False),
    ("{condition: always, label: go}", True), ("{condition: always, disabled: true}", False),
    ("{label: no condition}", False),
])
def test_edge_kinds_after_a_successful_step(workflow, edge, follows):
    run = workflow(f"""
        steps:
          - id: a
            job: a.py
            next: {{b: {edge}}}
          - {{id: b, job: b.py}}
    """, jobs="ab")
    result = run.run({"data": {"n": 3}})
    assert result["trail"] == (["a", "b"] if follows else ["a"])


def test_failure_is_recorded_and_failure_edges_run(workflow):
    run = workflow("""
        steps:
          - id: fetch
            job: boom.py
            next: {upsert: on_job_success, alert: on_job_failure, audit: always}
          - {id: upsert, job: upsert.py}
          - {id: alert, job: alert.py}
          - {id: audit, job: audit.py}
    """, jobs=["upsert", "alert", "audit"])
    result = run.run({"data": {}})
    assert set(result) == {"alert", "audit"}
    assert result["alert"]["errors"]["fetch"]["message"] == "boom"
    assert result["alert"]["trail"] == ["alert"]
    assert "Check state.errors.fetch for details" in run.out.getvalue()


def test_fan_out_then_fan_in_runs_the_join_once_per_edge(workflow):
    run = workflow("""
        steps:
          - {id: start, job: start.py, next: {a: true, b: true}}
          - {id: a, job: a.py, next: x}
          - {id: b, job: b.py, next: x}
          - {id: x, job: x.py}
    """, jobs=["start", "a", "b", "x"])
    result = run.run()
    assert result == {"x": {"data": {}, "trail": ["start", "a", "x"]},
                      "x-1": {"data": {}, "trail": ["start", "b", "x"]}}
    started = [line.split("Starting step ")[1] for line in run.out.getvalue().splitlines()
               if "Starting step" in line]
    assert started == ["start", "a", "b", "x", "x-1"]


def test_wait_all_runs_once_after_every_parent_with_their_outputs(workflow):
    run = workflow("""
        steps:
          - {id: start, job: start.py, next: {a: true, b: true, skipped: false}}
          - {id: a, job: a.py, next: {slow: true, join: true}}
          - {id: slow, job: slow.py, next: join}
          - {id: b, job: b.py, next: join}
          - {id: skipped, job: skipped.py, next: join}
          - {id: join, job: join.py, wait: all}
    """, jobs=["start", "a", "b", "slow", "skipped", "join"])
    result = run.run()
    assert set(result["upstream"]) == {"a", "b", "slow"}
    assert result["upstream"]["slow"]["trail"] == ["start", "a", "slow"]
    assert result["upstream"]["b"]["trail"] == ["start", "b"]
    assert result["trail"][-1] == "join"
    assert run.out.getvalue().count("Starting step join") == 1


def test_several_leaves_give_a_state_per_leaf(workflow):
    run = workflow("""
        steps:
          - {id: a, job: a.py, next: {b: true, c: true}}
          - {id: b, job: b.py}
          - {id: c, job: c.py}
    """, jobs="abc")
    assert run.run() == {"b": {"data": {}, "trail": ["a", "b"]}, "c": {"data": {}, "trail": ["a", "c"]}}


def test_default_state_and_configuration_merge(workflow, tmp_path):
    (tmp_path / "show.py").write_text(
        'fn(lambda state: {**state, "seen": dict(state["configuration"]), "batch": state["data"]["batch_size"]})\n')
    run = workflow("""
        credentials: {crm: {baseUrl: "http://crm", token: "step"}}
        steps:
          - id: a
            job: show.py
            configuration: crm
            state: {data: {batch_size: 50, keep: 1}}
    """)
    result = run.run({"data": {"keep": 2}, "configuration": {"token": "input", "user": "u"}})
    assert result["seen"] == {"token": "step", "user": "u", "baseUrl": "http://crm"}
    assert result["batch"] == 50 and result["data"] == {"batch_size": 50, "keep": 2}
    assert "configuration" not in result


def test_a_crash_aborts_the_whole_run(workflow, tmp_path):
    (tmp_path / "crash.py").write_text("fn(lambda state: undefined_name)\n")
    run = workflow("""
        steps:
          - {id: a, job: crash.py, next: {b: always}}
          - {id: b, job: b.py}
    """, jobs="b")
    with pytest.raises(RuntimeCrash):
        run.run()
    assert "Starting step b" not in run.out.getvalue()


def test_a_condition_that_raises_aborts_naming_the_edge(workflow):
    run = workflow("""
        steps:
          - id: a
            job: a.py
            next: {b: "state['nope']['x']"}
          - {id: b, job: b.py}
    """, jobs="ab")
    with pytest.raises(EdgeConditionError, match="edge a -> b raised KeyError"):
        run.run()


def test_start_and_end_options(workflow):
    run = workflow("""
        steps:
          - {id: a, job: a.py, next: b}
          - {id: b, job: b.py, next: c}
          - {id: c, job: c.py}
    """, jobs="abc")
    assert run.run(start="b")["trail"] == ["b", "c"]
    assert run.run(end="b")["trail"] == ["a", "b"]
    assert run.run(start="b", end="b")["trail"] == ["b"]


def test_openfn_execution_plan_shape_is_accepted(tmp_path):
    (tmp_path / "a.py").write_text(MARK % "a")
    (tmp_path / "b.py").write_text(MARK % "b")
    path = tmp_path / "plan.json"
    path.write_text('{"workflow": {"name": "p", "steps": ['
                    '{"id": "a", "expression": "a.py", "adaptor": "@openfn/language-common@3", "next": {"b": true}},'
                    '{"id": "b", "expression": "b.py"}]}, "options": {"start": "b"}}')
    assert Runner(path).run()["trail"] == ["b"]


def test_legacy_jobs_shape_is_accepted(tmp_path):
    (tmp_path / "a.py").write_text(MARK % "a")
    path = tmp_path / "legacy.yaml"
    path.write_text("jobs:\n  - {id: a, expression: a.py}\n")
    assert Runner(path).run()["trail"] == ["a"]
