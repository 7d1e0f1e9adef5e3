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


def test_docs_alone_lists_every_adaptor_and_its_operations(pyfn):
    result = pyfn("docs")
    assert result.code == 0, result.output
    assert "http: The http adaptor: OpenFn's @openfn/language-http 7.x for pyfn jobs.\n" \
           "  delete, get, parse_xml, patch, post, put, request\n" in result.stdout
    assert result.stdout.index("commcare:") < result.stdout.index("common:") < result.stdout.index("http:")
    assert "'pyfn docs ADAPTOR --schema' for its configuration." in result.stdout


def test_docs_schema_prints_the_configuration_keys_and_an_example_credentials_entry(pyfn):
    result = pyfn("docs", "commcare", "--schema")
    assert result.code == 0, result.output
    assert "  hostUrl   string (required)\n" in result.stdout
    assert "  apiKey    string (secret)\n" in result.stdout
    assert result.stdout.endswith("  commcare-prod:\n    hostUrl: https://www.commcarehq.org\n"
                                  "    domain: my-project\n    appId: 02bf50ab803a89ea4963799362874f0c\n"
                                  "    username: someone@example.com\n    apiKey: ${COMMCARE_API_KEY}\n")
    http = pyfn("docs", "http", "--schema")
    assert http.stdout.endswith("  http-prod:\n    baseUrl: https://instance_name.surveycto.com\n"
                                "    username: test@openfn.org\n    password: ${HTTP_PASSWORD}\n")
    common = pyfn("docs", "common", "--schema")
    assert common.stdout == "The common adaptor takes no configuration (state.configuration is not read).\n"


def test_the_configuration_error_hint_names_the_command_that_shows_the_schema(pyfn, write):
    job = write("job.py", 'get("/x")\n')
    result = pyfn("execute", job, "-a", "commcare", "-S", '{"configuration": {"hostUrl": "http://127.0.0.1:9"}}')
    assert result.code == 1
    assert "'pyfn docs commcare --schema' shows the configuration schema" in result.stdout
    shown = pyfn("docs", "commcare", "--schema")
    assert "Configuration of the commcare adaptor" in shown.stdout
