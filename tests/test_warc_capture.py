"""Every capture kept as WARC records by the real crawl (issue 14), judged from outside.

Two runs of `scrapy crawl pvdn` against the fixture site (`pvdn_crawler.mirror`), the second
after one article changed and with every known article due for a conditional re-check. The
files are judged by warcio's own command line (`warcio check`, `warcio index`), the records
against the fixture files the mirror served (after its origin rewrite), the database with
plain sqlite3. Then: SIGKILLs at several moments of a crawl, capture switched off, the
migration of an archive of schema 0003 (pages in the database) and the two commands that read
captures back (`pvdn-archive export --warc`, `show --html`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Table, create_engine, insert, make_url, text
from warcio.archiveiterator import ArchiveIterator

from cleaning import Options, clean_html
from pvdn_crawler.items import article_record
from pvdn_crawler.mirror import SITE, Mirror, start_mirror
from pvdn_crawler.reclean import reclean
from storage import open_archive
from storage.archive import schema_state
from storage.engine import make_engine, upgrade_schema
from storage.models import ArticleRevision, StoryColumns
from storage.warc import (
    SERVER_NOT_MODIFIED_PROFILE,
    WarcLocation,
    iter_captures,
    read_capture,
)
from tests.cli_support import one_line_error, run_cli
from tests.crawl_runner import PROJECT, crawl_env, query, run_crawl, start_crawl
from tests.saved_cases import FIXTURES
from tests.storage_support import ARTICLES_BEFORE_0004, OLD_ZLIB_LEVEL, warcio_accepts

PRODUCTION = "https://www.vallartadaily.com"
# The spellings of the production origin the mirror rewrites to its own in text responses.
PRODUCTION_ORIGINS = ("https://www.vallartadaily.com", "http://www.vallartadaily.com",
                      "https://vallartadaily.com", "http://vallartadaily.com")  # fmt: skip
MANIFEST: dict[str, Any] = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))
ROUTES: dict[str, Any] = json.loads((SITE / "routes.json").read_text(encoding="utf-8"))["routes"]
STORED = [a for a in MANIFEST["articles"] if a["stored"]]
UPDATE = b" Update: officials confirmed the figures."


# ---- two runs of the fixture site -------------------------------------------------------------


@dataclass
class TwoRuns:
    mirror: Mirror
    database: Path
    runs: list[subprocess.CompletedProcess[str]]
    served: list[list[tuple[str, int, int]]]  # per run: path, status, bytes, as the mirror saw
    changed_path: str
    second_started: datetime

    @property
    def warc_dir(self) -> Path:
        return self.database.with_name(f"{self.database.stem}-warc")

    def files(self, run: int | None = None) -> list[Path]:
        prefix = "pvdn-" if run is None else f"pvdn-{run}-"
        return sorted(self.warc_dir.glob(f"{prefix}*.warc.gz"))

    def path(self, uri: str) -> str:
        parts = urlsplit(uri)
        assert f"{parts.scheme}://{parts.netloc}" == self.mirror.origin, uri
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return query(self.database, sql, *args)


def _served_page(mirror: Mirror, path: str, *, edited: bool = True) -> bytes:
    """What the mirror sends for `path`: the route's fixture file (or, when `edited`, the
    body a test gave it instead), with the production origin rewritten to the mirror's in text
    responses."""
    route = ROUTES[path]
    body = (mirror.changed.get(path) if edited else None) or (SITE / route["file"]).read_bytes()
    if route.get("type", "text/html").startswith(("text/", "application/rss", "application/xml")):
        for origin in PRODUCTION_ORIGINS:
            body = body.replace(origin.encode(), mirror.origin.encode())
    return body


def _etag(body: bytes) -> str:
    """The validator the mirror sends with a body."""
    return f'"{hashlib.sha1(body).hexdigest()[:16]}"'


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoRuns]:
    folder = tmp_path_factory.mktemp("warc-crawl")
    database = folder / "archive.sqlite3"
    # An article on the first headlines page, which every run walks, is edited between runs.
    changed = next(a for a in STORED if "/headlines/" in a["linked_from"])
    changed_path = changed["canonical_url"].removeprefix(PRODUCTION)
    with start_mirror() as mirror:
        first = run_crawl(mirror.origin, database, f"LOG_FILE={folder / 'first.log'}")
        served = [list(mirror.responses)]
        mirror.responses.clear()
        page = (SITE / ROUTES[changed_path]["file"]).read_bytes()
        cut = page.index(b"</p>", page.index(b"entry-content"))
        mirror.changed[changed_path] = page[:cut] + UPDATE + page[cut:]
        second_started = datetime.now(UTC)
        # Every known article is due for a conditional re-check in this run.
        second = run_crawl(
            mirror.origin, database, "PVDN_RECHECK_SHARE=1", f"LOG_FILE={folder / 'second.log'}"
        )
        served.append(list(mirror.responses))
        yield TwoRuns(mirror, database, [first, second], served, changed_path, second_started)


@dataclass(frozen=True)
class Record:
    """One record of a WARC file as warcio reads it, front to back."""

    filename: str
    offset: int
    type: str
    warc: dict[str, str]
    http: dict[str, str]  # header names lowercased
    statusline: str
    protocol: str
    payload: bytes

    @property
    def uri(self) -> str:
        return self.warc.get("WARC-Target-URI", "")


def _read_all(files: list[Path]) -> list[Record]:
    records = []
    for path in files:
        with path.open("rb") as fh:
            iterator = ArchiveIterator(fh)
            for record in iterator:
                http = record.http_headers
                payload = record.content_stream().read() if record.rec_type != "request" else b""
                if record.rec_type == "request":
                    payload = record.raw_stream.read()
                records.append(
                    Record(
                        path.name,
                        iterator.get_record_offset(),
                        record.rec_type,
                        dict(record.rec_headers.headers),
                        {k.lower(): v for k, v in http.headers} if http else {},
                        http.statusline if http else "",
                        http.protocol if http else "",
                        payload,
                    )
                )
    return records


def test_both_runs_succeed_and_finish_their_files(two_runs: TwoRuns) -> None:
    for run in two_runs.runs:
        assert run.returncode == 0, run.stderr[-3000:]
    assert list(two_runs.warc_dir.glob("*.open")) == []
    assert two_runs.files(1) and two_runs.files(2)
    assert set(two_runs.files()) == set(two_runs.warc_dir.iterdir()), "nothing else there"


def test_warcio_check_and_index_accept_every_file(two_runs: TwoRuns) -> None:
    files = two_runs.files()
    index = warcio_accepts(files)
    records = _read_all(files)
    assert [(row["filename"], int(row["offset"])) for row in index] == [
        (r.filename, r.offset) for r in records
    ]
    by_file: dict[str, list[dict[str, str]]] = {}
    for row in index:
        by_file.setdefault(row["filename"], []).append(row)
    for rows in by_file.values():
        assert rows[0]["warc-type"] == "warcinfo"
        assert {row["warc-type"] for row in rows[1:]} <= {"response", "revisit", "request"}
        # Each capture is followed by the request that asked for it.
        for capture, request in zip(rows[1::2], rows[2::2], strict=True):
            assert capture["warc-type"] in {"response", "revisit"}, capture
            assert request["warc-type"] == "request", request
            assert request["warc-concurrent-to"] == capture["warc-record-id"]
            assert request["warc-target-uri"] == capture["warc-target-uri"]


def test_every_stored_version_points_at_the_response_it_was_cleaned_from(
    two_runs: TwoRuns,
) -> None:
    """Every article and every revision points at a `response` record whose payload is the
    page the mirror served byte for byte; cleaning that payload again gives the stored story."""
    mirror, folder = two_runs.mirror, two_runs.warc_dir
    revisions = two_runs.query(
        "SELECT a.canonical_url, r.number, r.title, r.body, r.warc_file, r.warc_offset,"
        " r.warc_length, a.warc_file, a.warc_offset, a.warc_length,"
        " r.number = (SELECT max(number) FROM article_revisions WHERE article_id = a.id)"
        " FROM article_revisions r JOIN articles a ON a.id = r.article_id ORDER BY r.id"
    )
    assert len({row[0] for row in revisions}) == len(STORED)
    assert len(revisions) == len(STORED) + 1, "one changed article, one new revision"
    for url, number, title, body, *where in revisions:
        revision_at, article_at, latest = WarcLocation(*where[:3]), where[3:6], where[6]
        page = read_capture(folder, revision_at)
        assert (page.record_type, page.status) == ("response", 200), url
        path = two_runs.path(page.target_uri)
        changed = path == two_runs.changed_path and number == 2
        expected = _served_page(mirror, path, edited=changed)
        assert page.payload == expected, (url, number)
        assert revision_at.filename.startswith("pvdn-2-" if changed else "pvdn-1-")
        if latest:
            assert WarcLocation(*article_at) == revision_at, url
        host = urlsplit(page.target_uri).hostname or ""
        again = clean_html(
            page.payload, page.target_uri, options=Options(site_hosts=frozenset({host}))
        )
        assert (again.title, again.body) == (title, body), (url, number)
    bodies = two_runs.query(
        "SELECT r.body FROM article_revisions r JOIN articles a ON a.id = r.article_id"
        " WHERE a.canonical_url = ? ORDER BY r.number",
        mirror.origin + two_runs.changed_path,
    )
    assert ["officials confirmed" in body for (body,) in bodies] == [False, True]


def test_request_and_response_headers_are_kept(two_runs: TwoRuns) -> None:
    records = _read_all(two_runs.files())
    requests = {r.warc["WARC-Concurrent-To"]: r for r in records if r.type == "request"}
    host = two_runs.mirror.origin.removeprefix("http://")
    first_etags: set[str] = set()
    for record in records:
        if record.type not in {"response", "revisit"}:
            continue
        request = requests[record.warc["WARC-Record-ID"]]
        path = two_runs.path(record.uri)
        # The request as Scrapy sent it: method and target, Host, the crawler's User-Agent.
        assert (request.protocol, request.statusline) == ("GET", f"{path} HTTP/1.1")
        assert request.http["host"] == host
        assert request.http["user-agent"].startswith("pvdn-archive/")
        assert "accept" in request.http
        assert request.warc["WARC-Date"] == record.warc["WARC-Date"]
        assert record.warc["WARC-IP-Address"] == "127.0.0.1"
        # The response's status line and headers as the mirror sent them.
        status = int(record.statusline.split()[0])
        assert record.http["server"].startswith("BaseHTTP/") and "date" in record.http
        if status in (301, 302):
            assert record.http["location"].startswith(two_runs.mirror.origin)
        else:
            assert "content-type" in record.http
        if record.type == "response":
            assert int(record.http["content-length"]) == len(record.payload)
        if status == 200:
            assert record.http["etag"] == _etag(record.payload)
            if record.filename.startswith("pvdn-1-"):
                first_etags.add(record.http["etag"])
        if record.type == "revisit":
            # The second run asked with a validator the first run was given (for an article,
            # possibly under another of its addresses), and the answer confirmed it.
            assert request.http["if-none-match"] == record.http["etag"], path
            assert record.http["etag"] in first_etags, path


def test_feeds_sitemaps_and_listings_are_captured(two_runs: TwoRuns) -> None:
    """Every answer the mirror gave in a run is in that run's files with its status, but
    robots.txt (read by Scrapy, not by the archive) and an article's page fetched a second
    time in a run under another of its addresses (the spider learns an alias from it and
    stores nothing)."""
    addresses = {
        address.removeprefix(PRODUCTION): frozenset(
            a.removeprefix(PRODUCTION) for a in (article["canonical_url"], *article["aliases"])
        )
        for article in STORED
        for address in (article["canonical_url"], *article["aliases"])
    }
    for run, served in enumerate(two_runs.served, start=1):
        captures = list(iter_captures(two_runs.warc_dir))
        mine = [c for c in captures if c.location.filename.startswith(f"pvdn-{run}-")]
        captured = Counter((two_runs.path(c.target_uri), c.status or 0) for c in mine)
        answered = Counter((path, status) for path, status, _ in served)
        assert captured - answered == Counter(), "nothing captured that was not served"
        left_out = answered - captured
        assert left_out.pop(("/robots.txt", 200)) == 2
        for path, status in left_out:
            assert status == 200 and path in addresses, (run, path)
            others = addresses[path] - {path}
            assert any((other, 200) in captured for other in others), (run, path)
    first = {
        two_runs.path(c.target_uri): c
        for c in iter_captures(two_runs.warc_dir)
        if c.location.filename.startswith("pvdn-1-")
    }
    for path in ("/feed/", "/category/puerto-vallarta-news/feed/", "/wp-sitemap.xml",
                 "/wp-sitemap-posts-post-1.xml", "/headlines/", "/headlines/page/2",
                 "/category/puerto-vallarta-news/"):  # fmt: skip
        capture = first[path]
        assert (capture.record_type, capture.status) == ("response", 200), path
        assert capture.payload == _served_page(two_runs.mirror, path), path
        assert capture.header("Content-Type") == ROUTES[path].get(
            "type", "text/html; charset=UTF-8"
        )


def test_the_second_runs_304s_are_revisit_records(two_runs: TwoRuns) -> None:
    not_modified = Counter(path for path, status, _ in two_runs.served[1] if status == 304)
    assert not_modified["/feed/"] == 1 and len(not_modified) > len(STORED) / 2
    captures = list(iter_captures(two_runs.warc_dir))
    revisits = [c for c in captures if c.record_type == "revisit"]
    assert Counter(two_runs.path(c.target_uri) for c in revisits) == not_modified
    for capture in revisits:
        assert capture.location.filename.startswith("pvdn-2-")
        assert (capture.status, capture.payload) == (304, b"")
        assert capture.warc_header("WARC-Profile") == SERVER_NOT_MODIFIED_PROFILE
    assert not [c for c in captures if c.record_type == "response" and c.status == 304]


def test_recleaning_every_revision_of_the_crawl_changes_nothing(
    two_runs: TwoRuns, tmp_path: Path
) -> None:
    """The same cleaning over the same captures: no version's story changes (metadata the
    feeds gave, which the pages do not show, included)."""
    database = tmp_path / "copy.sqlite3"
    with sqlite3.connect(two_runs.database) as source, sqlite3.connect(database) as copy:
        source.backup(copy)
    source.close()
    copy.close()
    stories = "SELECT id, content_hash, author, categories, body FROM article_revisions"
    before = query(database, stories)
    latest = reclean(f"sqlite:///{database}", workers=1, warc_dir=two_runs.warc_dir)
    every = reclean(
        f"sqlite:///{database}", workers=1, warc_dir=two_runs.warc_dir, all_revisions=True
    )
    # The one post without a story (fixtures/pages/b04) is said to be kept as stored: the
    # re-clean cannot tell an empty story stored from one that just went missing.
    story_less = len([row for row in before if row[4] == ""])
    empty = {"no story now (kept as stored)": story_less} if story_less else {}
    assert dict(latest.outcomes) == {"unchanged": len(STORED) - story_less, **empty}
    assert every.pages == len(before)
    assert dict(every.outcomes) == {"unchanged": len(before) - story_less, **empty}
    assert query(database, stories) == before


# ---- capture off --------------------------------------------------------------------------------


def test_capture_off_writes_no_warc_and_still_stores_every_article(tmp_path: Path) -> None:
    database = tmp_path / "archive.sqlite3"
    with start_mirror() as mirror:
        result = run_crawl(mirror.origin, database, "PVDN_WARC_ENABLED=False")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (tmp_path / "archive-warc").exists()
    assert not [p for p in tmp_path.rglob("*") if ".warc" in p.name]
    rows = query(database, "SELECT canonical_url, warc_file FROM articles")
    assert sorted(url for url, _ in rows) == sorted(
        a["canonical_url"].replace(PRODUCTION, mirror.origin) for a in STORED
    )
    assert {where for _, where in rows} == {None}
    assert query(
        database, "SELECT count(*) FROM article_revisions WHERE warc_file IS NOT NULL"
    ) == [(0,)]


# ---- killed at any moment ------------------------------------------------------------------------

KILL_AFTER_REQUESTS = (8, 40, 90, 160)
# Small commit batches and small files, so kills land between and during writes and rotations.
CRASH_SETTINGS = (
    "PVDN_COMMIT_EVERY=3",
    "CONCURRENT_REQUESTS_PER_DOMAIN=4",
    "LOG_LEVEL=WARNING",
    "PVDN_WARC_MAX_FILE_BYTES=50000",
)


def _kill_after(mirror: Mirror, process: subprocess.Popen[str], requests: int) -> bool:
    deadline = time.monotonic() + 120
    while len(mirror.requests) < requests:
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    return True


def _pointers(database: Path) -> list[tuple[str, WarcLocation]]:
    rows = query(
        database,
        "SELECT 'article ' || canonical_url, warc_file, warc_offset, warc_length FROM articles"
        " UNION ALL SELECT 'revision ' || id, warc_file, warc_offset, warc_length"
        " FROM article_revisions",
    )
    return [(name, WarcLocation(*where)) for name, *where in rows]


def _no_dangling_pointer(database: Path, folder: Path) -> int:
    """Every row names a record that is whole in its file (finished or still `.open`), the
    page of the URL it belongs to; returns how many rows were checked."""
    pointers = _pointers(database)
    for name, where in pointers:
        assert where.filename is not None, name
        capture = read_capture(folder, where)  # raises past the end or for a missing file
        assert (capture.record_type, capture.status) == ("response", 200), name
    return len(pointers)


def test_sigkill_at_several_moments_leaves_readable_warcs_and_no_dangling_row(
    tmp_path: Path,
) -> None:
    database = tmp_path / "archive.sqlite3"
    folder = tmp_path / "archive-warc"
    killed = torn = 0
    with start_mirror() as mirror:
        for after in KILL_AFTER_REQUESTS:
            mirror.requests.clear()
            process = start_crawl(mirror.origin, database, *CRASH_SETTINGS)
            killed += _kill_after(mirror, process, after)
            torn += len(list(folder.glob("*.open")))  # the killed writer's file, unfinished
            if not database.exists():
                continue
            _no_dangling_pointer(database, folder)
            # Every file, torn tail or not, reads up to its last whole record.
            for capture in iter_captures(folder, include_open=True):
                assert capture.record_type in {"response", "revisit"}
        assert killed >= 3, "the kills landed inside crawls, not after them"
        final = run_crawl(mirror.origin, database, *CRASH_SETTINGS)
    assert final.returncode == 0, final.stderr[-2000:]
    assert torn, "no kill left a file open"
    assert list(folder.glob("*.open")) == [], "the next run finished what the kills left"
    files = sorted(folder.glob("*.warc.gz"))
    assert any(not f.name.endswith("-00000.warc.gz") for f in files), "runs rotated files"
    warcio_accepts(files)
    checked = _no_dangling_pointer(database, folder)
    stored = {url for (url,) in query(database, "SELECT canonical_url FROM articles")}
    assert stored == {a["canonical_url"].replace(PRODUCTION, mirror.origin) for a in STORED}
    assert checked >= 2 * len(STORED)
    for url in stored:
        [(filename, offset, length)] = query(
            database,
            "SELECT warc_file, warc_offset, warc_length FROM articles WHERE canonical_url = ?",
            url,
        )
        page = read_capture(folder, WarcLocation(filename, offset, length))
        parts = urlsplit(page.target_uri)
        path = parts.path + (f"?{parts.query}" if parts.query else "")  # a shortlink's too
        assert page.payload == _served_page(mirror, path), url


# ---- migration of an archive that kept its pages in the database ---------------------------------

_T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def _fixture_pages() -> list[tuple[str, bytes]]:
    """(canonical URL, page) of every saved page whose expected output names its URL, but
    those whose charset only their HTTP header named: the old column kept no header, so
    neither the old re-clean nor one of the moved page can know it (docs/warc.md)."""
    pages = []
    for case in sorted((FIXTURES / "pages").iterdir()):
        expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
        if "charset" in meta.get("http_headers", {}).get("Content-Type", ""):
            continue
        if expected.get("canonical_url"):
            pages.append((expected["canonical_url"], (case / "page.html").read_bytes()))
    return pages


def _archive_of_0003(url: str) -> dict[str, tuple[bytes, str]]:
    """An archive at schema 0003 as 0003's code stored a crawl: each fixture page cleaned,
    its story as revision 1 (the first article with an older revision 1 and its current
    story as 2), its page zlib-compressed in `raw_html`. Returns each URL's page and hash."""
    engine = make_engine(url)
    stored = {}
    try:
        upgrade_schema(engine, "0003")
        with engine.begin() as connection:
            for number, (canonical, page) in enumerate(_fixture_pages()):
                host = urlsplit(canonical).hostname or ""
                options = Options(site_hosts=frozenset({host}))
                record, _ = article_record(
                    clean_html(page, canonical, options=options),
                    canonical_url=canonical,
                    fetched_url=canonical,
                )
                story = StoryColumns.story_values(record.story)
                content_hash = record.story.content_hash
                stored[canonical] = (page, content_hash)
                row = {
                    **story,
                    "canonical_url": canonical,
                    "post_id": record.post_id,
                    "content_hash": content_hash,
                    "raw_html": zlib.compress(page, OLD_ZLIB_LEVEL),
                    "raw_url": canonical,
                    "first_seen": _T0,
                    "last_seen": _T0 + timedelta(days=1),
                    "checked_at": _T0 + timedelta(days=1),
                    "etag": f'"{number}"',
                }
                article_id = connection.execute(
                    insert(ARTICLES_BEFORE_0004).values(row).returning(ARTICLES_BEFORE_0004.c.id)
                ).scalar_one()
                versions = [(story, content_hash)]
                if number == 0:
                    versions.insert(0, ({**story, "body": "An older version."}, "0ld"))
                for index, (values, version_hash) in enumerate(versions, start=1):
                    connection.execute(
                        insert(cast(Table, ArticleRevision.__table__)).values(
                            **values,
                            article_id=article_id,
                            number=index,
                            content_hash=version_hash,
                            captured_at=_T0 + timedelta(hours=index),
                        )
                    )
    finally:
        engine.dispose()
    return stored


