"""Crawls against a misbehaving site: retried errors, rate limits, timeouts, resets, truncated
and oversized bodies, gone articles, redirect loops and off-site redirects, non-HTML answers,
broken feeds and sitemaps, a changed layout.

Each crawl is the real `scrapy crawl pvdn` in a subprocess against `tests/fault_server.py`
on 127.0.0.1, kept small and fast (DOWNLOAD_TIMEOUT 1 s, two retries, no delays). Most faults
share one crawl (`shared`, their paths do not interact); gone articles, broken discovery and
the error limit take crawls of their own. The tests read the archive with sqlite3, the
server's request log, and the run's exit status and summary line.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from itertools import pairwise
from pathlib import Path

import pytest

from pvdn_crawler.middlewares import retry_after_seconds
from storage.warc import WarcLocation, read_capture
from tests.crawl_runner import query, run_crawl
from tests.fault_server import (
    CATEGORY_FEED,
    PAGES,
    RSS,
    XML,
    FaultServer,
    Reply,
    article,
    fixture_page,
    redirect,
    reset,
    rss,
    start_fault_server,
    status,
    urlset,
)

RETRIES = 2  # RETRY_TIMES: three attempts in all
TIMEOUT = 1.0  # DOWNLOAD_TIMEOUT, seconds
MAX_SIZE = 100_000  # DOWNLOAD_MAXSIZE for the shared crawl; fixture pages are 10-35 KB


def crawl(server: FaultServer, database: Path, *settings: str) -> subprocess.CompletedProcess[str]:
    """`scrapy crawl pvdn` against `server`, fast and impolite (it is our own server);
    `settings` are more `-s NAME=VALUE` pairs."""
    return run_crawl(
        server.origin,
        database,
        f"DOWNLOAD_TIMEOUT={TIMEOUT}",
        f"RETRY_TIMES={RETRIES}",
        *settings,
        timeout=120,
    )


def summary(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if "pvdn run " in line]
    assert len(lines) == 1, result.stderr[-3000:]
    return lines[0]


def figure(line: str, name: str) -> int:
    found = re.search(rf"\b{name}=(\d+)", line)
    assert found, line
    return int(found.group(1))


def last_run(database: Path) -> tuple[str, dict[str, int], str | None]:
    """The latest run's status, counts and end time."""
    status_, counts, finished = query(
        database, "SELECT status, counts, finished_at FROM crawl_runs ORDER BY id DESC LIMIT 1"
    )[0]
    return status_, json.loads(counts), finished


def stored(database: Path, origin: str) -> dict[str, tuple[str, str]]:
    """Stored articles by path: (extractor, body)."""
    rows = query(database, "SELECT canonical_url, extractor, body FROM articles")
    return {url.removeprefix(origin): (extractor, body) for url, extractor, body in rows}


def expected_body_end(case: str) -> str:
    """The last block of a fixture's story: present only when the whole page was read."""
    expected = json.loads((PAGES / case / "expected.json").read_text(encoding="utf-8"))
    text: str = expected["blocks"][-1][1]
    return text


# -- one crawl, most faults ----------------------------------------------------------------


@dataclass
class Shared:
    server: FaultServer
    other: FaultServer  # another host: nothing may reach it
    database: Path
    result: subprocess.CompletedProcess[str]
    counts: dict[str, int]
    status: str
    articles: dict[str, tuple[str, str]]


def _oversized(path: str) -> bytes:
    """A real page padded past MAX_SIZE."""
    page = fixture_page("a04-2025-dek-list", path)
    return page.replace(b"</body>", b"<!-- " + b"x" * (3 * MAX_SIZE) + b" --></body>")


