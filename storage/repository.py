"""Reads and idempotent, batched writes of the archive, inside a transaction the caller owns.

`ArchiveRepository` takes a `Session` and never commits, flushes for the caller or opens a
transaction: the caller decides what one unit of work is (`with factory.begin() as session:`),
so a batch of articles and their aliases and teasers are stored together or not at all.

Writes take a batch and run each statement once for the whole batch (`executemany`; the
statements themselves are built once per backend and cached), so a crawl's batch of fifty
articles costs a handful of round trips rather than a few hundred. Article writes are upserts
(`INSERT ... ON CONFLICT DO UPDATE`), so saving the same page twice, or after a crash half-way
through a crawl, cannot create duplicates.

The archive has one writer at a time (`storage.locking.writer_lock`); the outcome of a save
(new, changed, unchanged) and the next revision number are read in the same transaction just
before the write, and that rule is what makes them exact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any, Literal, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    Update,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, selectinload, undefer
from sqlalchemy.sql.dml import Insert

from storage import search as fulltext
from storage import trending as trends
from storage.errors import RunNotFoundError, StorageError
from storage.models import (
    STORY_COLUMNS,
    WARC_COLUMNS,
    Article,
    ArticleAlias,
    ArticleRevision,
    Base,
    CrawlRun,
    Page,
    Reject,
    StoryColumns,
    TeaserLink,
    TeaserSighting,
    WarcColumns,
    warc_location,
)
from storage.records import (
    AliasRecord,
    ArchiveStats,
    ArticleRecord,
    Change,
    GoneRecord,
    KnownPage,
    NotModifiedRecord,
    PageRecord,
    RawPage,
    RejectedChange,
    RunSummary,
    SearchHit,
    StoredArticle,
    StoredRevision,
    Story,
    Teaser,
    TeaserListRecord,
    TrendingStory,
    WarcLocation,
    require_aware,
)

__all__ = ["ArchiveRepository", "Outcome", "SaveOutcome"]

SaveOutcome = Literal["new", "changed", "unchanged"]
Outcome = Literal[
    "new",
    "changed",
    "unchanged",
    "alias",
    "not_modified",
    "gone",
    "still_gone",
    "page",
    "teasers",
]
"""What storing one change did; `apply` answers None for a change about an unknown article."""

_C = TypeVar(
    "_C", ArticleRecord, AliasRecord, NotModifiedRecord, GoneRecord, PageRecord, TeaserListRecord
)

# Rows per round trip when streaming articles or revisions with their stories, aliases and
# teasers (a few KB each).
_ARTICLE_BATCH = 200
# URLs per `IN (...)` list: far below every backend's limit on bound parameters.
_IN_CHUNK = 500

# What a changed article replaces: its story, and the page and URL the story came from. An
# unchanged article keeps all of these, so the page it points at always produced its story.
_REPLACED_ON_CHANGE = (*STORY_COLUMNS, *WARC_COLUMNS, "post_id", "content_hash", "raw_url")
# Story metadata a page may not state itself, and the columns holding it.
_STICKY = ("published", "modified", "author", "categories")
_STICKY_COLUMNS = (*_STICKY, "published_offset", "modified_offset")


@dataclass(frozen=True, slots=True)
class _Stored:
    """An article's state as a save needs it."""

    id: int
    content_hash: str
    paywalled: bool
    last_revision: int
    metadata: dict[str, Any]


