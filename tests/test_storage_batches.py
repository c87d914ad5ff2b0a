"""Batched writes: `ArchiveRepository.apply` and `BatchWriter`, on a real database.

What a crawl learns reaches the archive in batches: articles, aliases, 304s, 404s and pages
that are not articles, mixed. Each kind is written with statements built once and run once per
batch; a value the database refuses costs one change, not its batch; a local fault (a full or
read-only disk) stops the run with its cause. Tests taking `engine` or `factory` run again on
PostgreSQL (`test_storage_postgres.py`).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from storage.engine import make_engine, session_factory, upgrade_schema
from storage.errors import StorageFaultError
from storage.faults import local_fault
from storage.models import Article, ArticleRevision, Page, Reject, TeaserLink
from storage.records import (
    AliasRecord,
    ArticleRecord,
    Change,
    GoneRecord,
    NotModifiedRecord,
    PageRecord,
)
from storage.repository import ArchiveRepository
from storage.warc import Capture, RunWarcWriter, SentRequest, iter_captures, read_capture
from storage.writer import BatchWriter
from tests.storage_support import (
    MALECON,
    MEXICO,
    RAW_PAGE,
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
    save,
    statements_on,
    teaser,
)

__all__ = ["blank_engine", "engine", "factory"]  # fixtures, imported for pytest

SITE = "https://www.vallartadaily.com"
PIER = f"{SITE}/pier/"
WHALES = f"{SITE}/whales/"
ABOUT = f"{SITE}/about/"
FEED = f"{SITE}/feed/"


def apply(factory: sessionmaker[Session], changes: list[Change], at: datetime) -> list[Any]:
    """Apply one batch in its own transaction, as a crawl's writer does."""
    with factory.begin() as session:
        return list(ArchiveRepository(session).apply(changes, at))


def known(factory: sessionmaker[Session]) -> dict[str, Any]:
    with factory() as session:
        return dict(ArchiveRepository(session).known_pages())


# ---- apply ----------------------------------------------------------------------------------


def test_apply_stores_a_mixed_batch_and_answers_in_order(factory: sessionmaker[Session]) -> None:
    short = f"{SITE}/?p=4242"
    save(factory, article(PIER, post_id=5000, etag='"p1"', last_modified="Sun, 01 Jun 2025"), T0)
    save(factory, article(WHALES, post_id=6000, aliases=(f"{SITE}/?p=6000",)), T0)
    apply(factory, [PageRecord(FEED, "feed", 200, etag='"f1"', last_modified="L1")], T0)

    batch: list[Change] = [
        article(post_id=4242),  # a new article ...
        AliasRecord(short, MALECON),  # ... and an alias of it, in the same batch
        NotModifiedRecord(PIER, etag='"p2"'),
        GoneRecord(WHALES, 404),
        PageRecord(ABOUT, "static", 200),
        article(f"{SITE}/b/", post_id=4243),
        GoneRecord(f"{SITE}/?p=6000", 410),  # the same gone article again, by its alias
        PageRecord(FEED, "feed", 304),  # a conditional request found the feed unchanged
        PageRecord(f"{SITE}/?p=4242&x=1", "redirect", 301, target_url=MALECON),
        AliasRecord(f"{SITE}/?p=1", f"{SITE}/unknown/"),
        NotModifiedRecord(f"{SITE}/unknown/"),
        GoneRecord(f"{SITE}/unknown/", 404),
    ]
    outcomes = apply(factory, batch, T1)
    assert outcomes == [
        "new",
        "alias",
        "not_modified",
        "gone",
        "page",
        "new",
        "still_gone",
        "page",
        "page",
        None,
        None,
        None,
    ]

    assert find(factory, short).canonical_url == MALECON
    pier = find(factory, PIER)
    assert (pier.last_seen, pier.checked_at) == (T1, T1)
    assert (pier.etag, pier.last_modified) == ('"p2"', "Sun, 01 Jun 2025")
    whales = find(factory, WHALES)
    assert (whales.gone_at, whales.gone_status) == (T1, 410), "first time gone, latest status"
    assert (whales.last_seen, whales.checked_at) == (T0, T1)
    pages = known(factory)
    assert (pages[ABOUT].kind, pages[ABOUT].checked_at, pages[ABOUT].last_seen) == (
        "static",
        T1,
        T1,
    )
    feed = pages[FEED]
    assert (feed.kind, feed.etag, feed.last_modified) == ("feed", '"f1"', "L1"), "a 304 keeps them"
    assert feed.checked_at == T1
    assert pages[f"{SITE}/?p=4242&x=1"].target_url == MALECON
    with factory() as session:
        feed_row = session.execute(select(Page.status, Page.first_seen).where(Page.url == FEED))
        assert tuple(feed_row.one()) == (200, T0), "a 304 keeps the answer it confirms"
        assert ArchiveRepository(session).stats()["gone"] == 1

    # A later run: the deletion is not counted again; the feed sends new validators; the
    # static page is now missing.
    later = apply(
        factory,
        [
            GoneRecord(WHALES, 404),
            PageRecord(FEED, "feed", 304, etag='"f2"'),
            PageRecord(ABOUT, "missing", 404),
        ],
        T2,
    )
    assert later == ["still_gone", "page", "page"]
    whales = find(factory, WHALES)
    assert (whales.gone_at, whales.gone_status, whales.checked_at) == (T1, 404, T2)
    pages = known(factory)
    assert (pages[FEED].etag, pages[FEED].last_modified) == ('"f2"', "L1")
    assert (pages[ABOUT].kind, pages[ABOUT].last_seen, pages[ABOUT].checked_at) == (
        "missing",
        None,
        T2,
    )
    assert count(factory, Page) == 3