PDF = Reply(
    body=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)), content_type="application/pdf"
)
JPEG = Reply(body=b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(256), content_type="image/jpeg")
CHAIN = [f"/moved-{n}/" for n in range(1, 10)]  # each redirects to the next: too many hops
SHARED_CASES = {
    "/fine/": "a01-mid2025-full-repeat",
    "/retry-500/": "b05-wire-ap",
    "/retry-503/": "c03-photo-caption",
    "/throttled/": "a05-2023-trending-hyphen",
    "/throttled-long/": "a06-2023-trending-lowercase",
    "/truncated/": "a08-2022-paywall-independent",
    "/redesigned/": "c09-redesign-generic",
}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    database = tmp_path_factory.mktemp("faults") / "archive.sqlite3"
    with start_fault_server() as other:
        elsewhere = f"http://localhost:{other.port}"
        page = {path: article(case, path) for path, case in SHARED_CASES.items()}
        script: dict[str, list[Reply]] = {
            "/fine/": [page["/fine/"]],
            # 1: server errors, cured by a retry
            "/retry-500/": [status(500), page["/retry-500/"]],
            "/retry-503/": [status(503), status(503), page["/retry-503/"]],
            # 2: rate limits; the second asks for an hour, capped by PVDN_MAX_RETRY_AFTER
            "/throttled/": [status(429, ("Retry-After", "2")), page["/throttled/"]],
            "/throttled-long/": [status(503, ("Retry-After", "3600")), page["/throttled-long/"]],
            # 3: no answer in time, and a connection reset without an answer
            "/timeout/": [Reply(delay=4 * TIMEOUT, body=b"too late")],
            "/reset/": [reset()],
            # 4: a body cut short of its Content-Length, every time
            "/truncated/": [replace(page["/truncated/"], action="truncate", keep=4000)],
            # 6: a loop, and a chain longer than the spider's hop limit
            "/loop-a/": [redirect("/loop-b/")],
            "/loop-b/": [redirect("/loop-a/")],
            **{a: [redirect(b)] for a, b in pairwise(CHAIN)},
            # 7: redirects to another host (an article, and a feed RedirectMiddleware follows)
            "/off-site/": [redirect(f"{elsewhere}/landing/")],
            CATEGORY_FEED: [redirect(f"{elsewhere}/feed/", 302)],
            # 8: not HTML, on article-shaped paths
            "/annual-report/": [PDF],
            "/beach-photo/": [JPEG],
            # 9: bodies over DOWNLOAD_MAXSIZE, announced and streamed
            "/oversized/": [Reply(body=_oversized("/oversized/"))],
            "/oversized-stream/": [
                Reply(body=_oversized("/oversized-stream/"), action="no_length")
            ],
            # 11: a redesign the site profile does not know
            "/redesigned/": [page["/redesigned/"]],
        }
        linked = [p for p in script if p not in {"/loop-b/", CATEGORY_FEED, *CHAIN[1:]}]
        with start_fault_server(
            script, feed=linked, sitemaps=[f"{elsewhere}/wp-sitemap.xml"]
        ) as server:
            result = crawl(
                server, database, f"DOWNLOAD_MAXSIZE={MAX_SIZE}", "PVDN_MAX_RETRY_AFTER=3"
            )
        status_, counts, _ = last_run(database)
        yield Shared(
            server, other, database, result, counts, status_, stored(database, server.origin)
        )


def test_shared_crawl_finishes_ok_with_its_failures_counted(shared: Shared) -> None:
    """Five requests were given up on (timeout, reset, truncation, two oversized bodies), under
    PVDN_MAX_ERRORS: the run is ok, exits 0, and says failed=5."""
    assert shared.result.returncode == 0, shared.result.stderr[-3000:]
    line = summary(shared.result)
    assert "pvdn run ok:" in line
    assert figure(line, "failed") == 5
    assert figure(line, "new") == len(shared.articles) == 6
    assert shared.status == "ok"
    assert shared.counts["stored_new"] == 6
    assert query(shared.database, "PRAGMA integrity_check") == [("ok",)]


def test_server_errors_are_retried_then_stored(shared: Shared) -> None:
    answers = {path: [hit.answer for hit in shared.server.hits_for(path)]
               for path in ("/retry-500/", "/retry-503/")}  # fmt: skip
    assert answers == {"/retry-500/": ["500", "200"], "/retry-503/": ["503", "503", "200"]}
    for path in answers:
        extractor, body = shared.articles[path]
        assert extractor == "pvdn"
        assert body.endswith(expected_body_end(SHARED_CASES[path]))
    # Cured by a retry: not a failure.
    assert not any(key.startswith("failed_http") for key in shared.counts)


def test_retry_after_is_waited_out_without_blocking_the_crawl(shared: Shared) -> None:
    first, retry = shared.server.hits_for("/throttled/")
    assert (first.answer, retry.answer) == ("429", "200")
    assert retry.at - first.at >= 1.9  # Retry-After: 2
    # Other downloads went on meanwhile, well inside the wait (the /timeout/ retry, about a
    # second in): a blocking sleep would have held every request until the wait was over.
    assert any(
        first.at + 0.5 < hit.at < retry.at - 0.5
        for hit in shared.server.hits
        if hit.path not in {"/throttled/", "/throttled-long/"}
    )
    # An hour asked for, PVDN_MAX_RETRY_AFTER=3 given.
    first, retry = shared.server.hits_for("/throttled-long/")
    assert (first.answer, retry.answer) == ("503", "200")
    assert 2.9 <= retry.at - first.at < 10
    assert {"/throttled/", "/throttled-long/"} <= shared.articles.keys()
    assert shared.counts["retry_after_waits"] == 2
    assert shared.counts["retry_after_capped"] == 1


