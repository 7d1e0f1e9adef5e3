"""A forgiving HTML parser building an ``xml.etree.ElementTree`` tree (stdlib only).

Real-world HTML has unclosed ``<li>``, ``<td>``, ``<p>`` and void tags (``<br>``); this
builder closes them the way browsers do, well enough to query tables and lists. Tag and
attribute names are lower-cased; entities are decoded; comments and doctypes are dropped.
"""

from __future__ import annotations

from html.parser import HTMLParser
from xml.etree.ElementTree import Element

__all__ = ["parse_html"]

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr"})
_BLOCKS_CLOSING_P = frozenset({"address", "article", "aside", "blockquote", "div", "dl",
                               "fieldset", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
                               "header", "hr", "main", "nav", "ol", "p", "pre", "section",
                               "table", "ul"})
# tag → (tags it closes, tags that stop the search)
_IMPLIED_END = {
    "li": ({"li"}, {"ul", "ol"}),
    "dt": ({"dt", "dd"}, {"dl"}),
    "dd": ({"dt", "dd"}, {"dl"}),
    "td": ({"td", "th"}, {"tr", "table"}),
    "th": ({"td", "th"}, {"tr", "table"}),
    "tr": ({"tr", "td", "th"}, {"table", "thead", "tbody", "tfoot"}),
    "thead": ({"thead", "tbody", "tfoot", "tr", "td", "th"}, {"table"}),
    "tbody": ({"thead", "tbody", "tfoot", "tr", "td", "th"}, {"table"}),
    "tfoot": ({"thead", "tbody", "tfoot", "tr", "td", "th"}, {"table"}),
    "option": ({"option"}, {"select", "datalist"}),
}


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.document = Element("#document")
        self.stack = [self.document]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._close_implied(tag)
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        parent = self.stack[-1]
        if len(parent):
            last = parent[-1]
            last.tail = (last.tail or "") + data
        else:
            parent.text = (parent.text or "") + data

    def _close_implied(self, tag: str) -> None:
        if tag in _BLOCKS_CLOSING_P:
            self._close_up_to({"p"}, {"div", "td", "th", "li", "table", "body"})
        if tag in _IMPLIED_END:
            closes, stops = _IMPLIED_END[tag]
            self._close_up_to(closes, stops)

    def _close_up_to(self, closes: set[str] | frozenset[str], stops: set[str]) -> None:
        """Close the outermost open element in ``closes`` above the nearest ``stops`` element."""
        cut = None
        for depth in range(len(self.stack) - 1, 0, -1):
            name = self.stack[depth].tag
            if name in stops:
                break
            if name in closes:
                cut = depth
        if cut is not None:
            del self.stack[cut:]


def parse_html(text: str) -> Element:
    """The ``#document`` element whose children are the page's top-level elements."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.document
