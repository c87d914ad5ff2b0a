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

from lxml import etree

from cleaning.nodes import document_order_key, element_text, links
from cleaning.page_index import PageIndex
from cleaning.result import Teaser, TeaserKind
from cleaning.textnorm import fold

# Elements whose own text opens with a teaser-heading word; the full pattern is checked after.
# Tags that carry a teaser heading's own text, and how such a heading starts; the element's
# full text is matched against the profile's pattern afterwards.
_HEADING_TAGS = ("h2", "h3", "h4", "h5", "h6", "p", "div", "span", "strong", "b", "header")
_HEADING_START = re.compile(r"\s*(?:trending|related|you may also like)", re.IGNORECASE)
# Ancestors that mark a list as the theme's furniture, not the article's: by tag, id, class word.
_SIDEBAR_TAGS = frozenset({"aside", "footer", "nav"})
_SIDEBAR_IDS = frozenset({"secondary"})
_SIDEBAR_CLASSES = frozenset({"sidebar", "widget-area"})
_READ_MORE = re.compile(r"\s*(?:read more|continue reading|read full story)\s*[»›→.]*\s*$", re.I)
_MAX_READ_MORE_CHARS = 40
_TITLE_PARENTS = frozenset({"h2", "h3", "h4"})
_IMAGE_TAGS = frozenset({"img", "amp-img"})
_MAX_HEADING_CHARS = 60
_MAX_CLIMB = 3


@dataclass(frozen=True, slots=True)
class TeaserSection:
    """One teaser list: its elements in page order (the heading first, when it has one)."""

    kind: TeaserKind
    elements: tuple[etree._Element, ...]
    teasers: tuple[Teaser, ...]
    heading: etree._Element | None = None

    @property
    def text(self) -> str:
        """The list's visible text as read: each teaser's title and summary."""
        return " ".join(f"{t.title} {t.summary}" if t.summary else t.title for t in self.teasers)


def find_sections(
    index: PageIndex,
    base_url: str | None,
    headings: Iterable[tuple[TeaserKind, re.Pattern[str]]],
    list_classes: Iterable[tuple[TeaserKind, tuple[str, ...]]],
) -> list[TeaserSection]:
    """Every teaser section of the page outside sidebars and footers, in page order."""
    heading_rules = list(headings)
    heading_candidates = index.tags_whose_text(_HEADING_START, *_HEADING_TAGS)
    # A class word or a word built on it ("trending" also finds "trending-item").
    class_candidates = [
        (kind, el) for kind, words in list_classes for el in index.with_class(*words, derived=True)
    ]

    sections: list[TeaserSection] = []
    taken: set[etree._Element] = set()
    for el in heading_candidates:
        if el in taken or _inside(el, taken) or _in_sidebar(el):
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
            # Items that are the heading's own siblings are skipped one by one; otherwise
            # their common list element is.
            list_root = items[0].getparent() if len(items) > 1 else items[0]
            elements: tuple[etree._Element, ...] = (
                (heading, *items)
                if list_root is None or list_root is heading.getparent()
                else (heading, list_root)
            )
            sections.append(TeaserSection(kind, elements, teasers, heading))
            taken.update(elements)

    for kind, el in class_candidates:
        if el in taken or _inside(el, taken) or _in_sidebar(el) or _contains_any(el, taken):
            continue
        teasers = tuple(_read_items(_items(el), kind, base_url))
        if len(teasers) >= 2:
            sections.append(TeaserSection(kind, (el,), teasers))
            taken.add(el)

    sections.sort(key=lambda s: document_order_key(s.elements[0]))
    return sections


def _in_sidebar(el: etree._Element) -> bool:
    """Inside a sidebar, widget area, footer or navigation."""
    for a in el.iterancestors():
        if (
            a.tag in _SIDEBAR_TAGS
            or a.get("id") in _SIDEBAR_IDS
            or not _SIDEBAR_CLASSES.isdisjoint(a.get("class", "").split())
        ):
            return True
    return False


def _inside(el: etree._Element, taken: set[etree._Element]) -> bool:
    return any(a in taken for a in el.iterancestors())


def _contains_any(el: etree._Element, taken: set[etree._Element]) -> bool:
    # From the few taken elements up, not from `el` down through a whole list of teasers.
    return any(a is el for t in taken for a in t.iterancestors())


def _outermost_same_text(el: etree._Element) -> etree._Element:
    """Climb while the parent wraps nothing but this heading (Astra puts it in a div)."""
    while (parent := el.getparent()) is not None and parent.tag not in {"body", "html"}:
        if len(parent) != 1 or (parent.text or "").strip() or (el.tail or "").strip():
            break
        el = parent
    return el


