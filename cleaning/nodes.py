"""Small typed helpers over lxml elements: visible text and links."""

from __future__ import annotations

from lxml import etree

from cleaning.textnorm import fold
from cleaning.xpaths import INLINE_TAGS, LIST_TAGS, SKIP_TAGS

# libxml2 stops nesting at 256 levels; this guard only protects against hand-built trees.
MAX_DEPTH = 300
_NO_TAGS: frozenset[str] = frozenset()


def element_text(el: etree._Element, *, skip_lists: bool = False) -> str:
    """Visible text of an element: <br> as a space, skipped tags and (optionally) nested lists
    left out, white space folded."""
    if len(el) == 0:
        return fold(el.text) if el.text else ""  # a leaf: most links, excerpts and headings
    parts: list[str] = []
    _collect_text(el, parts, LIST_TAGS if skip_lists else _NO_TAGS, 0)
    return fold("".join(parts))


def _collect_text(
    el: etree._Element, parts: list[str], skipped_lists: frozenset[str], depth: int
) -> None:
    # Positional arguments and a set of skipped list tags: this runs for every inline child of
    # every paragraph.
    if el.text:
        parts.append(el.text)
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):
            # Comments and processing instructions: only their tail is text.
            if child.tail:
                parts.append(child.tail)
            continue
        tag = tag.lower()
        if tag == "br":
            parts.append(" ")
        elif not (tag in SKIP_TAGS or tag in skipped_lists or depth > MAX_DEPTH):
            if tag in INLINE_TAGS:
                _collect_text(child, parts, skipped_lists, depth + 1)
            else:
                parts.append(" ")
                _collect_text(child, parts, skipped_lists, depth + 1)
                parts.append(" ")
        if child.tail:
            parts.append(child.tail)


def links(el: etree._Element) -> list[etree._Element]:
    """`<a href>` elements in `el`, itself included, in document order."""
    return [a for a in el.iter("a") if a.get("href")]


def document_order_key(el: etree._Element) -> tuple[int, ...]:
    """A key that sorts elements of one tree in document order: the child index at each level
    from the root. Cheaper than numbering the whole tree when only a few elements are sorted."""
    key: list[int] = []
    parent = el.getparent()
    while parent is not None:
        key.append(parent.index(el))
        el, parent = parent, parent.getparent()
    key.reverse()
    return tuple(key)


# Past this many elements, sorting numbers the whole tree once instead: each element's key walks
# its ancestors and counts its earlier siblings, which is quadratic on a page of thousands of
# siblings.
_FEW_TO_SORT = 16


def in_document_order(elements: list[etree._Element]) -> list[etree._Element]:
    """Elements of one tree sorted in document order, in time linear in the tree's size."""
    if len(elements) <= _FEW_TO_SORT:
        return sorted(elements, key=document_order_key)
    wanted = set(elements)
    root = elements[0].getroottree().getroot()
    position = {el: i for i, el in enumerate(root.iter()) if el in wanted}
    return sorted(elements, key=position.__getitem__)


def find(el: etree._Element, expr: etree.XPath) -> list[etree._Element]:
    """Elements a compiled XPath selects (typed: other results are dropped). Expressions are
    compiled once at import: `el.xpath(str)` compiles on every call."""
    result = expr(el)
    return [r for r in result if isinstance(r, etree._Element)] if isinstance(result, list) else []