def test_gone_is_counted_once_until_the_page_answers_again(factory: sessionmaker[Session]) -> None:
    save(factory, article(), T0)
    with factory.begin() as session:
        repo = ArchiveRepository(session)
        assert repo.mark_gone_many([GoneRecord(MALECON, 404), GoneRecord(MALECON, 404)], T1) == [
            "gone",
            "still_gone",
        ]
        assert repo.mark_gone_many([GoneRecord(MALECON, 410)], T2) == ["still_gone"]
    assert save(factory, article(), T2 + timedelta(hours=1)) == "unchanged"  # it answers again
    assert apply(factory, [GoneRecord(MALECON, 404)], T2 + timedelta(hours=2)) == ["gone"]


def test_two_records_of_one_article_in_one_batch(factory: sessionmaker[Session]) -> None:
    """Saved one after the other, in order: the second sees the first."""
    first = article(aliases=(f"{SITE}/?p=4242",), teasers=(teaser(WHALES, 0),))
    second = edit(
        first,
        title="Malecon reopens Saturday",
        aliases=(f"{SITE}/malecon/amp/",),
        teasers=(teaser(WHALES, 1, title="Whales arrive"),),
    )
    again = edit(first, etag='"v3"')
    assert apply(factory, [first, second, again], T0) == ["new", "changed", "changed"]
    stored = find(factory, MALECON)
    assert stored.story == first.story and stored.etag == '"v3"'
    assert stored.aliases == (f"{SITE}/?p=4242", f"{SITE}/malecon/amp/")
    with factory() as session:
        revisions = ArchiveRepository(session).revisions(MALECON)
        teasers = session.execute(select(TeaserLink.position, TeaserLink.seen_count)).all()
    assert [(r.number, r.story) for r in revisions] == [
        (1, first.story),
        (2, second.story),
        (3, first.story),
    ]
    assert [tuple(row) for row in teasers] == [(0, 3)]

    with factory.begin() as session:
        outcomes = ArchiveRepository(session).save_articles([first, first], T1)
    assert outcomes == ["unchanged", "unchanged"]
    assert count(factory, ArticleRevision) == 3
    assert apply(factory, [article(PIER), article(PIER)], T1) == ["new", "unchanged"]


