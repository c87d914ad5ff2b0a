"""Nothing lost in silence, nothing endless: the crawl against hostile sites and local faults.

Each test runs the real `scrapy crawl pvdn` against a scripted server on 127.0.0.1
(tests/fault_server.py) and checks the exit status, the summary line and the archive.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import open_archive
from storage.engine import make_engine
from storage.locking import writer_lock
from tests.crawl_runner import PROJECT, crawl_env, query, run_crawl
from tests.fault_server import (
    Reply,
    article,
    fixture_page,
    listing,
    start_fault_server,
    status,
)

XML = "application/xml; charset=UTF-8"
CASES = ("b05-wire-ap", "a05-2023-trending-hyphen", "c05-storm-update")


def crawl(origin: str, database: Path, *settings: str) -> subprocess.CompletedProcess[str]:
    return run_crawl(origin, database, "RETRY_TIMES=1", "DOWNLOAD_TIMEOUT=5", *settings)


def summary(result: subprocess.CompletedProcess[str]) -> str:
    return next(line for line in result.stderr.splitlines() if "pvdn run " in line)


def counts(database: Path) -> dict[str, int]:
    (row,) = query(database, "SELECT counts FROM crawl_runs ORDER BY id DESC LIMIT 1")
    return dict(json.loads(row[0]))


def test_impossible_values_cost_the_value_not_the_article(tmp_path: Path) -> None:
    database = tmp_path / "archive.sqlite3"
    paths = [f"/story-{i}/" for i in range(3)]
    poisoned = (
        fixture_page("b05-wire-ap", paths[0])
        .replace(b"2024-02-22T13:15:00-06:00", b"0001-01-01T00:00:00-06:00")
        .replace(b"2024-02-22T15:48:31-06:00", b"9999-12-31T23:59:59-12:00")
        .replace(b"?p=81936", b"?p=100000000000000000000000")
    )
    script = {
        paths[0]: [Reply(body=poisoned)],
        paths[1]: [article(CASES[1], paths[1])],
        paths[2]: [article(CASES[2], paths[2])],
    }
    with start_fault_server(script, feed=paths) as server:
        result = crawl(server.origin, database)
    assert result.returncode == 0, result.stderr[-3000:]
    assert query(database, "SELECT count(*) FROM articles") == [(3,)]
    row = query(
        database,
        "SELECT published, modified, post_id FROM articles WHERE canonical_url LIKE '%/story-0/'",
    )
    assert row == [(None, None, None)]
    figures = counts(database)
    assert figures["articles_impossible_published"] == 1
    assert figures["articles_impossible_modified"] == 1
    assert figures["articles_impossible_post_id"] == 1


@contextlib.contextmanager
def _tiny_disk(folder: Path, size: str) -> Iterator[Path]:
    """A small tmpfs (as root) for a disk that fills up; skips the test where none can be
    mounted."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_ends_the_run_with_its_cause(tmp_path: Path) -> None:
    paths = [f"/story-{i}/" for i in range(40)]
    script = {path: [article(CASES[i % 3], path)] for i, path in enumerate(paths)}
    with (
        _tiny_disk(tmp_path / "disk", "400k") as disk,
        start_fault_server(script, feed=paths[:10], listing_paths=paths) as server,
    ):
        database = disk / "archive.sqlite3"
        result = crawl(server.origin, database, "PVDN_COMMIT_EVERY=5")
        line = summary(result)
    assert result.returncode == 9, result.stderr[-3000:]
    assert "pvdn run storage failure (disk full)" in line
    assert "Traceback" not in result.stderr


def test_a_site_that_starts_refusing_is_not_ok(tmp_path: Path) -> None:
    """A WAF answering 403 after 15 requests: what was stored stays, the run says why the
    rest is missing."""
    database = tmp_path / "archive.sqlite3"
    paths = [f"/story-{i}/" for i in range(29)]
    served = {"count": 0}

    def waf(path: str) -> Reply | None:
        served["count"] += 1
        if served["count"] > 15:
            return status(403)
        number = int(path.strip("/").rsplit("-", 1)[1]) if path.startswith("/story-") else -1
        return article(CASES[number % 3], path) if number >= 0 else None

    with start_fault_server({}, feed=paths, listing_paths=paths) as server:
        server.fallback = waf
        result = crawl(server.origin, database)
    assert result.returncode == 8, result.stderr[-3000:]
    assert "pvdn run blocked by the site (" in summary(result)


