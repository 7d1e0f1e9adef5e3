"""repeat_entries: a repeat group as a list, whether HQ sent one entry (an object) or several (a list)."""

from __future__ import annotations

import uuid

import pytest

from adaptors.commcare import get, repeat_entries

XMLNS = "http://example.org/forms/vaccination"


def submitted(hq, members: list[list[str]]) -> str:
    """Submit a form with a ``members`` repeat holding a ``vaccines`` repeat; returns its id."""
    form_id = str(uuid.uuid4())
    body = "".join("<members><name>M%d</name>%s</members>" % (i, "".join(f"<vaccines><v>{v}</v></vaccines>"
                                                                           for v in vaccines))
                   for i, vaccines in enumerate(members))
    xml = (f'<data xmlns="{XMLNS}">{body}<n1:meta xmlns:n1="http://openrosa.org/jr/xforms">'
           f"<n1:instanceID>{form_id}</n1:instanceID></n1:meta></data>")
    assert hq.submit(xml).status == "success"
    return form_id


@pytest.mark.parametrize("members", [[["BCG"]], [["BCG", "OPV"], ["MMR"]], [[], ["OPV"]]])
def test_entries_of_a_form_from_the_api_are_a_list_either_way(fresh_hq, fresh_config, run, members):
    form_id = submitted(fresh_hq, members)
    state = run(fresh_config, get(f"form/{form_id}"))
    form = state["data"]
    assert [m["name"] for m in repeat_entries(form, "members")] == [f"M{i}" for i in range(len(members))]
    assert [v["v"] for v in repeat_entries(form, "members/vaccines")] == [v for vs in members for v in vs]
    assert repeat_entries(form, "/data/members") == repeat_entries(form["form"], "form.members")


def test_a_single_entry_arrives_as_an_object_and_is_still_one_entry(fresh_hq, fresh_config, run):
    form = run(fresh_config, get(f"form/{submitted(fresh_hq, [['BCG']])}"))["data"]
    assert isinstance(form["form"]["members"], dict)  # HQ's shape: what `for m in members` trips on
    assert repeat_entries(form, "members") == [{"name": "M0", "vaccines": {"v": "BCG"}}]


def test_absent_and_empty_repeats_give_no_entries():
    assert repeat_entries({"#type": "data"}, "members") == []
    assert repeat_entries({"#type": "data", "members": ""}, "members") == []
    assert repeat_entries({"#type": "data", "group": {"members": {"n": "1"}}}, "group/members") == [{"n": "1"}]
