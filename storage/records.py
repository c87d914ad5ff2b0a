"""Plain values that cross the storage boundary, in both directions.

The story's fields are declared once, in `Story`: the crawler's `ArticleRecord`, the read
models `StoredArticle` and `StoredRevision`, and both tables (through
`storage.models.StoryColumns`) hold a `Story` rather than a copy of its fields. What a crawl
learns comes in as one of the `Change` records; what the archive knows goes out as `KnownPage`
and the `Stored*` read models. None of them is an ORM object, so nothing outside `storage` can
lazy-load, flush or hold a session by accident, and the crawler never imports SQLAlchemy.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, TypedDict

from storage.warc.model import Capture, WarcLocation

__all__ = [
    "EARLIEST",
    "LATEST",
    "MAX_POST_ID",
    "PAGE_KINDS",
    "AliasRecord",
    "ArchiveStats",
    "ArticleRecord",
    "Change",
    "GoneRecord",
    "KnownPage",
    "NotModifiedRecord",
    "PageRecord",
    "RawPage",
    "RejectedChange",
    "RunSummary",
    "SearchHit",
    "StoredArticle",
    "StoredRevision",
    "Story",
    "Teaser",
    "TeaserListRecord",
    "TrendingStory",
    "WarcLocation",
    "require_aware",
    "sane_datetime",
    "sane_post_id",
]

# The instants an archive of a news site can hold. Outside them a date is a parsing accident
# (a year 1 or 9999 would overflow when converted to UTC), not a publication date.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
# Both backends store integers in 64 bits; a larger "post id" is not one WordPress made.
MAX_POST_ID = 2**63 - 1


def require_aware(name: str, value: datetime | None) -> None:
    """Reject naive datetimes: the archive stores instants, and a naive value has no instant."""
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def sane_datetime(value: datetime | None) -> datetime | None:
    """`value` if it is an aware instant the archive can hold, else None (the date is dropped,
    not the article)."""
    if value is None or value.utcoffset() is None:
        return None
    try:
        return value if EARLIEST <= value <= LATEST else None
    except OverflowError:  # comparing converts to UTC, which a year 1 or 9999 may not survive
        return None


def sane_post_id(value: int | None) -> int | None:
    """A WordPress post id the database can hold, else None."""
    return value if value is not None and 0 < value <= MAX_POST_ID else None


@dataclass(frozen=True, slots=True)
class Story:
    """The cleaned story of one page: the part of an article that has versions.

    title, lede, body: the headline, the first paragraph, the blocks' texts joined by a blank
        line; `body` is "" for a post page that shows no story (`empty_reason` says why).
    blocks: `{"kind": ..., "text": ...}` in page order (kinds as `cleaning` names them).
    dateline, author, categories: as the page states them.
    published, modified: aware datetimes, with the offset the page wrote them with.
    paywalled: the page showed only part of the story, behind a subscriber wall.
    extractor: the `cleaning` path that produced it ("pvdn", "generic", "none").
    empty_reason: why there is no story, when there is none.
    """

    title: str | None = None
    lede: str | None = None
    body: str = ""
    blocks: tuple[dict[str, str], ...] = ()
    dateline: str | None = None
    author: str | None = None
    categories: tuple[str, ...] = ()
    published: datetime | None = None
    modified: datetime | None = None
    paywalled: bool = False
    extractor: str = "none"
    empty_reason: str | None = None

    def __post_init__(self) -> None:
        """Fail at the boundary, naming the field, rather than deep inside an upsert."""
        for name in ("published", "modified"):
            value = getattr(self, name)
            require_aware(name, value)
            if value is not None and sane_datetime(value) is None:
                raise ValueError(f"{name} {value.isoformat()} is outside the archive's range")

    @property
    def content_hash(self) -> str:
        """SHA-256 hex of the cleaned content, the test for "did this article change?".

        Only what `cleaning` extracted counts, never the page's bytes: PVDN pages carry a
        trending list that changes every hour, and a new list around the same story is not a
        new version of the story. Dates are hashed as UTC instants, so the same moment written
        with another offset is not a change either. `extractor` and `empty_reason` describe how
        the story was read, not the story.
        """
        content: dict[str, Any] = {
            name: getattr(self, name) for name in STORY_FIELDS if name not in _NOT_HASHED
        }
        content["blocks"] = [dict(block) for block in self.blocks]
        content["categories"] = list(self.categories)
        content["published"] = _utc_iso(self.published)
        content["modified"] = _utc_iso(self.modified)
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


STORY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Story))
"""The story's field names, in declaration order: what `StoryColumns` must have columns for."""
_NOT_HASHED = frozenset({"extractor", "empty_reason"})