def test_an_archive_of_0003_moves_its_pages_into_a_warc_and_recleans_to_the_same_hashes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "archive.sqlite3"
    url = f"sqlite:///{database}"
    stored = _archive_of_0003(url)
    assert len(stored) >= 40
    with open_archive(url) as archive:  # a crawl's opening: upgraded under the writer lock
        folder = archive.warc_dir
    assert folder == tmp_path / "archive-warc"
    files = sorted(folder.glob("*.warc.gz"))
    assert [f.name.startswith("pvdn-migration-0004-") for f in files] == [True]
    index = warcio_accepts(files)
    assert Counter(row["warc-type"] for row in index) == {"warcinfo": 1, "resource": len(stored)}
    rows = query(
        database,
        "SELECT a.canonical_url, a.content_hash, a.warc_file, a.warc_offset, a.warc_length,"
        " r.number, r.warc_file, r.warc_offset, r.warc_length"
        " FROM articles a JOIN article_revisions r ON r.article_id = a.id ORDER BY r.id",
    )
    latest: dict[str, int] = {}
    for canonical, _, _, _, _, number, *_ in rows:
        latest[canonical] = max(latest.get(canonical, 0), number)
    for canonical, content_hash, *article_at, number, r_file, r_offset, r_length in rows:
        page, hash_before = stored[canonical]
        assert content_hash == hash_before, canonical
        if number < latest[canonical]:
            assert r_file is None, "an earlier version had no page kept"
            continue
        location = WarcLocation(*article_at)
        assert WarcLocation(r_file, r_offset, r_length) == location
        kept = read_capture(folder, location)
        assert (kept.record_type, kept.target_uri, kept.payload) == ("resource", canonical, page)
        assert kept.warc_header("WARC-Pvdn-Note") and kept.headers == ()
        assert kept.date == _T0 + timedelta(hours=number)
    revisions = query(database, "SELECT id, content_hash, body FROM article_revisions")

    # Re-cleaning the moved pages changes nothing: not the latest stories, not any version.
    for flag in ((), ("--all-revisions",)):
        status, out, _ = run_cli(capsys, "--database", str(database), "reclean", *flag)
        assert status == 0
        done = json.loads(out)
        del done["run"]
        # Both read one page per article: an earlier version kept no page to read.
        assert done == {"pages": len(stored), "status": "ok", "unchanged": len(stored)}, flag
    assert query(database, "SELECT id, content_hash, body FROM article_revisions") == revisions

    # And the page reads back as it was stored.
    canonical, (page, _) = next(iter(stored.items()))
    shown = _cli("--database", str(database), "show", "--html", canonical)
    assert (shown.returncode, shown.stdout) == (0, page)