class ArchiveRepository:
    """The archive's operations on one session; construct one per unit of work, it is cheap."""

    def __init__(self, session: Session) -> None:
        """Keep the session; nothing is read or written until a method is called."""
        self._session = session
        self._dialect = session.get_bind().dialect.name
        if self._dialect not in ("sqlite", "postgresql"):
            raise StorageError(f"unsupported database {self._dialect!r}: use SQLite or PostgreSQL")

    # ---- writes -------------------------------------------------------------------------------

    def apply(
        self,
        changes: Sequence[Change],
        seen_at: datetime,
        *,
        run_id: int | None = None,
        sightings: bool = True,
    ) -> list[Outcome | None]:
        """Store a batch of what a crawl learnt; one outcome per change, in order.

        Kinds are written in the order that lets one batch hold an article and what refers to
        it: articles, then aliases, then 304s, gone marks and other pages, then the teaser
        sightings of the batch's pages (articles' lists and `TeaserListRecord`s), so that a
        teaser whose target is stored in the same batch is resolved to it at once.

        `sightings` False stores the pages without recording their teasers as seen now: a
        re-clean reads pages fetched earlier, it observes nothing (`run_id` is the run the
        sightings belong to).
        """
        require_aware("seen_at", seen_at)
        outcomes: list[Outcome | None] = [None] * len(changes)

        def fill(positions: list[int], done: Sequence[Outcome | None]) -> None:
            """Put each kind's outcomes back at the positions of its changes."""
            for position, outcome in zip(positions, done, strict=True):
                outcomes[position] = outcome

        fill(*_pick(changes, ArticleRecord, lambda records: self.save_articles(records, seen_at)))
        fill(*_pick(changes, AliasRecord, lambda records: self.add_aliases(records, seen_at)))
        fill(*_pick(changes, NotModifiedRecord, lambda records: self.touch_many(records, seen_at)))
        fill(*_pick(changes, GoneRecord, lambda records: self.mark_gone_many(records, seen_at)))
        fill(*_pick(changes, PageRecord, lambda records: self.record_pages(records, seen_at)))
        fill(*_pick(changes, TeaserListRecord, lambda records: ["teasers"] * len(records)))
        if sightings:
            self.record_sightings(
                [
                    (_page_of(change), change.teasers)
                    for change in changes
                    if isinstance(change, ArticleRecord | TeaserListRecord) and change.teasers
                ],
                seen_at,
                run_id,
            )
        return outcomes

    def record_sightings(
        self,
        lists: Sequence[tuple[str, Sequence[Teaser]]],
        seen_at: datetime,
        run_id: int | None = None,
    ) -> int:
        """Record that each page (by URL) showed these teasers at `seen_at`; how many rows.

        Each teaser is one row (see `TeaserSighting`), its target resolved to the archived
        article it is, by canonical URL or alias, when there is one; the page is linked to its
        article when it is one. A list that shows a target twice keeps its first appearance.
        """
        require_aware("seen_at", seen_at)
        if not lists:
            return 0
        resolved = self._resolve([teaser.target_url for _, teasers in lists for teaser in teasers])
        pages = self._resolve([page for page, _ in lists])
        rows: list[dict[str, Any]] = []
        for page, teasers in lists:
            shown: set[tuple[str, str]] = set()
            page_id = pages[page][0] if page in pages else None
            for teaser in teasers:
                if (teaser.kind, teaser.target_url) in shown:
                    continue
                shown.add((teaser.kind, teaser.target_url))
                target = resolved.get(teaser.target_url)
                rows.append(
                    {
                        "run_id": run_id,
                        "seen_at": seen_at,
                        "page_url": page,
                        "page_id": page_id,
                        "kind": teaser.kind,
                        "position": teaser.position,
                        "target_url": target[1] if target else teaser.target_url,
                        "target_id": target[0] if target else None,
                        "title": teaser.title,
                    }
                )
        if rows:
            self._connection().execute(insert(_table(TeaserSighting)), rows)
        return len(rows)

    def save_article(self, record: ArticleRecord, seen_at: datetime) -> SaveOutcome:
        """`save_articles` for one record."""
        return self.save_articles([record], seen_at)[0]

    def save_articles(
        self, records: Sequence[ArticleRecord], seen_at: datetime
    ) -> list[SaveOutcome]:
        """Store crawled articles, their aliases and their teasers; say which were news.

        "new": no article had this canonical URL; its story becomes revision 1. "changed":
        the cleaned story differs from the stored one (compared by content hash), so every
        story column, the WARC location of its page and `raw_url` are replaced and the new
        story becomes the next revision. "unchanged": only the seen and check times move and
        no revision is written; the stored location is kept, because it names the page that
        produced the stored story (what re-cleaning needs).

        A record behind a subscriber wall (`paywalled`) never replaces a stored story that was
        not: it counts as "unchanged", so the archive keeps the full text.

        Whatever the outcome, the record's `etag` / `last_modified` replace the stored ones
        (None included: validators describe the latest response, and one the server no longer
        sends must not be sent back), and the gone marks are cleared, since the page answered.
        Aliases (`aliases`, plus `fetched_url` when it is not the canonical URL) are pointed
        at the article; teasers are upserted per (page, kind, target URL): a teaser seen again
        gets the latest position and text, `last_seen = seen_at` and `seen_count + 1`.

        Two records of one article in a batch are saved one after the other, in order.
        """
        require_aware("seen_at", seen_at)
        outcomes: list[SaveOutcome | None] = [None] * len(records)
        # Round n holds each article's n-th record: one pass to sort them, one save a round.
        rounds: list[list[tuple[int, ArticleRecord]]] = []
        copies: Counter[str] = Counter()
        for position, record in enumerate(records):
            number = copies[record.canonical_url]
            copies[record.canonical_url] += 1
            if number == len(rounds):
                rounds.append([])
            rounds[number].append((position, record))
        for batch in rounds:
            done = self._save_distinct([record for _, record in batch], seen_at)
            for (position, _), outcome in zip(batch, done, strict=True):
                outcomes[position] = outcome
        return [outcome for outcome in outcomes if outcome is not None]

    def add_alias(self, alias_url: str, canonical_url: str, seen_at: datetime) -> bool:
        """`add_aliases` for one address."""
        return self.add_aliases([AliasRecord(alias_url, canonical_url)], seen_at)[0] == "alias"

    def add_aliases(
        self, records: Sequence[AliasRecord], seen_at: datetime
    ) -> list[Literal["alias"] | None]:
        """Record other URLs of stored articles; None for an unknown canonical URL.

        An alias needs its article's id, so an unknown canonical URL stores nothing rather than
        inventing an empty article; an alias equal to its canonical URL is not an alias. An
        alias that pointed at another article is taken over.
        """
        require_aware("seen_at", seen_at)
        ids = self._article_ids([record.canonical_url for record in records])
        rows: dict[str, int] = {}
        outcomes: list[Literal["alias"] | None] = []
        for record in records:
            article_id = ids.get(record.canonical_url)
            if (
                article_id is None
                or not record.alias_url
                or record.alias_url == record.canonical_url
            ):
                outcomes.append(None)
                continue
            rows[record.alias_url] = article_id
            outcomes.append("alias")
        self._upsert_aliases(rows, seen_at)
        self._resolve_sightings(rows, {article_id: url for url, article_id in ids.items()})
        return outcomes

    def touch(
        self,
        url: str,
        seen_at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> str | None:
        """`touch_many` for one address; the article's canonical URL, or None if unknown."""
        found = self._resolve([url]).get(url)
        if found is None:
            return None
        self.touch_many([NotModifiedRecord(url, etag, last_modified)], seen_at)
        return found[1]

    def touch_many(
        self, records: Sequence[NotModifiedRecord], seen_at: datetime
    ) -> list[Literal["not_modified"] | None]:
        """Record 304 Not Modified answers for stored articles (by canonical URL or alias).

        The page answered, so `last_seen` and `checked_at` move and the gone marks clear. A 304
        may carry updated validators: those given replace the stored ones, and None keeps what
        is stored (a 304 that omits a header does not mean the resource lost it). Aliases and
        teasers were not in the answer, so they stay as they are.
        """
        require_aware("seen_at", seen_at)
        found = self._resolve([record.url for record in records])
        rows = [
            {
                "b_id": found[record.url][0],
                "b_etag": record.etag,
                "b_last_modified": record.last_modified,
                "b_at": seen_at,
            }
            for record in records
            if record.url in found
        ]
        if rows:
            self._connection().execute(_touch_statement(), rows)
        return ["not_modified" if record.url in found else None for record in records]

    def mark_gone(self, url: str, status: int, at: datetime) -> str | None:
        """`mark_gone_many` for one address; the article's canonical URL, or None if unknown."""
        found = self._resolve([url]).get(url)
        if found is None:
            return None
        self.mark_gone_many([GoneRecord(url, status)], at)
        return found[1]

    def mark_gone_many(
        self, records: Sequence[GoneRecord], at: datetime
    ) -> list[Literal["gone", "still_gone"] | None]:
        """Record 404/410 answers for stored articles: "gone" the first time, "still_gone"
        after that (so a run counts a deletion once, when it happens), None if unknown.

        Nothing is deleted: the archive keeps what the site no longer serves, which is much of
        its point. `gone_at` keeps the first time the page was found gone, `gone_status` the
        latest status; `last_seen` does not move (the article was not seen), `checked_at` does.
        """
        require_aware("at", at)
        found = self._resolve([record.url for record in records])
        gone_before = self._gone_ids([article_id for article_id, _ in found.values()])
        outcomes: list[Literal["gone", "still_gone"] | None] = []
        rows = []
        newly_gone: set[int] = set()
        for record in records:
            if record.url not in found:
                outcomes.append(None)
                continue
            article_id = found[record.url][0]
            first = article_id not in gone_before and article_id not in newly_gone
            newly_gone.add(article_id)
            outcomes.append("gone" if first else "still_gone")
            rows.append({"b_id": article_id, "b_status": record.status, "b_at": at})
        if rows:
            self._connection().execute(_gone_statement(), rows)
        return outcomes

    def record_pages(
        self, records: Sequence[PageRecord], seen_at: datetime
    ) -> list[Literal["page"]]:
        """Remember addresses that are not articles, with their kind and latest answer.

        A 304 (a feed or sitemap asked conditionally) keeps the stored validators; any other
        answer replaces them. The latest record of one address in a batch wins.
        """
        require_aware("seen_at", seen_at)
        rows = {
            record.url: {
                "url": record.url,
                "kind": record.kind,
                "status": record.status,
                "target_url": record.target_url,
                "etag": record.etag,
                "last_modified": record.last_modified,
                "first_seen": seen_at,
                "checked_at": seen_at,
            }
            for record in records
        }
        if rows:
            self._connection().execute(_page_upsert(self._dialect), list(rows.values()))
        return ["page"] * len(records)

    def add_rejects(
        self, rejected: Sequence[RejectedChange], run_id: int | None, at: datetime
    ) -> None:
        """Keep changes the database refused, with their reason."""
        require_aware("at", at)
        rows = [
            {"run_id": run_id, "url": r.url, "kind": r.kind, "reason": r.reason, "at": at}
            for r in rejected
        ]
        if rows:
            self._connection().execute(insert(_table(Reject)), rows)

    def start_run(self, spider: str, started_at: datetime) -> int:
        """Record that a run began; the returned id is what `finish_run` takes."""
        require_aware("started_at", started_at)
        statement = (
            _insert_for(self._dialect, CrawlRun)
            .values(started_at=started_at, status="running", spider=spider, counts={})
            .returning(CrawlRun.id)
        )
        return self._session.execute(statement).scalar_one()

    def finish_run(
        self,
        run_id: int,
        finished_at: datetime,
        status: str,
        counts: Mapping[str, int],
        *,
        summary: str | None = None,
    ) -> None:
        """Record how a run ended ("ok", "unfinished", ...), its counters and its summary
        line (the verdict's cause included).

        Raises RunNotFoundError for an id `start_run` never returned, rather than silently
        recording nothing.
        """
        require_aware("finished_at", finished_at)
        statement = (
            update(CrawlRun)
            .where(CrawlRun.id == run_id)
            .values(finished_at=finished_at, status=status, counts=dict(counts), summary=summary)
            .returning(CrawlRun.id)
            .execution_options(synchronize_session=False)
        )
        if self._session.execute(statement).first() is None:
            raise RunNotFoundError(f"no crawl run with id {run_id}")

    # ---- reads --------------------------------------------------------------------------------

    def find_article(self, url: str) -> StoredArticle | None:
        """The article at a canonical URL or any of its aliases, with aliases and teasers."""
        return self.locate([url])

    def locate(self, urls: Sequence[str], post_id: int | None = None) -> StoredArticle | None:
        """The article at the first of `urls` that is a canonical URL or an alias of one, else
        the article with WordPress post id `post_id` (the earliest stored, should two claim
        it), else None. `urls` are tried in order, so a caller lists the likeliest first."""
        found = self._resolve(list(urls))
        article_id = next((found[url][0] for url in urls if url in found), None)
        if article_id is None and post_id is not None:
            article_id = self._session.scalar(
                select(Article.id).where(Article.post_id == post_id).order_by(Article.id).limit(1)
            )
        if article_id is None:
            return None
        statement = _with_children(select(Article).where(Article.id == article_id))
        return _stored_article(self._session.scalars(statement).one())

    def origins(self) -> list[str]:
        """The origins (`scheme://host[:port]`) the archived articles' canonical URLs are on:
        the production site, a mirror, or both."""
        url = Article.canonical_url
        if self._dialect == "sqlite":
            # Past "http://" or "https://" (7 or 8 characters) the host runs to the next "/".
            slash = func.instr(func.substr(url, 9), "/")
            origin: ColumnElement[str] = case(
                (slash == 0, url), else_=func.substr(url, 1, slash + 7)
            )
        else:
            origin = func.substring(url, "^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]+")
        statement = select(origin).distinct()
        return sorted(str(value) for value in self._session.scalars(statement) if value)

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        since: datetime | None = None,
        until: datetime | None = None,
        categories: Sequence[str] = (),
    ) -> list[SearchHit]:
        """Full-text search over title, lede and body; see `storage.search.search`."""
        return fulltext.search(
            self._session, query, limit=limit, since=since, until=until, categories=categories
        )

    def category_names(self) -> list[str]:
        """Every category name the archived articles carry, sorted."""
        return fulltext.category_names(self._session)

    def trending(
        self,
        *,
        kind: str = "trending",
        since: datetime | None = None,
        until: datetime | None = None,
        top: int | None = 10,
    ) -> list[TrendingStory]:
        """The stories a kind of teaser list showed in [since, until); see
        `storage.trending.trending`."""
        return trends.trending(self._session, kind=kind, since=since, until=until, top=top)

    def revisions(self, url: str) -> list[StoredRevision]:
        """Every version of the article at `url` (canonical or alias), oldest first."""
        found = self._resolve([url]).get(url)
        if found is None:
            return []
        statement = (
            select(ArticleRevision)
            .where(ArticleRevision.article_id == found[0])
            .order_by(ArticleRevision.number)
        )
        return [_stored_revision(row) for row in self._session.scalars(statement)]

    def known_pages(self) -> dict[str, KnownPage]:
        """Every address the archive knows, for deciding what a crawl asks for again.

        Keys are all canonical URLs, all alias URLs and every known non-article address; an
        alias maps to its article's `KnownPage` (the same object). Where an address is both,
        the article wins. A few queries whatever the archive's size, reading only the columns
        needed (no story), through Core (plain tuples, without the ORM's per-row
        bookkeeping).
        """
        connection = self._connection()
        pages: dict[str, KnownPage] = {}
        by_id: dict[int, KnownPage] = {}
        articles = select(
            Article.id,
            Article.canonical_url,
            Article.etag,
            Article.last_modified,
            Article.last_seen,
            Article.checked_at,
            Article.published,
            Article.gone_at,
        )
        for (
            article_id,
            url,
            etag,
            modified_header,
            seen,
            checked,
            published,
            gone_at,
        ) in connection.execute(articles):
            page = KnownPage(
                canonical_url=url,
                etag=etag,
                last_modified=modified_header,
                last_seen=seen,
                checked_at=checked or seen,
                published=published,
                gone=gone_at is not None,
            )
            pages[url] = by_id[article_id] = page
        for url, article_id in connection.execute(
            select(ArticleAlias.url, ArticleAlias.article_id)
        ):
            pages.setdefault(url, by_id[article_id])
        others = select(
            Page.url, Page.kind, Page.status, Page.target_url, Page.etag, Page.last_modified,
            Page.checked_at,
        )  # fmt: skip
        for url, kind, status, target, etag, modified_header, checked in connection.execute(others):
            pages.setdefault(
                url,
                KnownPage(
                    canonical_url=url,
                    kind=kind,
                    etag=etag,
                    last_modified=modified_header,
                    last_seen=checked if status < 400 else None,
                    checked_at=checked,
                    target_url=target,
                ),
            )
        return pages

    def iter_articles(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        categories: Sequence[str] = (),
    ) -> Iterator[StoredArticle]:
        """Every article in id (archive) order, streamed in batches for export; only those
        published in [since, until) (first seen, when the page stated no date) and carrying
        one of `categories`, when given.

        Consume it inside the caller's transaction: the rows are read as the iterator advances.
        """
        where = fulltext.article_filters(
            self._session, since=since, until=until, categories=categories
        )
        statement = _with_children(
            select(Article).where(*where).order_by(Article.id)
        ).execution_options(yield_per=_ARTICLE_BATCH)
        for article in self._session.scalars(statement):
            yield _stored_article(article)

    def iter_revisions(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        categories: Sequence[str] = (),
    ) -> Iterator[tuple[str, StoredRevision]]:
        """Every revision of every article as (canonical URL, revision), by article then
        number, streamed; only those captured in [since, until), of articles carrying one of
        `categories`, when given."""
        statement = (
            select(Article.canonical_url, ArticleRevision)
            .join(Article, ArticleRevision.article_id == Article.id)
            .order_by(ArticleRevision.article_id, ArticleRevision.number)
            .execution_options(yield_per=_ARTICLE_BATCH)
        )
        if since is not None:
            statement = statement.where(ArticleRevision.captured_at >= since)
        if until is not None:
            statement = statement.where(ArticleRevision.captured_at < until)
        if categories:
            statement = statement.where(
                *fulltext.article_filters(self._session, categories=categories)
            )
        for url, revision in self._session.execute(statement):
            yield url, _stored_revision(revision)

    def raw_pages(self, after_id: int = 0, limit: int | None = None) -> list[RawPage]:
        """Stored articles' pages in id order, from the first id past `after_id`, at most
        `limit` of them: a caller streams the archive batch by batch (keyset paging), each
        batch in a short transaction of its own, so memory stays flat in the archive's size.

        Each names where its capture is kept (the page that produced the stored story) and
        the validators it was served with (a re-clean must keep them).
        """
        statement = (
            select(
                Article.id,
                Article.canonical_url,
                Article.raw_url,
                *(getattr(Article, name) for name in WARC_COLUMNS),
                Article.etag,
                Article.last_modified,
                Article.content_hash,
                Article.post_id,
            )
            .where(Article.id > after_id)
            .order_by(Article.id)
            .limit(limit)
        )
        return [
            RawPage(
                row.id,
                row.canonical_url,
                row.raw_url,
                warc_location(row.warc_file, row.warc_offset, row.warc_length),
                row.etag,
                row.last_modified,
                row.content_hash,
                row.post_id,
            )
            for row in self._session.execute(statement)
        ]

    def revision_pages(self, after_id: int = 0, limit: int | None = None) -> list[RawPage]:
        """Every revision that has a capture, as `raw_pages` gives articles (`id` is the
        revision's id, `revision` its number): for re-cleaning every version, not only the
        latest."""
        statement = (
            select(
                ArticleRevision.id,
                ArticleRevision.number,
                ArticleRevision.content_hash,
                *(getattr(ArticleRevision, name) for name in WARC_COLUMNS),
                Article.canonical_url,
                Article.raw_url,
                Article.post_id,
            )
            .join(Article, Article.id == ArticleRevision.article_id)
            .where(ArticleRevision.id > after_id, ArticleRevision.warc_file.is_not(None))
            .order_by(ArticleRevision.id)
            .limit(limit)
        )
        return [
            RawPage(
                row.id,
                row.canonical_url,
                row.raw_url,
                warc_location(row.warc_file, row.warc_offset, row.warc_length),
                content_hash=row.content_hash,
                post_id=row.post_id,
                revision=row.number,
            )
            for row in self._session.execute(statement)
        ]

    def replace_revision_story(self, revision_id: int, story: Story) -> bool:
        """Store a re-cleaned story over a revision's (the same capture read again), and over
        its article's when it is the latest; False when nothing changed.

        Metadata the page does not state (a feed's author, categories or dates) is kept from
        the stored version, as a save keeps it (`_with_known_metadata`): reading the page again
        cannot tell it anything about them."""
        revision = self._session.get(ArticleRevision, revision_id, populate_existing=True)
        if revision is None:
            return False
        known = StoryColumns.story_from(revision)
        story = _with_known(story, {name: getattr(known, name) for name in _STICKY})
        if revision.content_hash == story.content_hash:
            return False
        values = {**StoryColumns.story_values(story), "content_hash": story.content_hash}
        self._session.execute(
            update(ArticleRevision)
            .where(ArticleRevision.id == revision_id)
            .values(values)
            .execution_options(synchronize_session=False)
        )
        latest = self._session.scalar(
            select(func.max(ArticleRevision.number)).where(
                ArticleRevision.article_id == revision.article_id
            )
        )
        if latest == revision.number:
            self._session.execute(
                update(Article)
                .where(Article.id == revision.article_id)
                .values(values)
                .execution_options(synchronize_session=False)
            )
        return True

    def captures_since(self, since: datetime | None = None) -> list[WarcLocation]:
        """Where the captures of every revision captured at or after `since` are kept, in
        capture order (for exporting a selection of the archive as one WARC file)."""
        statement = select(*(getattr(ArticleRevision, n) for n in WARC_COLUMNS)).where(
            ArticleRevision.warc_file.is_not(None)
        )
        if since is not None:
            statement = statement.where(ArticleRevision.captured_at >= since)
        statement = statement.order_by(ArticleRevision.captured_at, ArticleRevision.id)
        return [
            location
            for row in self._session.execute(statement)
            if (location := warc_location(*row)) is not None
        ]

    def stats(self) -> ArchiveStats:
        """Counts of what the archive holds and the latest crawl run, if any."""
        by_extractor = self._session.execute(
            select(Article.extractor, func.count())
            .group_by(Article.extractor)
            .order_by(Article.extractor)
        ).all()
        return ArchiveStats(
            articles=self._count(Article),
            aliases=self._count(ArticleAlias),
            teaser_links=self._count(TeaserLink),
            paywalled=self._count(Article, Article.paywalled.is_(True)),
            no_story=self._count(Article, Article.body == ""),
            gone=self._count(Article, Article.gone_at.is_not(None)),
            revisions=self._count(ArticleRevision),
            pages=self._count(Page),
            rejects=self._count(Reject),
            by_extractor={name: int(count) for name, count in by_extractor},
            runs=self._count(CrawlRun),
            last_run=self.last_run(),
        )

    def last_run(self, *, spider: str | None = None) -> RunSummary | None:
        """The latest run (of `spider`, when given), whatever its status ("running" if it
        never finished)."""
        latest = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)
        if spider is not None:
            latest = latest.where(CrawlRun.spider == spider)
        # populate_existing: `finish_run` updates in SQL, so a run loaded earlier may be stale.
        run = self._session.scalars(latest.execution_options(populate_existing=True)).first()
        return None if run is None else _run_summary(run)

    # ---- helpers ------------------------------------------------------------------------------

    def _connection(self) -> Connection:
        """The session's connection, in its transaction: Core statements run there."""
        return self._session.connection()

    def _save_distinct(
        self, records: Sequence[ArticleRecord], seen_at: datetime
    ) -> list[SaveOutcome]:
        """Save records whose canonical URLs differ: one statement per table for the batch."""
        stored = self._stored_state([record.canonical_url for record in records])
        records = [
            _with_known_metadata(record, stored.get(record.canonical_url)) for record in records
        ]
        hashes = []
        for record in records:
            content_hash = record.story.content_hash
            before = stored.get(record.canonical_url)
            if before is not None and record.story.paywalled and not before.paywalled:
                # A wall teaser never replaces a full story (a subscriber login that failed
                # this time): the stored hash makes the upsert keep the stored story.
                content_hash = before.content_hash
            hashes.append(content_hash)
        connection = self._connection()
        connection.execute(
            _article_upsert(self._dialect),
            [_article_row(record, h, seen_at) for record, h in zip(records, hashes, strict=True)],
        )
        new_urls = [r.canonical_url for r in records if r.canonical_url not in stored]
        ids = {url: state.id for url, state in stored.items()} | self._article_ids(new_urls)
        outcomes: list[SaveOutcome] = []
        revisions = []
        aliases: dict[str, int] = {}
        teasers: dict[tuple[int, str, str], dict[str, Any]] = {}
        for record, content_hash in zip(records, hashes, strict=True):
            article_id = ids[record.canonical_url]
            before = stored.get(record.canonical_url)
            for url in (*record.aliases, record.fetched_url):
                if url and url != record.canonical_url:
                    aliases[url] = article_id
            for teaser in record.teasers:
                # A list that shows a target twice keeps its first appearance: one statement
                # may not update a row twice (PostgreSQL refuses).
                teasers.setdefault(
                    (article_id, teaser.kind, teaser.target_url),
                    _teaser_row(article_id, teaser, seen_at),
                )
            if before is not None and before.content_hash == content_hash:
                outcomes.append("unchanged")
                continue
            outcomes.append("new" if before is None else "changed")
            revisions.append(
                {
                    **StoryColumns.story_values(record.story),
                    "article_id": article_id,
                    "number": (before.last_revision if before else 0) + 1,
                    "content_hash": content_hash,
                    "captured_at": seen_at,
                    **WarcColumns.warc_values(record.warc),
                }
            )
        if revisions:
            connection.execute(insert(_table(ArticleRevision)), revisions)
        # An address that is now an article is no longer a known non-article.
        for chunk in _chunks([r.canonical_url for r in records]):
            connection.execute(delete(_table(Page)).where(Page.url.in_(chunk)))
        self._upsert_aliases(aliases, seen_at)
        if teasers:
            connection.execute(_teaser_upsert(self._dialect), list(teasers.values()))
        addresses = {record.canonical_url: ids[record.canonical_url] for record in records}
        canonical = {article_id: url for url, article_id in addresses.items()}
        self._resolve_sightings(addresses | aliases, canonical)
        return outcomes

    def _stored_state(self, urls: Sequence[str]) -> dict[str, _Stored]:
        """Id, hash, wall flag and latest revision number of the stored articles among `urls`."""
        last_revision = (
            select(func.coalesce(func.max(ArticleRevision.number), 0))
            .where(ArticleRevision.article_id == Article.id)
            .scalar_subquery()
        )
        found: dict[str, _Stored] = {}
        metadata_columns = [getattr(Article, name) for name in _STICKY_COLUMNS]
        for chunk in _chunks(urls):
            statement = select(
                Article.canonical_url,
                Article.id,
                Article.content_hash,
                Article.paywalled,
                last_revision,
                *metadata_columns,
            ).where(Article.canonical_url.in_(chunk))
            for row in self._connection().execute(statement):
                url, article_id, content_hash, paywalled, number = row[:5]
                metadata = StoryColumns.story_values_from(
                    dict(zip(_STICKY_COLUMNS, row[5:], strict=True))
                )
                found[url] = _Stored(
                    article_id, content_hash, bool(paywalled), int(number), metadata
                )
        return found

    def _article_ids(self, urls: Sequence[str]) -> dict[str, int]:
        """Ids of the articles with these canonical URLs."""
        ids: dict[str, int] = {}
        for chunk in _chunks(list(dict.fromkeys(urls))):
            statement = select(Article.canonical_url, Article.id).where(
                Article.canonical_url.in_(chunk)
            )
            for url, article_id in self._connection().execute(statement):
                ids[url] = article_id
        return ids

    def _resolve(self, urls: Sequence[str]) -> dict[str, tuple[int, str]]:
        """(id, canonical URL) of the article at each URL, canonical URL first, then aliases."""
        found: dict[str, tuple[int, str]] = {}
        unique = list(dict.fromkeys(urls))
        for chunk in _chunks(unique):
            by_canonical = select(Article.canonical_url, Article.id).where(
                Article.canonical_url.in_(chunk)
            )
            for url, article_id in self._connection().execute(by_canonical):
                found[url] = (article_id, url)
        rest = [url for url in unique if url not in found]
        for chunk in _chunks(rest):
            by_alias = (
                select(ArticleAlias.url, Article.id, Article.canonical_url)
                .join(Article, ArticleAlias.article_id == Article.id)
                .where(ArticleAlias.url.in_(chunk))
            )
            for url, article_id, canonical in self._connection().execute(by_alias):
                found[url] = (article_id, canonical)
        return found

    def _gone_ids(self, ids: Sequence[int]) -> set[int]:
        """The ids among `ids` of articles already marked gone."""
        gone: set[int] = set()
        for chunk in _chunks(list(dict.fromkeys(ids))):
            statement = select(Article.id).where(
                Article.id.in_(chunk), Article.gone_at.is_not(None)
            )
            gone.update(self._connection().scalars(statement))
        return gone

    def _upsert_aliases(self, aliases: Mapping[str, int], seen_at: datetime) -> None:
        """Point each URL at its article; the latest save of a URL wins."""
        if aliases:
            rows = [
                {"url": url, "article_id": article_id, "first_seen": seen_at, "last_seen": seen_at}
                for url, article_id in aliases.items()
            ]
            self._connection().execute(_alias_upsert(self._dialect), rows)

    def _resolve_sightings(
        self, addresses: Mapping[str, int], canonical: Mapping[int, str]
    ) -> None:
        """Point the sightings of targets not resolved yet at the articles now stored under
        these addresses (canonical URLs or aliases -> article id; `canonical`: each article's
        canonical URL, which the caller has just written): a teaser seen before its article
        was archived becomes a sighting of that article."""
        rows = [
            {"b_url": url, "b_id": article_id, "b_canonical": canonical[article_id]}
            for url, article_id in addresses.items()
        ]
        if rows:
            self._connection().execute(_resolve_sightings_statement(), rows)

    def _count(self, model: type[Base], *where: ColumnElement[bool]) -> int:
        """Row count of a table, optionally filtered."""
        return self._session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _with_known_metadata(record: ArticleRecord, before: _Stored | None) -> ArticleRecord:
    """The record with the metadata its page did not state filled from the stored story.

    Dates, author and categories may come from a feed or sitemap entry rather than the page
    (stock WordPress themes print no author or categories in machine-readable form); a feed
    lists only the newest posts, so a later visit may not have them. Metadata once known is
    therefore not forgotten because a later visit lacks its source, and a story is not a new
    version for that reason.
    """
    if before is None:
        return record
    story = _with_known(record.story, before.metadata)
    return record if story is record.story else replace(record, story=story)


