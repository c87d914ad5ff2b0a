"""Teaser lists (trending, related posts) read from a page's structure, before pruning.

A teaser section is found either by its heading ("Trending News on PVDN", "Related Posts":
whatever the tag) followed by a list-like element, or by the class words of the plugins and
widgets that render such lists (popular posts, related posts), wherever the theme puts them:
in the story, after it, in a sidebar or footer widget area. A widget area alone never makes a
list teasers, and some widgets never are (recent posts, categories, archives, search, tag
cloud, calendar, RSS, text, menus), whatever their heading says. Each item becomes a `Teaser`:
the title link, its thumbnail's alt text and the excerpt, in page order.

Every question here is answered once per element (memoised), so a page of thousands of
headings or widgets costs time in proportion to its size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree

from cleaning.nodes import element_text, in_document_order
from cleaning.page_index import PageIndex
from cleaning.result import Teaser, TeaserKind
from cleaning.textnorm import fold
from cleaning.xpaths import (
    INLINE_TAGS,
    NON_TEASER_WIDGET_CLASSES,
    SKIP_TAGS,
    TEASER_META_TOKENS,
    TEASER_NAV_CLASSES,
    WIDGET_AREA_CLASSES,
    WIDGET_AREA_IDS,
    WIDGET_AREA_TAGS,
)

# Tags that carry a teaser heading's own text, and how such a heading starts; the element's
# full text is matched against the profile's pattern afterwards.
_HEADING_TAGS = ("h2", "h3", "h4", "h5", "h6", "p", "div", "span", "strong", "b", "header")
_HEADING_START = re.compile(r"\s*(?:trending|related|you may also like)", re.IGNORECASE)
_READ_MORE = re.compile(r"\s*(?:read more|continue reading|read full story)\s*[»›→.]*\s*$", re.I)
_MAX_READ_MORE_CHARS = 40
_TITLE_PARENTS = frozenset({"h2", "h3", "h4"})
_IMAGE_TAGS = frozenset({"img", "amp-img"})
_MAX_HEADING_CHARS = 60
_MAX_CLIMB = 3
_MIN_LIST_TEASERS = 2
# A teaser item is a title link, a thumbnail and an excerpt: a few dozen elements. One holding
# more than this is not a teaser (and reading it would make nested lists quadratic).
_MAX_ITEM_ELEMENTS = 400
_META_CLASS = re.compile(r"(?:^|[\s_-])(?:" + "|".join(TEASER_META_TOKENS) + r")(?:$|[\s_-])")
# Where an element sits, as bits: inside furniture that is never teasers, inside a widget area.
_FURNITURE = 1
_WIDGET_AREA = 2


@dataclass(frozen=True, slots=True)
class TeaserSection:
    """One teaser list: its elements in page order (the heading first, when it has one), and
    whether it sits in a sidebar or footer widget area rather than in or after the story."""

    kind: TeaserKind
    elements: tuple[etree._Element, ...]
    teasers: tuple[Teaser, ...]
    heading: etree._Element | None = None
    in_widget_area: bool = False

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
    """Every teaser section of the page, in page order."""
    return _Finder(base_url).find(index, list(headings), list_classes)


class _Finder:
    """One page's search, with the memos that keep it linear."""

    def __init__(self, base_url: str | None) -> None:
        self.base_url = base_url
        self.sections: list[TeaserSection] = []
        self.taken: set[etree._Element] = set()
        self.above_taken: set[etree._Element] = set()  # ancestors of taken elements
        self.places: dict[etree._Element, int] = {}
        self.linked: dict[etree._Element, bool] = {}
        self.next_linked: dict[etree._Element, etree._Element | None] = {}
        self.items_after: dict[etree._Element, list[etree._Element] | None] = {}
        self.items_of: dict[etree._Element, list[etree._Element]] = {}
        self.few_links: set[etree._Element] = set()  # fewer than three links inside
        self.read: dict[tuple[etree._Element, TeaserKind], Teaser | None] = {}
        self.meta_classes: dict[str, bool] = {}  # a list repeats its items' class strings

    def find(
        self,
        index: PageIndex,
        heading_rules: list[tuple[TeaserKind, re.Pattern[str]]],
        list_classes: Iterable[tuple[TeaserKind, tuple[str, ...]]],
    ) -> list[TeaserSection]:
        for el in index.tags_whose_text(_HEADING_START, *_HEADING_TAGS):
            self._try_heading(el, heading_rules)
        by_heading = len(self.sections)
        for kind, words in list_classes:
            for el in index.with_class(*words, derived=True):
                self._try_list(el, kind)
        if by_heading and len(self.sections) > by_heading:
            order = {id(s.elements[0]): s for s in self.sections}
            firsts = in_document_order([s.elements[0] for s in self.sections])
            return [order[id(el)] for el in firsts]
        return self.sections

    def _try_heading(
        self, el: etree._Element, heading_rules: list[tuple[TeaserKind, re.Pattern[str]]]
    ) -> None:
        if el in self.taken or self._inside_taken(el):
            return
        text = element_text(el)
        if not text or len(text) > _MAX_HEADING_CHARS:
            return
        kind = next((k for k, pattern in heading_rules if pattern.match(text)), None)
        if kind is None or self._place(el) & _FURNITURE:
            return
        heading = _outermost_same_text(el)
        items = self._following_items(heading)
        if not items or items[0] in self.taken or self._inside_taken(items[0]):
            return
        if self._place(items[0]) & _FURNITURE:
            return
        teasers = tuple(self._read_items(items, kind))
        if not teasers:
            return
        # Items that are the heading's own siblings are skipped one by one; otherwise their
        # common list element is.
        list_root = items[0].getparent() if len(items) > 1 else items[0]
        elements: tuple[etree._Element, ...] = (
            (heading, *items)
            if list_root is None or list_root is heading.getparent()
            else (heading, list_root)
        )
        self._take(TeaserSection(kind, elements, teasers, heading, self._in_widget_area(el)))

    def _try_list(self, el: etree._Element, kind: TeaserKind) -> None:
        if el in self.taken or el in self.above_taken or self._inside_taken(el):
            return
        if self._place(el) & _FURNITURE:
            return
        items = self._items(el)
        if len(items) < _MIN_LIST_TEASERS:
            return
        teasers = tuple(self._read_items(items, kind))
        if len(teasers) >= _MIN_LIST_TEASERS:
            self._take(TeaserSection(kind, (el,), teasers, in_widget_area=self._in_widget_area(el)))

    def _take(self, section: TeaserSection) -> None:
        self.sections.append(section)
        for el in section.elements:
            self.taken.add(el)
            parent = el.getparent()
            while parent is not None and parent not in self.above_taken:
                self.above_taken.add(parent)
                parent = parent.getparent()

    def _inside_taken(self, el: etree._Element) -> bool:
        """Whether an ancestor is taken; only ancestors of taken elements can be, and the
        parser keeps trees under 256 levels."""
        if not self.taken:
            return False
        return any(a in self.taken for a in el.iterancestors())

    def _place(self, el: etree._Element) -> int:
        """`_FURNITURE` / `_WIDGET_AREA` bits of `el` and its ancestors, each element's read once
        for the whole page."""
        path = []
        node: etree._Element | None = el
        inherited = 0
        while node is not None:
            known = self.places.get(node)
            if known is not None:
                inherited = known
                break
            path.append(node)
            node = node.getparent()
        for node in reversed(path):
            inherited |= _own_place(node)
            self.places[node] = inherited
        return inherited

    def _in_widget_area(self, el: etree._Element) -> bool:
        return bool(self._place(el) & _WIDGET_AREA)

    def _has_link(self, el: etree._Element) -> bool:
        """Whether `el` holds a link with an address; a link found marks every element between
        it and `el` too, so a chain of wrappers is scanned once."""
        known = self.linked.get(el)
        if known is not None:
            return known
        link = next((a for a in el.iter("a") if a.get("href")), None)
        if link is None:
            self.linked[el] = False
            return False
        node: etree._Element | None = link
        while node is not None and node is not el:
            self.linked[node] = True
            node = node.getparent()
        self.linked[el] = True
        return True

    def _first_linked(self, start: etree._Element | None) -> etree._Element | None:
        """The first element holding a link among `start` and its following siblings; the answer
        is remembered for every sibling passed on the way."""
        passed = []
        found: etree._Element | None = None
        node = start
        while node is not None:
            if node in self.next_linked:
                found = self.next_linked[node]
                break
            passed.append(node)
            if isinstance(node.tag, str) and self._has_link(node):
                found = node
                break
            node = node.getnext()
        for el in passed:
            self.next_linked[el] = found
        return found

    def _following_items(self, heading: etree._Element) -> list[etree._Element] | None:
        """The teaser items after a heading: the first following element holding links is either
        the list itself or, when the items are the heading's own siblings, the first of a run of
        look-alike siblings."""
        el = heading
        for _ in range(_MAX_CLIMB + 1):
            sibling = self._first_linked(el.getnext())
            if sibling is not None:
                if sibling not in self.items_after:
                    run = self._look_alike_run(sibling)
                    self.items_after[sibling] = run if len(run) >= 2 else self._items(sibling)
                return self.items_after[sibling]
            parent = el.getparent()
            if parent is None:
                return None
            el = parent
        return None

    def _look_alike_run(self, first: etree._Element) -> list[etree._Element]:
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

    def _items(self, container: etree._Element) -> list[etree._Element]:
        """The item elements of a list-like container, descending through single wrappers (a
        wrapper holds the same links as the one child of it that has any, so they are counted
        once)."""
        known = self.items_of.get(container)
        if known is not None:
            return known
        el = container
        many: bool | None = None
        while True:
            children = [c for c in el if isinstance(c.tag, str)]
            if el.tag in {"ul", "ol"}:
                items = [c for c in children if c.tag == "li"]
                break
            items = [c for c in children if self._has_link(c)]
            if len(items) == 1 and items[0].tag in {"ul", "ol"}:
                el = items[0]  # the wrapper's one list is the list, however short
                continue
            if len(items) == 1 and items[0].tag != "a":
                if many is None:
                    many = self._many_links(items[0])
                if many:
                    el = items[0]
                    continue
            break
        self.items_of[container] = items
        return items

    def _many_links(self, el: etree._Element) -> bool:
        """Whether `el` holds three links or more. Every element of a subtree found to hold
        fewer is remembered (they hold fewer too), so nested lists are not counted again."""
        if el in self.few_links:
            return False
        found = 0
        seen = []
        for node in el.iter():
            seen.append(node)
            if node.tag == "a" and node.get("href"):
                found += 1
                if found >= 3:
                    return True
        self.few_links.update(seen)
        return False

    def _read_items(self, items: list[etree._Element], kind: TeaserKind) -> Iterable[Teaser]:
        for item in items:
            key = (item, kind)
            if key not in self.read:
                self.read[key] = _read_item(item, kind, self.base_url, self.meta_classes)
            teaser = self.read[key]
            if teaser is not None:
                yield teaser


