"""Page metadata from <head> and JSON-LD: canonical URL, dates, author, sections.

Sources are tried in the order a WordPress site fills them (Yoast or Rank Math meta, then
JSON-LD, then the theme's <time> element, then the post's own header and footer as any theme
prints them: see `post_meta`) and each field falls back independently, since themes and SEO
plugins of different eras each fill a different subset. Metadata is best effort: a source
that cannot be read costs its own fields, never the page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from lxml import etree

from cleaning.nodes import element_text
from cleaning.page_index import PageIndex
from cleaning.post_meta import PostMeta
from cleaning.textnorm import fold

_ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "BlogPosting",
        "ReportageNews",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "Report",
        "LiveBlogPosting",
        "WebPage",
    }
)


@dataclass(frozen=True, slots=True)
class PageMeta:
    canonical_url: str | None = None
    title: str | None = None
    site_name: str | None = None
    published: datetime | None = None
    modified: datetime | None = None
    author: str | None = None
    categories: tuple[str, ...] = ()
    post_id: int | None = None


def parse_datetime(value: str | None, default_tz: ZoneInfo) -> datetime | None:
    """ISO 8601 to an aware datetime; a value without an offset is read in `default_tz`."""
    if not value:
        return None
    value = value.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    return parsed


class _MetaTags:
    """Every <meta> tag by its property (or else name, or else itemprop), read in one pass;
    contents are read and folded only for the names asked about (a page has dozens)."""

    def __init__(self, index: PageIndex) -> None:
        self._by_key: dict[str, list[etree._Element]] = {}
        for el in index.tag("meta"):
            key = el.get("property") or el.get("name") or el.get("itemprop")
            if key:
                self._by_key.setdefault(key, []).append(el)

    def __call__(self, *names: str) -> list[str]:
        contents = (fold(el.get("content", "")) for n in names for el in self._by_key.get(n, ()))
        return [content for content in contents if content]


def _json_ld_objects(index: PageIndex) -> Iterator[dict[str, Any]]:
    for script in index.tag("script"):
        if script.get("type") != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):
            continue
        stack: list[Any] = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                if "@graph" in item:
                    stack.append(item["@graph"])
                yield item


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    return set()


def _names(value: Any, people: dict[str, str]) -> list[str]:
    """Author names from a JSON-LD author value: a string, an object, a reference or a list,
    nested to any depth (walked with a stack: a hostile page can nest thousands deep)."""
    names: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict):
            name, ref = item.get("name"), item.get("@id")
            if isinstance(name, str):
                names.append(name)
            elif isinstance(ref, str) and ref in people:
                names.append(people[ref])
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return names


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _unique(values: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        folded = fold(value)
        if folded and folded.lower() not in seen:
            seen[folded.lower()] = folded
    return tuple(seen.values())


def _first_date(*sources: Callable[[], list[str]], default_tz: ZoneInfo) -> datetime | None:
    for source in sources:
        for value in source():
            parsed = parse_datetime(value, default_tz)
            if parsed is not None:
                return parsed
    return None


class _JsonLd:
    """The page's JSON-LD article objects, parsed on first use."""

    def __init__(self, index: PageIndex) -> None:
        self._index = index

    @cached_property
    def _objects(self) -> list[dict[str, Any]]:
        return list(_json_ld_objects(self._index))

    @cached_property
    def _articles(self) -> list[dict[str, Any]]:
        articles = [o for o in self._objects if _types(o) & _ARTICLE_TYPES]
        # Prefer the article object over the WebPage one when a graph has both.
        articles.sort(key=lambda o: "WebPage" in _types(o))
        return articles

    def values(self, key: str) -> list[str]:
        return [s for o in self._articles for s in _strings(o.get(key))]

    def authors(self) -> list[str]:
        people = {
            o["@id"]: o["name"]
            for o in self._objects
            if "Person" in _types(o)
            and isinstance(o.get("@id"), str)
            and isinstance(o.get("name"), str)
        }
        return [n for o in self._articles for n in _names(o.get("author"), people)]


