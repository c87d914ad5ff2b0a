"""The archive's storage against a real SQLite file: schema, upserts, reads, transactions.

Tests that take the `engine`, `factory` or `blank_engine` fixture are backend-neutral unless
`test_storage_postgres.SQLITE_ONLY` names them: `test_storage_postgres.py` imports them and
runs them again with its own fixtures pointing at PostgreSQL.
"""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Engine,
    insert,
    inspect,
    make_url,
    select,
    text,
)
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
from storage.locking import sqlite_file, writer_lock
from storage.models import (
    STORY_COLUMNS,
    Article,
    ArticleAlias,
    ArticleRevision,
    Base,
    CrawlRun,
    Page,
    Reject,
    StoryColumns,
    TeaserLink,
)
from storage.records import (
    EARLIEST,
    LATEST,
    MAX_POST_ID,
    STORY_FIELDS,
    ArticleRecord,
    PageRecord,
    RejectedChange,
    Story,
    sane_datetime,
    sane_post_id,
)
from storage.repository import ArchiveRepository
from storage.search import outside_models
from storage.warc import RunWarcWriter, read_capture
from storage.writer import BatchWriter
from tests.storage_support import (
    ARTICLES_BEFORE_0004,
    MALECON,
    MEXICO,
    OLD_ZLIB_LEVEL,
    RAW_PAGE,
    ROOT,
    T0,
    T1,
    T2,
    article,
    blank_engine,
    capture,
    count,
    edit,
    engine,
    factory,
    find,
    location,
    save,
    statements_on,
    teaser,
)

__all__ = ["blank_engine", "engine", "factory"]  # fixtures, imported for pytest

STORAGE_DIR = ROOT / "storage"
HEAD = "0005"
PIER_URL = "https://www.vallartadaily.com/pier/"


# ---- schema ---------------------------------------------------------------------------------


def test_migrations_create_the_schema_at_head(engine: Engine) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        tables = set(inspect(connection).get_table_names())
    assert head == HEAD
    assert version == head
    assert {
        "articles",
        "article_aliases",
        "teaser_links",
        "crawl_runs",
        "article_revisions",
        "pages",
        "rejects",
    } <= tables


def test_second_upgrade_is_a_no_op(engine: Engine) -> None:
    with statements_on(engine) as seen:
        upgrade_schema(engine)
    statements = [s.upper() for s in seen]
    writes = [
        s for s in statements if s.startswith(("CREATE", "ALTER", "DROP", "INSERT", "UPDATE"))
    ]
    assert statements, "the listener saw nothing, so the assertion below would be vacuous"
    assert writes == []
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert [row[0] for row in versions] == [HEAD]


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
    save(factory, edit(record, body="edited"), T1)
    assert count(factory, ArticleRevision) == 2
    with factory.begin() as session:
        repo = ArchiveRepository(session)
        run_id = repo.start_run("pvdn", T0)
        repo.add_rejects([RejectedChange("https://x.test/", "article", "refused")], run_id, T1)
    with factory.begin() as session:
        session.execute(Article.__table__.delete())
    children = (ArticleAlias, TeaserLink, ArticleRevision)
    assert [count(factory, model) for model in children] == [0, 0, 0]
    # A reject outlives its run's row: it says what was lost, whichever run lost it.
    with factory.begin() as session:
        session.execute(CrawlRun.__table__.delete())
    with factory() as session:
        assert session.execute(select(Reject.url, Reject.run_id)).all() == [
            ("https://x.test/", None)
        ]


def _columns_of_0001(
    record: ArticleRecord, first_seen: datetime, last_seen: datetime
) -> dict[str, Any]:
    """An article row as 0001's code wrote it: only 0001's columns, the page in `raw_html`."""
    story = record.story
    return {
        "canonical_url": record.canonical_url,
        "post_id": record.post_id,
        "title": story.title,
        "lede": story.lede,
        "body": story.body,
        "blocks": [dict(block) for block in story.blocks],
        "dateline": story.dateline,
        "author": story.author,
        "categories": list(story.categories),
        "published": story.published,
        "modified": story.modified,
        "paywalled": story.paywalled,
        "extractor": story.extractor,
        "content_hash": story.content_hash,
        "raw_html": zlib.compress(record.raw_html, OLD_ZLIB_LEVEL),
        "raw_url": record.fetched_url,
        "first_seen": first_seen,
        "last_seen": last_seen,
    }