def _utc_iso(value: datetime | None) -> str | None:
    """Render an instant the same way whatever offset it was written with."""
    return None if value is None else value.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class Teaser:
    """One link of a page's trending / related list, as the page showed it.

    kind: the list it came from ("trending", "related"), as `cleaning` names it.
    position: 0-based place in that list, in page order.
    target_url: the absolute URL the teaser links to.
    title, summary, image_alt: the teaser's text; summary and image_alt are None when absent.
    """

    kind: str
    position: int
    target_url: str
    title: str
    summary: str | None = None
    image_alt: str | None = None


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """One fetched article page, cleaned, ready to store.

    canonical_url: the article's identity (the page's canonical link); one row per value.
    post_id: the WordPress post id when the page reveals it.
    story: the cleaned story (see `Story`).
    fetched_url: the URL the bytes were downloaded from (may differ from canonical_url).
    aliases: other URLs that show the same article (redirect sources, AMP, ?p= links).
    teasers: the page's trending / related links, in page order.
    capture: the HTTP exchange the page came from (request, status, headers, the bytes as
        downloaded), kept as WARC records so the archive can be re-cleaned and replayed.
    warc: where that capture is kept once written (set by the archive's writer, or given
        when re-cleaning a capture kept earlier).
    etag, last_modified: the response's `ETag` and `Last-Modified` headers exactly as received
        (None when absent), sent back as `If-None-Match` / `If-Modified-Since` next time. They
        describe the response, not the story, so they are not part of the content hash.
    """

    canonical_url: str
    story: Story
    fetched_url: str = ""
    post_id: int | None = None
    aliases: tuple[str, ...] = ()
    teasers: tuple[Teaser, ...] = ()
    capture: Capture | None = field(default=None, repr=False, compare=False)
    etag: str | None = None
    last_modified: str | None = None
    warc: WarcLocation | None = None

    def __post_init__(self) -> None:
        """Refuse a record no row could be keyed by, before it reaches a batch."""
        if not self.canonical_url:
            raise ValueError("canonical_url must not be empty")
        if self.post_id is not None and sane_post_id(self.post_id) is None:
            raise ValueError(f"post_id {self.post_id} is not a WordPress post id")

    @property
    def raw_html(self) -> bytes:
        """The page's bytes as downloaded (empty without a capture)."""
        return self.capture.body if self.capture is not None else b""


@dataclass(frozen=True, slots=True)
class AliasRecord:
    """Another address of an article stored earlier (a link form seen after the page)."""

    alias_url: str
    canonical_url: str


@dataclass(frozen=True, slots=True)
class NotModifiedRecord:
    """An archived article the site answered 304 Not Modified for: only its check times (and
    validators, when the answer carried new ones) change."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    capture: Capture | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class GoneRecord:
    """An archived article the site now answers 404 or 410 for: marked gone, never deleted."""

    url: str
    status: int
    capture: Capture | None = field(default=None, repr=False, compare=False)


PAGE_KINDS = frozenset(
    {"static", "attachment", "listing", "feed", "sitemap", "redirect", "missing", "other"}
)


@dataclass(frozen=True, slots=True)
class PageRecord:
    """An address that answered with something that is not an article.

    kind: "static" (a WordPress Page), "attachment", "listing" (an archive), "feed",
        "sitemap", "redirect" (to `target_url`), "missing" (404/410 of an address that never
        was an article) or "other".
    status: the HTTP status of the answer (200 for pages, 3xx for redirects, 304 when a
        conditional request found it unchanged, 404/410 when missing).
    etag, last_modified: validators, for feeds and sitemaps that send them.
    """

    url: str
    kind: str
    status: int
    target_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    capture: Capture | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Refuse a kind the archive does not know, so a typo cannot become a page kind."""
        if self.kind not in PAGE_KINDS:
            raise ValueError(f"unknown page kind {self.kind!r}")


@dataclass(frozen=True, slots=True)
class TeaserListRecord:
    """The teaser lists a page that is not an archived article showed (a listing's trending
    widget): an observation of the site's trending list, recorded even in a run that
    downloads no article. An article's own lists come with its `ArticleRecord`.

    page_url: the page the lists were on; teasers: as in `ArticleRecord.teasers`.
    """

    page_url: str
    teasers: tuple[Teaser, ...]


Change = (
    ArticleRecord | AliasRecord | NotModifiedRecord | GoneRecord | PageRecord | TeaserListRecord
)
"""Everything a crawl learns and hands to the archive."""


@dataclass(frozen=True, slots=True)
class RejectedChange:
    """A change the database refused, kept with the reason instead of failing its batch."""

    url: str
    kind: str
    reason: str