def _time_values(times: list[etree._Element], class_words: tuple[str, ...]) -> list[str]:
    return [
        t.get("datetime", "")
        for t in times
        if t.get("datetime") and any(w in t.get("class", "") for w in class_words)
    ]


def _in_widget(el: etree._Element) -> bool:
    """Inside a related-posts block or a sidebar widget (whose category links are not ours)."""
    return any(
        "related" in a.get("class", "") or "widget" in a.get("class", "")
        for a in el.iterancestors()
    )


# Class words of the themes' <time> for the publication and the last edit.
_PUBLISHED_CLASSES = ("published", "entry-date")
_MODIFIED_CLASSES = ("updated",)
_SHORTLINK_ID = re.compile(r"[?&]p=(\d+)")
_POST_ID_WORD = re.compile(r"^(?:postid|post)-(\d+)$")


def _post_id(index: PageIndex) -> int | None:
    """WordPress's post id: the shortlink, the body's `postid-N` class or the article's
    `post-N` id, whichever the theme prints."""
    for link in index.tag("link"):
        if link.get("rel") == "shortlink" and (m := _SHORTLINK_ID.search(link.get("href", ""))):
            return int(m.group(1))
    for el in (*index.tag("body"), *index.tag("article")):
        for word in (*el.get("class", "").split(), el.get("id", "")):
            if m := _POST_ID_WORD.match(word):
                return int(m.group(1))
    return None


def _absolute(base: str, href: str) -> str:
    # urljoin costs more than the rest of the metadata; most canonical URLs are absolute.
    return href if href.startswith(("https://", "http://")) else urljoin(base, href)


def read_meta(index: PageIndex, url: str | None, default_tz: ZoneInfo) -> PageMeta:
    base = url or ""
    meta_tags = _MetaTags(index)
    canonical = next(
        (link.get("href") for link in index.tag("link") if link.get("rel") == "canonical"), None
    ) or next(iter(meta_tags("og:url")), None)
    canonical_url = _absolute(base, canonical.strip()) if canonical else None

    ld = _JsonLd(index)
    times = index.tag("time")
    # What the theme prints around the post, read only when the <head> has nothing.
    post = PostMeta(index, url or canonical_url)

    # Each source is asked only when the ones before it had nothing (JSON-LD is parsed lazily).
    published = _first_date(
        lambda: meta_tags("article:published_time", "datePublished"),
        lambda: ld.values("datePublished"),
        lambda: post.dates(_PUBLISHED_CLASSES),
        post.dates,
        post.visible_dates,
        # A page with no post scope (no article or main around its title): any dated element.
        lambda: _time_values(times, _PUBLISHED_CLASSES) if post.scope is None else [],
        default_tz=default_tz,
    )
    modified = _first_date(
        lambda: meta_tags("article:modified_time", "dateModified"),
        lambda: ld.values("dateModified"),
        lambda: post.dates(_MODIFIED_CLASSES),
        lambda: _time_values(times, _MODIFIED_CLASSES) if post.scope is None else [],
        default_tz=default_tz,
    )
    authors = meta_tags("author", "article:author") or ld.authors()
    authors = [a for a in authors if not a.startswith("http")] or post.authors()
    categories = (
        meta_tags("article:section")
        or ld.values("articleSection")
        or post.categories()
        or (
            [
                element_text(a)
                for a in index.tag("a")
                if "category" in (a.get("rel") or "").split() and not _in_widget(a)
            ]
            if post.scope is None
            else []
        )
    )
    titles = meta_tags("og:title") or [element_text(t) for t in index.tag("title")]
    site = meta_tags("og:site_name")
    return PageMeta(
        canonical_url=canonical_url,
        title=titles[0] if titles else None,
        site_name=site[0] if site else None,
        published=published,
        modified=modified,
        author=authors[0] if authors else None,
        categories=_unique(categories),
        post_id=_post_id(index),
    )