def test_timeouts_and_resets_fail_and_leave_nothing_half_written(shared: Shared) -> None:
    for path in ("/timeout/", "/reset/"):
        assert len(shared.server.hits_for(path)) == 1 + RETRIES
        assert path not in shared.articles
    assert shared.counts["failed_timeout"] == 1
    assert shared.counts["failed_connection"] == 1
    origin = shared.server.origin
    for table, column in (("articles", "raw_url"), ("article_aliases", "url")):
        rows = query(shared.database, f"SELECT {column} FROM {table}")
        assert not {url for (url,) in rows} & {origin + "/timeout/", origin + "/reset/"}
    # Every stored article is whole: one revision, its body, and the page it came from kept
    # in a WARC record that reads back as the 200 answer of its address.
    rows = query(
        shared.database,
        "SELECT a.canonical_url, a.raw_url, count(r.id), length(a.body), a.warc_file,"
        " a.warc_offset, a.warc_length FROM articles a"
        " LEFT JOIN article_revisions r ON r.article_id = a.id GROUP BY a.id",
    )
    assert rows
    folder = shared.database.with_name(f"{shared.database.stem}-warc")
    for url, raw_url, revisions, body, *where in rows:
        assert revisions == 1 and body, url
        page = read_capture(folder, WarcLocation(*where))
        assert (page.record_type, page.status, page.target_uri) == ("response", 200, raw_url)
        assert page.payload, url
    _, _, finished = last_run(shared.database)
    assert finished is not None


def test_truncated_body_is_retried_then_counted_not_stored(shared: Shared) -> None:
    hits = shared.server.hits_for("/truncated/")
    assert [hit.answer for hit in hits] == ["200 truncate"] * (1 + RETRIES)
    assert "/truncated/" not in shared.articles
    assert shared.counts["failed_data_loss"] == 1


def test_redirect_loop_and_long_chain_are_abandoned_and_counted(shared: Shared) -> None:
    assert len(shared.server.hits_for("/loop-a/")) == 1
    assert len(shared.server.hits_for("/loop-b/")) == 1
    assert shared.counts["redirects_loop"] == 1
    # The spider follows at most 5 hops: /moved-1/ .. /moved-6/ are asked, no further.
    asked = [path for path in CHAIN if shared.server.hits_for(path)]
    assert asked == CHAIN[:6]
    assert shared.counts["redirects_abandoned"] == 1
    assert not {"/loop-a/", "/loop-b/", *CHAIN} & shared.articles.keys()


def test_redirect_to_another_host_is_not_followed(shared: Shared) -> None:
    assert shared.server.hits_for("/off-site/")
    assert shared.server.hits_for(CATEGORY_FEED)
    assert shared.other.hits == []  # nor its robots.txt, nor the sitemap robots.txt names
    host = shared.server.origin.removeprefix("http://")
    assert {hit.headers.get("Host") for hit in shared.server.hits} == {host}
    assert shared.counts["redirects_off_site"] == 1
    assert not any("localhost" in url for url in shared.articles)


def test_non_html_answers_are_counted_not_stored(shared: Shared) -> None:
    for path in ("/annual-report/", "/beach-photo/"):
        assert len(shared.server.hits_for(path)) == 1
        assert path not in shared.articles
    assert shared.counts["pages_not_html"] == 2


def test_oversized_bodies_are_dropped_and_the_crawl_goes_on(shared: Shared) -> None:
    for path in ("/oversized/", "/oversized-stream/"):
        assert len(shared.server.hits_for(path)) == 1  # not retried: it would not shrink
        assert path not in shared.articles
    assert shared.counts["failed_too_large"] == 2
    oversized_at = shared.server.hits_for("/oversized/")[0].at
    assert any(hit.at > oversized_at for hit in shared.server.hits if hit.path == "/throttled/")


def test_changed_layout_is_stored_by_the_generic_extractor(shared: Shared) -> None:
    extractor, body = shared.articles["/redesigned/"]
    assert extractor == "generic"
    assert body.strip()
    assert shared.counts["extractor_generic"] == 1
    # One page in six is under PVDN_MAX_GENERIC_SHARE (0.3): no layout-drift verdict.
    assert shared.status == "ok"


# -- crawls of their own ---------------------------------------------------------------------


