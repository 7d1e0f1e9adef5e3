"""XForm XML <-> HQ form JSON, and the case blocks inside a form.

HQ stores a submission as JSON: attributes become ``@attr``, the root tag is
``#type``, an element with text and attributes keeps its text in ``#text``,
an element in another namespace than its parent carries ``@xmlns``, and an
element that occurs several times becomes a list, once an object: as HQ's
``xml2json``, which does not know the application's form definition, so a
repeat with one entry is an object (see :mod:`.form_json`).

Example:
    >>> doc = xml_to_json(b'<data xmlns="x"><a>1</a><a>2</a></data>')
    >>> doc["a"], doc["@xmlns"], doc["#type"]
    (['1', '2'], 'x', 'data')
    >>> '<data xmlns="x"><a>1</a><a>2</a></data>' in json_to_xml(doc)
    True
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

__all__ = ["CASE_XMLNS", "META_XMLNS", "CaseBlock", "xml_to_json", "json_to_xml", "case_blocks"]

CASE_XMLNS = "http://commcarehq.org/case/transaction/v2"
META_XMLNS = "http://openrosa.org/jr/xforms"


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _element_json(elem: ET.Element, parent_ns: str) -> object:
    ns, _ = _split(elem.tag)
    attrs = {"@" + _split(k)[1]: v for k, v in elem.attrib.items()}
    if ns != parent_ns:
        attrs["@xmlns"] = ns
    if len(elem) == 0:
        text = elem.text or ""
        return {**attrs, "#text": text} if attrs else text
    node: dict = dict(attrs)
    for child in elem:
        key = _split(child.tag)[1]
        value = _element_json(child, ns)
        if key in node:
            if not isinstance(node[key], list):  # values are never lists, so a list means repetition
                node[key] = [node[key]]
            node[key].append(value)
        else:
            node[key] = value
    return node


def xml_to_json(xml: bytes | str | ET.Element) -> dict:
    """Convert a submitted XForm (text or parsed) to HQ's form JSON; raises ``ET.ParseError`` when malformed.

    Example:
        >>> xml_to_json('<data><m><n>A</n></m></data>')["m"]
        {'n': 'A'}
    """
    root = xml if isinstance(xml, ET.Element) else ET.fromstring(xml)
    ns, local = _split(root.tag)
    doc = _element_json(root, ns)
    if not isinstance(doc, dict):
        doc = {"#text": doc} if doc else {}
    doc["@xmlns"] = ns
    doc["#type"] = local
    return doc


def _escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text or '"' in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return text


def _element_xml(tag: str, value: object, out: list) -> None:
    if isinstance(value, list):
        for item in value:
            _element_xml(tag, item, out)
        return
    if not isinstance(value, dict):
        out.append(f"<{tag}>{_escape('' if value is None else str(value))}</{tag}>")
        return
    attrs = "".join(f' {"xmlns" if k == "@xmlns" else k[1:]}="{_escape(str(v))}"'
                    for k, v in value.items() if k[0] == "@")
    out.append(f"<{tag}{attrs}>")
    if "#text" in value:
        out.append(_escape(str(value["#text"])))
    for key, child in value.items():
        if key[0] not in "@#":
            _element_xml(key, child, out)
    out.append(f"</{tag}>")


def json_to_xml(doc: dict) -> str:
    """Render form JSON back to XForm XML (each ``@xmlns`` becomes a default namespace).

    Example:
        >>> json_to_xml({"#type": "data", "@xmlns": "x", "q": "a&b"})
        '<?xml version="1.0" ?><data xmlns="x"><q>a&amp;b</q></data>'
    """
    out: list[str] = ['<?xml version="1.0" ?>']
    body = {k: v for k, v in doc.items() if k != "#type"}
    _element_xml(doc.get("#type", "data"), body, out)
    return "".join(out)


def _text(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("#text", ""))
    return "" if value is None else str(value)


@dataclass
class CaseBlock:
    """One ``<case>`` transaction of a form: what it creates, updates, indexes and closes.

    Example:
        >>> CaseBlock("c1", create={"case_type": "t", "case_name": "n", "owner_id": "u"}).case_id
        'c1'
    """

    case_id: str
    user_id: str = ""
    date_modified: str = ""
    create: dict | None = None
    update: dict = field(default_factory=dict)
    index: dict = field(default_factory=dict)  # identifier -> (case_type, relationship, target id or "")
    close: bool = False

    @classmethod
    def from_json(cls, node: dict) -> "CaseBlock":
        """Read a case block from its form-JSON form (``{"@case_id": ..., "create": {...}}``).

        Example:
            >>> CaseBlock.from_json({"@case_id": "c", "close": ""}).close
            True
        """
        create = node.get("create")
        index = {}
        for ident, ref in (node.get("index") or {}).items():
            ref = ref if isinstance(ref, dict) else {"#text": ref}
            index[ident] = (ref.get("@case_type", ""), ref.get("@relationship", "child"), _text(ref).strip())
        update = node.get("update") or {}
        return cls(
            case_id=_text(node.get("@case_id")).strip(),
            user_id=_text(node.get("@user_id")),
            date_modified=_text(node.get("@date_modified")),
            create={k: _text(v) for k, v in create.items()} if isinstance(create, dict) else None,
            update={k: _text(v) for k, v in update.items()} if isinstance(update, dict) else {},
            index=index,
            close="close" in node,
        )


def case_blocks(doc: object) -> list[CaseBlock]:
    """Every case block in a form JSON, in document order, wherever it sits (repeats too).

    Example:
        >>> [b.case_id for b in case_blocks({"case": [{"@case_id": "a"}], "g": {"case": {"@case_id": "b"}}})]
        ['a', 'b']
    """
    found: list[CaseBlock] = []
    if isinstance(doc, (dict, list)):
        _collect(doc, found)
    return found


def _collect(node: dict | list, found: list) -> None:
    if isinstance(node, list):
        for item in node:
            if isinstance(item, (dict, list)):
                _collect(item, found)
        return
    for key, value in node.items():
        if key == "meta" or not isinstance(value, (dict, list)):
            continue
        if key != "case":
            _collect(value, found)
            continue
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, dict) and "@case_id" in item:
                found.append(CaseBlock.from_json(item))
            elif isinstance(item, (dict, list)):
                _collect(item, found)
