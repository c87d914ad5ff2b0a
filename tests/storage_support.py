"""What the storage tests share: sample records, small save/read helpers, the SQLite fixtures.

The fixtures here (`blank_engine`, `engine`, `factory`) give an SQLite file; the storage test
modules import them. `test_storage_postgres.py` defines fixtures of the same names on
PostgreSQL and re-runs the backend-neutral tests with them.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import Column, Engine, LargeBinary, MetaData, Table, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.engine import make_engine, session_factory, upgrade_schema
from storage.models import Article, Base
from storage.records import STORY_FIELDS, ArticleRecord, StoredArticle, Story, Teaser
from storage.repository import ArchiveRepository
from storage.warc import Capture, SentRequest, WarcLocation

ROOT = Path(__file__).resolve().parent.parent

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=6)
T2 = T0 + timedelta(days=1)
MEXICO = timezone(timedelta(hours=-6))  # Puerto Vallarta's offset, as the site writes dates

# A page as WordPress serves it: mostly furniture repeated around a short story.
RAW_PAGE = (
    b"<!doctype html><html><head><title>Story</title></head><body>"
    + b'<div class="trending"><a href="https://www.vallartadaily.com/x/">Trending</a></div>' * 200
    + b"<article><p>The malecon reopens on Friday.</p></article></body></html>"
)

MALECON = "https://www.vallartadaily.com/malecon/"

# The articles table as migrations 0001 to 0003 left it: the models' columns and the raw-HTML
# column that 0004 moved into WARC files, which held the page zlib-compressed (level
# `OLD_ZLIB_LEVEL`). Core INSERTs into it name only the columns given, so an archive of any of
# those schemas can be written as its code wrote it.
ARTICLES_BEFORE_0004 = cast(Table, Article.__table__).to_metadata(MetaData())
ARTICLES_BEFORE_0004.append_column(Column("raw_html", LargeBinary(), nullable=False))
OLD_ZLIB_LEVEL = 6


def capture(body: bytes = RAW_PAGE, url: str = MALECON, *, at: datetime = T0) -> Capture:
    """The exchange a crawl fetched `body` in: a GET of `url` answered 200 with HTML."""
    return Capture(
        url=url,
        status=200,
        headers=[("Content-Type", "text/html; charset=UTF-8"), ("ETag", '"v1"')],
        body=body,
        fetched_at=at,
        request=SentRequest("GET", url, [("User-Agent", "pvdn-archive tests")]),
    )


def location(
    filename: str = "pvdn-1-20250601T120000Z-00000.warc.gz", offset: int = 0
) -> WarcLocation:
    """A place in a WARC file, as the writer hands it back (repository tests store it without
    writing the file: rows only hold the three values)."""
    return WarcLocation(filename, offset, 1000 + offset)


def teaser(
    target: str, position: int, *, kind: str = "trending", title: str | None = None
) -> Teaser:
    """A teaser pointing at `target`, titled after it unless told otherwise."""
    return Teaser(
        kind=kind,
        position=position,
        target_url=target,
        title=title or f"Title of {target}",
        summary=None,
        image_alt=None,
    )


def edit(record: ArticleRecord, **changes: Any) -> ArticleRecord:
    """`record` with some fields replaced: story fields (title, body, published, ...) go to its
    `story`, the others (aliases, capture, warc, etag, ...) to the record itself."""
    story_changes = {name: value for name, value in changes.items() if name in STORY_FIELDS}
    record_changes = {name: value for name, value in changes.items() if name not in STORY_FIELDS}
    story = replace(record.story, **story_changes) if story_changes else record.story
    return replace(record, story=story, **record_changes)


def article(canonical_url: str = MALECON, **changes: Any) -> ArticleRecord:
    """A complete ArticleRecord; keyword arguments replace single fields (see `edit`)."""
    record = ArticleRecord(
        canonical_url=canonical_url,
        story=Story(
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
            published=datetime(2025, 5, 30, 9, 0, tzinfo=MEXICO),
            modified=None,
            paywalled=False,
            extractor="pvdn",
        ),
        fetched_url=canonical_url,
        post_id=4242,
        aliases=(),
        teasers=(),
        capture=capture(RAW_PAGE, canonical_url),
    )
    return edit(record, **changes)


def save(factory: sessionmaker[Session], record: ArticleRecord, seen_at: datetime) -> str:
    """Save one record in its own transaction, as one batch of a crawl."""
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


@contextlib.contextmanager
def statements_on(engine: Engine) -> Iterator[list[str]]:
    """Every statement the engine sends to the database inside the block, in order (one entry
    per cursor execution: an `executemany` of many rows is one)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.strip())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def blank_engine(tmp_path: Path) -> Iterator[Engine]:
    """An empty temporary SQLite file, not migrated, disposed after the test."""
    engine = make_engine(sqlite_url(tmp_path / "archive.sqlite3"))
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


WARCIO = Path(sys.executable).parent / "warcio"


def warcio_accepts(files: list[Path]) -> list[dict[str, str]]:
    """`warcio check` passes on every file (no digest failed), and `warcio index` lists
    their records without a warning: the files as a WARC tool other than ours reads them."""
    assert files

    def warcio(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(WARCIO), *args], capture_output=True, text=True, check=False, timeout=120
        )

    checked = warcio("check", "-v", *map(str, files))
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert "digest failed" not in checked.stdout
    fields = "filename,offset,length,warc-type,warc-target-uri,http:status,warc-concurrent-to"
    indexed = warcio("index", "-f", fields + ",warc-record-id", *map(str, files))
    assert indexed.returncode == 0, indexed.stderr[-3000:]
    assert "WARNING" not in indexed.stderr, indexed.stderr[-3000:]
    return [json.loads(line) for line in indexed.stdout.splitlines()]