@pytest.mark.parametrize("damage", ["not a database", "newer schema", "read-only"])
def test_an_unusable_archive_is_one_line_and_its_own_status(tmp_path: Path, damage: str) -> None:
    with start_fault_server({}) as server:
        if damage == "read-only":
            folder = tmp_path / "ro"
            with _tiny_disk(folder, "2m"):
                database = folder / "archive.sqlite3"
                with open_archive(f"sqlite:///{database}"):
                    pass
                subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
                result = crawl(server.origin, database)
        else:
            database = tmp_path / "archive.sqlite3"
            if damage == "not a database":
                database.write_bytes(os.urandom(8192))
            else:
                with open_archive(f"sqlite:///{database}"):
                    pass
                with sqlite3.connect(database) as db:
                    db.execute("UPDATE alembic_version SET version_num = '9999'")
            result = crawl(server.origin, database)
        requested = server.paths()
    assert result.returncode == 10, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "pvdn run archive unusable" in summary(result)
    errors = [line for line in result.stderr.splitlines() if "[pvdn_crawler.archive] ERROR" in line]
    assert len(errors) == 1, errors
    assert requested == []  # nothing fetched for an archive that cannot take it


def test_endless_pagination_stops_at_its_bound(tmp_path: Path) -> None:
    database = tmp_path / "archive.sqlite3"

    def pages(path: str) -> Reply | None:
        if path.startswith("/headlines/page/"):
            number = int(path.strip("/").rsplit("/", 1)[1])
            return Reply(body=listing([f"/headlines/page/{number + 1}"]))
        return None

    script = {"/headlines/": [Reply(body=listing(["/headlines/page/2"]))]}
    with start_fault_server(script) as server:
        server.fallback = pages
        result = crawl(server.origin, database, "PVDN_MAX_LISTING_PAGES=12")
        walked = [p for p in server.paths() if p.startswith("/headlines")]
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(walked) == 12
    assert "stopped_by_bounds=listing_pages" in summary(result)
    assert counts(database)["bounds_listing_pages"] >= 1


def test_endless_new_articles_stop_at_their_bound(tmp_path: Path) -> None:
    """Every article links two articles never seen before (and its own teaser targets)."""
    database = tmp_path / "archive.sqlite3"

    def stories(path: str) -> Reply | None:
        if not path.startswith("/story-"):
            return None
        number = int(path.strip("/").rsplit("-", 1)[1])
        links = "".join(f'<a href="/story-{2 * number + k}/">next</a>' for k in (1, 2))
        body = fixture_page(CASES[number % 3], path).replace(
            b"</body>", links.encode() + b"</body>"
        )
        return Reply(body=body)

    with start_fault_server({}, feed=["/story-0/"]) as server:
        server.fallback = stories
        result = crawl(server.origin, database, "PVDN_MAX_NEW_PER_RUN=25")
        discovery = {"/robots.txt", "/feed/", "/category/puerto-vallarta-news/feed/", "/headlines/"}
        fetched = [p for p in server.paths() if p not in discovery]
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(fetched) == len(set(fetched)) == 25
    assert "stopped_by_bounds=new_articles" in summary(result)