def _following_items(heading: etree._Element) -> list[etree._Element] | None:
    """The teaser items after a heading: the first following element holding links is either
    the list itself or, when the items are the heading's own siblings, the first of a run of
    look-alike siblings."""
    el = heading
    for _ in range(_MAX_CLIMB + 1):
        sibling = el.getnext()
        while sibling is not None:
            if isinstance(sibling.tag, str) and _has_link(sibling):
                run = _look_alike_run(sibling)
                return run if len(run) >= 2 else _items(sibling)
            sibling = sibling.getnext()
        parent = el.getparent()
        if parent is None:
            return None
        el = parent
    return None


def _look_alike_run(first: etree._Element) -> list[etree._Element]:
    """`first` and the following siblings with the same tag and class, each a single teaser
    (its links all go to one address)."""
    run = []
    el: etree._Element | None = first
    while el is not None and el.tag == first.tag and el.get("class") == first.get("class"):
        if not _one_target(el):
            break
        run.append(el)
        el = el.getnext()
    return run


def _has_link(el: etree._Element) -> bool:
    return any(a.get("href") for a in el.iter("a"))


def _one_target(el: etree._Element) -> bool:
    """Whether `el`'s links all go to one address (stops at the second address)."""
    target = None
    for a in el.iter("a"):
        href = a.get("href")
        if not href:
            continue
        if target is None:
            target = href
        elif href != target:
            return False
    return target is not None


def _items(container: etree._Element) -> list[etree._Element]:
    """The item elements of a list-like container, descending through single wrappers."""
    el = container
    while True:
        children = [c for c in el if isinstance(c.tag, str)]
        if el.tag in {"ul", "ol"}:
            return [c for c in children if c.tag == "li"]
        with_links = [c for c in children if _has_link(c)]
        if len(with_links) == 1 and with_links[0].tag != "a" and len(links(with_links[0])) > 2:
            el = with_links[0]
            continue
        return with_links


def _read_items(
    items: list[etree._Element], kind: TeaserKind, base_url: str | None
) -> Iterable[Teaser]:
    for item in items:
        teaser = _read_item(item, kind, base_url)
        if teaser is not None:
            yield teaser


def _read_item(item: etree._Element, kind: TeaserKind, base_url: str | None) -> Teaser | None:
    """One teaser from one pass over the item: its title link, thumbnail and excerpt."""
    # A link inside a heading or with "title" in its class is the title; else the first text link.
    first: tuple[etree._Element, str] | None = None
    titled = False
    img: etree._Element | None = None
    excerpts: list[etree._Element] = []
    for el in item.iter():
        tag = el.tag
        if tag == "a":
            if titled or not el.get("href"):
                continue
            text = element_text(el)
            if not text or (len(text) <= _MAX_READ_MORE_CHARS and _READ_MORE.fullmatch(text)):
                continue
            if "title" in el.get("class", "") or _parent_tag(el) in _TITLE_PARENTS:
                first, titled = (el, text), True
            elif first is None:
                first = (el, text)
        elif tag in _IMAGE_TAGS:
            img = img if img is not None else el
        if el is not item and (tag == "p" or "excerpt" in (el.get("class") or "")):
            excerpts.append(el)
    if first is None:
        return None
    title_link, title = first
    alt = fold(img.get("alt", "")) if img is not None else ""
    href = title_link.get("href", "").strip()
    return Teaser(
        kind=kind,
        title=title,
        url=_absolute(href, base_url),
        summary=_summary(item, title, excerpts),
        image_alt=alt or None,
    )


def _absolute(href: str, base_url: str | None) -> str | None:
    if not href:
        return None
    if href.startswith(("https://", "http://")):
        return href  # urljoin is the slowest step of reading a teaser; most links are absolute
    return urljoin(base_url or "", href)


def _parent_tag(el: etree._Element) -> str | None:
    parent = el.getparent()
    return None if parent is None else str(parent.tag)


def _strip_read_more(text: str) -> str:
    tail = text[-30:].lower()
    return _READ_MORE.sub("", text) if "read" in tail or "continu" in tail else text


def _summary(item: etree._Element, title: str, excerpts: list[etree._Element]) -> str | None:
    """The item's text after the title: its excerpt element (a `p` or an element with
    "excerpt" in its class) if it has one, else the rest of its text."""
    for excerpt in excerpts:
        text = _strip_read_more(element_text(excerpt))
        if text and text != title:
            return text
    text = element_text(item)
    position = text.find(title)
    rest = text[position + len(title) :] if position >= 0 else text
    rest = _strip_read_more(fold(rest))
    return rest or None