def _with_known(story: Story, known: Mapping[str, Any]) -> Story:
    """`story` with each metadata field it lacks taken from `known` (field -> stored value);
    the story itself when it lacks none of them."""
    gaps = {name: value for name, value in known.items() if value and not getattr(story, name)}
    return replace(story, **gaps) if gaps else story


# ---- statements, built once per backend -----------------------------------------------------


def _insert_for(dialect: str, model: type[Base]) -> sqlite.Insert | postgresql.Insert:
    """INSERT for the backend: ON CONFLICT is dialect-specific in SQLAlchemy."""
    return sqlite.insert(model) if dialect == "sqlite" else postgresql.insert(model)


@cache
def _article_upsert(dialect: str) -> Insert:
    """Insert an article or update it in place. Every SET expression sees the row as it was, so
    the CASE compares the old hash throughout: an unchanged story keeps its columns."""
    statement = _insert_for(dialect, Article)
    incoming = statement.excluded
    unchanged = Article.content_hash == incoming.content_hash
    replace: dict[str, Any] = {
        name: case((unchanged, getattr(Article, name)), else_=incoming[name])
        for name in _REPLACED_ON_CHANGE
    }
    for name in ("last_seen", "checked_at", "etag", "last_modified"):
        replace[name] = incoming[name]
    replace["gone_at"] = None
    replace["gone_status"] = None
    return statement.on_conflict_do_update(index_elements=[Article.canonical_url], set_=replace)