def test_migration_0002_upgrades_an_archive_of_0001(blank_engine: Engine, tmp_path: Path) -> None:
    """Articles stored before 0002 keep everything and get their content as revision 1; their
    page ends up in a WARC file (0004)."""
    upgrade_schema(blank_engine, "0001")
    record = article(
        aliases=("https://www.vallartadaily.com/?p=4242",),
        teasers=(teaser("https://www.vallartadaily.com/whales/", 0),),
    )
    # Written as 0001's code wrote it: only 0001's columns (Core INSERTs name only those).
    with blank_engine.begin() as connection:
        articles = ARTICLES_BEFORE_0004
        article_id = connection.execute(
            insert(articles).values(**_columns_of_0001(record, T0, T1)).returning(articles.c.id)
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

    warc_dir = tmp_path / "warc"
    upgrade_schema(blank_engine, warc_dir=warc_dir)
    factory = session_factory(blank_engine)
    stored = find(factory, record.aliases[0])
    assert (stored.etag, stored.last_modified, stored.gone_at, stored.gone_status) == (None,) * 4
    assert stored.revision_count == 1
    assert (stored.first_seen, stored.last_seen) == (T0, T1)
    assert stored.content_hash == record.story.content_hash
    with factory() as session:
        teaser_rows = session.execute(select(TeaserLink.target_url, TeaserLink.seen_count)).all()
    assert [tuple(row) for row in teaser_rows] == [("https://www.vallartadaily.com/whales/", 2)]
    with factory() as session:
        repo = ArchiveRepository(session)
        revisions = repo.revisions(record.canonical_url)
        pages = repo.raw_pages()
    assert [(p.canonical_url, p.raw_url) for p in pages] == [
        (record.canonical_url, record.fetched_url)
    ]
    assert pages[0].warc is not None
    kept = read_capture(warc_dir, pages[0].warc)
    assert (kept.record_type, kept.target_uri, kept.payload) == (
        "resource",
        record.canonical_url,
        RAW_PAGE,
    )
    assert len(revisions) == 1
    first = revisions[0]
    assert first.warc == pages[0].warc == stored.warc, "the article and its one revision"
    assert (first.article_id, first.number, first.captured_at) == (article_id, 1, T0)
    assert first.content_hash == record.story.content_hash
    story = record.story
    assert (first.story.title, first.story.body, first.story.blocks) == (
        story.title,
        story.body,
        story.blocks,
    )
    assert (first.story.categories, first.story.published) == (story.categories, story.published)
    assert (first.story.paywalled, first.story.extractor) == (False, "pvdn")

    # The first change after the upgrade continues the numbering.
    assert save(factory, edit(record, title="Malecon reopens Saturday"), T2) == "changed"
    with factory() as session:
        numbers = [r.number for r in ArchiveRepository(session).revisions(record.canonical_url)]
    assert numbers == [1, 2]


_PIER = edit(article("https://www.vallartadaily.com/pier/"), post_id=5000)
_MALECON_0002 = article(
    aliases=("https://www.vallartadaily.com/?p=4242",),
    modified=datetime(2025, 5, 31, 20, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
)


def _archive_of_0002(engine: Engine) -> list[int]:
    """Migrate to 0002 and store, as 0002's code did, `_MALECON_0002` (with validators, an
    alias, last seen at T1) and `_PIER` (gone since T1), each with its revision 1, and a run.
    Returns the two articles' ids."""
    upgrade_schema(engine, "0002")
    revision_columns = ("title", "lede", "body", "blocks", "dateline", "author", "categories")
    ids = []
    with engine.begin() as connection:
        for row, last_seen, extra in (
            (_MALECON_0002, T1, {"etag": '"v1"', "last_modified": "Sun, 01 Jun 2025 GMT"}),
            (_PIER, T0, {"gone_at": T1, "gone_status": 410}),
        ):
            columns = _columns_of_0001(row, T0, last_seen) | extra
            articles = ARTICLES_BEFORE_0004
            article_id = connection.execute(
                insert(articles).values(**columns).returning(articles.c.id)
            ).scalar_one()
            ids.append(article_id)
            # As 0002's code wrote revisions: the story columns it knew.
            connection.execute(
                insert(ArticleRevision).values(
                    article_id=article_id,
                    number=1,
                    content_hash=row.story.content_hash,
                    captured_at=T0,
                    published=row.story.published,
                    modified=row.story.modified,
                    paywalled=False,
                    extractor="pvdn",
                    **{name: columns[name] for name in revision_columns},
                )
            )
        connection.execute(
            insert(ArticleAlias).values(
                url=_MALECON_0002.aliases[0], article_id=ids[0], first_seen=T0, last_seen=T1
            )
        )
        connection.execute(
            insert(CrawlRun).values(
                started_at=T0, finished_at=T1, status="ok", spider="pvdn", counts={"new": 2}
            )
        )
    return ids


def test_migration_0003_upgrades_an_archive_of_0002(blank_engine: Engine, tmp_path: Path) -> None:
    """Articles stored before 0003 keep everything; their check time is their last sighting,
    and their dates (stored without an offset) read back in UTC as they did."""
    ids = _archive_of_0002(blank_engine)
    record = _MALECON_0002
    upgrade_schema(blank_engine, warc_dir=tmp_path / "warc")
    with blank_engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        options = {"compare_type": True, "include_name": outside_models}
        context = MigrationContext.configure(connection, opts=options)
        assert compare_metadata(context, Base.metadata) == [], "upgraded schema == models"
    assert version == HEAD
    factory = session_factory(blank_engine)

    stored = find(factory, record.aliases[0])
    assert stored.id == ids[0] and stored.aliases == record.aliases
    assert stored.checked_at == stored.last_seen == T1, "back-filled with the last sighting"
    assert (stored.etag, stored.last_modified) == ('"v1"', "Sun, 01 Jun 2025 GMT")
    assert stored.story.published == record.story.published  # the same instant ...
    assert stored.story.modified == record.story.modified
    for value in (stored.story.published, stored.story.modified):
        assert value is not None and value.utcoffset() == timedelta(0)  # ... read in UTC
    assert stored.story.empty_reason is None
    assert stored.content_hash == record.story.content_hash, "UTC instants hash the same"
    assert replace(stored.story, published=None, modified=None) == replace(
        record.story, published=None, modified=None
    )
    pier = find(factory, _PIER.canonical_url)
    assert (pier.id, pier.post_id) == (ids[1], 5000)
    assert (pier.gone_at, pier.gone_status, pier.checked_at) == (T1, 410, T0)
    with factory() as session:
        repo = ArchiveRepository(session)
        (revision,) = repo.revisions(record.canonical_url)
        stats = repo.stats()
        known = repo.known_pages()
    assert revision.story.published is not None
    assert revision.story.published.utcoffset() == timedelta(0)
    assert revision.story.published == record.story.published
    assert (stats["articles"], stats["revisions"], stats["runs"]) == (2, 2, 1)
    assert (stats["pages"], stats["rejects"], stats["gone"]) == (0, 0, 1)
    assert known[record.aliases[0]].checked_at == T1
    assert known[_PIER.canonical_url].gone is True


def test_after_0003_stories_keep_their_offsets_and_post_ids_fit_64_bits(
    blank_engine: Engine, tmp_path: Path
) -> None:
    _archive_of_0002(blank_engine)
    upgrade_schema(blank_engine, warc_dir=tmp_path / "warc")
    factory = session_factory(blank_engine)
    record = _MALECON_0002
    # The same story again is no change, even though the offsets it brings were not stored.
    assert save(factory, record, T2) == "unchanged"
    # A story saved after the upgrade keeps its offsets; the numbering continues.
    edited = edit(record, title="Malecon reopens Saturday", post_id=2**40)
    assert save(factory, edited, T2 + timedelta(hours=1)) == "changed"
    stored = find(factory, record.canonical_url)
    assert stored.post_id == 2**40
    assert stored.story.published is not None and stored.story.modified is not None
    assert stored.story.published.isoformat() == "2025-05-30T09:00:00-06:00"
    assert stored.story.modified.isoformat() == "2025-05-31T20:00:00+05:30"
    with factory() as session:
        revisions = ArchiveRepository(session).revisions(record.canonical_url)
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].story == edited.story
    # The new tables take rows.
    with factory.begin() as session:
        ArchiveRepository(session).record_pages(
            [PageRecord("https://www.vallartadaily.com/about/", "static", 200)], T2
        )
    assert count(factory, Page) == 1


def test_migration_0004_without_a_warc_folder_fails_and_keeps_the_pages(
    blank_engine: Engine, tmp_path: Path
) -> None:
    """An archive whose pages are in the database (a PostgreSQL one not given PVDN_WARC_DIR)
    cannot be upgraded: one line says what to set, nothing is changed, and the upgrade works
    once a folder is given."""
    _archive_of_0002(blank_engine)
    upgrade_schema(blank_engine, "0003")
    with pytest.raises(storage.ArchiveError) as refused:
        upgrade_schema(blank_engine)
    message = str(refused.value)
    assert "\n" not in message and "PVDN_WARC_DIR" in message
    with blank_engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        pages = connection.execute(
            select(ARTICLES_BEFORE_0004.c.canonical_url, ARTICLES_BEFORE_0004.c.raw_html)
        ).all()
        columns = {c["name"] for c in inspect(connection).get_columns("articles")}
    assert version == "0003"
    assert "warc_file" not in columns, "the failed upgrade left no half-added column"
    assert sorted((url, zlib.decompress(raw)) for url, raw in pages) == sorted(
        (row.canonical_url, RAW_PAGE) for row in (_MALECON_0002, _PIER)
    )

    folder = tmp_path / "warc"
    upgrade_schema(blank_engine, warc_dir=folder)
    factory = session_factory(blank_engine)
    for row in (_MALECON_0002, _PIER):
        stored = find(factory, row.canonical_url)
        assert stored.warc is not None
        assert read_capture(folder, stored.warc).payload == RAW_PAGE


def test_migration_0004_of_an_archive_without_pages_needs_no_folder(blank_engine: Engine) -> None:
    upgrade_schema(blank_engine, "0003")
    upgrade_schema(blank_engine)
    with blank_engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == HEAD


def test_database_url_prefers_explicit_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PVDN_DATABASE_URL", raising=False)
    assert database_url() == DEFAULT_DATABASE_URL == "sqlite:///pvdn.sqlite3"
    monkeypatch.setenv("PVDN_DATABASE_URL", "postgresql+psycopg://h/db")
    assert database_url() == "postgresql+psycopg://h/db"
    assert database_url("sqlite:///other.sqlite3") == "sqlite:///other.sqlite3"


# ---- records --------------------------------------------------------------------------------


def test_content_hash_covers_cleaned_content_only() -> None:
    base = article()
    story = base.story
    assert story.published is not None
    noise = edit(
        base,
        capture=capture(b"<html>another trending list</html>"),
        warc=location(offset=4096),
        fetched_url="https://www.vallartadaily.com/?p=4242",
        teasers=(teaser("https://www.vallartadaily.com/other/", 0),),
        etag='"v9"',
        post_id=1,
    )
    same_instant = edit(base, published=story.published.astimezone(UTC))
    # How the story was read is not the story.
    read_otherwise = edit(base, extractor="generic", empty_reason="no story block")
    assert (
        story.content_hash
        == noise.story.content_hash
        == same_instant.story.content_hash
        == read_otherwise.story.content_hash
    )
    for field, value in [
        ("body", story.body + " Update: it opened."),
        ("title", "Malecon reopens Friday"),
        ("lede", "The malecon reopens."),
        ("blocks", story.blocks[:1]),
        ("dateline", "Nuevo Vallarta"),
        ("author", "Another Writer"),
        ("categories", ("Local News", "Events")),
        ("paywalled", True),
        ("published", story.published + timedelta(minutes=1)),
        ("modified", T0),
    ]:
        assert edit(base, **{field: value}).story.content_hash != story.content_hash, field


def test_story_columns_are_the_story_fields() -> None:
    """`StoryColumns` and `Story` are declared apart; this holds them together, column for
    field, so a field added to one and not the other fails here rather than in a crawl."""
    offsets = {"published_offset", "modified_offset"}
    assert set(StoryColumns.__annotations__) == set(STORY_FIELDS) | offsets
    assert set(STORY_COLUMNS) == set(STORY_FIELDS) | offsets
    assert len(STORY_COLUMNS) == len(STORY_FIELDS) + 2
    own = {
        "articles": {
            "id", "canonical_url", "post_id", "content_hash", "raw_url", "first_seen",
            "last_seen", "checked_at", "etag", "last_modified", "gone_at", "gone_status",
            "warc_file", "warc_offset", "warc_length",
        },
        "article_revisions": {
            "id", "article_id", "number", "content_hash", "captured_at", "warc_file",
            "warc_offset", "warc_length",
        },
    }  # fmt: skip
    for model in (Article, ArticleRevision):
        columns = set(model.__table__.columns.keys())
        assert columns == set(STORY_COLUMNS) | own[model.__tablename__], model.__tablename__

    # Every field makes the round trip through the column values, none left at its default.
    story = Story(
        title="Malecon reopens",
        lede="The malecon reopens.",
        body="The malecon reopens.\n\nWork took six months.",
        blocks=({"kind": "paragraph", "text": "The malecon reopens."},),
        dateline="Puerto Vallarta",
        author="PVDN Staff",
        categories=("Local News", "Events"),
        published=datetime(2025, 5, 30, 9, 0, tzinfo=MEXICO),
        modified=datetime(2025, 5, 31, 20, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        paywalled=True,
        extractor="generic",
        empty_reason="a reason",
    )
    defaults = Story()
    assert all(getattr(story, name) != getattr(defaults, name) for name in STORY_FIELDS)
    values = StoryColumns.story_values(story)
    assert set(values) == set(STORY_COLUMNS)
    assert (values["published_offset"], values["modified_offset"]) == (-360, 330)
    assert isinstance(values["blocks"], list) and isinstance(values["categories"], list)
    # The database hands dates back in UTC; the offset columns restore the wall clock.
    stored = {**values, "published": story.published.astimezone(UTC)}  # type: ignore[union-attr]
    stored["modified"] = story.modified.astimezone(UTC)  # type: ignore[union-attr]
    restored = StoryColumns.story_from(SimpleNamespace(**stored))
    assert restored == story
    assert restored.published is not None and restored.modified is not None
    assert restored.published.isoformat() == "2025-05-30T09:00:00-06:00"
    assert restored.modified.isoformat() == "2025-05-31T20:00:00+05:30"


def test_naive_datetimes_are_refused(factory: sessionmaker[Session]) -> None:
    with pytest.raises(ValueError, match="published"):
        article(published=datetime(2025, 5, 30, 9, 0))
    with pytest.raises(ValueError, match="modified"):
        article(modified=datetime(2025, 5, 30, 9, 0))
    with factory.begin() as session, pytest.raises(ValueError, match="seen_at"):
        ArchiveRepository(session).save_article(article(), datetime(2025, 6, 1))


def test_impossible_values_are_refused_at_the_record() -> None:
    """A year 1 or 9999 date (which overflows on conversion to UTC) or a post id past 64 bits
    is a parsing accident: refused by the record, naming the field, before any database."""
    for name in ("published", "modified"):
        for year in (1, 9999):
            # An offset that pushes the instant past datetime's range when converted to UTC.
            tz = timezone(timedelta(hours=-6 if year == 9999 else 6))
            with pytest.raises(ValueError, match=f"{name} .* outside the archive's range"):
                article(**{name: datetime(year, 1 if year == 1 else 12, 1, tzinfo=tz)})
        with pytest.raises(ValueError, match=name):
            article(**{name: datetime(1950, 1, 1, tzinfo=UTC)})
    for post_id in (10**23, MAX_POST_ID + 1, 0, -5):
        with pytest.raises(ValueError, match=f"post_id {post_id}"):
            article(post_id=post_id)
    assert article(post_id=MAX_POST_ID).post_id == MAX_POST_ID
    with pytest.raises(ValueError, match="canonical_url"):
        article("")
    with pytest.raises(ValueError, match="unknown page kind"):
        PageRecord("https://www.vallartadaily.com/x/", "article", 200)


def test_sane_values_drop_what_the_archive_cannot_hold() -> None:
    assert sane_datetime(None) is None
    assert sane_datetime(datetime(2025, 5, 30, 9, 0)) is None, "naive: no instant"
    assert sane_datetime(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=6)))) is None
    assert sane_datetime(datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-6)))) is None
    assert sane_datetime(EARLIEST - timedelta(seconds=1)) is None
    assert sane_datetime(LATEST + timedelta(seconds=1)) is None
    for value in (EARLIEST, LATEST, datetime(2025, 5, 30, 9, 0, tzinfo=MEXICO)):
        assert sane_datetime(value) is value
    assert [sane_post_id(v) for v in (None, 0, -1, 1, MAX_POST_ID, MAX_POST_ID + 1)] == [
        None,
        None,
        None,
        1,
        MAX_POST_ID,
        None,
    ]


