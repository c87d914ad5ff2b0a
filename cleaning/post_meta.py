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
    AUTHOR_NAME_CLASSES,
    CATEGORY_LIST_CLASSES,
    NOT_POST_META_CLASSES,
    NOT_POST_META_PREFIXES,
    NOT_POST_META_TAGS,
    POST_DATE_CLASSES,
)

# How far above a link its category-list wrapper may sit ("cat-links" > a, or a list inside).
_MAX_LIST_DEPTH = 3
_DATE_CLASSES = frozenset(POST_DATE_CLASSES)


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
        titles = self._index.tag("h1")
        for tag in ("article", "main"):
            for el in self._index.tag(tag):
                if any(_contains(el, h1) for h1 in titles):
                    return el
        return None

    def _own(self, el: etree._Element) -> bool:
        """Whether `el` is in the post's scope and not in the story or the furniture."""
        scope = self.scope
        for ancestor in el.iterancestors():
            if ancestor is scope:
                return True
            tag = ancestor.tag
            if isinstance(tag, str) and tag.lower() in NOT_POST_META_TAGS:
                return False
            words = (*ancestor.get("class", "").split(), ancestor.get("id", ""))
            if any(
                w in NOT_POST_META_CLASSES or w.startswith(NOT_POST_META_PREFIXES)
                for w in words
                if w
            ):
                return False
        return False

    def dates(self) -> list[str]:
        """`datetime` values of the post's own `<time>` elements, in page order."""
        if self.scope is None:
            return []
        return [
            value
            for t in self._index.tag("time")
            if (value := t.get("datetime", "").strip()) and self._own(t)
        ]

    def visible_dates(self) -> list[str]:
        """Dates the post's meta line shows only as text, in WordPress's default format
        ("November 6, 2025"), as ISO dates (Twenty Twenty prints no machine-readable date)."""
        if self.scope is None:
            return []
        found = []
        for el in self.scope.iter():
            if (
                not isinstance(el.tag, str)
                or len(el)
                or not _DATE_CLASSES.intersection(_class_words_above(el))
            ):
                continue
            m = profile.VISIBLE_DATE.match(element_text(el))
            if m and self._own(el):
                month = profile.MONTHS.index(m.group("month")) + 1
                found.append(f"{m.group('year')}-{month:02d}-{int(m.group('day')):02d}")
        return found

    def authors(self) -> list[str]:
        """Names from the byline: `rel="author"` and author-archive links, and block themes'
        post-author names, in page order."""
        if self.scope is None:
            return []
        found = [a for a in self._index.tag("a") if self._author_link(a)]
        found += self._index.with_class(*AUTHOR_NAME_CLASSES, text_level=True)
        found = [el for el in found if self._own(el)]
        ordered = sorted(dict.fromkeys(found), key=document_order_key)
        return [text for el in ordered if (text := element_text(el))]

    def categories(self) -> list[str]:
        """Names of the category archives the post's header or footer links to, in order."""
        if self.scope is None:
            return []
        return [
            text
            for a in self._index.tag("a")
            if self._category_link(a) and self._own(a) and (text := element_text(a))
        ]

    def _author_link(self, a: etree._Element) -> bool:
        if "author" in (a.get("rel") or "").lower().split():
            return True
        return self._archive_link(a, "author", exact_depth=True)

    def _category_link(self, a: etree._Element) -> bool:
        if "category" in (a.get("rel") or "").lower().split():
            return True
        if self._archive_link(a, "category", exact_depth=False):
            return True
        return any(
            not CATEGORY_LIST_CLASSES.isdisjoint(ancestor.get("class", "").split())
            for ancestor in _ancestors(a, _MAX_LIST_DEPTH)
        )

    def _archive_link(self, a: etree._Element, base: str, *, exact_depth: bool) -> bool:
        """A link to one of the site's `/<base>/<slug>/` archives (nested for categories)."""
        href = a.get("href")
        if not href or f"/{base}/" not in href:
            return False
        parts = urlsplit(href.strip())
        host = (parts.hostname or "").lower()
        if host and self._host and host != self._host:
            return False
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) < 2 or segments[0] != base:
            return False
        return len(segments) == 2 if exact_depth else "page" not in segments


def _class_words_above(el: etree._Element) -> set[str]:
    """Class words of the element and of its nearest few ancestors (a date is usually a link
    or span inside the date's wrapper)."""
    words = set(el.get("class", "").split())
    for ancestor in _ancestors(el, _MAX_LIST_DEPTH):
        words.update(ancestor.get("class", "").split())
    return words


def _contains(ancestor: etree._Element, el: etree._Element) -> bool:
    return any(a is ancestor for a in el.iterancestors())


def _ancestors(el: etree._Element, limit: int) -> Iterator[etree._Element]:
    for depth, ancestor in enumerate(el.iterancestors()):
        if depth >= limit:
            return
        yield ancestor