def _own_place(el: etree._Element) -> int:
    """`_FURNITURE` when the element is a menu or a widget that never lists teasers,
    `_WIDGET_AREA` when it is a sidebar, a footer or a widget."""
    tag = el.tag
    class_attr = el.get("class")
    if class_attr is None:  # most ancestors: decided by the tag (and the id) alone
        if tag == "nav":
            return _FURNITURE
        return _WIDGET_AREA if tag in WIDGET_AREA_TAGS or el.get("id") in WIDGET_AREA_IDS else 0
    words = class_attr.split()
    if tag == "nav" and TEASER_NAV_CLASSES.isdisjoint(words):
        return _FURNITURE
    if not NON_TEASER_WIDGET_CLASSES.isdisjoint(words):
        return _FURNITURE
    if (
        not WIDGET_AREA_CLASSES.isdisjoint(words)
        or tag in WIDGET_AREA_TAGS
        or el.get("id") in WIDGET_AREA_IDS
    ):
        return _WIDGET_AREA
    return 0


def _outermost_same_text(el: etree._Element) -> etree._Element:
    """Climb while the parent wraps nothing but this heading (Astra puts it in a div). The
    siblings are asked for, not the parent's length: lxml counts a parent's children one by one,
    and a page of thousands of headings in one container made that quadratic."""
    while (parent := el.getparent()) is not None and parent.tag not in {"body", "html"}:
        if el.getprevious() is not None or el.getnext() is not None:
            break
        if (parent.text or "").strip() or (el.tail or "").strip():
            break
        el = parent
    return el


