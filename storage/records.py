"""Plain values that cross the storage boundary, in both directions.

The crawler fills `ArticleRecord` and `TeaserRecord`; the repository answers with
`StoredArticle`, `StoredTeaser`, `StoredRevision` and `KnownPage`. None of them is an ORM
object, so nothing outside `storage` can lazy-load, flush or hold a session by accident, and
the crawler never imports SQLAlchemy.
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
    "KnownPage",
    "RunSummary",
    "StoredArticle",
    "StoredRevision",
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
    etag, last_modified: the response's `ETag` and `Last-Modified` headers exactly as received
        (None when absent), sent back as `If-None-Match` / `If-Modified-Since` next time. They
        describe the response, not the story, so they are not part of `content_hash`.
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
    etag: str | None = None
    last_modified: str | None = None

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

    etag, last_modified: the validators of the latest 200 or 304 answer (None if it sent none).
    gone_at, gone_status: when a fetch first answered 404/410 and the latest such status; both
        None while the page answers (a later save or `touch` clears them).
    revision_count: how many versions of the content `revisions()` holds (1 for a new article).
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
    etag: str | None = None
    last_modified: str | None = None
    gone_at: datetime | None = None
    gone_status: int | None = None
    revision_count: int = 0


@dataclass(frozen=True, slots=True)
class StoredRevision:
    """One version of an article's cleaned content, as first captured.

    number: 1 for the content the article was first stored with, then one more per change.
    captured_at: the crawl time the version was first seen (for versions archived before
        revisions were kept, the article's `first_seen`).
    The other fields are those of `StoredArticle`; raw HTML is kept only for the latest version.
    """

    id: int
    article_id: int
    number: int
    content_hash: str
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
    captured_at: datetime


@dataclass(frozen=True, slots=True)
class KnownPage:
    """What a crawler needs to re-fetch an archived article conditionally, or to skip it.

    canonical_url: the article the URL belongs to (also for alias URLs).
    etag, last_modified: validators for `If-None-Match` / `If-Modified-Since`, or None.
    last_seen: the last crawl time the page answered (200 or 304).
    modified: the article's own modification date, when the page states one.
    gone: the page's latest fetches answered 404/410 (`mark_gone`) and it has not answered since.
    """

    canonical_url: str
    etag: str | None
    last_modified: str | None
    last_seen: datetime
    modified: datetime | None
    gone: bool


class RunSummary(TypedDict):
    """A crawl run as `stats()` reports it; datetimes are UTC, finished_at None while running."""

    id: int
    spider: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    counts: dict[str, int]


class ArchiveStats(TypedDict):
    """What the archive holds, for a status command or a crawl summary.

    gone: articles whose page answered 404/410 and has not answered since (kept, not deleted).
    revisions: content versions of all articles together (at least one per article).
    """

    articles: int
    aliases: int
    teaser_links: int
    paywalled: int
    gone: int
    revisions: int
    by_extractor: dict[str, int]
    runs: int
    last_run: RunSummary | None


@dataclass(frozen=True)
class RawPage:
    """A stored page as fetched, for re-cleaning: where it came from, its bytes, and the
    HTTP validators it was served with."""

    canonical_url: str
    raw_url: str
    raw_html: bytes
    etag: str | None = None
    last_modified: str | None = None
