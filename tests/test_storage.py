"""The archive's storage against a real SQLite file: schema, upserts, reads, transactions.

Tests that take the `engine` fixture are backend-neutral: `test_storage_postgres.py` imports
them and runs them again with its own `engine` fixture pointing at PostgreSQL.
"""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, func, insert, inspect, make_url, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

import storage
from storage import repository as repository_module
from storage.engine import (
    DEFAULT_DATABASE_URL,
    alembic_config,
    database_url,
    make_engine,
    session_factory,
    upgrade_schema,
)
from storage.errors import ArchiveBusyError, RunNotFoundError
from storage.locking import lock_file_path, writer_lock
from storage.models import Article, ArticleAlias, ArticleRevision, Base, CrawlRun, TeaserLink
from storage.records import ArticleRecord, StoredArticle, TeaserRecord
from storage.repository import ArchiveRepository
from storage.search import outside_models

ROOT = Path(__file__).resolve().parent.parent
STORAGE_DIR = ROOT / "storage"

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=6)
T2 = T0 + timedelta(days=1)

# A page as WordPress serves it: mostly furniture repeated around a short story.
RAW_PAGE = (
    b"<!doctype html><html><head><title>Story</title></head><body>"
    + b'<div class="trending"><a href="https://www.vallartadaily.com/x/">Trending</a></div>' * 200
    + b"<article><p>The malecon reopens on Friday.</p></article></body></html>"
)


def teaser(
    target: str, position: int, *, kind: str = "trending", title: str | None = None
) -> TeaserRecord:
    """A teaser pointing at `target`, titled after it unless told otherwise."""
    return TeaserRecord(
        kind=kind,
        position=position,
        target_url=target,
        title=title or f"Title of {target}",
        summary=None,
        image_alt=None,
    )


def article(
    canonical_url: str = "https://www.vallartadaily.com/malecon/", **changes: Any
) -> ArticleRecord:
    """A complete ArticleRecord; keyword arguments replace single fields."""
    record = ArticleRecord(
        canonical_url=canonical_url,
        aliases=(),
        post_id=4242,
        title="Malecon reopens",
        lede="The malecon reopens on Friday.",
        body="The malecon reopens on Friday.\n\nWork took six months.",
        blocks=(
            {"kind": "paragraph", "text": "The malecon reopens on Friday."},
            {"kind": "paragraph", "text": "Work took six months."},
        ),
        dateline="Puerto Vallarta",
        author="PVDN Staff",
        categories=("Local News",),
        published=datetime(2025, 5, 30, 9, 0, tzinfo=timezone(timedelta(hours=-6))),
        modified=None,
        paywalled=False,
        extractor="pvdn",
        raw_html=RAW_PAGE,
        fetched_url=canonical_url,
        teasers=(),
    )
    return replace(record, **changes)


def save(factory: sessionmaker[Session], record: ArticleRecord, seen_at: datetime) -> str:
    """Save one record in its own transaction, as the crawler's pipeline does."""
    with factory.begin() as session:
        return ArchiveRepository(session).save_article(record, seen_at)


def count(factory: sessionmaker[Session], model: type[Base]) -> int:
    """Rows in a table."""
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def find(factory: sessionmaker[Session], url: str) -> StoredArticle:
    """The stored article at `url`, which the test knows is there."""
    with factory() as session:
        found = ArchiveRepository(session).find_article(url)
    assert found is not None, url
    return found


