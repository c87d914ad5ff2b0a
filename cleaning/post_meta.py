"""The post's own meta line: its date, byline and category links, as any WordPress theme
prints them around the article.

A stock WordPress prints no `article:*` meta and no JSON-LD; the theme shows the date as a
`<time datetime>` (classic themes give it a class, block themes do not), the author as a
`rel="author"` or author-archive link (or, in block themes, a plain name), and the categories
as links to the category archives. A post page also shows other posts' dates, authors and
categories (comments, widgets, teaser lists, the next/previous links), so only the post's own
header and footer are read: elements inside the post's scope (its `<article>`, or the `<main>`
that holds its title in block themes) and outside the story and the page's furniture.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from urllib.parse import urlsplit

from lxml import etree

from cleaning import profile
from cleaning.nodes import document_order_key, element_text
from cleaning.page_index import PageIndex
from cleaning.xpaths import (
    AUTHOR_BLOCK_CLASSES,
    AUTHOR_NAME_CLASS,
    CATEGORY_LIST_CLASSES,
    NOT_POST_META_CLASSES,
    NOT_POST_META_PREFIXES,
    NOT_POST_META_TAGS,
    POST_DATE_CLASSES,
)

# How far above a link its category-list wrapper may sit ("cat-links" > a, or a list inside).
_MAX_LIST_DEPTH = 3
# Where a post's title sits: classic themes' article, or the main content of block themes.
_SCOPE_TAGS = ("article", "main")


class PostMeta:
    """The date, author and category candidates of the post's header and footer, each read
    only when asked (the page's `<head>` usually answers first)."""

    def __init__(self, index: PageIndex, base_url: str | None) -> None:
        self._index = index
        self._host = (urlsplit(base_url).hostname or "").lower() if base_url else ""

    @cached_property
    def scope(self) -> etree._Element | None:
        """The post's `<article>` (classic themes) or `<main>` (block themes): the nearest one
        holding the post's title; None when the page has neither."""
        holders = [
            next((a for a in h1.iterancestors() if a.tag in _SCOPE_TAGS), None)
            for h1 in self._index.tag("h1")
        ]
        for tag in _SCOPE_TAGS:
            found = next((el for el in holders if el is not None and el.tag == tag), None)
            if found is not None:
                return found
        return None

    def _own(self, el: etree._Element) -> bool:
        """Whether `el` is in the post's scope and not in the story or the furniture."""
        scope = self.scope
        if scope is None:
            return False
        for ancestor in el.iterancestors():
            if ancestor is scope:
                return True
            if _is_furniture(ancestor):
                return False
        return False

    def dates(self, class_words: tuple[str, ...] = ()) -> list[str]:
        """`datetime` values of the post's own `<time>` elements, in page order; with
        `class_words`, only of those whose class holds one of them."""
        times = [
            (t, value)
            for t in self._index.tag("time")
            if (value := t.get("datetime"))
            and (not class_words or any(w in t.get("class", "") for w in class_words))
        ]
        return [value.strip() for t, value in times if self._own(t)]

    def visible_dates(self) -> list[str]:
        """Dates the post's meta line shows only as text, in WordPress's default format
        ("November 6, 2025"), as ISO dates (Twenty Twenty prints no machine-readable date)."""
        if self.scope is None:
            return []
        wrappers = self._index.with_class(*POST_DATE_CLASSES, text_level=True)
        # List items are not in the class index (Twenty Twenty's date is an `li.post-date`).
        wrappers += [li for li in self._index.tag("li") if "date" in li.get("class", "")]
        found = []
        for wrapper in wrappers:
            for el in wrapper.iter():
                if not isinstance(el.tag, str) or len(el) or not el.text:
                    continue
                m = profile.VISIBLE_DATE.match(element_text(el))
                if m and self._own(el):
                    month = profile.MONTHS.index(m.group("month")) + 1
                    found.append(f"{m.group('year')}-{month:02d}-{int(m.group('day')):02d}")
        return found

    def authors(self) -> list[str]:
        """Names from the byline: `rel="author"` and author-archive links, and block themes'
        post-author names, in page order."""
        # A cheap look at every link first: a page has dozens, a byline one or two.
        maybe = [
            a
            for a in self._index.tag("a")
            if "author" in (a.get("rel") or "") or "/author/" in (a.get("href") or "")
        ]
        found = [a for a in maybe if self._author_link(a)]
        # The block's wrapper is indexed (a div); the name is the paragraph inside it.
        found += [_author_name(el) for el in self._index.with_class(*AUTHOR_BLOCK_CLASSES)]
        found = [el for el in found if self._own(el)]
        ordered = sorted(dict.fromkeys(found), key=document_order_key)
        return [text for el in ordered if (text := element_text(el))]

    def categories(self) -> list[str]:
        """Names of the category archives the post's header or footer links to, in order."""
        return [
            text
            for a in self._index.tag("a")
            if self._category_link(a) and self._own(a) and (text := element_text(a))
        ]

    def _author_link(self, a: etree._Element) -> bool:
        rel = a.get("rel")
        if rel and "author" in rel.lower().split():
            return True
        return self._archive_link(a, "author", exact_depth=True)

    def _category_link(self, a: etree._Element) -> bool:
        href = a.get("href") or ""
        if "category" in (a.get("rel") or "").lower().split():
            return self._on_site(href)
        if self._archive_link(a, "category", exact_depth=False):
            return True
        lists = self._category_lists
        if lists and any(a in lists for a in _ancestors(a, _MAX_LIST_DEPTH)):
            return self._on_site(href)
        return False

    @cached_property
    def _category_lists(self) -> set[etree._Element]:
        """The themes' category-list wrappers on the page (most pages have none)."""
        return set(self._index.with_class(*CATEGORY_LIST_CLASSES, text_level=True))

    def _on_site(self, href: str) -> bool:
        """Whether a link stays on the page's host (relative links do)."""
        host = (urlsplit(href.strip()).hostname or "").lower()
        return not (host and self._host and host != self._host)

    def _archive_link(self, a: etree._Element, base: str, *, exact_depth: bool) -> bool:
        """A link to one of the site's `/<base>/<slug>/` archives (nested for categories)."""
        href = a.get("href")
        if not href or f"/{base}/" not in href:
            return False
        if not self._on_site(href):
            return False
        segments = [s for s in urlsplit(href.strip()).path.split("/") if s]
        if len(segments) < 2 or segments[0] != base:
            return False
        return len(segments) == 2 if exact_depth else "page" not in segments


def _is_furniture(el: etree._Element) -> bool:
    """An element that holds the story, comments, widgets, other posts or navigation."""
    tag = el.tag
    if isinstance(tag, str) and tag.lower() in NOT_POST_META_TAGS:
        return True
    classes = el.get("class")
    if classes:
        words = classes.split()
        if not NOT_POST_META_CLASSES.isdisjoint(words):
            return True
        if any(w.startswith(NOT_POST_META_PREFIXES) for w in words):
            return True
    element_id = el.get("id")
    if not element_id:
        return False
    return element_id in NOT_POST_META_CLASSES or element_id.startswith(NOT_POST_META_PREFIXES)


def _author_name(block: etree._Element) -> etree._Element:
    """The name inside a post-author block (its `__name` paragraph), else the block itself."""
    for el in block.iter():
        if AUTHOR_NAME_CLASS in el.get("class", "").split():
            return el
    return block


def _ancestors(el: etree._Element, limit: int) -> Iterator[etree._Element]:
    for depth, ancestor in enumerate(el.iterancestors()):
        if depth >= limit:
            return
        yield ancestor
