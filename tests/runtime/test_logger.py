"""OpenFn-style log lines, levels, masking and JSON output."""

import io
import json

import pytest

from runtime.logger import LogSink, Masker, create_loggers, format_duration, parse_log_spec
from runtime.testing.waiting import wait_until


@pytest.mark.parametrize("ms, text", [(0, "0ms"), (123, "123ms"), (1234, "1.234s"), (1200, "1.2s"),
                                      (123_500, "2m 3.5s")])
def test_durations_print_as_openfn_does(ms, text):
    assert format_duration(ms) == text


def test_default_levels_show_job_logs_but_not_runtime_info():
    assert parse_log_spec(None) == {"CLI": "default", "CMP": "default", "R/T": "default", "JOB": "debug"}
    assert parse_log_spec("none")["JOB"] == "none"
    assert parse_log_spec("info")["JOB"] == "debug"
    assert parse_log_spec("debug,job=none") == {"CLI": "debug", "CMP": "debug", "R/T": "debug",
                                                "JOB": "none"}


def test_bad_log_spec_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match="unknown log level 'loud'"):
        parse_log_spec("loud")
    with pytest.raises(ValueError, match="unknown log component 'db'"):
        parse_log_spec("db=debug")


def test_lines_have_namespace_and_icon_and_errors_always_print():
    out = io.StringIO()
    loggers = create_loggers("none", LogSink(out))
    loggers.runtime.success("hidden")
    loggers.runtime.error("shown")
    assert out.getvalue() == "[R/T] ✘ shown\n"


def test_secrets_are_masked_in_text_and_objects_and_the_rest_stays_readable():
    masker = Masker()
    masker.add_configuration({"apiKey": "abc123", "nested": {"password": "hunter2"}, "port": 8080,
                              "flag": True, "baseUrl": "https://crm.example"})
    out = io.StringIO()
    log = create_loggers("debug", LogSink(out, masker=masker)).job
    log.info("key=abc123 pw=hunter2 port=8080 at https://crm.example")
    log.info({"configuration": {"apiKey": "abc123", "baseUrl": "https://crm.example"},
              "data": {"echo": "hunter2"}})
    text = out.getvalue()
    assert "abc123" not in text and "hunter2" not in text
    assert '"apiKey": "****"' in text and "port=8080 at https://crm.example" in text
    assert '"baseUrl": "https://crm.example"' in text


def test_json_lines():
    out = io.StringIO()
    log = create_loggers("info", LogSink(out, json_lines=True)).runtime
    log.info("Starting step", {"a": 1})
    line = json.loads(out.getvalue())
    assert line["level"] == "info" and line["name"] == "R/T"
    assert line["message"] == ["Starting step", {"a": 1}]
    assert line["time"].isdigit()


def test_a_sink_that_flushes_lines_together_still_shows_each_in_the_file_and_errors_at_once(tmp_path):
    path = tmp_path / "serve.log"
    with open(path, "w", buffering=1 << 16) as stream:  # a file's own buffer: nothing shows until flushed
        log = create_loggers("default", LogSink(stream, flush_within_s=0.05)).runtime
        log.success("delivered 1")
        log.success("delivered 2")
        wait_until(lambda: path.read_text() == "[R/T] ✔ delivered 1\n[R/T] ✔ delivered 2\n", timeout=10,
                   message=f"the lines were never flushed: {path.read_text()!r}")
        log.error("could not store")  # an error is written out before the call returns
        assert path.read_text().endswith("[R/T] ✘ could not store\n")
