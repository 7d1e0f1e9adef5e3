"""Property-based fuzzing (hypothesis) of what a user gives ``pyfn execute``: workflow YAML, state files and
job sources. Whatever comes in, pyfn answers with an exit code and its own message: an exception escaping
``run_execute`` would be a traceback on the user's screen, and fails the test."""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from runtime.cli.execute import ExecuteArgs, run_execute

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))
KEYS = ["id", "name", "steps", "next", "expression", "job", "adaptor", "configuration", "state", "start",
        "retry", "max", "delay", "backoff", "on", "triggers", "type", "path", "schedule", "dedupe", "auth",
        "condition", "wait", "credentials", "max_concurrency", "history_days", "zero_persistence", "<<"]
EXPRESSIONS = ["fn(lambda state: state)", "fn(lambda state: 1 / 0)", "fn(lambda state: state['nope'])",
               "fn(lambda state: None)", "fn(lambda state: {'data': {1, 2}})", "fn(lambda state: sys.exit(4))",
               "import os\nfn(lambda state: os._exit(0))", "each('$.data[*]', fn(lambda s: s))",
               "fn(lambda state: {**state, 'data': float('nan')})", "x = (", "undefined_name()",
               "fn(lambda state: {**state, 'data': [[[[[]]]]]})", "log(state['configuration'])",
               "fn(lambda state: {**state, 'data': state['data'] * 2})", "raise ValueError('top level')",
               "fn(lambda state: {**state, 'data': '\\ud800'})", "fn(lambda state: {**state, 'd': b'x'})"]
leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                 st.text(max_size=12), st.sampled_from(EXPRESSIONS), st.sampled_from(["job-1", "a", "b", "on_job_success"]))
values = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6),
                                                                     inner, max_size=5)), max_leaves=25)
step = st.fixed_dictionaries({"id": st.one_of(st.sampled_from(["a", "b", "c"]), leaf)},
                             optional={key: values for key in ("next", "expression", "configuration", "state",
                                                               "adaptor", "wait")})
workflow = st.fixed_dictionaries({"steps": st.lists(step, max_size=4)},
                                 optional={key: values for key in ("start", "retry", "triggers", "credentials",
                                                                   "max_concurrency", "name")})


def _execute(path: Path, **kwargs) -> int:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = run_execute(ExecuteArgs(path=path, log="none", timeout_ms=5000, **kwargs))
    assert code in (0, 1, 2), out.getvalue()
    assert "Traceback" not in out.getvalue(), out.getvalue()
    return code


def _write(name: str, data: bytes) -> Path:
    path = Path(tempfile.mkdtemp(prefix="pyfn-fuzz-")) / name
    path.write_bytes(data)
    return path


@SETTINGS
@given(workflow)
def test_generated_workflows_never_raise_past_the_cli(doc):
    _execute(_write("wf.yaml", yaml.safe_dump(doc, allow_unicode=True).encode()))


@SETTINGS
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_arbitrary_workflow_bytes_never_raise_past_the_cli(data):
    _execute(_write("wf.yaml", data))


@SETTINGS
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
                 values.map(lambda v: yaml.safe_dump({"data": v, "configuration": v}).encode())))
def test_arbitrary_state_files_never_raise_past_the_cli(data):
    job = _write("job.py", b"fn(lambda state: state)\n")
    state = job.parent / "state.json"
    state.write_bytes(data)
    _execute(job, state_path=state)


@SETTINGS
@given(st.lists(st.sampled_from(EXPRESSIONS), min_size=1, max_size=4), st.text(max_size=40))
def test_generated_job_sources_never_raise_past_the_cli(lines, noise):
    source = "import sys\n" + "\n".join(lines) + "\n# " + noise.replace("\n", " ") + "\n"
    _execute(_write("job.py", source.encode("utf-8", "surrogatepass")), state_text='{"data": [1, 2]}')
