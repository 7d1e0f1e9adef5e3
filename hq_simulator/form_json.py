"""The form JSON HQ stores for a submission: no schema behind it, and every datetime in UTC.

HQ converts the submitted XML to JSON without the application's form
definition (``corehq/form_processor/utils/xform.py``, ``convert_xform_to_json``
with ``xml2json``): an element that occurs once is an object, several times a
list. So a repeat group with one entry is an object, with two or more a list;
a list of one never reaches a client. Then ``adjust_datetimes`` (same module)
rewrites every datetime-like string anywhere in the form (answers, ``meta``,
case block attributes) to UTC with six fraction digits and a ``Z``; a datetime
without an offset is taken as UTC, a date alone is left as it is. Which strings
count as datetimes is ``re_loose_datetime`` of ``dimagi/ext/jsonobject.py``:
date, a space or ``T``, hours and minutes, optional seconds, fraction and offset.

:func:`as_stored` applies both to form JSON from any source (the receiver, the
case API, the importer, the seeder, ``add_form``), so every form the simulator
serves or forwards has the shape HQ gives it.

Example:
    >>> as_stored({"members": [{"name": "A"}], "when": "2024-05-02T10:11:13.855+03:00"})
    {'members': {'name': 'A'}, 'when': '2024-05-02T07:11:13.855000Z'}
    >>> as_stored({"members": [{"name": "A"}, {"name": "B"}], "visits": []})
    {'members': [{'name': 'A'}, {'name': 'B'}]}
"""

from __future__ import annotations

import re

from . import dates

__all__ = ["as_stored", "adjust_datetime"]

# The shape of dimagi/ext/jsonobject.py's re_loose_datetime (written here, not copied).
_LOOSE_DATETIME = re.compile(
    r"\d{4}\D?(?:0[1-9]|1[0-2])\D?(?:[12]\d|0[1-9]|3[01])[ T](?:[01]\d|2[0-3])\D?[0-5]\d\D?(?:[0-5]\d)?\D?"
    r"(?:\d{3,6})?(?:[zZ]|[+-](?:[01]\d|2[0-3])\D?(?:[0-5]\d)?)?")

_STORED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")  # already as HQ stores it


def adjust_datetime(text: str) -> str:
    """A datetime-like string in HQ's stored form (UTC, microseconds, ``Z``); other strings unchanged.

    Example:
        >>> adjust_datetime("2024-05-02T10:11:13.855+03:00"), adjust_datetime("2024-05-02 10:11")
        ('2024-05-02T07:11:13.855000Z', '2024-05-02T10:11:00.000000Z')
        >>> adjust_datetime("2024-05-02"), adjust_datetime("+254700000001")
        ('2024-05-02', '+254700000001')
    """
    if len(text) < 13 or not text[:4].isdigit() or _STORED.fullmatch(text) or not _LOOSE_DATETIME.fullmatch(text):
        return text
    try:
        return dates.iso(dates.parse(text))
    except ValueError:  # matches the pattern but is no date (HQ leaves those too)
        return text


def as_stored(node: object) -> object:
    """Form JSON as HQ stores it: one-entry lists become their entry, datetimes UTC (a new structure).

    An empty list is dropped with its key: in the XML it is no element at all.

    Example:
        >>> as_stored({"case": [{"@date_modified": "2024-01-01T00:00:00-01:00"}], "items": [{"n": "1"}, {"n": "2"}]})
        {'case': {'@date_modified': '2024-01-01T01:00:00.000000Z'}, 'items': [{'n': '1'}, {'n': '2'}]}
    """
    kind = type(node)
    if kind is str:
        return adjust_datetime(node)
    if kind is dict:  # an empty list is no element at all in the XML
        return {key: as_stored(value) for key, value in node.items() if value != []}
    if kind is list:
        if len(node) == 1:
            return as_stored(node[0])
        return [as_stored(item) for item in node]
    return node