def _article_row(record: ArticleRecord, content_hash: str, seen_at: datetime) -> dict[str, Any]:
    """The `articles` row of a new or changed story, as the batched upsert binds it."""
    return {
        **StoryColumns.story_values(record.story),
        "canonical_url": record.canonical_url,
        "post_id": record.post_id,
        "content_hash": content_hash,
        **WarcColumns.warc_values(record.warc),
        "raw_url": record.fetched_url or record.canonical_url,
        "first_seen": seen_at,
        "last_seen": seen_at,
        "checked_at": seen_at,
        "etag": record.etag,
        "last_modified": record.last_modified,
        "gone_at": None,
        "gone_status": None,
    }


@cache
def _alias_upsert(dialect: str) -> Insert:
    """Insert an alias, or point an existing one at its (possibly new) article; built once
    per dialect, since only the bound values change between batches."""
    statement = _insert_for(dialect, ArticleAlias)
    return statement.on_conflict_do_update(
        index_elements=[ArticleAlias.url],
        set_={
            "article_id": statement.excluded.article_id,
            "last_seen": statement.excluded.last_seen,
        },
    )


@cache
def _teaser_upsert(dialect: str) -> Insert:
    """Insert a teaser seen on a page, or refresh the one seen before (latest position and
    text, `seen_count + 1`); built once per dialect."""
    statement = _insert_for(dialect, TeaserLink)
    incoming = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[TeaserLink.page_id, TeaserLink.kind, TeaserLink.target_url],
        set_={
            "position": incoming.position,
            "title": incoming.title,
            "summary": incoming.summary,
            "image_alt": incoming.image_alt,
            "last_seen": incoming.last_seen,
            "seen_count": TeaserLink.seen_count + 1,
        },
    )


