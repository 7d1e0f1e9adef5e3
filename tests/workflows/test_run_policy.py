"""Workflow keys of the server: cron triggers and the run policy, validated with their lines; compile shows them."""

from __future__ import annotations

import textwrap

import pytest

from runtime.errors import ValidationError
from runtime.workflow.model import describe_workflow
from runtime.workflow.load import load_workflow


def load(tmp_path, text):
    path = tmp_path / "wf.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    return load_workflow(path)


def problems(tmp_path, text) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        load(tmp_path, text)
    return [line.split("wf.yaml:", 1)[1] for line in caught.value.problems]


def test_a_valid_cron_trigger_and_policy(tmp_path):
    plan = load(tmp_path, """
        name: sync
        triggers:
          - {type: cron, schedule: "0 2 * * *", timezone: Africa/Nairobi, cursor_step: fetch,
             state: {data: {since: "2024-01-01"}}, catch_up: false}
          - {type: cron, id: hourly, schedule: "@hourly"}
          - {type: webhook, path: forms}
        retry: {max: 3, delay: 30s, backoff: 2, on: [failed, killed]}
        max_concurrency: 1
        history_days: 90
        keep_dataclips_days: 7
        zero_persistence: false
        steps:
          - {id: fetch, expression: "fn(lambda state: state)", next: load}
          - {id: load, expression: "fn(lambda state: state)"}
    """)
    nightly, hourly, hook = plan.triggers
    assert (nightly.key, nightly.schedule, nightly.timezone, nightly.cursor_step, nightly.catch_up) == (
        "cron", "0 2 * * *", "Africa/Nairobi", "fetch", False)
    assert nightly.state == {"data": {"since": "2024-01-01"}} and nightly.cron is not None
    assert (hourly.key, hourly.cursor_step, hourly.catch_up) == ("hourly", None, True)
    assert hook.key == "forms"
    policy = plan.policy
    assert policy.retry.delays() == [30, 60, 120] and policy.retry.on == {"failed", "killed"}
    assert (policy.max_concurrency, policy.history_days, policy.keep_dataclips_days) == (1, 90, 7)
    shown = describe_workflow(plan)
    assert "trigger cron cron: schedule 0 2 * * * (Africa/Nairobi), cursor fetch, no-catch-up" not in shown
    assert "trigger cron cron: schedule 0 2 * * * (Africa/Nairobi), cursor fetch, no catch-up" in shown
    assert "trigger cron hourly: schedule @hourly (UTC), cursor final state, catch up" in shown
    assert "policy: retry 3x after 30s (x2) on failed, killed, max concurrency 1, history 90 days, " \
           "dataclips 7 days" in shown


def test_every_mistake_is_reported_with_its_line(tmp_path):
    found = problems(tmp_path, """
        triggers:
          - type: cron
            schedule: "0 25 * * *"
            cursor_step: nowhere
            state: [1, 2]
            catch_up: "yes"
            path: nightly
          - {type: cron, schedule: "0 2 * * *", timezone: Mars/Olympus}
          - {type: cron, id: manual, schedule: "@daily"}
          - {type: cron, id: twice, schedule: "@daily"}
          - {type: cron, id: twice, schedule: "@daily"}
          - {type: kafka}
        retry: {max: 0, delay: soon}
        max_concurrency: 0
        history_days: 7
        keep_dataclips_days: 30
        zero_persistence: maybe
        steps: [{id: fetch, expression: "fn(lambda state: state)"}]
    """)
    assert found == [
        "3: trigger 1: schedule: hour: 25 is out of range 0-23",
        "4: trigger 1: cursor_step 'nowhere' is not a step of this workflow (steps: fetch)",
        "5: trigger 1: state must be a mapping (the first run's input), not [1, 2]",
        "6: trigger 1: catch_up must be true or false, not 'yes'",
        "7: trigger 1: unknown key 'path' for a cron trigger (expected one of: carry, catch_up, cursor_step, "
        "description, enabled, id, name, schedule, state, timezone, type)",
        "8: trigger 2: timezone: unknown timezone 'Mars/Olympus' (an IANA name such as UTC, Africa/Nairobi, "
        "America/New_York)",
        "9: trigger id 'manual' is reserved for runs started by hand (pyfn trigger)",
        "11: duplicate trigger id 'twice'",
        "12: trigger 6: unknown trigger type 'kafka' (expected: webhook or cron)",
        "13: retry max must be a whole number of retries from 1 to 10, not 0",
        "14: max_concurrency must be a whole number of runs, at least 1, not 0",
        "16: keep_dataclips_days (30) cannot be longer than history_days (7)",
        "17: zero_persistence must be true or false, not 'maybe'",
    ]


