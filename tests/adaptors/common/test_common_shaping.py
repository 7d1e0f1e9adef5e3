"""chunk, to_array, array_to_string, human_proper and scrub_emojis."""

from __future__ import annotations

import logging

import pytest

from adaptors.common import array_to_string, chunk, human_proper, scrub_emojis, to_array


def test_chunk_splits_into_sized_lists():
    assert chunk([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunk([], 3) == []


@pytest.mark.parametrize("size", [0, -1, 1.5])
def test_chunk_rejects_a_size_below_one(size):
    with pytest.raises(ValueError, match="chunk size must be at least 1"):
        chunk([1], size)


def test_to_array():
    items = [1, 2]
    assert to_array(items) == [1, 2] and to_array(items) is not items
    assert to_array(3) == [3]
    assert to_array(None) == [None]
    assert to_array({"a": 1}) == [{"a": 1}]


def test_array_to_string_writes_values_as_javascript_does():
    assert array_to_string(["a", "b"], ", ") == "a, b"
    assert array_to_string([1, None, True, 2.0]) == "1,,true,2"
    assert array_to_string([3], "-") == "3"  # OpenFn's Array.apply gives ",,"


def test_human_proper():
    assert human_proper("first_visit-date") == "First Visit Date"
    assert human_proper("hELLO wORLD") == "Hello World"
    assert human_proper("élan_vital") == "Élan Vital"
    assert human_proper(42) == 42
    assert human_proper(None) is None


def test_scrub_emojis_replaces_with_replacement_character_by_default():
    assert scrub_emojis("Dove🕊️⭐ 29") == "Dove\ufffd\ufffd\ufffd 29"
    assert scrub_emojis("ok 😀", "?") == "ok ?"
    assert scrub_emojis("plain text") == "plain text"
    assert scrub_emojis("") == "" and scrub_emojis(None) is None


def test_scrub_emojis_also_scrubs_typographic_range_as_openfn_does():
    assert scrub_emojis("a—b ©", "_") == "a_b _"


def test_scrub_emojis_removal_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="pyfn.adaptor.common"):
        assert scrub_emojis("Dove🕊️⭐ 29", "") == "Dove 29"
    assert "injection vulnerabilities" in caplog.text
