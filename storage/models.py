"""The archive's tables, as SQLAlchemy 2.0 typed ORM models.

These classes stay inside `storage`: the repository turns them into the plain dataclasses of
`storage.records` before anything leaves. Every type here is portable (Text, JSON, LargeBinary,
timezone-aware DateTime), so the same models run on SQLite and PostgreSQL. The schema itself is
created and changed only by the Alembic migrations in `storage/migrations/`, which must be
kept in step with this module (a test compares them).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column, relationship

from storage.records import STORY_FIELDS, Story
from storage.warc.model import WarcLocation

__all__ = [
    "Article",
    "ArticleAlias",
    "ArticleRevision",
    "Base",
    "CrawlRun",
    "Page",
    "Reject",
    "StoryColumns",
    "TeaserLink",
    "TeaserSighting",
    "UTCDateTime",
    "WarcColumns",
    "warc_location",
]

# Named constraints: Alembic's batch mode on SQLite rebuilds tables and can only drop or alter a
# constraint it can name, and PostgreSQL then gets the same predictable names.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime that always comes back as UTC, on every backend.

    SQLite has no timezone type: SQLAlchemy stores the wall-clock text and returns naive values.
    Converting to UTC on the way in and attaching UTC on the way out makes SQLite behave like
    PostgreSQL's `timestamptz`, and makes SQLite's text comparison of two stored values agree
    with time order. Naive values are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store the UTC instant; a naive value has no instant, so it is an error."""
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored as UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return UTC whatever the session time zone (PostgreSQL) or lack of one (SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention and the portable type choices."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012  (SQLAlchemy reads this class attribute as a mapping)
        datetime: UTCDateTime(),
        str: Text(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class StoryColumns:
    """The columns of a `Story`, shared by `articles` (the latest version) and
    `article_revisions` (every version): declared here once, named as `Story`'s fields (a test
    holds the two together).

    Dates are stored as UTC instants, which sort and compare on both backends, beside the UTC
    offset in minutes the page wrote them with (`*_offset`), so a story reads back with the
    wall-clock time and offset it was published with.
    """

    title: Mapped[str | None]
    lede: Mapped[str | None]
    body: Mapped[str]
    blocks: Mapped[list[Any]]
    dateline: Mapped[str | None]
    author: Mapped[str | None]
    categories: Mapped[list[Any]]
    published: Mapped[datetime | None]
    published_offset: Mapped[int | None]
    modified: Mapped[datetime | None]
    modified_offset: Mapped[int | None]
    paywalled: Mapped[bool]
    extractor: Mapped[str]
    empty_reason: Mapped[str | None]

    @staticmethod
    def story_values(story: Story) -> dict[str, Any]:
        """The column values of `story` (JSON columns take lists)."""
        values: dict[str, Any] = {name: getattr(story, name) for name in STORY_FIELDS}
        values["blocks"] = [dict(block) for block in story.blocks]
        values["categories"] = list(story.categories)
        for name in DATED_STORY_FIELDS:
            values[f"{name}_offset"] = _offset_minutes(values[name])
        return values

    @staticmethod
    def story_from(row: Any) -> Story:
        """The `Story` of an ORM row or a Core row holding these columns."""
        columns = {name: getattr(row, name) for name in STORY_COLUMNS}
        return Story(**StoryColumns.story_values_from(columns))

    @staticmethod
    def story_values_from(columns: dict[str, Any]) -> dict[str, Any]:
        """`Story` field values from some or all of these columns (by name), dates with
        their offsets when the offset columns are among them."""
        values = {name: value for name, value in columns.items() if name in STORY_FIELDS}
        if "blocks" in values:
            values["blocks"] = tuple(dict(block) for block in values["blocks"])
        if "categories" in values:
            values["categories"] = tuple(values["categories"])
        for name in DATED_STORY_FIELDS:
            if name in values:
                values[name] = _with_offset(values[name], columns.get(f"{name}_offset"))
        return values


DATED_STORY_FIELDS = ("published", "modified")
STORY_COLUMNS: tuple[str, ...] = (
    *STORY_FIELDS,
    *(f"{name}_offset" for name in DATED_STORY_FIELDS),
)
"""Every column `StoryColumns` adds, for statements that copy a story between tables."""


def _offset_minutes(value: datetime | None) -> int | None:
    """The UTC offset a datetime was written with, in minutes: kept beside the UTC value
    (`*_offset` columns), since neither backend keeps the offset itself."""
    offset = None if value is None else value.utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


def _with_offset(value: datetime | None, minutes: int | None) -> datetime | None:
    """A stored UTC instant shown at the offset it was written with (UTC when unknown)."""
    if value is None or minutes is None:
        return value
    return value.astimezone(timezone(timedelta(minutes=minutes)))


class WarcColumns:
    """Where the page a story was cleaned from is kept: a record in the archive's WARC
    folder (`storage.warc`), by file name, offset and length. NULL for stories archived
    before captures were kept (all but an article's latest)."""

    warc_file: Mapped[str | None]
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    warc_length: Mapped[int | None]

    @property
    def warc(self) -> WarcLocation | None:
        """Where the row's capture is kept; None when no capture was kept."""
        return warc_location(self.warc_file, self.warc_offset, self.warc_length)

    @staticmethod
    def warc_values(location: WarcLocation | None) -> dict[str, Any]:
        """The three columns of a location, for an insert or an update."""
        return {
            "warc_file": location.filename if location else None,
            "warc_offset": location.offset if location else None,
            "warc_length": location.length if location else None,
        }


WARC_COLUMNS = ("warc_file", "warc_offset", "warc_length")


class ArticleRevision(StoryColumns, WarcColumns, Base):
    """One version of an article's story: number 1 when first stored, +1 per change.

    The latest revision always equals the article's current story. Defined before `Article`
    because `Article.revision_count` counts these rows in SQL.
    """

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The unique (article_id, number) index also serves lookups by article_id alone.
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int]
    content_hash: Mapped[str]
    captured_at: Mapped[datetime]

    article: Mapped[Article] = relationship(back_populates="revisions")


class Article(StoryColumns, WarcColumns, Base):
    """One article, identified by its canonical URL, holding its latest story.

    `content_hash` is `Story.content_hash` of the stored story; the page that produced it,
    fetched from `raw_url`, is kept in a WARC record (`WarcColumns`). `first_seen` /
    `last_seen` are crawl times the page answered, `checked_at` the last time it was asked
    for whatever it answered (what the revisit policy rotates on); none is a publication time.

    `etag` / `last_modified` are the HTTP validators of the latest answer, as received, for the
    next conditional request. `gone_at` is when a fetch first answered 404/410 (`gone_status`
    the latest such status); the article itself is kept, and both clear when the page answers.
    """

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(unique=True)
    post_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    content_hash: Mapped[str]
    raw_url: Mapped[str]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    checked_at: Mapped[datetime | None]
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    gone_at: Mapped[datetime | None]
    gone_status: Mapped[int | None]

    # Counted by the database in the article's own SELECT (no query per article); deferred so
    # that only reads which report it (`_with_children` in the repository) pay for it.
    revision_count: Mapped[int] = column_property(
        select(func.count(ArticleRevision.id))
        .where(ArticleRevision.article_id == id)
        .correlate_except(ArticleRevision)
        .scalar_subquery(),
        deferred=True,
    )

    aliases: Mapped[list[ArticleAlias]] = relationship(
        back_populates="article", passive_deletes=True, order_by="ArticleAlias.url"
    )
    revisions: Mapped[list[ArticleRevision]] = relationship(
        back_populates="article", passive_deletes=True, order_by=ArticleRevision.number
    )
    teasers: Mapped[list[TeaserLink]] = relationship(
        back_populates="page",
        passive_deletes=True,
        order_by=lambda: (TeaserLink.kind, TeaserLink.position, TeaserLink.id),
    )


class ArticleAlias(Base):
    """Another URL that shows an article; each URL points at exactly one article."""

    __tablename__ = "article_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(unique=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]

    article: Mapped[Article] = relationship(back_populates="aliases")


class TeaserLink(Base):
    """A trending / related link as shown on one archived page, one row per (page, list, target).

    Seeing the same teaser again updates it in place (`last_seen`, latest text and position,
    `seen_count` + 1); teasers a page no longer shows are kept, their `last_seen` says when they
    were last there.
    """

    __tablename__ = "teaser_links"
    __table_args__ = (UniqueConstraint("page_id", "kind", "target_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    kind: Mapped[str]
    # Indexed for the question teasers answer in an archive: which pages linked to this URL?
    target_url: Mapped[str] = mapped_column(index=True)
    position: Mapped[int]
    title: Mapped[str]
    summary: Mapped[str | None]
    image_alt: Mapped[str | None]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    seen_count: Mapped[int]

    page: Mapped[Article] = relationship(back_populates="teasers")


class TeaserSighting(Base):
    """One observation of one teaser: a run saw `target_url` at `position` of a `kind` list on
    the page at `page_url`, at `seen_at`. Never updated except to resolve its target, so the
    rows are the history a trending chart is drawn from (`teaser_links` keeps each page's
    latest list instead).

    `target_url` is the target's canonical URL once it is known to be an archived article
    (`target_id`), else its address with the site's link noise removed (the crawler strips
    `?amp=1`, tracking parameters and fragments before storing). A sighting made before its
    target was archived is resolved when the article, or an alias leading to it, is stored.
    `page_id` is the page's article when the page is one (a listing is not). `run_id` is the
    crawl that saw it; NULL only for history carried over from before runs were linked.

    Indexed for what reads it: by list kind and time (trending over a period) and by target
    (resolution, "when did this story trend?"). The foreign keys are not indexed: articles
    and runs are never deleted in normal use, and this is the archive's most written table.
    """

    __tablename__ = "teaser_sightings"
    __table_args__ = (Index("ix_teaser_sightings_kind_seen_at", "kind", "seen_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    seen_at: Mapped[datetime]
    page_url: Mapped[str]
    page_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    kind: Mapped[str]
    position: Mapped[int]
    target_url: Mapped[str] = mapped_column(index=True)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    title: Mapped[str]


class CrawlRun(Base):
    """One run (a crawl, a re-clean): when it ran, how it ended (`status`, the verdict's name;
    `summary`, its summary line with the cause), and its free-form integer counters."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str]
    spider: Mapped[str]
    counts: Mapped[dict[str, Any]]
    summary: Mapped[str | None]


class Page(Base):
    """An address known not to be an article, so a crawl need not ask for it every run.

    One row per request address: WordPress Pages, attachment pages, archives, feeds and
    sitemaps, redirects (`target_url`, e.g. a `?p=ID` link to a known article) and links that
    answered 404/410 without ever having been an article. `status` is the latest answer;
    `etag` / `last_modified` the validators of a feed or sitemap that sends them;
    `checked_at` the last time it was asked for (the revisit policy re-checks the stalest).
    """

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(unique=True)
    kind: Mapped[str]
    status: Mapped[int]
    target_url: Mapped[str | None]
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    first_seen: Mapped[datetime]
    checked_at: Mapped[datetime] = mapped_column(index=True)


class Reject(Base):
    """A change the database refused (a value it could not store), kept with the reason so a
    run that lost something says what and why, and the rest of its batch is still stored."""

    __tablename__ = "rejects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    url: Mapped[str]
    kind: Mapped[str]
    reason: Mapped[str]
    at: Mapped[datetime]


def warc_location(
    filename: str | None, offset: int | None, length: int | None
) -> WarcLocation | None:
    """A row's three location columns as one value (rows read through Core as much as ORM
    objects); None when the row kept no capture."""
    if filename is None or offset is None or length is None:
        return None
    return WarcLocation(filename, offset, length)
