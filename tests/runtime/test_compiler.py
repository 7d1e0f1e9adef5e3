"""The compiler: top-level operations, lazy state, and their errors."""

import ast
import textwrap

import pytest

from runtime.compiler import compile_job
from runtime.errors import CompileError

NAMES = {"fn", "each", "post", "get", "field", "fields", "data_value"}


def compile_source(source: str, names=NAMES):
    return compile_job(textwrap.dedent(source).lstrip("\n"), "job.py", names)


def test_every_top_level_call_becomes_an_operation_in_order_with_name_and_line():
    job = compile_source("""
        import json
        LIMIT = 3
        get("/patients")
        each("$.data[*]", fn(lambda state: state))

        http.post("/x", {})
    """, NAMES | {"http"})
    assert [(op.name, op.line, op.order) for op in job.operations] == [
        ("get", 3, 0), ("each", 4, 1), ("http.post", 6, 2)]
    assert [type(stmt).__name__ for stmt in job.module.body] == ["Import", "Assign"]


def test_other_statements_run_first_so_later_defs_are_visible():
    job = compile_source("""
        fn(helper)
        def helper(state):
            return state
    """)
    assert len(job.operations) == 1
    assert isinstance(job.module.body[0], ast.FunctionDef)


def test_lazy_state_wraps_the_argument_of_the_operation():
    job = compile_source('post("/x", {"id": state["data"]["id"]})')
    assert job.operations[0].source == "post('/x', lambda state: {'id': state['data']['id']})"


def test_lazy_state_wraps_only_arguments_that_read_state():
    job = compile_source('post(state["data"]["url"], {"n": 1})')
    assert job.operations[0].source == "post(lambda state: state['data']['url'], {'n': 1})"


def test_non_adaptor_calls_stay_inside_the_wrapped_argument():
    job = compile_source('post("/x", {"n": len(state["data"])})')
    assert job.operations[0].source == "post('/x', lambda state: {'n': len(state['data'])})"


def test_nested_adaptor_calls_wrap_their_own_arguments():
    job = compile_source('each("$.items[*]", post("/y", {"id": state["data"]["id"]}))')
    assert job.operations[0].source == (
        "each('$.items[*]', post('/y', lambda state: {'id': state['data']['id']}))")


def test_keyword_arguments_are_lazy_too():
    job = compile_source('get("/x", query={"since": state["cursor"]})')
    assert job.operations[0].source == "get('/x', query=lambda state: {'since': state['cursor']})"


def test_lambdas_that_bind_state_are_left_alone():
    source = 'fn(lambda state: {**state, "n": state["index"] + 1})'
    job = compile_source(source)
    assert job.operations[0].source == ast.unparse(ast.parse(source).body[0].value)


def test_comprehensions_over_state_are_wrapped():
    job = compile_source('post("/x", [p["id"] for p in state["data"]])')
    assert job.operations[0].source == "post('/x', lambda state: [p['id'] for p in state['data']])"


def test_state_outside_an_operation_is_a_compile_error_with_line_and_column():
    with pytest.raises(CompileError) as info:
        compile_source("""
            X = 1
            y = state["data"]
        """)
    assert "(job.py:2:5)" in info.value.message
    assert "inside the arguments of an operation" in info.value.message
    assert info.value.code == 'y = state["data"]\n    ^'


def test_state_in_a_helper_function_without_a_state_parameter_is_an_error():
    with pytest.raises(CompileError, match=r"job.py:2:12"):
        compile_source("""
            def helper(x):
                return state["data"]
        """)


def test_helper_functions_taking_state_are_fine():
    job = compile_source("""
        def helper(state):
            return state["data"]
        fn(helper)
    """)
    assert len(job.operations) == 1


def test_a_lambda_with_another_parameter_name_reading_state_is_an_error():
    with pytest.raises(CompileError) as info:
        compile_source('fn(lambda s: {**s, "x": state["data"]})')
    assert "parameter is not named state (s)" in info.value.message
    assert "lambda state:" in info.value.hint


def test_declaring_state_at_module_level_disables_lazy_state():
    job = compile_source("""
        state = {"fixed": True}
        fn(lambda s: state)
    """)
    assert job.operations[0].source == "fn(lambda s: state)"


def test_syntax_error_reports_file_line_column_and_source():
    with pytest.raises(CompileError) as info:
        compile_source("""
            fn(lambda state: state)
            fn(lambda state: {state)
        """)
    error = info.value
    assert error.message.startswith("SyntaxError:")
    assert "job.py:2:" in error.message
    assert "fn(lambda state: {state)" in error.code


def test_describe_lists_operations_and_setup():
    job = compile_source("""
        import json
        post("/x", {"id": state["id"]})
    """)
    text = job.describe()
    assert "1. line 2: post('/x', lambda state: {'id': state['id']})" in text
    assert "line 1: import json" in text


def test_an_operation_named_like_a_builtin_is_renamed_only_where_it_is_an_operation():
    job = compile_source("""
        map("$.items[*]", fn(lambda state: state))
        each("$.x[*]", map("$.y", lambda state: list(map(str, state["y"]))))
        fn(lambda state: [m for m in map(str, state["data"])])
    """, NAMES | {"map"})
    renamed = [ast.unparse(op.node) for op in job.operations]
    assert renamed[0].startswith("__pyfn_op_map('$.items[*]'")
    assert "each('$.x[*]', __pyfn_op_map('$.y', lambda state: list(map(str, state['y']))))" == renamed[1]
    assert "__pyfn_op_" not in renamed[2]
    assert [op.name for op in job.operations] == ["map", "each", "fn"]
    assert job.operations[1].source == "each('$.x[*]', map('$.y', lambda state: list(map(str, state['y']))))"