# ---- save_article ---------------------------------------------------------------------------


def test_save_reports_new_unchanged_changed(factory: sessionmaker[Session]) -> None:
    first = article(warc=location(offset=0))
    assert save(factory, first, T0) == "new"

    # Same story, another trending list around it and fetched through another URL.
    refetched = edit(
        first, capture=capture(RAW_PAGE + b"<!-- new trending -->"), warc=location(offset=2000)
    )
    assert save(factory, refetched, T1) == "unchanged"
    with factory() as session:
        stored = session.scalars(select(Article)).one()
        assert (stored.first_seen, stored.last_seen) == (T0, T1)
        assert stored.warc == first.warc, "unchanged keeps the page that produced the content"
    assert count(factory, Article) == 1

    edited = edit(
        first,
        body=first.story.body + "\n\nUpdate: the opening moved to Saturday.",
        capture=capture(b"<html>edited page</html>"),
        warc=location(offset=4000),
        fetched_url="https://www.vallartadaily.com/malecon/?amp=1",
        extractor="generic",
    )
    assert save(factory, edited, T2) == "changed"
    with factory() as session:
        stored = session.scalars(select(Article)).one()
        assert stored.body.endswith("moved to Saturday.")
        assert stored.content_hash == edited.story.content_hash
        assert stored.warc == edited.warc == location(offset=4000)
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
    assert (before.story.title, after.story.title) == (
        "Malecon reopens",
        "Malecon reopens Saturday",
    )
    assert after.last_seen == T1