def _teaser_row(page_id: int, teaser: Teaser, seen_at: datetime) -> dict[str, Any]:
    """The `teaser_links` row of one teaser as the upsert binds it."""
    return {
        "page_id": page_id,
        "kind": teaser.kind,
        "target_url": teaser.target_url,
        "position": teaser.position,
        "title": teaser.title,
        "summary": teaser.summary,
        "image_alt": teaser.image_alt,
        "first_seen": seen_at,
        "last_seen": seen_at,
        "seen_count": 1,
    }


@cache
def _page_upsert(dialect: str) -> Insert:
    """Insert or refresh a known non-article page; built once per dialect."""
    statement = _insert_for(dialect, Page)
    incoming = statement.excluded
    not_modified = incoming.status == 304
    return statement.on_conflict_do_update(
        index_elements=[Page.url],
        set_={
            # A 304 says the page is as it was: its kind and validators stay.
            "kind": case((not_modified, Page.kind), else_=incoming.kind),
            "status": case((not_modified, Page.status), else_=incoming.status),
            "target_url": case((not_modified, Page.target_url), else_=incoming.target_url),
            "etag": case(
                (not_modified, func.coalesce(incoming.etag, Page.etag)), else_=incoming.etag
            ),
            "last_modified": case(
                (not_modified, func.coalesce(incoming.last_modified, Page.last_modified)),
                else_=incoming.last_modified,
            ),
            "checked_at": incoming.checked_at,
        },
    )


