"""The real `scrapy crawl pvdn` against the fixture site served on 127.0.0.1, twice.

The mirror (`pvdn_crawler.mirror`) serves fixtures/site/ with the production origin rewritten
to its own; the database is checked with plain sqlite3, independently of `storage`.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pvdn_crawler.mirror import SITE, Mirror, start_mirror
from tests.crawl_runner import query, run_crawl

PRODUCTION = "https://www.vallartadaily.com"
MANIFEST: dict[str, Any] = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))


@dataclass
class Crawl:
    mirror: Mirror
    database: Path
    runs: list[subprocess.CompletedProcess[str]]
    first: dict[str, list[tuple[Any, ...]]]

    def local(self, url: str) -> str:
        return url.replace(PRODUCTION, self.mirror.origin)

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return query(self.database, sql, *args)


def _snapshot(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(database) as db:
        return {
            "articles": db.execute("SELECT canonical_url, content_hash FROM articles").fetchall(),
            "aliases": db.execute("SELECT url, article_id FROM article_aliases").fetchall(),
            "teasers": db.execute(
                "SELECT page_id, kind, target_url, seen_count FROM teaser_links"
            ).fetchall(),
        }


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    folder = tmp_path_factory.mktemp("crawl")
    database = folder / "archive.sqlite3"
    with start_mirror() as mirror:
        first = run_crawl(mirror.origin, database, f"LOG_FILE={folder / 'first.log'}")
        snapshot = _snapshot(database) if database.exists() else {}
        # A full run (no conditional requests) parses every page again: what a second run
        # without the archive's knowledge would store must not duplicate anything.
        second = run_crawl(
            mirror.origin, database, f"LOG_FILE={folder / 'second.log'}", args=("full=1",)
        )
        yield Crawl(mirror, database, [first, second], snapshot)


def test_both_runs_succeed(crawl: Crawl) -> None:
    for run in crawl.runs:
        assert run.returncode == 0, run.stderr[-3000:]


def test_every_article_stored_once_and_nothing_else(crawl: Crawl) -> None:
    stored = sorted(url for (url,) in crawl.query("SELECT canonical_url FROM articles"))
    expected = sorted(crawl.local(a["canonical_url"]) for a in MANIFEST["articles"] if a["stored"])
    assert stored == expected


def test_aliases_resolve_to_their_article(crawl: Crawl) -> None:
    """Every alias the site links is recorded for its article; nothing else is an alias (the
    crawler cannot know the forms nothing links to, like most redirect-only routes)."""
    rows = crawl.query(
        "SELECT article_aliases.url, articles.canonical_url FROM article_aliases"
        " JOIN articles ON articles.id = article_aliases.article_id"
    )
    recorded: dict[str, set[str]] = {}
    for alias, canonical in rows:
        recorded.setdefault(canonical, set()).add(alias)
    for article in MANIFEST["articles"]:
        if not article["stored"]:
            continue
        canonical = crawl.local(article["canonical_url"])
        got = recorded.pop(canonical, set())
        assert {crawl.local(a) for a in article["linked_aliases"]} <= got, canonical
        assert got <= {crawl.local(a) for a in article["aliases"]}, canonical
    assert not recorded  # no alias points at anything but a stored article


def test_post_ids_kept(crawl: Crawl) -> None:
    ids = dict(crawl.query("SELECT canonical_url, post_id FROM articles"))
    for article in MANIFEST["articles"]:
        if article["stored"] and article.get("post_id_source") == "page":
            assert ids[crawl.local(article["canonical_url"])] == article["post_id"]


def test_teaser_links_of_each_page(crawl: Crawl) -> None:
    counts = dict(
        crawl.query(
            "SELECT articles.canonical_url, count(teaser_links.id) FROM articles"
            " LEFT JOIN teaser_links ON teaser_links.page_id = articles.id GROUP BY articles.id"
        )
    )
    for article in MANIFEST["articles"]:
        if article["stored"]:
            expected = json.loads(
                (SITE / ".." / "pages" / article["case"] / "expected.json").read_text("utf-8")
            ).get("teasers")
            if expected is not None:
                with_url = {(t["kind"], t["url"]) for t in expected if t["url"]}
                assert counts[crawl.local(article["canonical_url"])] == len(with_url)


def test_logs_fit_for_cron(crawl: Crawl) -> None:
    """No item, and no page, is ever written into the log at INFO or above: a dropped or
    refused item is one line naming its address."""
    first = (crawl.database.parent / "first.log").read_text()
    assert "<html" not in first.lower() and "raw_html" not in first
    assert "ArticleRecord(" not in first and "'body':" not in first
    assert len(first) < 200_000, len(first)


def test_only_the_mirror_was_requested(crawl: Crawl) -> None:
    host = crawl.mirror.origin.removeprefix("http://")
    assert {h for h, _ in crawl.mirror.requests} == {host}
    for run in crawl.runs:
        assert "pvdntv.com" not in "\n".join(
            line for line in run.stderr.splitlines() if "Crawled (" in line
        )
    logs = "".join(p.read_text() for p in crawl.database.parent.glob("*.log"))
    assert "Crawled (200) <GET https://pvdntv" not in logs


def test_robots_txt_obeyed(crawl: Crawl) -> None:
    """/headlines/page/2 links an article-shaped address under a disallowed prefix."""
    for prefix in MANIFEST["robots_disallowed"]:
        assert not any(path.startswith(prefix) for _, path in crawl.mirror.requests), prefix
    logs = "".join(p.read_text() for p in crawl.database.parent.glob("first.log"))
    assert "'robotstxt/forbidden': 1" in logs


def test_non_articles_not_stored(crawl: Crawl) -> None:
    stored = {url for (url,) in crawl.query("SELECT canonical_url FROM articles")}
    for path in MANIFEST["not_stored"]:
        assert crawl.mirror.origin + path not in stored


def test_second_run_adds_no_duplicates(crawl: Crawl) -> None:
    again = _snapshot(crawl.database)
    assert sorted(again["articles"]) == sorted(crawl.first["articles"])
    assert sorted(again["aliases"]) == sorted(crawl.first["aliases"])
    first_teasers = {row[:3] for row in crawl.first["teasers"]}
    assert {row[:3] for row in again["teasers"]} == first_teasers
    assert all(row[3] == 2 for row in again["teasers"])


def test_crawl_runs_recorded(crawl: Crawl) -> None:
    runs = crawl.query("SELECT status, counts FROM crawl_runs ORDER BY id")
    assert [status for status, _ in runs] == ["ok", "ok"]
    first, second = (json.loads(counts) for _, counts in runs)
    assert first["stored_new"] == len([a for a in MANIFEST["articles"] if a["stored"]])
    assert second.get("stored_new", 0) == 0
    assert second["stored_unchanged"] == first["stored_new"]
    # The story-less post page is an article without a body, not a dropped page.
    assert first["articles_without_body"] == len(
        [a for a in MANIFEST["articles"] if a.get("story") is False]
    )