# ---- known pages ----------------------------------------------------------------------------


def test_known_pages_hold_aliases_and_non_article_pages(factory: sessionmaker[Session]) -> None:
    short = f"{SITE}/?p=4242"
    missing = f"{SITE}/never-was/"
    redirect = f"{SITE}/old-malecon/"
    apply(
        factory,
        [
            article(aliases=(short,)),
            PageRecord(ABOUT, "static", 200),
            PageRecord(missing, "missing", 404),
            PageRecord(redirect, "redirect", 301, target_url=MALECON),
            PageRecord(FEED, "feed", 200, etag='"f1"'),
        ],
        T0,
    )
    # Pages recorded later at addresses that are an article's: the article wins.
    apply(
        factory,
        [PageRecord(MALECON, "redirect", 301, target_url=PIER), PageRecord(short, "other", 200)],
        T1,
    )
    pages = known(factory)
    assert set(pages) == {MALECON, short, ABOUT, missing, redirect, FEED}
    assert pages[MALECON].is_article and pages[MALECON].target_url is None
    assert pages[short] is pages[MALECON], "an alias is its article"
    assert (pages[ABOUT].kind, pages[ABOUT].canonical_url, pages[ABOUT].last_seen) == (
        "static",
        ABOUT,
        T0,
    )
    assert not pages[ABOUT].is_article and pages[ABOUT].gone is False
    assert (pages[missing].kind, pages[missing].last_seen, pages[missing].checked_at) == (
        "missing",
        None,
        T0,
    )
    assert (pages[redirect].kind, pages[redirect].target_url) == ("redirect", MALECON)
    assert pages[FEED].etag == '"f1"'
    assert count(factory, Page) == 6

    # Saving an article removes the page row at its address: the static page became a story,
    # and the stray row at the malecon's own address goes too.
    assert apply(factory, [article(ABOUT, post_id=77), article()], T2) == ["new", "unchanged"]
    with factory() as session:
        left = set(session.scalars(select(Page.url)))
    assert left == {missing, redirect, FEED, short}
    pages = known(factory)
    assert pages[ABOUT].is_article and pages[ABOUT].canonical_url == ABOUT
    assert pages[ABOUT].last_seen == T2


def test_record_pages_keeps_the_latest_record_of_an_address(factory: sessionmaker[Session]) -> None:
    outcomes = apply(
        factory,
        [PageRecord(ABOUT, "static", 200), PageRecord(ABOUT, "redirect", 302, target_url=PIER)],
        T0,
    )
    assert outcomes == ["page", "page"]
    page = known(factory)[ABOUT]
    assert (page.kind, page.target_url) == ("redirect", PIER)
    assert count(factory, Page) == 1


# ---- statements per batch -------------------------------------------------------------------


def _rich(index: int, **changes: Any) -> ArticleRecord:
    """An article as a crawl saves it: two aliases and ten teasers."""
    url = f"{SITE}/story-{index}/"
    return article(
        url,
        post_id=10_000 + index,
        fetched_url=f"{SITE}/?p={10_000 + index}",
        aliases=(f"{url}amp/",),
        teasers=tuple(teaser(f"{SITE}/t-{index}-{n}/", n) for n in range(10)),
        **changes,
    )


def _statements_for(engine: Engine, factory: sessionmaker[Session], changes: list[Change]) -> int:
    with statements_on(engine) as seen, factory.begin() as session:
        ArchiveRepository(session).apply(changes, T1)
    return len(seen)