def test_pages_are_stored_compressed_in_warc_files(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """The writer keeps the page in a WARC record (gzip per record) and the row points at it:
    what a re-clean reads back is the page as fetched, compressed on disk."""
    folder = tmp_path / "warc"
    with RunWarcWriter(folder, 1) as warc:
        report = BatchWriter(factory, None, clock=lambda: T0, warc=warc).write([article()])
    assert report.counts == {"new": 1}
    with factory() as session:
        pages = list(ArchiveRepository(session).raw_pages())
    assert [(p.canonical_url, p.raw_url) for p in pages] == [
        (
            "https://www.vallartadaily.com/malecon/",
            "https://www.vallartadaily.com/malecon/",
        )
    ]
    assert pages[0].warc is not None
    kept = read_capture(folder, pages[0].warc)
    assert (kept.record_type, kept.status, kept.payload) == ("response", 200, RAW_PAGE)
    assert pages[0].warc.length < len(RAW_PAGE) / 5
    files = list(folder.iterdir())
    assert [f.name for f in files] == [pages[0].warc.filename]
    # The whole file (warcinfo, response, request) is still far smaller than the page.
    assert sum(f.stat().st_size for f in files) < len(RAW_PAGE) / 3


def test_raw_pages_come_in_keyset_batches(factory: sessionmaker[Session]) -> None:
    """A re-clean reads the archive a batch at a time, each batch after the last id it saw."""
    slugs = ["zeta", "alpha", "mid", "beta", "omega"]
    for number, slug in enumerate(slugs):
        save(
            factory,
            article(
                f"https://www.vallartadaily.com/{slug}/",
                post_id=100 + number,
                fetched_url=f"https://www.vallartadaily.com/?p={100 + number}",
                warc=location(offset=1000 * number),
                etag=f'"{slug}"',
                last_modified=None if number % 2 else "Sun, 01 Jun 2025 GMT",
                title=slug,
            ),
            T0,
        )
    batches = []
    after = 0
    while True:
        with factory() as session:
            batch = ArchiveRepository(session).raw_pages(after_id=after, limit=2)
        if not batch:
            break
        batches.append(batch)
        after = batch[-1].id
    assert [len(batch) for batch in batches] == [2, 2, 1]
    pages = [page for batch in batches for page in batch]
    assert [p.id for p in pages] == sorted(p.id for p in pages)
    with factory() as session:
        assert ArchiveRepository(session).raw_pages() == pages, "no limit: all of them"
        assert ArchiveRepository(session).raw_pages(after_id=pages[-1].id) == []
    for number, (slug, page) in enumerate(zip(slugs, pages, strict=True)):
        stored = find(factory, page.canonical_url)
        assert page.canonical_url == f"https://www.vallartadaily.com/{slug}/"
        assert (page.raw_url, page.warc) == (
            f"https://www.vallartadaily.com/?p={100 + number}",
            location(offset=1000 * number),
        )
        assert (page.etag, page.last_modified) == (stored.etag, stored.last_modified)
        assert (page.content_hash, page.post_id) == (stored.content_hash, 100 + number)


def test_revision_pages_and_captures_since(factory: sessionmaker[Session]) -> None:
    """Re-cleaning every version and exporting a selection read the revisions' locations: only
    those with a capture kept, in id order (batches after an id) and in capture order (from a
    moment on)."""
    first = article(warc=location(offset=0))
    save(factory, first, T0)
    save(factory, article(PIER_URL, post_id=5000), T0)  # archived without a capture
    second = edit(first, title="Malecon reopens Saturday", warc=location(offset=3000))
    save(factory, second, T2)
    save(factory, edit(first, warc=location(offset=6000)), T1)  # back to the first story
    with factory() as session:
        repo = ArchiveRepository(session)
        pages = repo.revision_pages()
        ids = [r.id for r in repo.revisions(MALECON)]
        assert repo.revision_pages(after_id=pages[0].id, limit=1) == pages[1:2]
        everything = repo.captures_since()
        later = repo.captures_since(T1)
    assert [(p.id, p.revision, p.warc) for p in pages] == [
        (ids[0], 1, location(offset=0)),
        (ids[1], 2, location(offset=3000)),
        (ids[2], 3, location(offset=6000)),
    ]
    assert [p.content_hash for p in pages] == [
        first.story.content_hash,
        second.story.content_hash,
        first.story.content_hash,
    ]
    assert {(p.canonical_url, p.raw_url, p.post_id) for p in pages} == {(MALECON, MALECON, 4242)}
    assert everything == [location(offset=0), location(offset=6000), location(offset=3000)]
    assert later == [location(offset=6000), location(offset=3000)]


def test_replacing_a_revision_story_keeps_what_its_page_does_not_state(
    factory: sessionmaker[Session],
) -> None:
    """`reclean --all-revisions` reads a version's page again. The author and categories a
    feed gave are not on the page: reading it again must not erase them, nor count as a
    change; a better reading of the page replaces the version's story, and the article's too
    when it is the latest."""
    fed = article(author="Ana Ruiz", categories=("Weather",), warc=location(offset=0))
    save(factory, fed, T0)
    newer = edit(fed, title="Malecon reopens Saturday", warc=location(offset=3000))
    save(factory, newer, T1)
    with factory() as session:
        first_id, latest_id = [r.id for r in ArchiveRepository(session).revisions(MALECON)]
    page_alone = edit(fed, author=None, categories=())
    with factory.begin() as session:
        assert not ArchiveRepository(session).replace_revision_story(first_id, page_alone.story)
    read_better = edit(newer, author=None, categories=(), body="The malecon reopens Saturday.")
    with factory.begin() as session:
        repo = ArchiveRepository(session)
        assert repo.replace_revision_story(latest_id, read_better.story)
        assert repo.replace_revision_story(first_id, edit(page_alone, lede="Better.").story)
    with factory() as session:
        first, latest = ArchiveRepository(session).revisions(MALECON)
    stored = find(factory, MALECON)
    for story in (first.story, latest.story, stored.story):
        assert (story.author, story.categories) == ("Ana Ruiz", ("Weather",))
    assert (first.story.lede, first.story.title) == ("Better.", "Malecon reopens")
    assert latest.story.body == stored.story.body == "The malecon reopens Saturday."
    assert stored.content_hash == latest.content_hash == latest.story.content_hash
    assert first.content_hash == first.story.content_hash
    assert stored.story.lede == fed.story.lede, "an earlier version's story is not the article's"


def test_dates_keep_their_offset_through_save_and_read(factory: sessionmaker[Session]) -> None:
    """Stored as UTC instants (they sort and compare on both backends) and read back with the
    offset the page wrote them with (issue 9)."""
    published = datetime(2025, 5, 30, 23, 30, tzinfo=MEXICO)  # the next day in UTC
    modified = datetime(2025, 6, 1, 4, 15, tzinfo=timezone(timedelta(hours=5, minutes=45)))
    record = article(published=published, modified=modified)
    save(factory, record, T0)
    stored = find(factory, MALECON)
    with factory() as session:
        (revision,) = ArchiveRepository(session).revisions(MALECON)
        known = ArchiveRepository(session).known_pages()[MALECON]
        utc = session.execute(select(Article.published, Article.published_offset)).one()
    for story in (stored.story, revision.story):
        assert story.published is not None and story.modified is not None
        assert story.published.isoformat() == "2025-05-30T23:30:00-06:00"
        assert story.modified.isoformat() == "2025-06-01T04:15:00+05:45"
    assert tuple(utc) == (datetime(2025, 5, 31, 5, 30, tzinfo=UTC), -360)
    assert known.published == published, "the same instant (known pages read it in UTC)"

    # The same instants written in UTC are the same story: nothing changes, offsets included.
    in_utc = article(published=published.astimezone(UTC), modified=modified.astimezone(UTC))
    assert save(factory, in_utc, T1) == "unchanged"
    story = find(factory, MALECON).story
    assert story.published is not None and story.published.utcoffset() == timedelta(hours=-6)
    # A new instant is a change, stored with its own offset.
    later = article(published=datetime(2025, 5, 31, 1, 0, tzinfo=timezone(timedelta(hours=2))))
    assert save(factory, later, T2) == "changed"
    story = find(factory, MALECON).story
    assert story.published is not None
    assert story.published.isoformat() == "2025-05-31T01:00:00+02:00"
    # A page that no longer states a date does not erase the one known (it may have come
    # from a feed the page is no longer in): the stored modification date stays, offset too.
    assert story.modified is not None
    assert story.modified.isoformat() == "2025-06-01T04:15:00+05:45"


def test_metadata_a_later_visit_lacks_is_kept_and_is_no_change(
    factory: sessionmaker[Session],
) -> None:
    """Author and categories from a feed the article has since dropped out of: a re-check
    that finds the page alone is the same story, not a version without them."""
    save(factory, article(author="Ana Ruiz", categories=("Weather",)), T0)
    assert save(factory, article(author=None, categories=()), T1) == "unchanged"
    story = find(factory, MALECON).story
    assert (story.author, story.categories) == ("Ana Ruiz", ("Weather",))
    # What the page does state replaces what was known.
    assert save(factory, article(author="Luis Gomez", categories=()), T2) == "changed"
    assert find(factory, MALECON).story.author == "Luis Gomez"


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
    assert by_alias.story == record.story
    assert by_alias.story.body == record.story.body
    assert by_alias.story.blocks == record.story.blocks
    assert by_alias.story.categories == ("Local News",)
    published = by_alias.story.published
    assert published == datetime(2025, 5, 30, 15, 0, tzinfo=UTC)
    # Read back with the offset the page wrote it with (issue 9: dates keep their offset).
    assert published is not None and published.utcoffset() == timedelta(hours=-6)
    assert published.isoformat() == "2025-05-30T09:00:00-06:00"
    assert by_alias.content_hash == record.story.content_hash
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
        "no_story": 0,
        "gone": 1,
        "revisions": 4,
        "pages": 0,
        "rejects": 0,
        "by_extractor": {"generic": 1, "pvdn": 2},
        "runs": 0,
        "last_run": None,
    }

    # A post page that showed no story, a known non-article, a refused change.
    empty = article("https://www.vallartadaily.com/d/", body="", empty_reason="no story block")
    save(factory, empty, T2)
    with factory.begin() as session:
        repo = ArchiveRepository(session)
        repo.record_pages([PageRecord("https://www.vallartadaily.com/about/", "static", 200)], T2)
        repo.add_rejects(
            [RejectedChange("https://www.vallartadaily.com/e/", "article", "x")], None, T2
        )
    with factory() as session:
        stats = ArchiveRepository(session).stats()
    assert (stats["articles"], stats["no_story"], stats["pages"], stats["rejects"]) == (4, 1, 1, 1)