@cache
def _touch_statement() -> Update:
    """An unchanged article seen again: its seen and check times move, its gone marks clear,
    and validators the answer did not repeat are kept."""
    table = _table(Article)
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            last_seen=bindparam("b_at"),
            checked_at=bindparam("b_at"),
            gone_at=None,
            gone_status=None,
            etag=func.coalesce(bindparam("b_etag"), table.c.etag),
            last_modified=func.coalesce(bindparam("b_last_modified"), table.c.last_modified),
        )
    )


@cache
def _resolve_sightings_statement() -> Update:
    """Teaser sightings of an address that has just become a stored article (or an alias
    of one) are pointed at it, so trending history counts them under the article."""
    table = _table(TeaserSighting)
    return (
        update(table)
        .where(table.c.target_id.is_(None), table.c.target_url == bindparam("b_url"))
        .values(target_id=bindparam("b_id"), target_url=bindparam("b_canonical"))
    )


def _page_of(change: ArticleRecord | TeaserListRecord) -> str:
    """The address of the page a change's teasers were on."""
    return change.canonical_url if isinstance(change, ArticleRecord) else change.page_url


@cache
def _gone_statement() -> Update:
    """An article that answered 404 or 410: marked gone from the first such answer on."""
    table = _table(Article)
    at = bindparam("b_at", type_=table.c.gone_at.type)
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            gone_at=func.coalesce(table.c.gone_at, at),
            gone_status=bindparam("b_status"),
            checked_at=at,
        )
    )