def test_statements_per_batch_do_not_grow_with_the_batch(
    engine: Engine, factory: sessionmaker[Session]
) -> None:
    """A batch of 50 articles (2 aliases and 10 teasers each) is a handful of statements, the
    same handful as a batch of 5; writing them one at a time took about 225."""
    small = [_rich(i) for i in range(5)]
    large = [_rich(i) for i in range(100, 150)]
    new_small = _statements_for(engine, factory, list(small))
    new_large = _statements_for(engine, factory, list(large))
    # 14 since the teaser sightings (their targets resolved, then the sightings inserted).
    assert new_large == new_small <= 14, (new_small, new_large)
    # Seen again, unchanged: no revision, the same few statements.
    again_small = _statements_for(engine, factory, list(small))
    again_large = _statements_for(engine, factory, list(large))
    assert again_large == again_small <= new_small
    # Edited: a revision each.
    edited = [edit(record, body="Edited.") for record in large]
    assert _statements_for(engine, factory, list(edited)) <= new_large
    assert count(factory, ArticleRevision) == 5 + 50 + 50
    assert count(factory, TeaserLink) == 550

    def mixed(start: int, size: int) -> list[Change]:
        urls = [f"{SITE}/story-{i}/" for i in range(start, start + size)]
        return [
            *(AliasRecord(f"{url}?utm_source=x", url) for url in urls),
            *(NotModifiedRecord(url, etag='"e"') for url in urls),
            *(GoneRecord(f"{url}amp/", 404) for url in urls),
            *(PageRecord(f"{url}attachment/", "attachment", 200) for url in urls),
        ]

    mixed_small = _statements_for(engine, factory, mixed(0, 5))
    mixed_large = _statements_for(engine, factory, mixed(100, 50))
    assert mixed_large == mixed_small <= 16, (mixed_small, mixed_large)


# ---- BatchWriter: one refused value costs one change ----------------------------------------


def _post_id_past_64_bits(record: ArticleRecord) -> ArticleRecord:
    object.__setattr__(record, "post_id", 10**23)  # past the record's own check
    return record


def _year_9999(record: ArticleRecord) -> ArticleRecord:
    late = datetime(9999, 12, 31, 23, 0, tzinfo=MEXICO)  # overflows when converted to UTC
    object.__setattr__(record.story, "published", late)
    return record


def _teaser_without_title(record: ArticleRecord) -> ArticleRecord:
    broken = teaser(WHALES, 0)
    object.__setattr__(broken, "title", None)  # the database refuses it (NOT NULL)
    return edit(record, teasers=(broken,))


POISONS: dict[str, tuple[Callable[[ArticleRecord], ArticleRecord], str]] = {
    # SQLite's driver refuses the integer; PostgreSQL's server refuses the bigint.
    "post id past 64 bits": (
        _post_id_past_64_bits,
        r"^(OverflowError: Python int too large|DataError: bigint out of range)",
    ),
    "year 9999": (_year_9999, r"^OverflowError: date value out of range"),
    "teaser without title": (
        _teaser_without_title,
        r"^IntegrityError: .*(NOT NULL constraint failed: teaser_links.title|null value)",
    ),
}


@pytest.mark.parametrize("poison", sorted(POISONS))
def test_a_refused_record_costs_itself_not_its_batch(
    engine: Engine, factory: sessionmaker[Session], poison: str, caplog: pytest.LogCaptureFixture
) -> None:
    make_poisoned, reason_pattern = POISONS[poison]
    with factory.begin() as session:
        run_id = ArchiveRepository(session).start_run("pvdn", T0)
    writer = BatchWriter(factory, run_id, clock=lambda: T1)
    bad_url = f"{SITE}/poisoned/"
    batch: list[Change] = [
        article(f"{SITE}/a/", aliases=(f"{SITE}/?p=1",)),
        article(f"{SITE}/b/"),
        make_poisoned(article(bad_url)),
        AliasRecord(f"{SITE}/?p=2", f"{SITE}/b/"),
        article(f"{SITE}/c/", teasers=(teaser(WHALES, 0),)),
        PageRecord(ABOUT, "static", 200),
    ]
    with caplog.at_level(logging.ERROR, logger="storage.writer"):
        report = writer.write(batch)

    assert report.outcomes == ["new", "new", "rejected", "alias", "new", "page"]
    assert report.counts == {"new": 3, "rejected": 1, "alias": 1, "page": 1}
    assert [(r.url, r.kind) for r in report.rejected] == [(bad_url, "article")]
    assert report.rejected[0].reason == report.rejected[0].reason.strip()
    assert "\n" not in report.rejected[0].reason
    with factory() as session:
        repo = ArchiveRepository(session)
        stats = repo.stats()
        rejects = session.execute(select(Reject.run_id, Reject.url, Reject.kind, Reject.reason))
        stored_rejects = [tuple(row) for row in rejects]
        assert repo.find_article(bad_url) is None
        assert repo.find_article(f"{SITE}/?p=2") is not None
    assert (stats["articles"], stats["aliases"], stats["pages"], stats["rejects"]) == (3, 2, 1, 1)
    assert stats["teaser_links"] == 1
    assert stored_rejects == [(run_id, bad_url, "article", report.rejected[0].reason)]
    assert re.search(reason_pattern, report.rejected[0].reason), report.rejected[0].reason
    refused = [r.getMessage() for r in caplog.records if r.name == "storage.writer"]
    assert refused == [f"archive refused article {bad_url}: {report.rejected[0].reason}"]

    # The next batch is a batch again: one transaction, not change by change.
    with statements_on(engine) as seen:
        assert writer.write([article(f"{SITE}/d/"), article(f"{SITE}/e/")]).outcomes == [
            "new",
            "new",
        ]
    assert sum(1 for s in seen if s.upper().startswith("INSERT INTO ARTICLES")) == 1