@dataclass(frozen=True, slots=True)
class KnownPage:
    """What a crawler needs to decide whether, and how, to ask for an address again.

    canonical_url: the article the URL belongs to (also for alias URLs); for other pages the
        address itself.
    kind: "article", or the `PageRecord` kind of an address that is not one.
    etag, last_modified: validators for `If-None-Match` / `If-Modified-Since`, or None.
    last_seen: the last crawl time the address answered (200 or 304); None if it never did.
    checked_at: the last crawl time it was asked for, whatever the answer.
    published: the article's publication date, when known.
    gone: an article whose latest fetch answered 404/410.
    target_url: where a redirect led.
    """

    canonical_url: str
    kind: str = "article"
    etag: str | None = None
    last_modified: str | None = None
    last_seen: datetime | None = None
    checked_at: datetime | None = None
    published: datetime | None = None
    gone: bool = False
    target_url: str | None = None

    @property
    def is_article(self) -> bool:
        """Whether the address is a stored article (or its alias), not another known page."""
        return self.kind == "article"


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An archived article without its page (the page is a WARC capture: `raw_pages()` gives
    its location, `storage.warc.read_capture` the bytes).

    Datetimes of the crawl are UTC; the story's own dates keep the offset they were written
    with. `aliases` are sorted; `teasers` are the lists the page showed when last stored, in
    kind then position order.

    etag, last_modified: the validators of the latest 200 or 304 answer (None if it sent none).
    gone_at, gone_status: when a fetch first answered 404/410 and the latest such status; both
        None while the page answers (a later save or `touch` clears them).
    revision_count: how many versions of the story `revisions()` holds (1 for a new article).
    """

    id: int
    canonical_url: str
    post_id: int | None
    story: Story
    content_hash: str
    raw_url: str
    first_seen: datetime
    last_seen: datetime
    checked_at: datetime | None
    aliases: tuple[str, ...]
    teasers: tuple[Teaser, ...]
    etag: str | None = None
    last_modified: str | None = None
    gone_at: datetime | None = None
    gone_status: int | None = None
    revision_count: int = 0
    warc: WarcLocation | None = None


@dataclass(frozen=True, slots=True)
class StoredRevision:
    """One version of an article's story, as first captured.

    number: 1 for the story the article was first stored with, then one more per change.
    captured_at: the crawl time the version was first seen (for versions archived before
        revisions were kept, the article's `first_seen`).
    warc: where the page it was cleaned from is kept (None for versions archived before
        captures were kept, other than the latest).
    """

    id: int
    article_id: int
    number: int
    content_hash: str
    story: Story
    captured_at: datetime
    warc: WarcLocation | None = None


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One article a full-text search found, best first.

    score: the backend's relevance (higher is better; comparable only within one search).
    snippet: the passage that matched, the matched words between `**`, `…` where cut.
    """

    article_id: int
    canonical_url: str
    title: str | None
    published: datetime | None
    categories: tuple[str, ...]
    snippet: str
    score: float


@dataclass(frozen=True, slots=True)
class TrendingStory:
    """A target of a trending (or related) list, over the runs that saw it there.

    target_url: the target's canonical URL when it is an archived article, else its address
        with the site's link noise removed. article_id: the archived article, if any.
    title: the article's title, else the latest teaser title.
    first_seen, last_seen: the first and the last sighting (UTC).
    runs: how many runs saw it on the list (a run sees the list on many pages: it counts once).
    best_position, median_position: 1 is the top of the list; per run the best place it had,
        then the best and the median of those.
    positions: (the run's time, best position in that run), oldest first; a run's time is
        its first sighting of any target, the same for every story it saw.
    """

    target_url: str
    article_id: int | None
    title: str
    first_seen: datetime
    last_seen: datetime
    runs: int
    best_position: int
    median_position: float
    positions: tuple[tuple[datetime, int], ...]


class RunSummary(TypedDict):
    """A run as `stats()` reports it; datetimes are UTC, finished_at None while running;
    `summary` the run's summary line (None while running, or for runs before it was kept)."""

    id: int
    spider: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    counts: dict[str, int]
    summary: str | None


class ArchiveStats(TypedDict):
    """What the archive holds, for a status command or a crawl summary.

    gone: articles whose page answered 404/410 and has not answered since (kept, not deleted).
    revisions: story versions of all articles together (at least one per article).
    pages: addresses known not to be articles (static pages, redirects, missing links, ...).
    rejects: changes the database refused, kept with their reason.
    """

    articles: int
    aliases: int
    teaser_links: int
    paywalled: int
    no_story: int
    gone: int
    revisions: int
    pages: int
    rejects: int
    by_extractor: dict[str, int]
    runs: int
    last_run: RunSummary | None


@dataclass(frozen=True)
class RawPage:
    """A stored page, for re-cleaning: the article's id and canonical URL, where the page came
    from, where its capture is kept, the HTTP validators it was served with, and the hash of
    the story stored from it (a re-clean that gives the same hash changes nothing). A page
    of a revision (`reclean --all-revisions`) names that revision's number."""

    id: int
    canonical_url: str
    raw_url: str
    warc: WarcLocation | None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str = ""
    post_id: int | None = None
    revision: int | None = None