def _pick(
    changes: Sequence[Change],
    kind: type[_C],
    write: Callable[[list[_C]], Sequence[Outcome | None]],
) -> tuple[list[int], Sequence[Outcome | None]]:
    """Write the changes of one kind; their positions in `changes` and their outcomes."""
    positions = [i for i, change in enumerate(changes) if isinstance(change, kind)]
    picked = [change for change in changes if isinstance(change, kind)]
    return positions, (write(picked) if picked else [])


def _table(model: type[Base]) -> Table:
    """A model's table, typed as one (`__table__` is typed as any FROM clause)."""
    return cast(Table, model.__table__)


def _chunks(values: Sequence[str] | Sequence[int]) -> Iterable[list[Any]]:
    """`values` in slices small enough for one `IN (...)` (SQLite caps bound parameters)."""
    for start in range(0, len(values), _IN_CHUNK):
        yield list(values[start : start + _IN_CHUNK])


# ---- read models ------------------------------------------------------------------------------


def _with_children(statement: Any) -> Any:
    """Load aliases, teasers and the revision count with the articles, fresh from the database.

    populate_existing matters because upserts bypass the ORM: an article this session loaded
    earlier would otherwise be returned as it was then, not as the database now holds it.
    """
    return statement.options(
        selectinload(Article.aliases),
        selectinload(Article.teasers),
        undefer(Article.revision_count),
    ).execution_options(populate_existing=True)