def test_writer_reports_nothing_for_an_empty_batch(factory: sessionmaker[Session]) -> None:
    report = BatchWriter(factory, None).write([])
    assert (report.outcomes, report.rejected, dict(report.counts)) == ([], [], {})


# ---- BatchWriter: captures kept in WARC files before the rows that point at them -------------


def _exchange(url: str, status: int, body: bytes = b"", at: datetime = T1) -> Capture:
    headers = [("Content-Type", "application/rss+xml"), ("ETag", '"f2"')] if body else []
    return Capture(url, status, headers, body, at, SentRequest("GET", url, [("Accept", "*/*")]))


def test_writer_keeps_captures_and_syncs_them_before_the_rows(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    folder = tmp_path / "warc"
    save(factory, article(PIER, post_id=5000), T0)
    feed = b"<rss><channel><item><link>x</link></item></channel></rss>"
    synced_with: list[int] = []
    with RunWarcWriter(folder, 7) as warc:
        real_sync = warc.sync

        def sync() -> None:
            # What a reader of the database sees when the files reach the disk.
            synced_with.append(count(factory, Article))
            real_sync()

        warc.sync = sync  # type: ignore[method-assign]
        writer = BatchWriter(factory, None, clock=lambda: T1, warc=warc)
        first = article()
        report = writer.write(
            [
                first,
                PageRecord(FEED, "feed", 200, capture=_exchange(FEED, 200, feed)),
                NotModifiedRecord(PIER, capture=_exchange(PIER, 304)),
                GoneRecord(WHALES, 404, capture=_exchange(WHALES, 404)),
                AliasRecord(f"{SITE}/?p=4242", MALECON),  # nothing fetched, nothing kept
            ]
        )
        assert report.outcomes == ["new", "page", "not_modified", None, "alias"]
        assert synced_with == [1], "synced once, before the batch's article was committed"
        stored = find(factory, MALECON)
        assert stored.warc is not None
        kept = read_capture(folder, stored.warc)
        assert (kept.record_type, kept.status, kept.payload) == ("response", 200, RAW_PAGE)
        assert kept.target_uri == MALECON and kept.header("ETag") == '"v1"'

        # The same story fetched again: its capture is kept (the evidence of the visit), the
        # article keeps pointing at the page that produced its story.
        again = edit(first, capture=capture(RAW_PAGE + b"<!-- another trending list -->"))
        assert writer.write([again]).outcomes == ["unchanged"]
        assert find(factory, MALECON).warc == stored.warc
        changed = edit(first, title="Malecon reopens Saturday", capture=capture(b"<p>new</p>"))
        # A feed's 304 is a revisit too, whichever record carries it.
        unchanged_feed = PageRecord(FEED, "feed", 304, capture=_exchange(FEED, 304))
        assert writer.write([changed, unchanged_feed]).outcomes == ["changed", "page"]
        latest = find(factory, MALECON).warc
        assert latest is not None and latest != stored.warc
        assert read_capture(folder, latest).payload == b"<p>new</p>"
    with factory() as session:
        revisions = ArchiveRepository(session).revisions(MALECON)
    assert [r.warc for r in revisions] == [stored.warc, latest]
    kinds = [(c.record_type, c.target_uri, c.status) for c in iter_captures(folder)]
    assert kinds == [
        ("response", MALECON, 200),
        ("response", FEED, 200),
        ("revisit", PIER, 304),
        ("response", WHALES, 404),
        ("response", MALECON, 200),
        ("response", MALECON, 200),
        ("revisit", FEED, 304),
    ]


def test_a_capture_warc_cannot_hold_is_said_and_its_row_still_stored(
    factory: sessionmaker[Session], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An exchange no WARC record can hold (a URL past 8,192 characters) costs its capture,
    not the story: the article is stored without a location and the report counts it."""
    long_url = f"{SITE}/malecon/?q=" + "x" * 9000
    with RunWarcWriter(tmp_path, 1) as warc:
        writer = BatchWriter(factory, None, clock=lambda: T1, warc=warc)
        with caplog.at_level(logging.ERROR, logger="storage.writer"):
            report = writer.write([article(capture=capture(url=long_url)), article(PIER)])
    assert (report.outcomes, report.warc_refused) == (["new", "new"], 1)
    assert find(factory, MALECON).warc is None
    assert find(factory, PIER).warc is not None
    (message,) = [r.getMessage() for r in caplog.records if r.name == "storage.writer"]
    assert message.startswith("not kept as WARC: ") and "\n" not in message


def test_a_full_warc_disk_stops_the_writer_and_commits_no_row_past_it(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """The WARC folder on a 1 MiB tmpfs, the database elsewhere: the batch whose captures do
    not fit is not committed, the run stops with the cause, and every row committed before
    points at a whole record."""
    with _tiny_tmpfs(tmp_path / "disk", "1m") as disk:
        stored = 0
        with RunWarcWriter(disk, 1) as warc:
            writer = BatchWriter(factory, None, clock=lambda: T1, warc=warc)
            with pytest.raises(StorageFaultError) as fault:
                for index in range(0, 100, 2):
                    batch: list[Change] = [
                        edit(_rich(i), capture=capture(os.urandom(100_000), f"{SITE}/story-{i}/"))
                        for i in (index, index + 1)
                    ]
                    stored += writer.write(batch).counts["new"]
        assert fault.value.cause == "disk full", fault.value
        assert 0 < stored < 20
        with factory() as session:
            pages = ArchiveRepository(session).raw_pages()
        assert len(pages) == stored
        for page in pages:
            assert page.warc is not None
            assert read_capture(disk, page.warc).target_uri == page.canonical_url
        # The failed batch may have left a whole record nothing points at, never a torn one.
        kept = [c.target_uri for c in iter_captures(disk)]
        assert kept[: len(pages)] == [p.canonical_url for p in pages]
        assert len(kept) - len(pages) <= 1


# ---- local faults: the run stops and says why -----------------------------------------------


@contextlib.contextmanager
def _every_connection_runs(engine: Engine, statement: str) -> Iterator[None]:
    """New connections of `engine` run `statement` first (the pool is emptied so that every
    connection is new), until the block ends."""

    def run(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        dbapi_connection.commit()  # a session setting must outlive the pool's reset

    engine.dispose()
    event.listen(engine, "connect", run)
    try:
        yield
    finally:
        event.remove(engine, "connect", run)
        engine.dispose()


def test_a_read_only_database_stops_the_writer_with_its_cause(
    engine: Engine, factory: sessionmaker[Session]
) -> None:
    save(factory, article(), T0)
    read_only = (
        "PRAGMA query_only=ON"
        if engine.dialect.name == "sqlite"
        else "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"
    )
    writer = BatchWriter(factory, None, clock=lambda: T1)
    with (
        _every_connection_runs(engine, read_only),
        statements_on(engine) as seen,
        pytest.raises(StorageFaultError) as fault,
    ):
        writer.write(
            [article(PIER), edit(article(), title="Edited"), PageRecord(ABOUT, "static", 200)]
        )
    assert fault.value.cause == "archive read-only"
    assert str(fault.value).startswith("archive read-only: ")
    assert isinstance(fault.value.__cause__, sa_exc.DBAPIError)
    # Raised at once: a local fault is no record's fault, so no change-by-change retry.
    assert sum(1 for s in seen if s.upper().startswith("INSERT INTO ARTICLES")) == 1
    with factory() as session:
        stats = ArchiveRepository(session).stats()
    assert (stats["articles"], stats["pages"], stats["rejects"]) == (1, 0, 0)
    assert find(factory, MALECON).story.title == "Malecon reopens"


def _big(index: int) -> ArticleRecord:
    """An article whose story is 100 KB of text that does not compress (stored twice, in the
    article and its revision): it fills a small disk fast."""
    return edit(_rich(index), body=os.urandom(50_000).hex())


def test_a_full_disk_stops_the_writer_with_its_cause(
    engine: Engine, factory: sessionmaker[Session]
) -> None:
    """SQLite's answer to a full disk (SQLITE_FULL, "database or disk is full"), produced by
    capping the database's size in pages: the same error path as a full file system."""
    with engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
    batch: list[Change] = [_big(i) for i in range(10)]
    with (
        _every_connection_runs(engine, f"PRAGMA max_page_count={pages + 16}"),
        pytest.raises(StorageFaultError) as fault,
    ):
        BatchWriter(factory, None, clock=lambda: T1).write(batch)
    assert fault.value.cause == "disk full"
    assert "database or disk is full" in fault.value.detail
    assert (count(factory, Article), count(factory, Reject)) == (0, 0), "nothing half-written"
    # With room again, the same batch is stored whole.
    assert BatchWriter(factory, None, clock=lambda: T1).write(batch).counts == {"new": 10}


@contextlib.contextmanager
def _tiny_tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `folder` for the block; the test skips where mounting is
    not allowed (not root, or no CAP_SYS_ADMIN in a container)."""
    folder.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; test_a_full_disk_... covers SQLITE_FULL")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_file_system_stops_the_writer_with_its_cause(tmp_path: Path) -> None:
    """A real full disk: an archive on a 1 MiB tmpfs, written until the disk is full."""
    with _tiny_tmpfs(tmp_path / "disk", "1m") as disk:
        engine = make_engine(f"sqlite:///{disk / 'archive.sqlite3'}")
        try:
            upgrade_schema(engine)
            sessions = session_factory(engine)
            writer = BatchWriter(sessions, None, clock=lambda: T1)
            stored = 0
            with pytest.raises(StorageFaultError) as fault:
                for index in range(0, 100, 2):
                    stored += writer.write([_big(index), _big(index + 1)]).counts["new"]
            assert fault.value.cause == "disk full", fault.value
            assert 0 < stored < 20
            with sessions() as session:
                assert ArchiveRepository(session).stats()["articles"] == stored
                assert count(sessions, Reject) == 0
        finally:
            engine.dispose()
        # What was stored before the disk filled up is intact.
        with sqlite3.connect(disk / "archive.sqlite3") as check:
            assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert check.execute("SELECT count(*) FROM articles").fetchone() == (stored,)
        check.close()


# ---- telling a local fault from a refused value ----------------------------------------------


def _wrapped(error_class: type[sa_exc.DBAPIError], orig: BaseException) -> sa_exc.DBAPIError:
    """`orig` as SQLAlchemy raises it from a statement."""
    return error_class("INSERT INTO articles ...", {}, orig)


def _sqlite_cases() -> list[tuple[BaseException, str | None]]:
    operational = sa_exc.OperationalError
    return [
        (_wrapped(operational, sqlite3.OperationalError("database or disk is full")), "disk full"),
        (
            _wrapped(operational, sqlite3.OperationalError("attempt to write a readonly database")),
            "archive read-only",
        ),
        (_wrapped(operational, sqlite3.OperationalError("disk I/O error")), "disk I/O error"),
        (
            _wrapped(
                sa_exc.DatabaseError, sqlite3.DatabaseError("database disk image is malformed")
            ),
            "archive corrupt",
        ),
        (
            _wrapped(sa_exc.DatabaseError, sqlite3.DatabaseError("file is not a database")),
            "archive corrupt",
        ),
        (
            _wrapped(operational, sqlite3.OperationalError("unable to open database file")),
            "archive cannot be opened",
        ),
        (
            _wrapped(operational, sqlite3.OperationalError("database is locked")),
            "archive locked by another process",
        ),
        (_wrapped(operational, sqlite3.OperationalError("out of memory")), "out of memory"),
        (_wrapped(operational, sqlite3.OperationalError("no such table: x")), "database error"),
        # The values' fault, whatever the message says.
        (
            _wrapped(
                sa_exc.IntegrityError, sqlite3.IntegrityError("NOT NULL constraint failed: t.x")
            ),
            None,
        ),
        (_wrapped(sa_exc.DataError, sqlite3.DataError("string or blob too big")), None),
        (_wrapped(sa_exc.ProgrammingError, sqlite3.ProgrammingError("bad binding")), None),
    ]


def _postgres_cases() -> list[tuple[BaseException, str | None]]:
    errors = pytest.importorskip("psycopg.errors")
    cases: list[tuple[str, type[sa_exc.DBAPIError], str | None]] = [
        ("53100", sa_exc.OperationalError, "disk full"),
        ("53200", sa_exc.OperationalError, "out of memory"),
        ("53300", sa_exc.OperationalError, "database server out of resources"),
        ("25006", sa_exc.InternalError, "archive read-only"),
        ("57P01", sa_exc.OperationalError, "database server shut down"),
        ("57P03", sa_exc.OperationalError, "database server unavailable"),
        ("08006", sa_exc.OperationalError, "database connection lost"),
        ("58030", sa_exc.OperationalError, "database server I/O error"),
        ("XX000", sa_exc.InternalError, "database internal error"),
        ("22003", sa_exc.DataError, None),  # numeric value out of range
        ("23505", sa_exc.IntegrityError, None),  # unique violation
        ("23502", sa_exc.IntegrityError, None),  # not null violation
        ("42P01", sa_exc.ProgrammingError, None),  # undefined table: the statement's fault
    ]
    return [
        (_wrapped(wrapper, errors.lookup(code)("from the server")), cause)
        for code, wrapper, cause in cases
    ]


def test_local_faults_are_told_from_refused_values() -> None:
    cases: list[tuple[BaseException, str | None]] = [
        (OSError(errno.ENOSPC, "No space left on device"), "disk full"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "disk full"),
        (OSError(errno.EROFS, "Read-only file system"), "archive read-only"),
        (PermissionError(errno.EACCES, "Permission denied"), "archive read-only"),
        (OSError(errno.EIO, "Input/output error"), "disk I/O error"),
        (OSError(errno.ENOENT, "No such file or directory"), "file system error"),
        (MemoryError(), "out of memory"),
        (OverflowError("Python int too large to convert to SQLite INTEGER"), None),
        (ValueError("naive datetime"), None),
        (TypeError("not a string"), None),
        (
            sa_exc.DBAPIError(
                "SELECT 1", {}, sqlite3.OperationalError("gone"), connection_invalidated=True
            ),
            "database connection lost",
        ),
        *_sqlite_cases(),
        *_postgres_cases(),
    ]
    got = [(repr(error), local_fault(error)) for error, _ in cases]
    assert got == [(repr(error), cause) for error, cause in cases]