@pytest.fixture
def blank_engine(tmp_path: Path) -> Iterator[Engine]:
    """An empty temporary SQLite file, not migrated, disposed after the test."""
    engine = make_engine(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    yield engine
    engine.dispose()


@pytest.fixture
def engine(blank_engine: Engine) -> Engine:
    """A migrated archive in a temporary SQLite file, disposed after the test."""
    upgrade_schema(blank_engine)
    return blank_engine


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the test archive."""
    return session_factory(engine)


# ---- schema ---------------------------------------------------------------------------------


def test_migrations_create_the_schema_at_head(engine: Engine) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        tables = set(inspect(connection).get_table_names())
    assert head == "0002"
    assert version == head
    assert {
        "articles",
        "article_aliases",
        "teaser_links",
        "crawl_runs",
        "article_revisions",
    } <= tables


def test_second_upgrade_is_a_no_op(engine: Engine) -> None:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.strip().upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        upgrade_schema(engine)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    writes = [
        s for s in statements if s.startswith(("CREATE", "ALTER", "DROP", "INSERT", "UPDATE"))
    ]
    assert statements, "the listener saw nothing, so the assertion below would be vacuous"
    assert writes == []
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert [row[0] for row in versions] == ["0002"]


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    """The migrations are written by hand; this is what keeps them equal to models.py.
    The full-text index is left out on purpose: the models cannot declare it for both
    backends (see storage.search), and tests/test_archive_search.py checks it instead."""
    with engine.connect() as connection:
        options = {"compare_type": True, "include_name": outside_models}
        context = MigrationContext.configure(connection, opts=options)
        assert compare_metadata(context, Base.metadata) == []


def test_sqlite_connections_are_configured(engine: Engine) -> None:
    # The pool hands back the connection upgrade_schema used with foreign keys switched off.
    with engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("foreign_keys", "journal_mode", "busy_timeout", "synchronous")
        }
    assert pragmas == {
        "foreign_keys": 1,
        "journal_mode": "wal",
        "busy_timeout": 5000,
        "synchronous": 1,
    }


def test_deleting_an_article_cascades(factory: sessionmaker[Session]) -> None:
    record = article(aliases=("https://www.vallartadaily.com/?p=4242",), teasers=(teaser("a", 0),))
    save(factory, record, T0)
    save(factory, replace(record, body="edited"), T1)
    assert count(factory, ArticleRevision) == 2
    with factory.begin() as session:
        session.execute(Article.__table__.delete())
    children = (ArticleAlias, TeaserLink, ArticleRevision)
    assert [count(factory, model) for model in children] == [0, 0, 0]


def test_migration_0002_upgrades_an_archive_of_0001(blank_engine: Engine) -> None:
    """Articles stored before 0002 keep everything and get their content as revision 1."""
    upgrade_schema(blank_engine, "0001")
    record = article(
        aliases=("https://www.vallartadaily.com/?p=4242",),
        teasers=(teaser("https://www.vallartadaily.com/whales/", 0),),
    )
    # Written as 0001's code wrote it: only 0001's columns (Core INSERTs name only those).
    with blank_engine.begin() as connection:
        article_id = connection.execute(
            insert(Article)
            .values(
                canonical_url=record.canonical_url,
                post_id=record.post_id,
                title=record.title,
                lede=record.lede,
                body=record.body,
                blocks=[dict(block) for block in record.blocks],
                dateline=record.dateline,
                author=record.author,
                categories=list(record.categories),
                published=record.published,
                modified=record.modified,
                paywalled=record.paywalled,
                extractor=record.extractor,
                content_hash=record.content_hash,
                raw_html=record.raw_html,
                raw_url=record.fetched_url,
                first_seen=T0,
                last_seen=T1,
            )
            .returning(Article.id)
        ).scalar_one()
        connection.execute(
            insert(ArticleAlias).values(
                url=record.aliases[0], article_id=article_id, first_seen=T0, last_seen=T1
            )
        )
        connection.execute(
            insert(TeaserLink).values(
                page_id=article_id,
                kind="trending",
                target_url="https://www.vallartadaily.com/whales/",
                position=0,
                title="Whales",
                first_seen=T0,
                last_seen=T1,
                seen_count=2,
            )
        )

    upgrade_schema(blank_engine)
    factory = session_factory(blank_engine)
    stored = find(factory, record.aliases[0])
    assert (stored.etag, stored.last_modified, stored.gone_at, stored.gone_status) == (None,) * 4
    assert stored.revision_count == 1
    assert (stored.first_seen, stored.last_seen) == (T0, T1)
    assert stored.content_hash == record.content_hash
    assert [(t.target_url, t.seen_count) for t in stored.teasers] == [
        ("https://www.vallartadaily.com/whales/", 2)
    ]
    with factory() as session:
        repo = ArchiveRepository(session)
        revisions = repo.revisions(record.canonical_url)
        pages = list(repo.raw_pages())
    assert [(p.canonical_url, p.raw_url, p.raw_html) for p in pages] == [
        (record.canonical_url, record.fetched_url, RAW_PAGE)
    ]
    assert len(revisions) == 1
    first = revisions[0]
    assert (first.article_id, first.number, first.captured_at) == (article_id, 1, T0)
    assert first.content_hash == record.content_hash
    assert (first.title, first.body, first.blocks) == (record.title, record.body, record.blocks)
    assert (first.categories, first.published) == (record.categories, record.published)
    assert (first.paywalled, first.extractor) == (False, "pvdn")

    # The first change after the upgrade continues the numbering.
    assert save(factory, replace(record, title="Malecon reopens Saturday"), T2) == "changed"
    with factory() as session:
        numbers = [r.number for r in ArchiveRepository(session).revisions(record.canonical_url)]
    assert numbers == [1, 2]


def test_database_url_prefers_explicit_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PVDN_DATABASE_URL", raising=False)
    assert database_url() == DEFAULT_DATABASE_URL == "sqlite:///pvdn.sqlite3"
    monkeypatch.setenv("PVDN_DATABASE_URL", "postgresql+psycopg://h/db")
    assert database_url() == "postgresql+psycopg://h/db"
    assert database_url("sqlite:///other.sqlite3") == "sqlite:///other.sqlite3"


# ---- records --------------------------------------------------------------------------------


def test_content_hash_covers_cleaned_content_only() -> None:
    base = article()
    noise = replace(
        base,
        raw_html=b"<html>another trending list</html>",
        fetched_url="https://www.vallartadaily.com/?p=4242",
        teasers=(teaser("https://www.vallartadaily.com/other/", 0),),
    )
    same_instant = replace(base, published=base.published.astimezone(UTC))
    assert base.content_hash == noise.content_hash == same_instant.content_hash
    for field, value in [
        ("body", base.body + " Update: it opened."),
        ("title", "Malecon reopens Friday"),
        ("blocks", base.blocks[:1]),
        ("categories", ("Local News", "Events")),
        ("paywalled", True),
        ("modified", T0),
    ]:
        assert replace(base, **{field: value}).content_hash != base.content_hash, field


def test_naive_datetimes_are_refused(factory: sessionmaker[Session]) -> None:
    with pytest.raises(ValueError, match="published"):
        article(published=datetime(2025, 5, 30, 9, 0))
    with factory.begin() as session, pytest.raises(ValueError, match="seen_at"):
        ArchiveRepository(session).save_article(article(), datetime(2025, 6, 1))


# ---- save_article ---------------------------------------------------------------------------


def test_save_reports_new_unchanged_changed(factory: sessionmaker[Session]) -> None:
    first = article()
    assert save(factory, first, T0) == "new"

    # Same story, another trending list around it and fetched through another URL.
    refetched = replace(first, raw_html=RAW_PAGE + b"<!-- new trending -->")
    assert save(factory, refetched, T1) == "unchanged"
    with factory() as session:
        stored = session.scalars(select(Article)).one()
        assert (stored.first_seen, stored.last_seen) == (T0, T1)
        assert stored.raw_html == RAW_PAGE, "unchanged keeps the page that produced the content"
    assert count(factory, Article) == 1

    edited = replace(
        first,
        body=first.body + "\n\nUpdate: the opening moved to Saturday.",
        raw_html=b"<html>edited page</html>",
        fetched_url="https://www.vallartadaily.com/malecon/?amp=1",
        extractor="generic",
    )
    assert save(factory, edited, T2) == "changed"
    with factory() as session:
        stored = session.scalars(select(Article)).one()
        assert stored.body.endswith("moved to Saturday.")
        assert stored.content_hash == edited.content_hash
        assert stored.raw_html == b"<html>edited page</html>"
        assert stored.raw_url == "https://www.vallartadaily.com/malecon/?amp=1"
        assert stored.extractor == "generic"
        assert (stored.first_seen, stored.last_seen) == (T0, T2)
    assert count(factory, Article) == 1
    assert save(factory, edited, T2 + timedelta(hours=1)) == "unchanged"


def test_reads_in_one_session_see_the_latest_save(factory: sessionmaker[Session]) -> None:
    """Upserts bypass the ORM; a session must not answer from what it loaded before."""
    with factory.begin() as session:
        repo = ArchiveRepository(session)
        repo.save_article(article(), T0)
        before = repo.find_article("https://www.vallartadaily.com/malecon/")
        repo.save_article(article(title="Malecon reopens Saturday"), T1)
        after = repo.find_article("https://www.vallartadaily.com/malecon/")
    assert before is not None and after is not None
    assert (before.title, after.title) == ("Malecon reopens", "Malecon reopens Saturday")
    assert after.last_seen == T1


def test_raw_html_is_stored_compressed(factory: sessionmaker[Session]) -> None:
    save(factory, article(), T0)
    with factory() as session:
        stored_size = session.scalar(select(func.length(Article.raw_html)))
        pages = list(ArchiveRepository(session).raw_pages())
    assert stored_size is not None and stored_size < len(RAW_PAGE) / 5
    assert [(p.canonical_url, p.raw_url, p.raw_html) for p in pages] == [
        (
            "https://www.vallartadaily.com/malecon/",
            "https://www.vallartadaily.com/malecon/",
            RAW_PAGE,
        )
    ]


def test_aliases_are_deduplicated_and_repointed(factory: sessionmaker[Session]) -> None:
    short = "https://www.vallartadaily.com/?p=4242"
    amp = "https://www.vallartadaily.com/malecon/amp/"
    first = article(
        aliases=(short, short, "https://www.vallartadaily.com/malecon/"), fetched_url=amp
    )
    save(factory, first, T0)
    save(factory, first, T1)
    with factory() as session:
        rows = {a.url: (a.first_seen, a.last_seen) for a in session.scalars(select(ArticleAlias))}
    assert rows == {short: (T0, T1), amp: (T0, T1)}

    # The short link now belongs to another story (say the post id was reused after a merge).
    other = article("https://www.vallartadaily.com/pier/", aliases=(short,), post_id=5000)
    save(factory, other, T2)
    with factory() as session:
        repo = ArchiveRepository(session)
        found = repo.find_article(short)
        malecon = repo.find_article("https://www.vallartadaily.com/malecon/")
    assert found is not None and found.canonical_url == "https://www.vallartadaily.com/pier/"
    assert malecon is not None and malecon.aliases == (amp,)
    assert count(factory, ArticleAlias) == 2


def test_add_alias_points_a_later_url_at_a_stored_article(
    factory: sessionmaker[Session],
) -> None:
    canonical = "https://www.vallartadaily.com/malecon/"
    short = "https://www.vallartadaily.com/?p=4242"
    save(factory, article(), T0)
    with factory.begin() as session:
        repo = ArchiveRepository(session)
        assert repo.add_alias(short, canonical, T1) is True
        assert repo.add_alias(short, canonical, T2) is True
        assert repo.add_alias(canonical, canonical, T2) is False
        assert (
            repo.add_alias("https://x.test/a", "https://www.vallartadaily.com/unknown/", T2)
            is False
        )
    with factory() as session:
        found = ArchiveRepository(session).find_article(short)
        rows = session.execute(
            select(ArticleAlias.url, ArticleAlias.first_seen, ArticleAlias.last_seen)
        ).all()
    assert found is not None and found.canonical_url == canonical
    assert [tuple(row) for row in rows] == [(short, T1, T2)]


def test_teasers_seen_again_update_one_row(factory: sessionmaker[Session]) -> None:
    target = "https://www.vallartadaily.com/whales/"
    page = article(teasers=(teaser(target, 3, title="Whales arrive"), teaser("b", 4)))
    save(factory, page, T0)
    later = replace(
        page,
        teasers=(
            teaser("c", 0),
            teaser(target, 1, title="Whales arrive early"),
            teaser(target, 7, title="repeated lower in the same list"),
        ),
    )
    assert save(factory, later, T1) == "unchanged"
    with factory() as session:
        rows = session.scalars(select(TeaserLink).where(TeaserLink.target_url == target)).all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.seen_count, row.first_seen, row.last_seen) == (2, T0, T1)
        assert (row.position, row.title) == (1, "Whales arrive early")
        b_row = session.scalars(select(TeaserLink).where(TeaserLink.target_url == "b")).one()
        assert (b_row.seen_count, b_row.last_seen) == (1, T0), "no longer shown: kept, not touched"
    assert count(factory, TeaserLink) == 3


def test_same_teaser_on_two_pages_is_two_rows(factory: sessionmaker[Session]) -> None:
    shared = teaser("https://www.vallartadaily.com/whales/", 0)
    save(factory, article(teasers=(shared,)), T0)
    save(factory, article("https://www.vallartadaily.com/pier/", teasers=(shared,)), T0)
    save(factory, article(teasers=(replace(shared, kind="related"),)), T1)
    assert count(factory, TeaserLink) == 3


# ---- reads ----------------------------------------------------------------------------------


def test_find_article_by_canonical_url_or_alias(factory: sessionmaker[Session]) -> None:
    record = article(
        aliases=("https://www.vallartadaily.com/?p=4242",),
        teasers=(
            teaser("t2", 2),
            teaser("r0", 0, kind="related"),
            teaser("t0", 0),
            teaser("t1", 1),
        ),
    )
    save(factory, record, T0)
    with factory() as session:
        repo = ArchiveRepository(session)
        by_alias = repo.find_article("https://www.vallartadaily.com/?p=4242")
        by_canonical = repo.find_article("https://www.vallartadaily.com/malecon/")
        missing = repo.find_article("https://www.vallartadaily.com/malecon")
    assert missing is None, "URLs are compared exactly"
    assert by_alias is not None and by_alias == by_canonical
    assert by_alias.body == record.body
    assert by_alias.blocks == record.blocks
    assert by_alias.categories == ("Local News",)
    assert by_alias.published == datetime(2025, 5, 30, 15, 0, tzinfo=UTC)
    assert by_alias.published is not None and by_alias.published.utcoffset() == timedelta(0)
    assert by_alias.content_hash == record.content_hash
    assert by_alias.aliases == ("https://www.vallartadaily.com/?p=4242",)
    assert [(t.kind, t.position, t.target_url) for t in by_alias.teasers] == [
        ("related", 0, "r0"),
        ("trending", 0, "t0"),
        ("trending", 1, "t1"),
        ("trending", 2, "t2"),
    ]


def test_iter_articles_streams_in_id_order(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository_module, "_ARTICLE_BATCH", 2)  # make the stream span batches
    slugs = ["zeta", "alpha", "mid", "beta", "omega"]
    for slug in slugs:
        save(
            factory,
            article(f"https://www.vallartadaily.com/{slug}/", teasers=(teaser(slug, 0),)),
            T0,
        )
    with factory() as session:
        exported = list(ArchiveRepository(session).iter_articles())
    assert [a.canonical_url.rsplit("/", 2)[1] for a in exported] == slugs
    assert [a.id for a in exported] == sorted(a.id for a in exported)
    assert [a.teasers[0].target_url for a in exported] == slugs


def test_stats_counts_what_is_stored(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        empty = ArchiveRepository(session).stats()
    assert empty["articles"] == 0 and empty["last_run"] is None and empty["by_extractor"] == {}

    save(
        factory,
        article(aliases=("https://www.vallartadaily.com/?p=1",), teasers=(teaser("a", 0),)),
        T0,
    )
    save(
        factory,
        article(
            "https://www.vallartadaily.com/b/",
            paywalled=True,
            teasers=(teaser("a", 0), teaser("c", 1)),
        ),
        T0,
    )
    save(factory, article("https://www.vallartadaily.com/c/", extractor="generic"), T0)
    save(factory, article("https://www.vallartadaily.com/c/", extractor="generic", body="x"), T1)
    with factory.begin() as session:
        ArchiveRepository(session).mark_gone("https://www.vallartadaily.com/b/", 404, T2)
    with factory() as session:
        stats = ArchiveRepository(session).stats()
    assert stats == {
        "articles": 3,
        "aliases": 1,
        "teaser_links": 3,
        "paywalled": 1,
        "gone": 1,
        "revisions": 4,
        "by_extractor": {"generic": 1, "pvdn": 2},
        "runs": 0,
        "last_run": None,
    }


def test_crawl_runs_start_and_finish(factory: sessionmaker[Session]) -> None:
    with factory.begin() as session:
        repo = ArchiveRepository(session)
        first = repo.start_run("pvdn", T0)
        repo.finish_run(first, T0 + timedelta(minutes=5), "failed", {"pages": 3})
        second = repo.start_run("pvdn", T1)
        running = repo.stats()["last_run"]
        repo.finish_run(second, T1 + timedelta(hours=1), "finished", {"pages": 120, "new": 7})
    assert second > first
    assert running is not None and (running["id"], running["status"]) == (second, "running")
    assert running["finished_at"] is None
    with factory() as session:
        stats = ArchiveRepository(session).stats()
        statuses = {
            row.id: row.status for row in session.execute(select(CrawlRun.id, CrawlRun.status))
        }
    assert stats["runs"] == 2
    assert stats["last_run"] == {
        "id": second,
        "spider": "pvdn",
        "started_at": T1,
        "finished_at": T1 + timedelta(hours=1),
        "status": "finished",
        "counts": {"pages": 120, "new": 7},
    }
    assert statuses == {first: "failed", second: "finished"}


def test_finishing_an_unknown_run_is_an_error(factory: sessionmaker[Session]) -> None:
    with factory.begin() as session, pytest.raises(RunNotFoundError, match="999"):
        ArchiveRepository(session).finish_run(999, T0, "finished", {})


# ---- incremental crawls: revisions, validators, conditional requests, gone pages -------------


def test_revisions_are_numbered_per_change(factory: sessionmaker[Session]) -> None:
    short = "https://www.vallartadaily.com/?p=4242"
    first = article(aliases=(short,))
    second = replace(first, title="Malecon reopens Saturday")
    third = replace(
        second, body="Rewritten.", blocks=({"kind": "paragraph", "text": "Rewritten."},)
    )
    outcomes = [
        save(factory, first, T0),
        save(factory, replace(first, raw_html=b"<html>new trending</html>"), T0 + timedelta(1)),
        save(factory, second, T1),
        save(factory, second, T1 + timedelta(1)),
        save(factory, third, T2),
    ]
    assert outcomes == ["new", "unchanged", "changed", "unchanged", "changed"]
    with factory() as session:
        repo = ArchiveRepository(session)
        revisions = repo.revisions(short)  # by alias
        assert repo.revisions(first.canonical_url) == revisions
        assert repo.revisions("https://www.vallartadaily.com/unknown/") == []
    assert [(r.number, r.captured_at) for r in revisions] == [(1, T0), (2, T1), (3, T2)]
    assert [r.title for r in revisions] == [first.title, second.title, third.title]
    assert [r.content_hash for r in revisions] == [
        first.content_hash,
        second.content_hash,
        third.content_hash,
    ]
    assert revisions[2].body == "Rewritten." and revisions[2].blocks == third.blocks
    assert revisions[0].blocks == first.blocks and revisions[0].categories == ("Local News",)
    assert revisions[0].published == first.published
    stored = find(factory, short)
    assert stored.revision_count == 3 and stored.content_hash == revisions[-1].content_hash
    # Another article's history is its own.
    save(factory, article("https://www.vallartadaily.com/pier/"), T2)
    assert find(factory, "https://www.vallartadaily.com/pier/").revision_count == 1


def test_validators_are_stored_on_every_outcome(factory: sessionmaker[Session]) -> None:
    url = "https://www.vallartadaily.com/malecon/"
    save(factory, article(etag='W/"v1"', last_modified="Sun, 01 Jun 2025 12:00:00 GMT"), T0)
    stored = find(factory, url)
    assert (stored.etag, stored.last_modified) == ('W/"v1"', "Sun, 01 Jun 2025 12:00:00 GMT")

    assert save(factory, article(etag='"v2"', last_modified="Mon, 02 Jun 2025 GMT"), T1) == (
        "unchanged"
    )
    stored = find(factory, url)
    assert (stored.etag, stored.last_modified) == ('"v2"', "Mon, 02 Jun 2025 GMT")
    assert stored.revision_count == 1

    # A response without validators: what was stored described an older response.
    assert save(factory, article(title="Edited"), T2) == "changed"
    stored = find(factory, url)
    assert (stored.etag, stored.last_modified) == (None, None)


def test_known_pages_cover_canonical_urls_and_aliases(
    engine: Engine, factory: sessionmaker[Session]
) -> None:
    malecon = "https://www.vallartadaily.com/malecon/"
    pier = "https://www.vallartadaily.com/pier/"
    short, amp = "https://www.vallartadaily.com/?p=4242", "https://www.vallartadaily.com/amp/"
    modified = datetime(2025, 5, 31, 8, 0, tzinfo=timezone(timedelta(hours=-6)))
    save(factory, article(aliases=(short,), fetched_url=amp, etag='"m1"', modified=modified), T0)
    save(factory, article(pier, post_id=5000, last_modified="Sun, 01 Jun 2025 GMT"), T1)
    # An old address of the malecon story that is now the pier story's canonical URL.
    with factory.begin() as session:
        assert ArchiveRepository(session).add_alias(pier, malecon, T1) is True
        ArchiveRepository(session).mark_gone(pier, 410, T2)

    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with factory() as session:
            pages = ArchiveRepository(session).known_pages()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2

    assert set(pages) == {malecon, pier, short, amp}
    assert pages[short] is pages[amp] is pages[malecon]
    assert pages[malecon].canonical_url == malecon
    assert pages[malecon].etag == '"m1"' and pages[malecon].last_modified is None
    assert pages[malecon].modified == modified and pages[malecon].last_seen == T0
    assert pages[malecon].gone is False
    assert pages[pier].canonical_url == pier, "a canonical URL wins over an alias"
    assert (pages[pier].etag, pages[pier].last_modified) == (None, "Sun, 01 Jun 2025 GMT")
    assert (pages[pier].modified, pages[pier].last_seen, pages[pier].gone) == (None, T1, True)
    with factory() as session:
        assert ArchiveRepository(session).known_pages() == pages


def test_touch_records_a_not_modified_answer(factory: sessionmaker[Session]) -> None:
    canonical, short = (
        "https://www.vallartadaily.com/malecon/",
        "https://www.vallartadaily.com/?p=1",
    )
    record = article(
        aliases=(short,),
        teasers=(teaser("a", 0),),
        etag='"v1"',
        last_modified="Sun, 01 Jun 2025 GMT",
    )
    save(factory, record, T0)
    with factory.begin() as session:
        repo = ArchiveRepository(session)
        repo.mark_gone(canonical, 404, T0 + timedelta(hours=1))
        assert repo.touch(short, T1, etag='"v2"') == canonical
        assert repo.touch("https://www.vallartadaily.com/unknown/", T1) is None
    stored = find(factory, canonical)
    assert (stored.first_seen, stored.last_seen) == (T0, T1)
    assert (stored.etag, stored.last_modified) == ('"v2"', "Sun, 01 Jun 2025 GMT")
    assert (stored.gone_at, stored.gone_status) == (None, None)
    assert stored.revision_count == 1 and stored.content_hash == record.content_hash
    assert [(t.last_seen, t.seen_count) for t in stored.teasers] == [(T0, 1)], "not shown by a 304"
    with factory() as session:
        alias_seen = session.scalars(select(ArticleAlias.last_seen)).one()
    assert alias_seen == T0

    with factory.begin() as session:
        assert ArchiveRepository(session).touch(canonical, T2, None, "Tue, 03 Jun 2025 GMT")
    stored = find(factory, canonical)
    assert (stored.etag, stored.last_modified) == ('"v2"', "Tue, 03 Jun 2025 GMT")
    assert stored.last_seen == T2


def test_mark_gone_keeps_the_first_time_and_a_save_clears_it(
    factory: sessionmaker[Session],
) -> None:
    canonical, short = (
        "https://www.vallartadaily.com/malecon/",
        "https://www.vallartadaily.com/?p=1",
    )
    record = article(aliases=(short,), teasers=(teaser("a", 0),))
    save(factory, record, T0)
    first_gone = datetime(2025, 6, 1, 8, 0, tzinfo=timezone(timedelta(hours=-6)))  # 14:00 UTC
    with factory.begin() as session:
        repo = ArchiveRepository(session)
        assert repo.mark_gone(canonical, 404, first_gone) == canonical
        assert repo.mark_gone(short, 410, T2) == canonical
        assert repo.mark_gone("https://www.vallartadaily.com/unknown/", 404, T2) is None
    stored = find(factory, short)
    assert stored.gone_at == datetime(2025, 6, 1, 14, 0, tzinfo=UTC)
    assert stored.gone_status == 410
    assert stored.last_seen == T0, "a 404 is not a sighting"
    assert stored.aliases == (short,) and len(stored.teasers) == 1 and stored.revision_count == 1
    with factory() as session:
        assert ArchiveRepository(session).stats()["gone"] == 1

    assert save(factory, record, T2 + timedelta(hours=1)) == "unchanged"
    stored = find(factory, canonical)
    assert (stored.gone_at, stored.gone_status) == (None, None)
    with factory.begin() as session:
        ArchiveRepository(session).mark_gone(canonical, 404, T2 + timedelta(hours=2))
    assert find(factory, canonical).gone_at == T2 + timedelta(hours=2), "gone again, anew"


def test_naive_times_are_refused_by_touch_and_mark_gone(factory: sessionmaker[Session]) -> None:
    save(factory, article(), T0)
    naive = datetime(2025, 6, 2)
    with factory() as session:
        repo = ArchiveRepository(session)
        with pytest.raises(ValueError, match="seen_at"):
            repo.touch("https://www.vallartadaily.com/malecon/", naive)
        with pytest.raises(ValueError, match="at"):
            repo.mark_gone("https://www.vallartadaily.com/malecon/", 404, naive)


# ---- one writer at a time -------------------------------------------------------------------

# Takes the lock in another process; "hold" keeps it until killed, "try" releases it at once.
LOCK_CHILD = """
import sys, time
from storage import ArchiveBusyError, make_engine, writer_lock
engine = make_engine(sys.argv[1])
try:
    with writer_lock(engine):
        print("locked", flush=True)
        if sys.argv[2] == "hold":
            time.sleep(600)
except ArchiveBusyError as exc:
    print("busy:", exc, flush=True)
"""


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _try_lock_in_child(engine: Engine) -> str:
    """What another process gets when it tries the lock: "locked" or "busy: <message>"."""
    result = subprocess.run(
        [sys.executable, "-c", LOCK_CHILD, _url(engine), "try"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=60,
    )
    return result.stdout.strip()


def _take_lock_within(engine: Engine, seconds: float) -> None:
    """Take and release the lock, retrying for up to `seconds`.

    A server ends a killed client's session soon, not at once; SQLite's flock is free as soon
    as the process is gone.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            with writer_lock(engine):
                return
        except ArchiveBusyError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_writer_lock_excludes_other_processes_until_sigkill(engine: Engine) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", LOCK_CHILD, _url(engine), "hold"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stderr is not None
            line = holder.stdout.readline()
            # Anything else means the child has exited (or is exiting), so stderr can be read.
            assert line == "locked\n", line + holder.stderr.read()
            started = time.monotonic()
            with (
                pytest.raises(ArchiveBusyError, match="another crawl is writing") as busy,
                writer_lock(engine),
            ):
                pytest.fail("took a lock another process holds")
            assert time.monotonic() - started < 1.0, "busy must be reported without waiting"
            assert Path(str(engine.url.database)).name in str(busy.value), "names the database"
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=30)
    assert holder.returncode == -signal.SIGKILL
    _take_lock_within(engine, seconds=10)