def test_crawl_runs_start_and_finish(factory: sessionmaker[Session]) -> None:
    with factory.begin() as session:
        repo = ArchiveRepository(session)
        first = repo.start_run("pvdn", T0)
        repo.finish_run(first, T0 + timedelta(minutes=5), "failed", {"pages": 3})
        second = repo.start_run("pvdn", T1)
        running = repo.stats()["last_run"]
        repo.finish_run(
            second,
            T1 + timedelta(hours=1),
            "finished",
            {"pages": 120, "new": 7},
            summary="pvdn run finished: new=7",
        )
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
        "summary": "pvdn run finished: new=7",
    }
    assert statuses == {first: "failed", second: "finished"}

    # The latest run of one spider, whatever other runs came after it.
    with factory.begin() as session:
        repo = ArchiveRepository(session)
        third = repo.start_run("reclean", T2)
        assert repo.last_run(spider="pvdn") == stats["last_run"]
        latest = repo.last_run()
        assert repo.last_run(spider="reclean") == latest
        assert repo.last_run(spider="nothing") is None
    assert latest is not None and (latest["id"], latest["spider"]) == (third, "reclean")


def test_finishing_an_unknown_run_is_an_error(factory: sessionmaker[Session]) -> None:
    with factory.begin() as session, pytest.raises(RunNotFoundError, match="999"):
        ArchiveRepository(session).finish_run(999, T0, "finished", {})


