"""The PVDN path: a page the site profile recognises, cleaned with the site's own knowledge.

Order matters: teaser lists are read from the intact tree first (they become structured
links), then the story container is walked with those lists, paywall boxes and excerpt boxes
skipped by element, and finally the phrase rules and repeat detection run over the blocks.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from lxml import etree

from cleaning import profile
from cleaning.blocks import walk_container
from cleaning.boilerplate import judge
from cleaning.datelines import find_dateline
from cleaning.metadata import PageMeta
from cleaning.nodes import element_text, find
from cleaning.page_index import PageIndex
from cleaning.result import CleanArticle, Removed, Teaser
from cleaning.story import Candidate, assemble
from cleaning.teasers import TeaserSection, find_sections
from cleaning.text_dump import visible_date
from cleaning.textnorm import fold
from cleaning.xpaths import POPULAR_LIST_CLASSES, RELATED_PLUGIN_CLASSES

_SIBLINGS_TO_CHECK = 3
# All text under an element, joined by libxml2: a cheap first look before walking the lines.
_ALL_TEXT = etree.XPath("string(.)", smart_strings=False)
_WALL_LINES = etree.XPath(
    "descendant-or-self::*[self::p or self::h2 or self::h3 or self::h4 or self::div[not(*)]"
    " or self::a]"
)
_PAYWALL_CLASSES = frozenset(profile.PAYWALL_CLASSES)


def is_pvdn(meta: PageMeta, url: str | None, extra_hosts: frozenset[str] = frozenset()) -> bool:
    """Whether the page is PVDN's by its address, canonical URL or declared site name."""
    hosts = profile.HOSTS | extra_hosts
    for address in (url, meta.canonical_url):
        if address and (urlsplit(address).hostname or "").lower() in hosts:
            return True
    return bool(meta.site_name and meta.site_name in profile.SITE_NAMES)


def find_container(index: PageIndex) -> etree._Element | None:
    """The story container: the first element with the profile's most specific class word
    (or itemprop), asked word by word so the usual page stops at its first question."""
    for word in profile.CONTAINER_CLASSES:
        kind, _, value = word.rpartition(":")
        if kind == "itemprop":
            found = [
                el
                for el in index.tags("div", "article", "section", "main")
                if el.get("itemprop") == value
            ]
        else:
            found = index.with_class(value)
        for el in found:
            if not _in_related_block(el):
                return el
    return None


def clean_storyless_post(
    index: PageIndex, meta: PageMeta, url: str | None, tz: ZoneInfo
) -> CleanArticle | None:
    """A post page in a known layout that renders no story container at all (nothing but the
    post header, maybe a wall, then teaser lists): the PVDN result with no blocks, so the post
    keeps its title, dates, categories, teasers and wall. The post's own element (the
    `<article>` around the themes' titled <h1>) is walked as the container; when that finds a
    story, the layout is not known after all and None sends the page to the generic path."""
    titled = [h1 for h1 in index.with_class(*profile.TITLE_CLASSES) if h1.tag == "h1"]
    if not titled:
        return None
    post = next((a for a in titled[0].iterancestors() if a.tag in _POST_TAGS), None)
    if post is None:
        return None
    article = clean_pvdn_page(index, post, meta, url, tz)
    return None if article.blocks else article


_POST_TAGS = frozenset({"article"})


def _in_related_block(el: etree._Element) -> bool:
    return "related" in el.get("class", "") or any(
        "related" in a.get("class", "") for a in el.iterancestors()
    )


def find_title(index: PageIndex, meta: PageMeta) -> str | None:
    """The article's <h1>: one with a title class first, then any with text; else og:title."""
    h1s = index.tag("h1")
    titled = set(index.with_class(*profile.TITLE_CLASSES))
    for h1 in sorted(h1s, key=lambda h: h not in titled):
        text = element_text(h1)
        if text:
            return text
    if meta.title:
        return profile.TITLE_SUFFIX.sub("", meta.title).strip() or None
    return None