def test_writer_lock_is_released_when_the_block_ends(engine: Engine) -> None:
    with writer_lock(engine):
        assert _try_lock_in_child(engine).startswith("busy: archive database")
    assert _try_lock_in_child(engine) == "locked"

    with pytest.raises(RuntimeError), writer_lock(engine):
        raise RuntimeError("the crawl failed")
    with writer_lock(engine):  # taken again at once: nothing left holding it
        pass


def test_writer_lock_on_sqlite_is_a_sidecar_file(engine: Engine) -> None:
    database = Path(str(engine.url.database)).resolve()
    sidecar = lock_file_path(engine.url)
    assert sidecar is not None and sidecar == database.with_name("archive.sqlite3.lock")
    with writer_lock(engine):
        assert sidecar.read_text().strip() == str(os.getpid())
        with pytest.raises(ArchiveBusyError) as busy, writer_lock(engine):
            pass  # not re-entrant, even in the holder's own process
    assert str(database) in str(busy.value) and f"pid {os.getpid()}" in str(busy.value)
    assert sidecar.exists(), "kept: deleting it would let two processes lock two files"
    with writer_lock(engine):
        pass


def test_writer_lock_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert lock_file_path(make_url("sqlite:///relative.sqlite3")) == tmp_path / (
        "relative.sqlite3.lock"
    )
    assert (
        lock_file_path(make_url("sqlite:///file:x.db?mode=ro&uri=true")) == tmp_path / "x.db.lock"
    )
    for url in ("sqlite://", "sqlite:///:memory:", "sqlite:///file:m?mode=memory&uri=true"):
        assert lock_file_path(make_url(url)) is None, url
    assert lock_file_path(make_url("postgresql+psycopg://h/db")) is None
    memory = make_engine("sqlite://")
    try:
        with writer_lock(memory), writer_lock(memory):  # private to its connection: no lock
            pass
    finally:
        memory.dispose()
    assert list(tmp_path.iterdir()) == []