def test_gone_articles_are_marked_not_deleted(tmp_path: Path) -> None:
    database = tmp_path / "archive.sqlite3"
    cases = {"/gone-404/": "a09-2024-paywall-whatsapp", "/gone-410/": "b06-wire-reuters",
             "/stays/": "c05-storm-update"}  # fmt: skip
    script = {path: [article(case, path)] for path, case in cases.items()}
    with start_fault_server(script, feed=list(cases)) as server:
        first = crawl(server, database)
        server.set("/gone-404/", status(404))
        server.set("/gone-410/", status(410))
        second = crawl(server, database, "PVDN_RECHECK_SHARE=1")
        origin = server.origin
    assert first.returncode == 0, first.stderr[-3000:]
    assert second.returncode == 0, second.stderr[-3000:]
    rows = query(
        database,
        "SELECT a.canonical_url, a.gone_status, a.gone_at, length(a.body), count(r.id)"
        " FROM articles a JOIN article_revisions r ON r.article_id = a.id GROUP BY a.id",
    )
    by_path = {url.removeprefix(origin): (status_, gone_at is not None, size > 0, revisions)
               for url, status_, gone_at, size, revisions in rows}  # fmt: skip
    assert by_path == {
        "/gone-404/": (404, True, True, 1),
        "/gone-410/": (410, True, True, 1),
        "/stays/": (None, False, True, 1),
    }
    status_, counts, _ = last_run(database)
    assert status_ == "ok"
    assert counts["stored_gone"] == 2
    assert figure(summary(second), "gone") == 2
    assert figure(summary(second), "failed") == 0


def test_broken_feeds_and_sitemaps_neither_crash_nor_stop_the_crawl(tmp_path: Path) -> None:
    """The front feed has a PHP warning before its XML declaration (no items survive), the
    category feed is cut off, one sitemap is garbage and the other cut off after its first
    entry. The listing's articles and the recoverable sitemap entry are still stored."""
    database = tmp_path / "archive.sqlite3"
    cases = {
        "/listed-a/": "a11-2023-two-paragraph-repeat",
        "/listed-b/": "b05-wire-ap",
        "/from-sitemap/": "c03-photo-caption",
        "/only-in-feed/": "a01-mid2025-full-repeat",
    }
    script: dict[str, list[Reply]] = {path: [article(case, path)] for path, case in cases.items()}
    php_warning = b"<br />\n<b>Warning</b>:  Cannot modify header information<br />\n"
    cut_sitemap = urlset(["/from-sitemap/", "/only-in-feed/"])
    cut_sitemap = cut_sitemap[: cut_sitemap.index(b"</url>") + len(b"</url>") + 10]
    script |= {
        "/feed/": [Reply(body=php_warning + rss(["/only-in-feed/"]), content_type=RSS)],
        CATEGORY_FEED: [Reply(body=rss(["/only-in-feed/"])[:200], content_type=RSS)],
        "/wp-sitemap.xml": [Reply(body=b"<<<\x00 not a sitemap", content_type=XML)],
        "/post-sitemap.xml": [Reply(body=cut_sitemap, content_type=XML)],
    }
    with start_fault_server(
        script,
        listing_paths=["/listed-a/", "/listed-b/"],
        sitemaps=["/wp-sitemap.xml", "/post-sitemap.xml"],
    ) as server:
        result = crawl(server, database)
        origin = server.origin
        asked = set(server.paths())
    assert result.returncode == 0, result.stderr[-3000:]
    assert "pvdn run ok:" in summary(result)
    assert {"/feed/", CATEGORY_FEED, "/wp-sitemap.xml", "/post-sitemap.xml"} <= asked
    assert set(stored(database, origin)) == {"/listed-a/", "/listed-b/", "/from-sitemap/"}
    status_, counts, _ = last_run(database)
    assert status_ == "ok"
    assert counts["sitemap_unparseable"] == 1
    assert counts["sitemap_malformed"] == 2
    assert counts["feed_malformed"] == 2


def test_more_failures_than_allowed_exit_5(tmp_path: Path) -> None:
    database = tmp_path / "archive.sqlite3"
    script = {"/fine/": [article("b05-wire-ap", "/fine/")], "/reset/": [reset()]}
    with start_fault_server(script, feed=list(script)) as server:
        result = crawl(server, database, "PVDN_MAX_ERRORS=0", "RETRY_TIMES=1")
        resets = len(server.hits_for("/reset/"))
        origin = server.origin
    assert result.returncode == 5, result.stderr[-3000:]
    line = summary(result)
    assert "pvdn run too many errors (" in line
    assert figure(line, "failed") == 1
    assert figure(line, "new") == 1
    assert resets == 2
    status_, counts, _ = last_run(database)
    assert status_ == "too many errors"
    assert counts["failed_connection"] == 1
    assert set(stored(database, origin)) == {"/fine/"}  # what did work is kept


# -- the Retry-After parser ------------------------------------------------------------------


def test_retry_after_values() -> None:
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(b"2") == 2.0
    assert retry_after_seconds(" 120 ") == 120.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True),
                               now) == 90.0  # fmt: skip
    assert retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(b"-5") is None
