"""Plain values that cross the storage boundary, in both directions.

The crawler fills `ArticleRecord` and `TeaserRecord`; the repository answers with
`StoredArticle` and `StoredTeaser`. None of them is an ORM object, so nothing outside `storage`
can lazy-load, flush or hold a session by accident, and the crawler never imports SQLAlchemy.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

__all__ = [
    "ArchiveStats",
    "ArticleRecord",
    "RunSummary",
    "StoredArticle",
    "StoredTeaser",
    "TeaserRecord",
]


def require_aware(name: str, value: datetime | None) -> None:
    """Reject naive datetimes: the archive stores UTC instants, and a naive value has no instant."""
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


@dataclass(frozen=True, slots=True)
class TeaserRecord:
    """One link in a page's trending / related list, as the page showed it.

    kind: the list it came from ("trending", "related", ...), as `cleaning` names it.
    position: 0-based place in that list, in page order.
    target_url: the absolute URL the teaser links to.
    title, summary, image_alt: the teaser's text; summary and image_alt are None when absent.
    """

    kind: str
    position: int
    target_url: str
    title: str
    summary: str | None
    image_alt: str | None


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """One cleaned article page, ready to store.

    canonical_url: the article's identity (the page's canonical link); one row per value.
    aliases: other URLs that show the same article (redirect sources, AMP, ?p= links).
    post_id: the WordPress post id when the page reveals it.
    title, lede, body, blocks, dateline, author, categories: the cleaned story; `blocks` are
        `{"kind": ..., "text": ...}` dicts in page order.
    published, modified: timezone-aware datetimes or None.
    paywalled: the page showed only part of the story.
    extractor: which `cleaning` path produced the story ("pvdn", "generic", "none").
    raw_html: the page bytes as downloaded, kept so the archive can be re-cleaned later.
    fetched_url: the URL the bytes were downloaded from (may differ from canonical_url).
    teasers: the page's trending / related links, in page order.
    """

    canonical_url: str
    aliases: tuple[str, ...]
    post_id: int | None
    title: str | None
    lede: str | None
    body: str
    blocks: tuple[dict[str, str], ...]
    dateline: str | None
    author: str | None
    categories: tuple[str, ...]
    published: datetime | None
    modified: datetime | None
    paywalled: bool
    extractor: str
    raw_html: bytes
    fetched_url: str
    teasers: tuple[TeaserRecord, ...]

    def __post_init__(self) -> None:
        """Fail at the boundary, naming the field, rather than deep inside an upsert."""
        if not self.canonical_url:
            raise ValueError("canonical_url must not be empty")
        require_aware("published", self.published)
        require_aware("modified", self.modified)

    @property
    def content_hash(self) -> str:
        """SHA-256 hex of the cleaned content, the test for "did this article change?".

        Only what `cleaning` extracted counts, never `raw_html`: PVDN pages carry a trending
        list that changes every hour, and a new list around the same story is not a new version
        of the story. Dates are hashed as UTC instants, so the same moment written with another
        offset is not a change either.
        """
        content: dict[str, Any] = {
            "title": self.title,
            "lede": self.lede,
            "body": self.body,
            "blocks": [dict(block) for block in self.blocks],
            "dateline": self.dateline,
            "author": self.author,
            "categories": list(self.categories),
            "published": _utc_iso(self.published),
            "modified": _utc_iso(self.modified),
            "paywalled": self.paywalled,
        }
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _utc_iso(value: datetime | None) -> str | None:
    """Render an instant the same way whatever offset it was written with."""
    return None if value is None else value.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class StoredTeaser:
    """A teaser link as archived: what the page showed last, and how often it was seen."""

    kind: str
    position: int
    target_url: str
    title: str
    summary: str | None
    image_alt: str | None
    first_seen: datetime
    last_seen: datetime
    seen_count: int


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An archived article without its raw HTML (read that through `raw_pages()`).

    Datetimes are timezone-aware UTC. `aliases` are sorted; `teasers` are ordered by kind, then
    position, which is the order a page showed each list in when last seen.
    """

    id: int
    canonical_url: str
    post_id: int | None
    title: str | None
    lede: str | None
    body: str
    blocks: tuple[dict[str, str], ...]
    dateline: str | None
    author: str | None
    categories: tuple[str, ...]
    published: datetime | None
    modified: datetime | None
    paywalled: bool
    extractor: str
    content_hash: str
    raw_url: str
    first_seen: datetime
    last_seen: datetime
    aliases: tuple[str, ...]
    teasers: tuple[StoredTeaser, ...]


class RunSummary(TypedDict):
    """A crawl run as `stats()` reports it; datetimes are UTC, finished_at None while running."""

    id: int
    spider: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    counts: dict[str, int]


class ArchiveStats(TypedDict):
    """What the archive holds, for a status command or a crawl summary."""

    articles: int
    aliases: int
    teaser_links: int
    paywalled: int
    by_extractor: dict[str, int]
    runs: int
    last_run: RunSummary | None
