"""Reading repeat groups from HQ's form JSON, whether a repeat has one entry or several.

HQ turns a submission's XML into JSON without the app's form definition: a
repeat group with one entry arrives as an object, with two or more as a list,
and with none not at all. ``for m in form["members"]`` works on the list and
walks a dict's keys on the object. :func:`repeat_entries` always gives a list.
"""

from __future__ import annotations

from typing import Any

__all__ = ["repeat_entries"]


def _as_list(value: Any) -> list:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list) else [value]


def _path_parts(path: str) -> list[str]:
    parts = [part for part in path.replace(".", "/").split("/") if part]
    if parts and parts[0] in ("data", "form") and len(parts) > 1:
        parts = parts[1:]  # "/data/members" (the question path) and "form.members" name the same repeat
    return parts


def repeat_entries(form: dict, path: str) -> list:
    """The entries of a repeat group of a form, always as a list.

    Follows ``path`` below the form's root; at every step a list is walked entry
    by entry, so a repeat inside a repeat (``"members/vaccines"``) gives every
    inner entry of every outer one, in order. An absent or empty repeat gives ``[]``.

    Args:
        form: a form as the form API and data forwarding serve it (its ``"form"`` is read), or that
            ``"form"`` part itself.
        path: the repeat below the root: ``"members"``, ``"household/members"``, the question path
            ``"/data/members"``, or dotted (``"form.members"``).

    Returns:
        A new list of the entries (dicts, or strings for a repeat of bare values).

    Example:
        fn(lambda state: {**state, "data": [
            {"name": member["name"], "case_id": member["case"]["@case_id"]}
            for member in repeat_entries(state["data"], "members")
        ]})

    Differences from OpenFn:
        pyfn's own: OpenFn's adaptor has none (jobs write ``[].concat(form.members || [])``).
    """
    whole_form = isinstance(form, dict) and isinstance(form.get("form"), dict) and "#type" not in form
    found = [form["form"] if whole_form else form]
    for part in _path_parts(path):
        found = [entry for item in found if isinstance(item, dict) for entry in _as_list(item.get(part))]
    return found