# ---- incremental crawls: revisions, validators, conditional requests, gone pages -------------


def test_revisions_are_numbered_per_change(factory: sessionmaker[Session]) -> None:
    short = "https://www.vallartadaily.com/?p=4242"
    first = article(aliases=(short,))
    second = edit(first, title="Malecon reopens Saturday")
    third = edit(second, body="Rewritten.", blocks=({"kind": "paragraph", "text": "Rewritten."},))
    outcomes = [
        save(factory, first, T0),
        save(
            factory, edit(first, capture=capture(b"<html>new trending</html>")), T0 + timedelta(1)
        ),
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
    assert [r.story.title for r in revisions] == [
        first.story.title,
        second.story.title,
        third.story.title,
    ]
    assert [r.content_hash for r in revisions] == [
        first.story.content_hash,
        second.story.content_hash,
        third.story.content_hash,
    ]
    assert [r.story for r in revisions] == [first.story, second.story, third.story]
    assert (
        revisions[2].story.body == "Rewritten." and revisions[2].story.blocks == third.story.blocks
    )
    assert revisions[0].story.blocks == first.story.blocks
    assert revisions[0].story.categories == ("Local News",)
    assert revisions[0].story.published == first.story.published
    assert revisions[0].story.published is not None
    assert revisions[0].story.published.utcoffset() == timedelta(hours=-6)
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
    published = datetime(2025, 5, 31, 8, 0, tzinfo=timezone(timedelta(hours=-6)))
    save(factory, article(aliases=(short,), fetched_url=amp, etag='"m1"', published=published), T0)
    save(
        factory,
        article(pier, post_id=5000, last_modified="Sun, 01 Jun 2025 GMT", published=None),
        T1,
    )
    # An old address of the malecon story that is now the pier story's canonical URL.
    with factory.begin() as session:
        assert ArchiveRepository(session).add_alias(pier, malecon, T1) is True
        ArchiveRepository(session).mark_gone(pier, 410, T2)

    with statements_on(engine) as statements, factory() as session:
        pages = ArchiveRepository(session).known_pages()
    # Articles, aliases, other pages: one query each, whatever the archive's size.
    assert len([s for s in statements if s.upper().startswith("SELECT")]) == 3

    assert set(pages) == {malecon, pier, short, amp}
    assert pages[short] is pages[amp] is pages[malecon]
    assert pages[malecon].canonical_url == malecon
    assert pages[malecon].kind == "article" and pages[malecon].is_article
    assert pages[malecon].etag == '"m1"' and pages[malecon].last_modified is None
    assert pages[malecon].published == published and pages[malecon].last_seen == T0
    assert pages[malecon].checked_at == T0
    assert pages[malecon].gone is False
    assert pages[pier].canonical_url == pier, "a canonical URL wins over an alias"
    assert (pages[pier].etag, pages[pier].last_modified) == (None, "Sun, 01 Jun 2025 GMT")
    assert (pages[pier].published, pages[pier].last_seen, pages[pier].gone) == (None, T1, True)
    assert pages[pier].checked_at == T2, "a 404 is a check, not a sighting"
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
    assert stored.revision_count == 1 and stored.content_hash == record.story.content_hash
    assert len(stored.teasers) == 1
    with factory() as session:
        teaser_seen = session.execute(select(TeaserLink.last_seen, TeaserLink.seen_count)).all()
    assert [tuple(row) for row in teaser_seen] == [(T0, 1)], "not shown by a 304"
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
from storage import ArchiveBusyError, make_engine
from storage.locking import writer_lock
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


def test_writer_lock_on_sqlite_is_the_database_file_itself(engine: Engine) -> None:
    """The lock is on the file's identity: no side file to delete or to miss through another
    name (issue 10). Before, a `<database>.lock` file held it, with the holder's pid."""
    database = Path(str(engine.url.database)).resolve()
    folder = database.parent
    before = sorted(p.name for p in folder.iterdir())
    with writer_lock(engine):
        assert sorted(p.name for p in folder.iterdir()) == before, "no side file"
        with pytest.raises(ArchiveBusyError) as busy, writer_lock(engine):
            pass  # not re-entrant, even in the holder's own process
        # The same file under another name and another path meets the same lock.
        linked = folder / "linked.sqlite3"
        os.link(database, linked)
        other = make_engine(f"sqlite:///{folder}/../{folder.name}/linked.sqlite3")
        try:
            with pytest.raises(ArchiveBusyError), writer_lock(other):
                pass
        finally:
            other.dispose()
    assert str(database) in str(busy.value), "names the database"
    assert not database.with_name(database.name + ".lock").exists()
    with writer_lock(engine):
        pass


def test_writer_lock_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert sqlite_file(make_url("sqlite:///relative.sqlite3")) == tmp_path / "relative.sqlite3"
    assert sqlite_file(make_url("sqlite:///file:x.db?mode=ro&uri=true")) == tmp_path / "x.db"
    for url in ("sqlite://", "sqlite:///:memory:", "sqlite:///file:m?mode=memory&uri=true"):
        assert sqlite_file(make_url(url)) is None, url
    assert sqlite_file(make_url("postgresql+psycopg://h/db")) is None
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
    assert kept is not None and kept.story.body == article().story.body and kept.last_seen == T0
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
        "import sys, storage, storage.engine, storage.repository, storage.models,"
        " storage.archive, storage.writer, storage.faults, storage.locking;"
        "top = {name.split('.')[0] for name in sys.modules};"
        f"print(sorted(top & set({sorted(FORBIDDEN_IMPORTS)!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"


def test_public_api_is_exported() -> None:
    # Opening an archive (engine, lock, migrations) is `open_archive` now; `upgrade_schema`
    # and `writer_lock` stay importable from `storage.engine` and `storage.locking`.
    assert set(storage.__all__) >= {
        "ArchiveRepository",
        "ArticleRecord",
        "Story",
        "Teaser",
        "AliasRecord",
        "NotModifiedRecord",
        "GoneRecord",
        "PageRecord",
        "Change",
        "make_engine",
        "session_factory",
        "open_archive",
        "Archive",
        "BatchWriter",
        "WriteReport",
        "database_url",
        "ArchiveError",
        "ArchiveBusyError",
        "ArchiveMissingError",
        "StorageFaultError",
        "KnownPage",
        "StoredArticle",
        "StoredRevision",
    }
    assert all(hasattr(storage, name) for name in storage.__all__)


def test_wall_teaser_never_replaces_a_full_story(factory: sessionmaker[Session]) -> None:
    full = article()
    wall = edit(full, body="Only the first paragraph . . .", paywalled=True)
    assert save(factory, full, T0) == "new"
    assert save(factory, wall, T1) == "unchanged"
    with factory() as session:
        stored = ArchiveRepository(session).find_article(full.canonical_url)
        revisions = ArchiveRepository(session).revisions(full.canonical_url)
    assert stored is not None and stored.story == full.story
    assert len(revisions) == 1
