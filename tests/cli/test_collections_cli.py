"""``pyfn collections ...`` as a user runs it: a subprocess on a project's run store, JSON lines in and out."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def project(tmp_path, pyfn):
    """A project folder with a ``facilities`` collection in its state/pyfn.db."""
    assert pyfn("collections", "create", "facilities", "-p", tmp_path).code == 0
    return tmp_path


def lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_import_then_export_round_trips_json_lines_and_list_counts(pyfn, project, write):
    rows = [{"key": f"f-{i:02}", "value": {"name": f"Clinic {i}", "beds": i}} for i in range(30)]
    source = write("facilities.jsonl", "\n".join(json.dumps(row) for row in rows) + "\n")
    result = pyfn("collections", "import", "facilities", source, "-p", project)
    assert result.code == 0 and "Imported 30 items into facilities" in result.stderr, result.output
    exported = pyfn("collections", "export", "facilities", "-p", project)
    assert lines(exported.stdout) == rows
    listed = pyfn("collections", "list", "--json", "-p", project)
    assert [(c["name"], c["count"]) for c in json.loads(listed.stdout)] == [("facilities", 30)]
    pyfn("collections", "export", "facilities", "f-1*", "-o", project / "out.jsonl", "-p", project)
    assert [row["key"] for row in lines((project / "out.jsonl").read_text())] == [f"f-1{i}" for i in range(10)]


def test_import_reads_a_json_object_file(pyfn, project, write):
    source = write("lookup.json", {"f-1": "Clinic A", "f-2": {"beds": 2}})
    assert pyfn("collections", "import", "facilities", source, "-p", project).code == 0
    result = pyfn("collections", "get", "facilities", "f-*", "-p", project)
    assert lines(result.stdout) == [{"key": "f-1", "value": "Clinic A"}, {"key": "f-2", "value": {"beds": 2}}]


def test_set_get_remove_and_a_limit(pyfn, project):
    assert pyfn("collections", "set", "facilities", "f-1", '{"beds": 3}', "-p", project).code == 0
    assert pyfn("collections", "set", "facilities", "f-2", "plain text", "-p", project).code == 0
    assert lines(pyfn("collections", "get", "facilities", "f-2", "-p", project).stdout) == \
        [{"key": "f-2", "value": "plain text"}]
    assert lines(pyfn("collections", "get", "facilities", "--limit", "1", "-p", project).stdout) == \
        [{"key": "f-1", "value": {"beds": 3}}]
    assert pyfn("collections", "get", "facilities", "--created-after", "2999-01-01", "-p", project).stdout == ""
    removed = pyfn("collections", "remove", "facilities", "f-*", "-p", project)
    assert "Removed 2 items from facilities" in removed.stdout
    missing = pyfn("collections", "get", "facilities", "f-1", "-p", project)
    assert missing.code == 1 and "Key 'f-1' not found in facilities" in missing.stderr


def test_errors_are_one_clear_line_with_a_hint_and_exit_1(pyfn, project, write):
    missing = pyfn("collections", "set", "crm-ids", "k", "1", "-p", project)
    assert missing.code == 1 and "Collection 'crm-ids' not found" in missing.stderr
    assert "pyfn collections create crm-ids" in missing.stderr and "Traceback" not in missing.output
    again = pyfn("collections", "create", "facilities", "-p", project)
    assert again.code == 1 and "exists already" in again.stderr
    into_missing = pyfn("collections", "import", "crm-ids", write("ok.jsonl", '{"key": "a", "value": 1}\n'),
                        "-p", project)
    assert into_missing.code == 1 and "pyfn collections create crm-ids" in into_missing.stderr
    bad = write("bad.jsonl", '{"key": "f-1", "value": 1}\n{"key": "f-2"}\n')
    result = pyfn("collections", "import", "facilities", bad, "-p", project)
    assert result.code == 1 and "bad.jsonl line 2 is not an object with \"key\" and \"value\"" in result.stderr
    too_long = pyfn("collections", "set", "facilities", "k" * 256, "1", "-p", project)
    assert too_long.code == 1 and "the limit is 255" in too_long.stderr
    lines_in_json = write("lines.json", '{"key": "a", "value": 1}\n{"key": "b", "value": 2}\n')
    result = pyfn("collections", "import", "facilities", lines_in_json, "-p", project)
    assert result.code == 1 and "lines.json is not one JSON object" in result.stderr and ".jsonl" in result.stderr
    assert "Traceback" not in result.output


def test_delete_removes_the_collection_and_its_items(pyfn, project):
    pyfn("collections", "set", "facilities", "f-1", "1", "-p", project)
    result = pyfn("collections", "delete", "facilities", "-p", project)
    assert result.code == 0 and "Deleted collection facilities and its 1 items" in result.stdout
    assert json.loads(pyfn("collections", "list", "--json", "-p", project).stdout) == []