def _at_least_links(el: etree._Element, count: int) -> bool:
    found = 0
    for a in el.iter("a"):
        if a.get("href"):
            found += 1
            if found >= count:
                return True
    return False


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


def _read_item(
    item: etree._Element, kind: TeaserKind, base_url: str | None, meta_classes: dict[str, bool]
) -> Teaser | None:
    """One teaser from one pass over the item: its title link, thumbnail and excerpt.
    `meta_classes` remembers which class strings name views, dates and the like."""
    # A link inside a heading or with "title" in its class is the title; else the first text link.
    first: tuple[etree._Element, str] | None = None
    titled = False
    img: etree._Element | None = None
    excerpts: list[etree._Element] = []
    meta: list[etree._Element] = []
    for count, el in enumerate(item.iter()):
        if count > _MAX_ITEM_ELEMENTS:
            return None
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
        if el is not item:
            class_attr = el.get("class")
            if class_attr:
                is_meta = meta_classes.get(class_attr)
                if is_meta is None:
                    is_meta = meta_classes[class_attr] = bool(_META_CLASS.search(class_attr))
            else:
                is_meta = False
            if is_meta or tag == "time":
                meta.append(el)
            elif tag == "p" or (class_attr and "excerpt" in class_attr):
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
        summary=_summary(item, title, excerpts, meta),
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


