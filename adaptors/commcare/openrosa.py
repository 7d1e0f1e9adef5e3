"""Reading HQ's ``OpenRosaResponse``: pure parsing, no HTTP.

HQ's receiver answers ``<OpenRosaResponse><message nature="...">text</message></OpenRosaResponse>``;
``nature`` is ``submit_success``, ``submit_error`` or ``processing_failure``.

>>> parse_openrosa('<OpenRosaResponse><message nature="submit_success">ok</message></OpenRosaResponse>')
('submit_success', 'ok')
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

__all__ = ["has_openrosa_message", "parse_openrosa"]

_NATURE = re.compile(r"nature=[\"']([^\"']*)[\"']")


def parse_openrosa(text: str) -> tuple[str | None, str | None]:
    """``(nature, message)`` of an ``OpenRosaResponse`` (``(None, None)`` when it is not one).

    >>> parse_openrosa("plain text")
    (None, None)
    """
    try:
        root = ET.fromstring(text.encode("utf-8") if isinstance(text, str) else text)
    except ET.ParseError:
        match = _NATURE.search(text or "")
        return (match.group(1) if match else None), None
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == "message":
            return element.get("nature"), (element.text or "")
    return None, None


def has_openrosa_message(content: bytes) -> bool:
    """Whether a response body carries an OpenRosa message (such an answer is final, never retried).

    >>> has_openrosa_message(b'<OpenRosaResponse><message nature="submit_error">bad</message></OpenRosaResponse>')
    True
    """
    return b"<OpenRosaResponse" in content and b"nature=" in content