def test_an_endless_sitemap_index_chain_stops_at_its_depth(tmp_path: Path) -> None:
    database = tmp_path / "archive.sqlite3"

    def indexes(path: str) -> Reply | None:
        if path.startswith("/sitemap-"):
            depth = int(path.removeprefix("/sitemap-").removesuffix(".xml"))
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns='
                '"http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>'
                f"https://www.vallartadaily.com/sitemap-{depth + 1}.xml</loc></sitemap>"
                "</sitemapindex>"
            ).encode()
            return Reply(body=body, content_type=XML)
        return None

    with start_fault_server({}, sitemaps=["/sitemap-0.xml"]) as server:
        server.fallback = indexes
        result = crawl(server.origin, database, "PVDN_MAX_SITEMAP_DEPTH=3")
        chain = [p for p in server.paths() if p.startswith("/sitemap-")]
    assert result.returncode == 0, result.stderr[-3000:]
    assert chain == ["/sitemap-0.xml", "/sitemap-1.xml", "/sitemap-2.xml", "/sitemap-3.xml"]
    assert "stopped_by_bounds=sitemap_depth" in summary(result)


def test_the_writer_lock_holds_through_a_hard_link(tmp_path: Path) -> None:
    database = tmp_path / "archive.sqlite3"
    with open_archive(f"sqlite:///{database}"):
        pass
    linked = tmp_path / "same-archive.sqlite3"
    os.link(database, linked)
    (tmp_path / "archive.sqlite3.lock").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{linked}")
    try:
        with start_fault_server({}) as server, writer_lock(engine):
            result = crawl(server.origin, database)
    finally:
        engine.dispose()
    assert result.returncode == 2, result.stderr[-3000:]
    assert "another crawl" in result.stderr


@pytest.mark.parametrize(
    ("argument", "message"),
    [("max_pages=abc", "max_pages"), ("max_pages=-1", "max_pages"), ("since=x", "since")],
)
def test_bad_spider_arguments_are_a_usage_error(
    tmp_path: Path, argument: str, message: str
) -> None:
    command = [sys.executable, "-m", "scrapy", "crawl", "pvdn", "-a", argument,
               "-s", f"PVDN_DATABASE_URL=sqlite:///{tmp_path / 'a.sqlite3'}"]  # fmt: skip
    result = subprocess.run(
        command, cwd=PROJECT, env=crawl_env(), capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert not (tmp_path / "a.sqlite3").exists()


def test_a_page_that_cleans_too_slowly_costs_that_page(tmp_path: Path) -> None:
    """A time limit no page can meet: every article page is a recorded failure, and the
    crawl still reaches its end."""
    database = tmp_path / "archive.sqlite3"
    paths = [f"/story-{i}/" for i in range(3)]
    script = {path: [article(CASES[i], path)] for i, path in enumerate(paths)}
    with start_fault_server(script, feed=paths) as server:
        result = crawl(server.origin, database, "PVDN_CLEAN_TIMEOUT=0.000001")
    assert "pvdn run" in summary(result)
    assert "Traceback" not in result.stderr
    # The three articles, and /headlines/, whose trending list is read every run.
    assert counts(database)["failed_clean_timeout"] == 4
    assert query(database, "SELECT count(*) FROM articles") == [(0,)]


def test_pages_that_stop_yielding_dates_are_layout_drift(tmp_path: Path) -> None:
    """A theme change that drops every machine-readable and visible date: exit 4, and the
    summary names the missing field."""
    database = tmp_path / "archive.sqlite3"
    paths = [f"/story-{i}/" for i in range(6)]

    def undated(path: str) -> bytes:
        paragraphs = "".join(
            f"<p>Neighbours of the {word} district met on Tuesday to discuss the new water"
            f" schedule, which the utility says will last until the rains return.</p>"
            for word in ("Versalles", "Pitillal", "Coapinole")
        )
        return (
            '<!DOCTYPE html><html><head><title>Story</title></head><body class="single'
            f' single-post"><article><h1>Water schedule for {path.strip("/")}</h1>'
            f'<div class="entry-content">{paragraphs}</div></article></body></html>'
        ).encode()

    script = {path: [Reply(body=undated(path))] for path in paths}
    with start_fault_server(script, listing_paths=paths) as server:
        result = crawl(server.origin, database)
    assert result.returncode == 4, result.stderr[-3000:]
    assert "layout drift (6 of 6 article pages without a published)" in summary(result)