def test_retry_details_and_a_missing_schedule(tmp_path):
    found = problems(tmp_path, """
        triggers:
          - {type: cron}
        retry:
          max: 2
          delay: 5 minutes
          backoff: 0.5
          on: [lost]
          jitter: 1
        history_days: -1
        steps: [{expression: "fn(lambda state: state)"}]
    """)
    assert found == [
        "2: trigger 1: a cron trigger needs schedule: five-field cron such as \"0 2 * * *\"",
        "5: retry delay: '5 minutes' is not a duration (e.g. 30s, 500ms, 2m, 1h)",
        "6: retry backoff must be a number from 1 to 10, not 0.5",
        "7: retry on must list run states among failed, crashed, killed, not ['lost']",
        "8: unknown key 'jitter' in retry (expected one of: backoff, delay, max, on)",
        "9: history_days must be a number of days greater than 0, not -1",
    ]


def test_carry_is_read_as_a_mapping_or_a_list_of_keys(tmp_path):
    plan = load(tmp_path, """
        name: sync
        triggers:
          - {type: cron, schedule: "@hourly", carry: {cursor: "$.references.cursor", since: "$.data.lastRunAt"}}
          - {type: cron, id: short, schedule: "@daily", carry: [cursor, last-run]}
        steps:
          - {id: fetch, expression: "fn(lambda state: state)", next: {a: on_job_success, b: on_job_failure}}
          - {id: a, expression: "fn(lambda state: state)"}
          - {id: b, expression: "fn(lambda state: state)"}
    """)
    hourly, short = plan.triggers
    assert hourly.carry == {"cursor": "$.references.cursor", "since": "$.data.lastRunAt"}
    assert short.carry == {"cursor": "$.cursor", "last-run": "$['last-run']"}
    assert plan.warnings == [], "carry makes the next input stable: no several-leaves warning"
    assert "trigger cron cron: schedule @hourly (UTC), carry cursor from $.references.cursor, since from " \
           "$.data.lastRunAt, catch up" in describe_workflow(plan)


def test_bad_carry_entries_are_reported_with_their_lines(tmp_path):
    found = problems(tmp_path, """
        triggers:
          - type: cron
            schedule: "@daily"
            carry:
              cursor: "$.references[("
              since: 5
          - type: cron
            id: both
            schedule: "@daily"
            cursor_step: fetch
            carry: [cursor, 7]
          - {type: cron, id: scalar, schedule: "@daily", carry: cursor}
        steps: [{id: fetch, expression: "fn(lambda state: state)"}]
    """)
    assert found == [
        "5: trigger 1: carry: cursor: Invalid JSONPath '$.references[(': '(' is never closed (position 13)",
        "6: trigger 1: carry: since: must be a JSONPath string such as \"$.cursor\", not 5",
        "11: trigger 2: carry: each entry must be a key name (a string), not 7",
        "11: trigger 2: carry and cursor_step both say what the next input is: keep one",
        "12: trigger 3: carry must be a mapping of input keys to JSONPaths into the final state "
        "({cursor: \"$.references.cursor\"}) or a list of keys ([cursor])",
    ]
