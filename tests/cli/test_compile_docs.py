"""``pyfn compile`` and ``pyfn docs``."""


def test_compile_prints_each_operation_with_its_line_and_lazy_state(pyfn, write):
    job = write("job.py", """
        import json
        each("$.data.items[*]", fn(lambda state: state))
        log("id", state["data"]["id"])
    """)
    result = pyfn("compile", job)
    assert result.code == 0, result.output
    assert "1. line 2: each('$.data.items[*]', fn(lambda state: state))" in result.stdout
    assert "2. line 3: log('id', lambda state: state['data']['id'])" in result.stdout
    assert "line 1: import json" in result.stdout


def test_compile_error_exits_1(pyfn, write):
    job = write("job.py", "x = state\n")
    result = pyfn("compile", job)
    assert result.code == 1 and f"{job}:1:5" in result.stdout


def test_docs_lists_operations_with_summaries(pyfn):
    result = pyfn("docs", "common")
    assert result.code == 0, result.output
    for name in ("each", "fn", "data_value", "parse_csv", "cursor"):
        assert f"  {name} " in result.stdout


def test_docs_of_one_operation_shows_signature_and_example(pyfn):
    result = pyfn("docs", "common", "each")
    assert result.code == 0
    assert result.stdout.startswith("each(")
    assert "Example" in result.stdout


def test_docs_unknown_operation_or_adaptor(pyfn):
    missing = pyfn("docs", "common", "nope")
    assert missing.code == 2 and "common has no operation 'nope'" in missing.stdout
    unknown = pyfn("docs", "sms")
    assert unknown.code == 2 and "Unknown adaptor 'sms'" in unknown.stdout


def test_help_explains_the_commands(pyfn):
    result = pyfn("execute", "--help")
    assert result.code == 0
    for flag in ("--adaptor", "--state-path", "--output-path", "--timeout", "--immutable", "--log-json"):
        assert flag in result.stdout
