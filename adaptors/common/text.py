"""Strings: proper-casing labels and scrubbing emojis."""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Any

__all__ = ["human_proper", "scrub_emojis"]

_SEPARATORS = re.compile(r"[_-]")
_WORD = re.compile(r"\w\S*")
_REMOVAL_WARNING = (
    "Removing characters from a string may create injection vulnerabilities; "
    "It's better to replace than remove. "
    "See https://www.unicode.org/reports/tr36/#Deletion_of_Noncharacters"
)


@cache
def _emojis() -> re.Pattern:
    # OpenFn's pattern, written in code points: U+FE0F, (c), (r), U+2000-U+3300 and the
    # three surrogate blocks it lists (U+1F000-U+1FBFF). Compiled on first use (0.5 ms).
    return re.compile("[\uFE0F\u00A9\u00AE\u2000-\u3300\U0001F000-\U0001FBFF]")


def _title(match: re.Match) -> str:
    word = match.group(0)
    return word[0].upper() + word[1:].lower()


def human_proper(value: Any) -> Any:
    """Turn ``snake_case`` or ``kebab-case`` text into Proper Case words.

    Underscores and hyphens become spaces, then each word gets an upper-case
    first letter and lower-case rest. Anything that is not a string is returned
    unchanged.

    Args:
        value: the text.

    Returns:
        The proper-cased text, or ``value`` itself when it is not a string.

    Example:
        fields(field("label", lambda state: human_proper(state["data"]["form_name"])))  # "first_visit" -> "First Visit"

    Differences from OpenFn:
        JavaScript's ``\\w`` only knows ASCII letters, so OpenFn turns ``"élan"``
        into ``"éLan"``; pyfn capitalises the first letter of any alphabet
        (``"Élan"``).
    """
    if not isinstance(value, str):
        return value
    return _WORD.sub(_title, _SEPARATORS.sub(" ", value))


def scrub_emojis(text: Any, replacement: str | None = None) -> Any:
    """Replace emojis (and some symbols) in a string.

    Uses OpenFn's pattern, which also covers U+2000 to U+3300: typographic
    dashes and quotes, the euro sign and arrows are replaced too. Each emoji
    code point is replaced once. Removing characters (``replacement=""``) logs
    a warning, as OpenFn does. Falsy ``text`` is returned as it is.

    Args:
        text: the string to clean.
        replacement: what to put instead; ``"\\uFFFD"`` (the replacement
            character) when not given.

    Returns:
        The cleaned string.

    Example:
        fields(field("note", lambda state: scrub_emojis(state["data"]["note"], "")))  # "Dove🕊️⭐ 29" -> "Dove 29"
    """
    if not text:
        return text
    if replacement == "":
        logging.getLogger("pyfn.adaptor.common").warning(_REMOVAL_WARNING)
    new = "\uFFFD" if replacement is None else replacement
    return _emojis().sub(lambda _match: new, text)