# ---- transactions ---------------------------------------------------------------------------


def test_repository_never_commits(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        repo = ArchiveRepository(session)
        repo.save_article(article(teasers=(teaser("a", 0),)), T0)
        repo.start_run("pvdn", T0)
        assert repo.stats()["articles"] == 1  # visible inside the transaction ...
    assert count(factory, Article) == 0  # ... and gone when the session closes uncommitted
    assert count(factory, CrawlRun) == 0


def test_failure_inside_a_transaction_leaves_nothing_behind(factory: sessionmaker[Session]) -> None:
    save(factory, article(), T0)
    # A teaser the database rejects (NOT NULL title) fails after the article upsert ran.
    broken = article(
        "https://www.vallartadaily.com/pier/",
        teasers=(replace(teaser("a", 0), title=cast(str, None)),),
    )
    with pytest.raises(IntegrityError), factory.begin() as session:
        ArchiveRepository(session).save_article(broken, T1)
    with pytest.raises(RuntimeError), factory.begin() as session:
        ArchiveRepository(session).save_article(article(body="edited"), T1)
        raise RuntimeError("the pipeline failed after saving")
    with factory() as session:
        repo = ArchiveRepository(session)
        assert repo.find_article("https://www.vallartadaily.com/pier/") is None
        kept = repo.find_article("https://www.vallartadaily.com/malecon/")
    assert kept is not None and kept.body == article().body and kept.last_seen == T0
    assert (count(factory, Article), count(factory, TeaserLink)) == (1, 0)


# ---- boundaries -----------------------------------------------------------------------------

FORBIDDEN_IMPORTS = {"scrapy", "twisted", "cleaning", "pvdn_crawler"}


def test_storage_imports_no_crawler_or_cleaning_code() -> None:
    direct = set()
    for path in STORAGE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                direct |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                direct.add(node.module.split(".")[0])
    assert direct & FORBIDDEN_IMPORTS == set()
    probe = (
        "import sys, storage, storage.engine, storage.repository, storage.models;"
        "top = {name.split('.')[0] for name in sys.modules};"
        f"print(sorted(top & set({sorted(FORBIDDEN_IMPORTS)!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"


def test_public_api_is_exported() -> None:
    assert set(storage.__all__) >= {
        "ArchiveRepository",
        "ArticleRecord",
        "TeaserRecord",
        "make_engine",
        "session_factory",
        "upgrade_schema",
        "database_url",
        "writer_lock",
        "ArchiveBusyError",
        "KnownPage",
        "StoredRevision",
    }
    assert all(hasattr(storage, name) for name in storage.__all__)


def test_wall_teaser_never_replaces_a_full_story(factory: sessionmaker[Session]) -> None:
    full = article()
    teaser = replace(full, body="Only the first paragraph . . .", paywalled=True)
    assert save(factory, full, T0) == "new"
    assert save(factory, teaser, T1) == "unchanged"
    with factory() as session:
        stored = ArchiveRepository(session).find_article(full.canonical_url)
        revisions = ArchiveRepository(session).revisions(full.canonical_url)
    assert stored is not None and stored.body == full.body and not stored.paywalled
    assert len(revisions) == 1