def _stored_article(article: Article) -> StoredArticle:
    """Copy an ORM article into the plain read model, so no ORM object leaves `storage`."""
    return StoredArticle(
        id=article.id,
        canonical_url=article.canonical_url,
        post_id=article.post_id,
        story=StoryColumns.story_from(article),
        content_hash=article.content_hash,
        raw_url=article.raw_url,
        first_seen=article.first_seen,
        last_seen=article.last_seen,
        checked_at=article.checked_at,
        aliases=tuple(alias.url for alias in article.aliases),
        teasers=tuple(
            Teaser(t.kind, t.position, t.target_url, t.title, t.summary, t.image_alt)
            for t in article.teasers
        ),
        etag=article.etag,
        last_modified=article.last_modified,
        gone_at=article.gone_at,
        gone_status=article.gone_status,
        revision_count=article.revision_count,
        warc=article.warc,
    )


def _stored_revision(revision: ArticleRevision) -> StoredRevision:
    """Copy an ORM revision into the plain read model."""
    return StoredRevision(
        id=revision.id,
        article_id=revision.article_id,
        number=revision.number,
        content_hash=revision.content_hash,
        story=StoryColumns.story_from(revision),
        captured_at=revision.captured_at,
        warc=revision.warc,
    )


def _run_summary(run: CrawlRun) -> RunSummary:
    """A crawl run as a plain dict."""
    return RunSummary(
        id=run.id,
        spider=run.spider,
        started_at=run.started_at,
        finished_at=run.finished_at,
        status=run.status,
        counts={str(name): int(value) for name, value in run.counts.items()},
        summary=run.summary,
    )
