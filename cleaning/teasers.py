"""Teaser lists (trending, related posts) read from a page's structure, before pruning.

A teaser section is found either by its heading ("Trending News on PVDN", "Related Posts":
whatever the tag) followed by a list-like element, or by the class words of the widgets that
render such lists without a heading. Each item becomes a `Teaser`: the title link, its
thumbnail's alt text and the excerpt, in page order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import html

from cleaning.blocks import element_text
from cleaning.result import Teaser, TeaserKind
from cleaning.textnorm import fold

# Elements whose own text opens with a teaser-heading word; the full pattern is checked after.
# Tags that carry a teaser heading's own text, and how such a heading starts; the element's
# full text is matched against the profile's pattern afterwards.
_HEADING_TAGS = frozenset(
    {"h2", "h3", "h4", "h5", "h6", "p", "div", "span", "strong", "b", "header"}
)
_HEADING_START = re.compile(r"\s*(?:trending|related|you may also like)", re.IGNORECASE)
_SIDEBAR = (
    "ancestor::aside or ancestor::footer or ancestor::nav or ancestor::*[@id='secondary']"
    " or ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' sidebar ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' widget-area ')]"
)
_READ_MORE = re.compile(r"\s*(?:read more|continue reading|read full story)\s*[»›→.]*\s*$", re.I)
_MAX_HEADING_CHARS = 60
_MAX_CLIMB = 3


@dataclass(frozen=True, slots=True)
class TeaserSection:
    kind: TeaserKind
    elements: tuple[html.HtmlElement, ...]
    teasers: tuple[Teaser, ...]


def find_sections(
    root: html.HtmlElement,
    base_url: str | None,
    headings: Iterable[tuple[TeaserKind, re.Pattern[str]]],
    list_classes: Iterable[tuple[TeaserKind, tuple[str, ...]]],
) -> list[TeaserSection]:
    """Every teaser section of the page outside sidebars and footers, in page order."""
    heading_rules = list(headings)
    # A class word or a word derived from it ("trending" also matches "trending-item").
    class_rules = [
        (kind, re.compile(r"(?:^|\s)(?:" + "|".join(map(re.escape, words)) + r")(?:-\S*)?(?:\s|$)"))
        for kind, words in list_classes
    ]
    # One pass over the tree collects both kinds of candidates; XPath per rule costs more.
    heading_candidates: list[html.HtmlElement] = []
    class_candidates: list[tuple[TeaserKind, html.HtmlElement]] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in _HEADING_TAGS and el.text and _HEADING_START.match(el.text):
            heading_candidates.append(el)
        class_attr = el.get("class")
        if class_attr:
            kind = next((k for k, pattern in class_rules if pattern.search(class_attr)), None)
            if kind is not None:
                class_candidates.append((kind, el))

    sections: list[TeaserSection] = []
    taken: set[html.HtmlElement] = set()
    for el in heading_candidates:
        if el in taken or _inside(el, taken) or el.xpath(_SIDEBAR):
            continue
        text = element_text(el)
        if not text or len(text) > _MAX_HEADING_CHARS:
            continue
        kind = next((k for k, pattern in heading_rules if pattern.match(text)), None)
        if kind is None:
            continue
        heading = _outermost_same_text(el)
        items = _following_items(heading)
        if not items:
            continue
        teasers = tuple(_read_items(items, kind, base_url))
        if teasers:
            list_root = items[0].getparent() if len(items) > 1 else items[0]
            elements = (
                (heading, *items) if list_root is heading.getparent() else (heading, list_root)
            )
            sections.append(TeaserSection(kind, elements, teasers))
            taken.update(elements)

    for kind, el in class_candidates:
        if el in taken or _inside(el, taken) or _contains_any(el, taken) or el.xpath(_SIDEBAR):
            continue
        teasers = tuple(_read_items(_items(el), kind, base_url))
        if len(teasers) >= 2:
            sections.append(TeaserSection(kind, (el,), teasers))
            taken.add(el)

    sections.sort(key=lambda s: s.elements[0].sourceline or 0)
    return sections


def _inside(el: html.HtmlElement, taken: set[html.HtmlElement]) -> bool:
    return any(a in taken for a in el.iterancestors())


def _contains_any(el: html.HtmlElement, taken: set[html.HtmlElement]) -> bool:
    return any(d in taken for d in el.iterdescendants())


def _outermost_same_text(el: html.HtmlElement) -> html.HtmlElement:
    """Climb while the parent wraps nothing but this heading (Astra puts it in a div)."""
    while (parent := el.getparent()) is not None and parent.tag not in {"body", "html"}:
        if len(parent) != 1 or (parent.text or "").strip() or (el.tail or "").strip():
            break
        el = parent
    return el


def _following_items(heading: html.HtmlElement) -> list[html.HtmlElement] | None:
    """The teaser items after a heading: the first following element holding links is either
    the list itself or, when the items are the heading's own siblings, the first of a run of
    look-alike siblings."""
    el = heading
    for _ in range(_MAX_CLIMB + 1):
        sibling = el.getnext()
        while sibling is not None:
            if isinstance(sibling.tag, str) and sibling.xpath(".//a[@href] | self::a[@href]"):
                run = _look_alike_run(sibling)
                return run if len(run) >= 2 else _items(sibling)
            sibling = sibling.getnext()
        parent = el.getparent()
        if parent is None:
            return None
        el = parent
    return None


def _look_alike_run(first: html.HtmlElement) -> list[html.HtmlElement]:
    """`first` and the following siblings with the same tag and class, each a single teaser
    (its links all go to one address)."""
    run = []
    el: html.HtmlElement | None = first
    while el is not None and el.tag == first.tag and el.get("class") == first.get("class"):
        hrefs = {a.get("href") for a in el.xpath(".//a[@href] | self::a[@href]")}
        if len(hrefs) != 1:
            break
        run.append(el)
        el = el.getnext()
    return run


def _items(container: html.HtmlElement) -> list[html.HtmlElement]:
    """The item elements of a list-like container, descending through single wrappers."""
    el = container
    while True:
        children = [c for c in el if isinstance(c.tag, str)]
        if el.tag in {"ul", "ol"}:
            return [c for c in children if c.tag == "li"]
        with_links = [c for c in children if c.xpath("self::a[@href] | .//a[@href]")]
        if (
            len(with_links) == 1
            and with_links[0].tag != "a"
            and len(with_links[0].xpath(".//a[@href]")) > 2
        ):
            el = with_links[0]
            continue
        return with_links


def _read_items(
    items: list[html.HtmlElement], kind: TeaserKind, base_url: str | None
) -> Iterable[Teaser]:
    for item in items:
        teaser = _read_item(item, kind, base_url)
        if teaser is not None:
            yield teaser


def _read_item(item: html.HtmlElement, kind: TeaserKind, base_url: str | None) -> Teaser | None:
    titled = []
    for link in item.xpath("self::a[@href] | .//a[@href]"):
        text = element_text(link)
        if text and not _READ_MORE.fullmatch(text):
            titled.append((link, text))
    if not titled:
        return None
    # A link inside a heading or with "title" in its class is the title; else the first text link.
    title_link, title = next(
        (
            (a, text)
            for a, text in titled
            if "title" in a.get("class", "") or a.getparent().tag in {"h2", "h3", "h4"}
        ),
        titled[0],
    )
    img = next(item.iter("img", "amp-img"), None)
    alt = fold(img.get("alt", "")) if img is not None else ""
    href = title_link.get("href", "").strip()
    return Teaser(
        kind=kind,
        title=title,
        url=urljoin(base_url or "", href) if href else None,
        summary=_summary(item, title),
        image_alt=alt or None,
    )


def _summary(item: html.HtmlElement, title: str) -> str | None:
    """The item's text after the title: its excerpt element if it has one, else the rest."""
    for excerpt in item.xpath(".//*[contains(@class, 'excerpt')] | .//p"):
        text = _READ_MORE.sub("", element_text(excerpt))
        if text and text != title:
            return text
    text = element_text(item)
    position = text.find(title)
    rest = text[position + len(title) :] if position >= 0 else text
    rest = _READ_MORE.sub("", fold(rest))
    return rest or None