@pytest.mark.skipif(
    not os.environ.get("PVDN_TEST_POSTGRES_URL"), reason="needs PVDN_TEST_POSTGRES_URL"
)
def test_a_postgresql_archive_with_pages_needs_a_warc_folder_to_upgrade(tmp_path: Path) -> None:
    """A PostgreSQL archive has no folder of its own: a crawl not given PVDN_WARC_DIR stops
    with one line saying so and leaves the archive as it was; given one, it moves the pages
    there and crawls."""
    admin = create_engine(os.environ["PVDN_TEST_POSTGRES_URL"])
    schema = f"pvdn_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = (
        make_url(os.environ["PVDN_TEST_POSTGRES_URL"])
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    unused = tmp_path / "unused.sqlite3"
    folder = tmp_path / "warc"
    try:
        stored = _archive_of_0003(url)
        with start_mirror() as mirror:
            refused = run_crawl(mirror.origin, unused, f"PVDN_DATABASE_URL={url}")
            assert refused.returncode == 10, refused.stderr[-3000:]
            (said,) = [line for line in refused.stderr.splitlines() if "archive] ERROR" in line]
            assert said.endswith("needs a WARC folder (set PVDN_WARC_DIR)"), said
            engine = make_engine(url)
            try:
                with engine.connect() as connection:
                    version = connection.execute(text("SELECT version_num FROM alembic_version"))
                    assert version.scalar() == "0003", "left as it was"
                    pages = connection.execute(text("SELECT canonical_url, raw_html FROM articles"))
                    kept = {url: zlib.decompress(raw) for url, raw in pages}
            finally:
                engine.dispose()
            assert kept == {canonical: page for canonical, (page, _) in stored.items()}
            crawled = run_crawl(
                mirror.origin, unused, f"PVDN_DATABASE_URL={url}", f"PVDN_WARC_DIR={folder}"
            )
        assert crawled.returncode == 0, crawled.stderr[-3000:]
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                version = connection.execute(text("SELECT version_num FROM alembic_version"))
                assert version.scalar() == schema_state(engine)[1]
                moved = connection.execute(
                    text(
                        "SELECT canonical_url, warc_file, warc_offset, warc_length FROM articles"
                        " WHERE canonical_url LIKE 'https://%'"
                    )
                ).all()
        finally:
            engine.dispose()
        assert len(moved) == len(stored)
        for canonical, *where in moved:
            assert read_capture(folder, WarcLocation(*where)).payload == stored[canonical][0]
        assert not (tmp_path / "unused.sqlite3").exists()
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


