"""Reads and idempotent writes of the archive, inside a transaction the caller owns.

`ArchiveRepository` takes a `Session` and never commits, flushes for the caller or opens a
transaction: the crawler decides what one unit of work is (`with factory.begin() as session:`),
so an article and its aliases and teasers are stored together or not at all.

Writes are upserts (`INSERT ... ON CONFLICT DO UPDATE`), never check-then-insert, so saving
the same page twice, or after a crash half-way through a crawl, cannot create duplicates.
The upsert statement comes from the dialect module matching the connection (SQLite or
PostgreSQL); both dialects support ON CONFLICT and RETURNING (SQLite since 3.35).

The archive has one writer at a time (`storage.locking.writer_lock`); where an outcome or a
revision number is read before it is written, that rule is what makes the read exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, func, insert, literal, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload, undefer

from storage.errors import RunNotFoundError, StorageError
from storage.models import (
    Article,
    ArticleAlias,
    ArticleRevision,
    Base,
    CrawlRun,
    TeaserLink,
    UTCDateTime,
)
from storage.records import (
    ArchiveStats,
    ArticleRecord,
    KnownPage,
    RawPage,
    RunSummary,
    StoredArticle,
    StoredRevision,
    StoredTeaser,
    TeaserRecord,
    require_aware,
)

__all__ = ["ArchiveRepository", "SaveOutcome"]

SaveOutcome = Literal["new", "changed", "unchanged"]

# Rows per round trip when streaming; raw pages are ~100 KB each once decompressed.
_ARTICLE_BATCH = 200
_RAW_PAGE_BATCH = 20

# What a changed article replaces: its content, and the page and URL the content came from.
# An unchanged article keeps all of these, so the stored raw HTML always matches the stored
# content (see `save_article`).
_REPLACED_ON_CHANGE = (
    "post_id",
    "title",
    "lede",
    "body",
    "blocks",
    "dateline",
    "author",
    "categories",
    "published",
    "modified",
    "paywalled",
    "extractor",
    "content_hash",
    "raw_html",
    "raw_url",
)

_Insert = sqlite.Insert | postgresql.Insert


class ArchiveRepository:
    """The archive's operations on one session; construct one per unit of work, it is cheap."""

    def __init__(self, session: Session) -> None:
        """Keep the session; nothing is read or written until a method is called."""
        self._session = session

    # ---- writes -------------------------------------------------------------------------------

    def save_article(self, record: ArticleRecord, seen_at: datetime) -> SaveOutcome:
        """Store one crawled article, its aliases and its teasers; say whether it was news.

        "new": no article had this canonical URL; its content becomes revision 1. "changed":
        the cleaned content differs from the stored content (compared by `content_hash`), so
        every content column, `raw_html` and `raw_url` are replaced and the new content becomes
        the next revision. "unchanged": only `last_seen` moves and no revision is written; the
        stored raw HTML is kept, not refreshed, because it is the page that produced the stored
        content (what re-cleaning needs), and rewriting ~10 KB of compressed HTML on every visit
        would only record a new trending list, which the teaser rows already record.

        A record behind a subscriber wall (`paywalled`) never replaces a stored story that was
        not: it counts as "unchanged", so the archive keeps the full text.

        Whatever the outcome, the record's `etag` / `last_modified` replace the stored ones
        (None included: validators describe the latest response, and one the server no longer
        sends must not be sent back), and the gone marks are cleared, since the page answered.

        Aliases (`record.aliases`, plus `fetched_url` when it is not the canonical URL) are
        upserted to point at this article, taking an alias over from another article if need
        be. Teasers are upserted per (page, kind, target URL): a teaser seen again gets the
        latest position and text, `last_seen = seen_at` and `seen_count + 1`.

        The outcome comes from one read of the stored hash just before the upsert; the upsert
        itself decides what to replace by comparing hashes in SQL, so the stored row is right
        even if another writer slipped in between. Under the archive's single-writer rule (one
        crawl writes at a time, enforced by `writer_lock`) the reported outcome, and so whether
        a revision is written, is exact too; with concurrent writers it could mislabel new as
        changed or the like, and record a revision too many or too few.
        """
        require_aware("seen_at", seen_at)
        new_hash = record.content_hash
        stored = self._session.execute(
            select(Article.content_hash, Article.paywalled).where(
                Article.canonical_url == record.canonical_url
            )
        ).first()
        stored_hash = None if stored is None else stored.content_hash
        if stored is not None and record.paywalled and not stored.paywalled:
            # A wall teaser never replaces a full story (a subscriber login that failed this
            # time): passing the stored hash makes the upsert keep the stored content.
            new_hash = stored.content_hash
        article_id = self._upsert_article(record, new_hash, seen_at)
        other_urls = (
            url
            for url in (*record.aliases, record.fetched_url)
            if url and url != record.canonical_url
        )
        self._upsert_aliases(article_id, other_urls, seen_at)
        self._upsert_teasers(article_id, record.teasers, seen_at)
        if stored_hash == new_hash:
            return "unchanged"
        self._insert_revision(article_id, record, new_hash, seen_at)
        return "new" if stored_hash is None else "changed"

    def touch(
        self,
        url: str,
        seen_at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> str | None:
        """Record a 304 Not Modified for a stored article; its canonical URL, or None if unknown.

        `url` is a canonical URL or an alias. The page answered, so `last_seen = seen_at` and
        the gone marks are cleared. A 304 may carry updated validators: those given replace
        the stored ones, and None keeps what is stored (a 304 that omits a header does not
        mean the resource lost it). Nothing else is counted as seen: aliases and teasers were
        not in the answer, so their `last_seen` / `seen_count` stay as they are.
        """
        require_aware("seen_at", seen_at)
        found = self._resolve(url)
        if found is None:
            return None
        article_id, canonical_url = found
        values: dict[str, Any] = {"last_seen": seen_at, "gone_at": None, "gone_status": None}
        if etag is not None:
            values["etag"] = etag
        if last_modified is not None:
            values["last_modified"] = last_modified
        self._update_article(article_id, values)
        return canonical_url

    def mark_gone(self, url: str, status: int, at: datetime) -> str | None:
        """Record a 404/410 for a stored article; its canonical URL, or None if unknown.

        `url` is a canonical URL or an alias. Nothing is deleted: the archive keeps what the
        site no longer serves, which is much of its point. `gone_at` keeps the first time the
        page was found gone (so "gone since" survives repeated crawls), `gone_status` the
        latest status; `last_seen` does not move, because the article was not seen. A later
        save or `touch` clears both marks.
        """
        require_aware("at", at)
        found = self._resolve(url)
        if found is None:
            return None
        article_id, canonical_url = found
        # Typed as UTCDateTime: a bare datetime bound inside COALESCE would skip the conversion.
        first_gone = func.coalesce(Article.gone_at, literal(at, UTCDateTime()))
        self._update_article(article_id, {"gone_at": first_gone, "gone_status": status})
        return canonical_url

    def add_alias(self, alias_url: str, canonical_url: str, seen_at: datetime) -> bool:
        """Record another URL of an already stored article; False if there is no such article.

        For addresses learnt after the article was saved (a redirect, a short link seen later).
        An alias needs its article's id, so an unknown canonical URL stores nothing rather than
        inventing an empty article; an alias equal to the canonical URL is not an alias. As in
        `save_article`, an alias that pointed at another article is taken over.
        """
        require_aware("seen_at", seen_at)
        if not alias_url or alias_url == canonical_url:
            return False
        article_id = self._session.scalar(
            select(Article.id).where(Article.canonical_url == canonical_url)
        )
        if article_id is None:
            return False
        self._upsert_aliases(article_id, (alias_url,), seen_at)
        return True

    def start_run(self, spider: str, started_at: datetime) -> int:
        """Record that a crawl began; the returned id is what `finish_run` takes."""
        require_aware("started_at", started_at)
        statement = (
            self._insert_for(CrawlRun)
            .values(started_at=started_at, status="running", spider=spider, counts={})
            .returning(CrawlRun.id)
        )
        return self._session.execute(statement).scalar_one()

    def finish_run(
        self, run_id: int, finished_at: datetime, status: str, counts: Mapping[str, int]
    ) -> None:
        """Record how a crawl ended ("finished", "failed", ...) and its counters.

        Raises RunNotFoundError for an id `start_run` never returned, rather than silently
        recording nothing.
        """
        require_aware("finished_at", finished_at)
        statement = (
            update(CrawlRun)
            .where(CrawlRun.id == run_id)
            .values(finished_at=finished_at, status=status, counts=dict(counts))
            .returning(CrawlRun.id)
            .execution_options(synchronize_session=False)
        )
        if self._session.execute(statement).scalar_one_or_none() is None:
            raise RunNotFoundError(f"no crawl run with id {run_id}")

    # ---- reads --------------------------------------------------------------------------------

    def find_article(self, url: str) -> StoredArticle | None:
        """The article whose canonical URL, or failing that one of whose aliases, is `url`.

        The URL is compared exactly (no trailing-slash or scheme normalisation): the crawler
        stores the URLs it saw, and the same spelling finds them.
        """
        by_canonical = select(Article).where(Article.canonical_url == url)
        article = self._session.scalars(_with_children(by_canonical)).first()
        if article is None:
            by_alias = select(Article).join(Article.aliases).where(ArticleAlias.url == url)
            article = self._session.scalars(_with_children(by_alias)).first()
        return None if article is None else _stored_article(article)

    def revisions(self, url: str) -> list[StoredRevision]:
        """Every stored version of the article at `url` (canonical or alias), oldest first.

        Empty for an unknown URL. The last entry is the article's current content.
        """
        found = self._resolve(url)
        if found is None:
            return []
        statement = (
            select(ArticleRevision)
            .where(ArticleRevision.article_id == found[0])
            .order_by(ArticleRevision.number)
        )
        return [_stored_revision(revision) for revision in self._session.scalars(statement)]

    def known_pages(self) -> dict[str, KnownPage]:
        """What the crawler needs for conditional requests, keyed by every URL the archive knows.

        Keys are all canonical URLs and all alias URLs; an alias maps to its article's
        `KnownPage` (the same object), whose `canonical_url` says which article that is. Should
        an alias equal another article's canonical URL, the canonical URL wins, as in
        `find_article`. Two queries whatever the archive's size, reading only the few columns
        needed (no content, no raw HTML): 100k articles and 100k aliases take under a second.
        """
        pages: dict[str, KnownPage] = {}
        by_id: dict[int, KnownPage] = {}
        # Core execution on the session's connection (same transaction): plain tuples, without
        # the ORM's per-row bookkeeping, which took a third of the time at 100k rows.
        connection = self._session.connection()
        articles = select(
            Article.id,
            Article.canonical_url,
            Article.etag,
            Article.last_modified,
            Article.last_seen,
            Article.modified,
            Article.gone_at,
        )
        rows = connection.execute(articles)
        for article_id, url, etag, last_modified, last_seen, modified, gone_at in rows:
            page = KnownPage(
                canonical_url=url,
                etag=etag,
                last_modified=last_modified,
                last_seen=last_seen,
                modified=modified,
                gone=gone_at is not None,
            )
            pages[url] = by_id[article_id] = page
        aliases = select(ArticleAlias.url, ArticleAlias.article_id)
        for url, article_id in connection.execute(aliases):
            pages.setdefault(url, by_id[article_id])
        return pages

    def iter_articles(self) -> Iterator[StoredArticle]:
        """Every article in id (archive) order, streamed in batches for export.

        Consume it inside the caller's transaction: the rows are read as the iterator advances.
        """
        statement = _with_children(select(Article).order_by(Article.id)).execution_options(
            yield_per=_ARTICLE_BATCH
        )
        for article in self._session.scalars(statement):
            yield _stored_article(article)

    def raw_pages(self) -> Iterator[RawPage]:
        """Every article's stored page, streamed, for re-cleaning.

        The HTML comes back decompressed; it is the page that produced the stored content, and
        the validators are the ones it was served with (a re-clean must keep them).
        """
        statement = (
            select(
                Article.canonical_url,
                Article.raw_url,
                Article.raw_html,
                Article.etag,
                Article.last_modified,
            )
            .order_by(Article.id)
            .execution_options(yield_per=_RAW_PAGE_BATCH)
        )
        for row in self._session.execute(statement):
            yield RawPage(row.canonical_url, row.raw_url, row.raw_html, row.etag, row.last_modified)

    def stats(self) -> ArchiveStats:
        """Counts of what the archive holds and the latest crawl run, if any."""
        by_extractor = self._session.execute(
            select(Article.extractor, func.count())
            .group_by(Article.extractor)
            .order_by(Article.extractor)
        ).all()
        last_run = self.last_run()
        return ArchiveStats(
            articles=self._count(Article),
            aliases=self._count(ArticleAlias),
            teaser_links=self._count(TeaserLink),
            paywalled=self._count(Article, Article.paywalled.is_(True)),
            gone=self._count(Article, Article.gone_at.is_not(None)),
            revisions=self._count(ArticleRevision),
            by_extractor={name: int(count) for name, count in by_extractor},
            runs=self._count(CrawlRun),
            last_run=last_run,
        )

    def last_run(self) -> RunSummary | None:
        """The latest crawl run, whatever its status ("running" if it never finished)."""
        latest = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)
        # populate_existing: `finish_run` updates in SQL, so a run loaded earlier may be stale.
        run = self._session.scalars(latest.execution_options(populate_existing=True)).first()
        return None if run is None else _run_summary(run)

    # ---- helpers ------------------------------------------------------------------------------

    def _insert_for(self, model: type[Base]) -> _Insert:
        """INSERT for the session's backend: ON CONFLICT is dialect-specific in SQLAlchemy."""
        dialect = self._session.get_bind().dialect.name
        if dialect == "sqlite":
            return sqlite.insert(model)
        if dialect == "postgresql":
            return postgresql.insert(model)
        raise StorageError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")

    def _upsert_article(self, record: ArticleRecord, content_hash: str, seen_at: datetime) -> int:
        """Insert the article or update it in place; returns its id either way."""
        statement = self._insert_for(Article).values(
            canonical_url=record.canonical_url,
            post_id=record.post_id,
            **_story_columns(record),
            content_hash=content_hash,
            raw_html=record.raw_html,
            raw_url=record.fetched_url,
            first_seen=seen_at,
            last_seen=seen_at,
            etag=record.etag,
            last_modified=record.last_modified,
        )
        incoming = statement.excluded
        # Every SET expression sees the row as it was, so this compares the old hash throughout.
        unchanged = Article.content_hash == incoming.content_hash
        replace: dict[str, ColumnElement[Any]] = {
            name: case((unchanged, getattr(Article, name)), else_=incoming[name])
            for name in _REPLACED_ON_CHANGE
        }
        replace["last_seen"] = incoming.last_seen
        replace["etag"] = incoming.etag
        replace["last_modified"] = incoming.last_modified
        replace["gone_at"] = null()
        replace["gone_status"] = null()
        upsert = statement.on_conflict_do_update(
            index_elements=[Article.canonical_url], set_=replace
        ).returning(Article.id)
        return self._session.execute(upsert).scalar_one()

    def _insert_revision(
        self, article_id: int, record: ArticleRecord, content_hash: str, captured_at: datetime
    ) -> None:
        """Append the record's content as the article's next revision (1 for a new article).

        The number is computed by the INSERT itself (a subquery on the same table), so there is
        no read-then-write gap inside this process; UNIQUE(article_id, number) turns a second
        writer's race into an error rather than two revisions with one number.
        """
        next_number = (
            select(func.coalesce(func.max(ArticleRevision.number), 0) + 1)
            .where(ArticleRevision.article_id == article_id)
            .scalar_subquery()
        )
        statement = insert(ArticleRevision).values(
            article_id=article_id,
            number=next_number,
            content_hash=content_hash,
            **_story_columns(record),
            captured_at=captured_at,
        )
        self._session.execute(statement)

    def _resolve(self, url: str) -> tuple[int, str] | None:
        """(id, canonical URL) of the article at `url`, canonical URL first, then aliases."""
        by_canonical = select(Article.id, Article.canonical_url).where(Article.canonical_url == url)
        row = self._session.execute(by_canonical).first()
        if row is None:
            by_alias = (
                select(Article.id, Article.canonical_url)
                .join(ArticleAlias, ArticleAlias.article_id == Article.id)
                .where(ArticleAlias.url == url)
            )
            row = self._session.execute(by_alias).first()
        return None if row is None else (row.id, row.canonical_url)

    def _update_article(self, article_id: int, values: Mapping[str, Any]) -> None:
        """UPDATE one article in SQL, leaving ORM objects alone (reads use populate_existing)."""
        statement = (
            update(Article)
            .where(Article.id == article_id)
            .values(dict(values))
            .execution_options(synchronize_session=False)
        )
        self._session.execute(statement)

    def _upsert_aliases(self, article_id: int, urls: Iterable[str], seen_at: datetime) -> None:
        """Point each URL at the article; the latest save of a URL wins. Duplicates are fine."""
        urls = dict.fromkeys(urls)
        if not urls:
            return
        statement = self._insert_for(ArticleAlias)
        upsert = statement.on_conflict_do_update(
            index_elements=[ArticleAlias.url],
            set_={
                "article_id": statement.excluded.article_id,
                "last_seen": statement.excluded.last_seen,
            },
        )
        rows = [
            {"url": url, "article_id": article_id, "first_seen": seen_at, "last_seen": seen_at}
            for url in urls
        ]
        self._session.execute(upsert, rows)

    def _upsert_teasers(
        self, page_id: int, teasers: tuple[TeaserRecord, ...], seen_at: datetime
    ) -> None:
        """Record the page's teasers; one row per (page, kind, target), counted on each visit.

        A list that shows the same target twice keeps its first appearance: one statement may
        not update the same row twice (PostgreSQL refuses), and the first is what a reader sees.
        """
        first_by_key: dict[tuple[str, str], TeaserRecord] = {}
        for teaser in teasers:
            first_by_key.setdefault((teaser.kind, teaser.target_url), teaser)
        if not first_by_key:
            return
        statement = self._insert_for(TeaserLink)
        incoming = statement.excluded
        upsert = statement.on_conflict_do_update(
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
        rows = [
            {
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
            for teaser in first_by_key.values()
        ]
        self._session.execute(upsert, rows)

    def _count(self, model: type[Base], *where: ColumnElement[bool]) -> int:
        """Row count of a table, optionally filtered."""
        return self._session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _with_children(statement: Any) -> Any:
    """Load aliases, teasers and the revision count with the articles, fresh from the database.

    populate_existing matters because upserts bypass the ORM: an article this session loaded
    earlier would otherwise be returned as it was then, not as the database now holds it.
    selectin loading works with yield_per, one extra query per batch and child table; the
    revision count is a subquery in the articles' own SELECT.
    """
    return statement.options(
        selectinload(Article.aliases),
        selectinload(Article.teasers),
        undefer(Article.revision_count),
    ).execution_options(populate_existing=True)


def _story_columns(record: ArticleRecord) -> dict[str, Any]:
    """The cleaned story's column values, as `articles` and `article_revisions` both hold them
    (JSON columns take lists)."""
    return {
        "title": record.title,
        "lede": record.lede,
        "body": record.body,
        "blocks": [dict(block) for block in record.blocks],
        "dateline": record.dateline,
        "author": record.author,
        "categories": list(record.categories),
        "published": record.published,
        "modified": record.modified,
        "paywalled": record.paywalled,
        "extractor": record.extractor,
    }


def _stored_story(row: Article | ArticleRevision) -> dict[str, Any]:
    """The cleaned story of an article or a revision row, as the read models hold it (tuples)."""
    return {
        "title": row.title,
        "lede": row.lede,
        "body": row.body,
        "blocks": tuple(dict(block) for block in row.blocks),
        "dateline": row.dateline,
        "author": row.author,
        "categories": tuple(row.categories),
        "published": row.published,
        "modified": row.modified,
        "paywalled": row.paywalled,
        "extractor": row.extractor,
    }


def _stored_article(article: Article) -> StoredArticle:
    """Copy an ORM article into the plain read model, so no ORM object leaves `storage`."""
    return StoredArticle(
        id=article.id,
        canonical_url=article.canonical_url,
        post_id=article.post_id,
        **_stored_story(article),
        content_hash=article.content_hash,
        raw_url=article.raw_url,
        first_seen=article.first_seen,
        last_seen=article.last_seen,
        aliases=tuple(alias.url for alias in article.aliases),
        teasers=tuple(
            StoredTeaser(
                kind=teaser.kind,
                position=teaser.position,
                target_url=teaser.target_url,
                title=teaser.title,
                summary=teaser.summary,
                image_alt=teaser.image_alt,
                first_seen=teaser.first_seen,
                last_seen=teaser.last_seen,
                seen_count=teaser.seen_count,
            )
            for teaser in article.teasers
        ),
        etag=article.etag,
        last_modified=article.last_modified,
        gone_at=article.gone_at,
        gone_status=article.gone_status,
        revision_count=article.revision_count,
    )


def _stored_revision(revision: ArticleRevision) -> StoredRevision:
    """Copy an ORM revision into the plain read model."""
    return StoredRevision(
        id=revision.id,
        article_id=revision.article_id,
        number=revision.number,
        content_hash=revision.content_hash,
        **_stored_story(revision),
        captured_at=revision.captured_at,
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
    )
