"""Running jobs in-process: operation order, null state, immutability, errors, timeouts."""

import io
import textwrap
import threading

import pytest

from runtime import RunContext, RunOptions, execute_plan, load_plan
from runtime.errors import InvalidOperationError, RuntimeCrash, StepTimeoutError
from runtime.logger import LogSink, create_loggers

HELPERS = """
def op(f):
    return f
"""


class Run:
    """Run a job source in-process; keep the result and the log text."""

    def __init__(self, source: str, state=None, adaptor="common", log="debug", **options):
        self.out = io.StringIO()
        self.path = "job.py"
        plan = load_plan(self.path, adaptor, source=HELPERS + textwrap.dedent(source))
        ctx = RunContext(RunOptions(**options), create_loggers(log, LogSink(self.out)))
        self.result = execute_plan(plan, state, ctx)

    @property
    def logs(self) -> str:
        return self.out.getvalue()


def line_of(source: str, text: str) -> int:
    lines = (HELPERS + textwrap.dedent(source)).splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_operations_run_in_order_on_the_default_state():
    run = Run("""
        op(lambda state: {**state, "data": {"n": 1}})
        op(lambda state: {**state, "data": {"n": state["data"]["n"] * 10}})
    """)
    assert run.result == {"data": {"n": 10}}


def test_operation_returning_none_hands_on_an_empty_state_with_a_warning():
    source = """
        op(lambda state: None)
        op(lambda state: {**state, "seen": dict(state)})
    """
    run = Run(source, {"data": {"x": 1}})
    assert run.result == {"seen": {}}
    assert f"operation 1 (op at line {line_of(source, 'lambda state: None')}) did not return a state" in run.logs


def test_last_operation_returning_none_gives_no_result():
    run = Run("op(lambda state: None)\n")
    assert run.result is None


def test_immutable_gives_each_operation_a_copy():
    source = """
        SEEN = []
        op(lambda state: SEEN.append(state) or state)
        op(lambda state: state["data"].update(changed=True) or state)
        op(lambda state: {**state, "first": SEEN[0]["data"]})
    """
    assert Run(source, {"data": {}}, immutable=True).result["first"] == {}
    assert Run(source, {"data": {}}).result["first"] == {"changed": True}


def test_print_in_a_job_logs_under_job():
    run = Run('op(lambda state: print("hello", 42) or state)\n', log="none,job=info")
    assert run.logs == "[JOB] ℹ hello 42\n"


def test_async_operations_are_awaited():
    run = Run("""
        async def later(state):
            return {**state, "data": "awaited"}
        op(later)
    """)
    assert run.result["data"] == "awaited"


def test_exception_in_job_is_recorded_and_the_input_state_is_kept():
    source = """
        op(lambda state: {**state, "data": "changed"})
        def boom(state):
            raise ValueError("boom")
        op(boom)
    """
    run = Run(source, {"data": {"x": 1}, "configuration": {"secret": "s3cr3t"}})
    assert run.result["data"] == {"x": 1}
    assert "configuration" not in run.result
    assert run.result["errors"] == {"job-1": {
        "source": "runtime", "name": "JobError", "severity": "fail", "message": "boom",
        "operationName": "op", "line": line_of(source, "op(boom)")}}
    assert "Check state.errors.job-1 for details" in run.logs


def test_type_errors_become_runtime_errors_with_position():
    source = """
        op(lambda state: {**state, "x": state["data"]["missing"]})
    """
    error = Run(source, {"data": {}}).result["errors"]["job-1"]
    assert error["name"] == "RuntimeError" and error["subtype"] == "KeyError"
    assert error["message"] == "KeyError: 'missing'"
    column = 'op(lambda state: {**state, "x": state["data"]["missing"]})'.index('state["data"]') + 1
    assert error["pos"] == {"line": line_of(source, "missing"), "column": column}


def test_name_error_crashes_the_run():
    with pytest.raises(RuntimeCrash) as info:
        Run("op(lambda state: undefined_name)\n")
    assert "NameError: name 'undefined_name' is not defined" in info.value.message
    assert info.value.where.startswith("job.py:")


def test_top_level_call_that_is_not_an_operation_is_an_error():
    with pytest.raises(InvalidOperationError) as info:
        Run('print("loading")\n')
    assert "line 4" in info.value.message
    assert "log(...)" in info.value.hint


@pytest.mark.parametrize("body", [
    "while True:\n        pass",
    "import time\n    time.sleep(30)",
    "try:\n        while True: pass\n    except BaseException:\n        pass\n    while True: pass",
], ids=["busy-loop", "blocking-sleep", "swallows-first-timeout"])
def test_a_stuck_step_is_stopped_by_the_timeout(body):
    source = f"def stuck(state):\n    {body}\nop(stuck)\n"
    with pytest.raises(StepTimeoutError, match="Job took longer than 300ms to complete"):
        Run(source, timeout_ms=300)


def test_timeout_also_works_off_the_main_thread():
    errors = []

    def target():
        try:
            Run("def stuck(state):\n    while True: pass\nop(stuck)\n", timeout_ms=200)
        except StepTimeoutError as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and len(errors) == 1


def test_each_run_starts_with_fresh_adaptor_state():
    source = 'cursor("start")\n'
    first = Run(source)
    import time
    time.sleep(0.01)
    second = Run(source)
    assert first.result["cursor"] < second.result["cursor"]


def test_operations_with_keyword_arguments_load_and_run():
    run = Run('cursor("2024-01-01T00:00:00Z", key="since")\nfn(lambda state: state)\n')
    assert run.result["since"] == "2024-01-01T00:00:00Z"


def test_map_is_the_operation_where_used_as_one_and_pythons_builtin_in_the_jobs_own_code():
    run = Run("""
        def message(person):
            return "hi " + person["name"]

        def lengths(items):
            return list(map(len, items))

        fn(lambda state: {**state, "messages": [m for m in map(message, state["data"])]})
        map("$.data[*]", lambda state: state["name"].upper())
        fn(lambda state: {**state, "lengths": lengths(state["messages"])})
        fn(lambda state: {**state, "upper": state["data"]})
        each("$.data[*]", map("$.data", lambda letter: letter.lower()))
    """, {"data": [{"name": "ada"}, {"name": "bo"}]})
    assert run.result["messages"] == ["hi ada", "hi bo"]
    assert run.result["lengths"] == [6, 5]
    assert run.result["upper"] == ["ADA", "BO"]
    assert run.result["data"] == ["bo"] and "errors" not in run.result  # the last item, mapped