def _summary(
    item: etree._Element,
    title: str,
    excerpts: list[etree._Element],
    meta: list[etree._Element],
) -> str | None:
    """The item's text after the title: its excerpt element (a `p` or an element with
    "excerpt" in its class) if it has one, else the rest of its text, less the item's views,
    dates, authors and categories (`meta`)."""
    for excerpt in excerpts:
        if any(excerpt is m or _is_inside(excerpt, m) for m in meta):
            continue
        text = _strip_read_more(element_text(excerpt))
        if text and text != title:
            return text
    text = _text_without(item, meta) if meta else element_text(item)
    position = text.find(title)
    rest = text[position + len(title) :] if position >= 0 else text
    rest = _strip_read_more(fold(rest))
    return rest or None


def _is_inside(el: etree._Element, container: etree._Element) -> bool:
    return any(a is container for a in el.iterancestors())


def _text_without(item: etree._Element, left_out: list[etree._Element]) -> str:
    """The item's visible text with the `left_out` subtrees (and scripts, styles) skipped."""
    skipped = set(left_out)
    parts: list[str] = [item.text or ""]
    walk = etree.iterwalk(item, events=("start",))
    for _, el in walk:
        if el is item:
            continue
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        gap = "" if tag in INLINE_TAGS else " "
        if el in skipped or tag in SKIP_TAGS:
            walk.skip_subtree()
        else:
            parts.append(gap + (el.text or ""))
        parts.append(gap + (el.tail or ""))
    return fold("".join(parts))