class _Rules:
    """What the walker skips on a PVDN page: teaser sections, paywall and excerpt boxes."""

    def __init__(self, sections: list[TeaserSection]) -> None:
        self._teaser_elements = {el: f"{s.kind} teasers" for s in sections for el in s.elements}
        self._sections = {el: s for s in sections for el in s.elements if el is not s.heading}
        self._recorded: set[int] = set()
        self.paywall_boxes = 0

    def skip_reason(self, el: etree._Element, classes: list[str]) -> str | None:
        if el in self._teaser_elements:
            return self._teaser_elements[el]
        if classes and not _PAYWALL_CLASSES.isdisjoint(classes):
            self.paywall_boxes += 1
            return "subscriber wall"
        return None

    def removed_text(self, el: etree._Element) -> str | None:
        """A teaser list's text as its teasers were read (reading the subtree again cost more
        than the rest of the walk), recorded once per list; headings are read by the walker."""
        section = self._sections.get(el)
        if section is None:
            return None
        if id(section) in self._recorded:
            return ""
        self._recorded.add(id(section))
        return section.text

    def wrapper_reason(self, el: etree._Element) -> str | None:
        classes = el.get("class", "").split()
        if any(c in profile.EXCERPT_CLASSES for c in classes):
            return "repeated excerpt"
        return None


def clean_pvdn_page(
    index: PageIndex,
    container: etree._Element,
    meta: PageMeta,
    url: str | None,
    tz: ZoneInfo,
) -> CleanArticle:
    base = url or meta.canonical_url
    sections = find_sections(
        index,
        base,
        headings=(
            ("trending", profile.TRENDING_HEADING.pattern),
            ("related", profile.RELATED_HEADING.pattern),
        ),
        list_classes=(
            ("trending", profile.TRENDING_LIST_CLASSES + POPULAR_LIST_CLASSES),
            ("related", profile.RELATED_LIST_CLASSES + RELATED_PLUGIN_CLASSES),
        ),
    )
    teasers: list[Teaser] = [t for s in sections for t in s.teasers]
    title = find_title(index, meta)
    rules = _Rules(sections)
    walk = walk_container(container, rules, title)

    # The 2023 template prints "September 15, 2023" under the title; keep it as a date only.
    published = meta.published
    removed: list[Removed] = list(walk.removed)
    start = 0
    for block in walk.blocks:
        date = visible_date(block.text, tz)
        if date is None:
            break
        published = published or date
        removed.append(Removed(block.text, "date line"))
        start += 1
    candidates: list[Candidate] = walk.blocks[start:] if start else walk.blocks

    if published is None:
        published = _visible_header_date(index, tz)
    # A trending list in the story's column marks the mid-2025 after-body block; one in a
    # sidebar is on every page of its era and says nothing about this story's end.
    after_body = any(
        s.kind == "trending" and not s.in_widget_area for s in sections
    ) or _page_has_follow_us(index)
    story = assemble(candidates, after_body_block=after_body)
    removed.extend(story.removed)
    paywalled = story.paywalled or rules.paywall_boxes > 0 or _wall_outside(container)
    blocks = tuple(story.blocks)
    paragraphs = [b.text for b in blocks if b.kind == "paragraph"]
    return CleanArticle(
        title=title,
        blocks=blocks,
        teasers=tuple(teasers),
        paywalled=paywalled,
        published=published,
        modified=meta.modified,
        author=meta.author,
        categories=meta.categories,
        canonical_url=meta.canonical_url,
        post_id=meta.post_id,
        dateline=find_dateline(paragraphs),
        extractor="pvdn",
        removed=tuple(removed),
        empty_reason=None if blocks else "no article text",
    )


def _visible_header_date(index: PageIndex, tz: ZoneInfo) -> datetime | None:
    """A "Month D, YYYY" date in the post's meta line (2023 themes print no machine date)."""
    for el in index.with_class(*profile.DATE_CLASSES, derived=True, text_level=True):
        if any(a.tag == "article" for a in el.iterancestors()):
            date = visible_date(element_text(el), tz)
            if date is not None:
                return date
    return None


def _page_has_follow_us(index: PageIndex) -> bool:
    for link in index.tag("a"):
        parent = link.getparent()
        if "Google News" in (link.text or "") and parent is not None:
            return profile.FOLLOW_US.match(element_text(parent)) is not None
    return False


def _wall_outside(container: etree._Element) -> bool:
    """A subscriber wall printed right after the story container (some plugins put it there)."""
    for sibling in list(container.itersiblings())[:_SIBLINGS_TO_CHECK]:
        if not isinstance(sibling.tag, str) or "subscri" not in str(_ALL_TEXT(sibling)).lower():
            continue
        for el in find(sibling, _WALL_LINES):
            verdict = judge(fold(element_text(el)))
            if verdict is not None and verdict.wall:
                return True
    return False