# ---- reading captures back: pvdn-archive export --warc, show --html ------------------------------


def _cli(*argv: str) -> subprocess.CompletedProcess[bytes]:
    """The command as a user runs it, its output as bytes."""
    return subprocess.run(
        [sys.executable, "-m", "pvdn_crawler.archive_cli", *argv],
        capture_output=True,
        cwd=PROJECT,
        env=crawl_env(),
        timeout=120,
        check=False,
    )


def _members(folder: Path, locations: list[WarcLocation]) -> list[bytes]:
    members = []
    for where in locations:
        with (folder / where.filename).open("rb") as fh:
            fh.seek(where.offset)
            members.append(fh.read(where.length))
    return members


def test_export_warc_copies_every_stored_version_and_since_selects(
    two_runs: TwoRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = str(two_runs.database)
    out = tmp_path / "all.warc.gz"
    status, text_out, err = run_cli(capsys, "--database", database, "export", "--warc", str(out))
    assert (status, err) == (0, "")
    summary = json.loads(text_out)
    revisions = two_runs.query(
        "SELECT warc_file, warc_offset, warc_length FROM article_revisions ORDER BY captured_at, id"
    )
    assert (summary["path"], summary["captures"], summary["requests"]) == (
        str(out),
        len(revisions),
        len(revisions),
    )
    assert summary["bytes"] == out.stat().st_size
    assert [p.name for p in tmp_path.iterdir()] == ["all.warc.gz"], "no partial file left"
    index = warcio_accepts([out])
    assert [row["warc-type"] for row in index].count("response") == len(revisions)
    # The captures are the archive's records, byte for byte, in capture order.
    data = out.read_bytes()
    members = _members(two_runs.warc_dir, [WarcLocation(*row) for row in revisions])
    position = 0
    for member in members:
        position = data.index(member, position) + len(member)
    exported = [r for r in _read_all([out]) if r.type == "response"]
    assert [two_runs.path(r.uri) for r in exported][-1] == two_runs.changed_path

    since = tmp_path / "since.warc.gz"
    moment = two_runs.second_started.isoformat()
    status, text_out, _ = run_cli(
        capsys, "export", "--database", database, "--warc", str(since), "--since", moment
    )
    assert status == 0 and json.loads(text_out)["captures"] == 1
    (only,) = [r for r in _read_all([since]) if r.type == "response"]
    assert two_runs.path(only.uri) == two_runs.changed_path and UPDATE in only.payload
    day = (two_runs.second_started + timedelta(days=1)).date().isoformat()
    status, _, err = run_cli(capsys, "export", "--database", database, "--warc", str(since),
                          "--since", day)  # fmt: skip
    assert status == 2 and "exists: give --overwrite" in one_line_error(err)
    status, text_out, _ = run_cli(capsys, "export", "--database", database, "--warc", str(since),
                               "--since", day, "--overwrite")  # fmt: skip
    assert status == 0 and json.loads(text_out)["captures"] == 0
    warcio_accepts([since])


def test_export_warc_never_writes_over_the_archive(
    two_runs: TwoRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = two_runs.database
    before = {p: p.stat().st_size for p in two_runs.warc_dir.iterdir()}
    link = tmp_path / "same.sqlite3"
    os.link(database, link)
    for target, said in (
        (database, "over the archive's file"),
        (link, "over the archive's file"),
        (Path(f"{database}-wal"), "over the archive's file"),
        (two_runs.warc_dir / "export.warc.gz", "into the archive's WARC folder"),
        (two_runs.files()[0], "into the archive's WARC folder"),
    ):
        status, out, err = run_cli(
            capsys, "--database", str(database), "export", "--warc", str(target)
        )
        assert (status, out) == (2, ""), target
        assert said in one_line_error(err), target
    status, _, err = run_cli(capsys, "--database", str(database), "export", "--warc",
                          str(tmp_path / "x.warc.gz"), "-o", str(tmp_path / "x.jsonl"))  # fmt: skip
    assert status == 2 and "takes --since only, not -o" in one_line_error(err)
    assert {p: p.stat().st_size for p in two_runs.warc_dir.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.sqlite3"]
    status, _, err = run_cli(capsys, "--database", str(database), "export", "--warc", "x.warc.gz",
                          "--since", "June")  # fmt: skip
    assert status == 2 and "not a date: 'June'" in one_line_error(err)


def test_show_html_prints_the_page_as_fetched(two_runs: TwoRuns) -> None:
    mirror = two_runs.mirror
    database = str(two_runs.database)
    changed = mirror.origin + two_runs.changed_path
    shown = _cli("--database", database, "show", "--html", changed)
    assert (shown.returncode, shown.stderr) == (0, b"")
    assert shown.stdout == _served_page(mirror, two_runs.changed_path), "the latest version"
    assert UPDATE in shown.stdout
    # By an alias too (a shortlink the site linked).
    [(alias, canonical), *_] = two_runs.query(
        "SELECT l.url, a.canonical_url FROM article_aliases l JOIN articles a"
        " ON a.id = l.article_id WHERE l.url LIKE '%/?p=%' ORDER BY l.url"
    )
    by_alias = _cli("show", "--html", alias, "--database", database)
    expected = _served_page(mirror, two_runs.path(canonical))
    assert (by_alias.returncode, by_alias.stdout) == (0, expected)
    unknown = _cli("--database", database, "show", "--html", f"{mirror.origin}/nope/")
    assert (unknown.returncode, unknown.stdout) == (1, b"")
    assert one_line_error(unknown.stderr.decode()).endswith(f"no article at {mirror.origin}/nope/")


def test_show_html_of_an_archive_whose_capture_is_gone_is_one_line(
    two_runs: TwoRuns, tmp_path: Path
) -> None:
    database = tmp_path / "copy.sqlite3"
    shutil.copy(two_runs.database, database)
    folder = tmp_path / "copy-warc"
    folder.mkdir()  # the files were not copied with the database
    changed = two_runs.mirror.origin + two_runs.changed_path
    shown = _cli("--database", str(database), "show", "--html", changed)
    assert (shown.returncode, shown.stdout) == (2, b"")
    assert "no WARC file" in one_line_error(shown.stderr.decode())
    elsewhere = _cli("--database", str(database), "--warc-dir", str(two_runs.warc_dir), "show",
                     "--html", changed)  # fmt: skip
    assert (elsewhere.returncode, elsewhere.stdout) == (
        0,
        _served_page(two_runs.mirror, two_runs.changed_path),
    )


def test_reading_captures_of_a_missing_archive_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.sqlite3"
    for argv in (
        ("export", "--warc", str(tmp_path / "out.warc.gz")),
        ("show", "--html", f"{PRODUCTION}/some-story/"),
    ):
        status, out, err = run_cli(capsys, "--database", str(missing), *argv)
        assert (status, out) == (2, ""), argv
        assert str(missing) in one_line_error(err), argv
    assert list(tmp_path.iterdir()) == []
