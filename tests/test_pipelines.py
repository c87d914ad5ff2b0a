"""From cleaning's result to the archive, in memory: records, the export row, the archive
component's batches, the run's verdict and the log lines."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import scrapy
from scrapy.http import HtmlResponse
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from cleaning import clean_html
from pvdn_crawler.archive import CrawlArchive
from pvdn_crawler.captures import capture_of
from pvdn_crawler.extensions import Figures, Limits, verdict
from pvdn_crawler.items import ArchivedArticle, FeedHints, article_record
from pvdn_crawler.logformat import QuietLogFormatter
from pvdn_crawler.spiders.pvdn import PvdnSpider
from storage import AliasRecord, ArticleRecord, PageRecord, Story
from tests.crawl_runner import query
from tests.saved_cases import FIXTURES

CASE = FIXTURES / "pages" / "a01-mid2025-full-repeat"
CANONICAL = "https://www.vallartadaily.com/puerto-vallarta-malecon-seawall-reconstruction-plan/"
SHORTLINK = "https://www.vallartadaily.com/?p=88412"


def _response(raw: bytes) -> HtmlResponse:
    """The page as Scrapy hands it over: served under the shortlink, asked for with a GET."""
    request = scrapy.Request(SHORTLINK, headers={"Accept": "text/html"})
    headers = {"Content-Type": "text/html; charset=UTF-8", "ETag": '"a01"'}
    return HtmlResponse(SHORTLINK, status=200, headers=headers, body=raw, request=request)


def _record(**story: Any) -> ArticleRecord:
    raw = (CASE / "page.html").read_bytes()
    record, _ = article_record(
        clean_html(raw, CANONICAL),
        canonical_url=CANONICAL,
        fetched_url=SHORTLINK,
        aliases=[SHORTLINK],
        capture=capture_of(_response(raw)),
    )
    return replace(record, story=replace(record.story, **story)) if story else record


def test_record_carries_the_cleaned_story_and_the_page() -> None:
    raw = (CASE / "page.html").read_bytes()
    article = clean_html(raw, CANONICAL)
    record = _record()
    assert record.story.body == article.body and record.story.title == article.title
    assert record.story.blocks == tuple(block.to_dict() for block in article.blocks)
    assert record.story.published == article.published  # the page's own offset kept
    assert (record.aliases, record.fetched_url, record.raw_html) == ((SHORTLINK,), SHORTLINK, raw)
    # The exchange the page came from, for the WARC files: both header sets and the body.
    capture = record.capture
    assert capture is not None and capture.body == raw
    assert (capture.url, capture.status, capture.fetched_at.tzinfo) == (SHORTLINK, 200, UTC)
    # Scrapy spells header names its own way (Etag): their case is not kept.
    named = [(str(k, "latin-1") if isinstance(k, bytes) else k, v) for k, v in capture.headers]
    assert ("etag", b'"a01"') in [(k.lower(), v) for k, v in named]
    assert capture.request is not None
    assert (capture.request.method, capture.request.url) == ("GET", SHORTLINK)
    assert (b"Accept", b"text/html") in capture.request.headers
    assert record.warc is None, "a location only once the archive's writer kept it"
    assert [t.position for t in record.teasers] == list(range(len(record.teasers)))


def test_impossible_values_are_left_out_and_named() -> None:
    article = clean_html((CASE / "page.html").read_bytes(), CANONICAL)
    poisoned = replace(
        article, published=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=-6))), post_id=10**23
    )
    record, dropped = article_record(poisoned, canonical_url=CANONICAL, fetched_url=CANONICAL)
    assert record.story.published is None and record.post_id is None
    assert sorted(dropped) == ["post_id", "published"]


def test_feed_hints_fill_only_what_the_page_does_not_state() -> None:
    article = clean_html((CASE / "page.html").read_bytes(), CANONICAL)
    bare = replace(article, author=None, categories=())
    hints = FeedHints(
        published=datetime(2020, 1, 1, tzinfo=UTC), author="Ana Ruiz", categories=("Weather",)
    )
    record, _ = article_record(bare, canonical_url=CANONICAL, fetched_url=CANONICAL, hints=hints)
    assert record.story.author == "Ana Ruiz" and record.story.categories == ("Weather",)
    assert record.story.published == article.published  # the page said it: the page wins


def test_export_row_is_flat_and_has_no_bytes() -> None:
    row = ArchivedArticle.of(_record(), "new")
    text = json.dumps(row)
    assert not {"raw_html", "capture", "warc", "blocks"} & set(row)
    assert not any(isinstance(value, bytes) for value in row.values())
    assert row["outcome"] == "new" and row["aliases"] == [SHORTLINK]
    assert row["published"] == _record().story.published.isoformat()  # type: ignore[union-attr]
    assert json.loads(text)["teaser_urls"] == [t.target_url for t in _record().teasers]


def _figures(**changes: Any) -> Figures:
    base = Figures(
        new=10, changed=0, unchanged=0, not_modified=0, gone=0, failed=0, refused=0, rejected=0,
        requests=40, responses=40, articles_parsed=10, generic=0,
        missing={"title": 0, "body": 0, "published": 0}, duration=1.0,
    )  # fmt: skip
    return replace(base, **changes)


LIMITS = Limits(max_generic_share=0.3, max_missing_share=0.1, max_errors=25)


@pytest.mark.parametrize(
    ("reason", "changes", "fault", "name", "status"),
    [
        ("finished", {}, None, "ok", 0),
        ("finished", {"responses": 0}, None, "site unreachable", 3),
        ("storage_failed", {"responses": 0}, "disk full", "storage failure", 9),
        ("finished", {"rejected": 2}, None, "records refused", 11),
        ("finished", {"failed": 14, "refused": 14}, None, "blocked by the site", 8),
        ("finished", {"missing": {"title": 0, "body": 0, "published": 4}}, None, "layout drift", 4),
        ("finished", {"missing": {"title": 0, "body": 1, "published": 0}}, None, "ok", 0),
        ("finished", {"failed": 26}, None, "too many errors", 5),
        # Below PVDN_MAX_ERRORS, but a spider error loses its page in every run.
        ("finished", {"failed": 1, "spider_errors": 1}, None, "too many errors", 5),
        ("finished", {"warc_refused": 1}, None, "records refused", 11),
        ("archive_unusable", {"responses": 0}, None, "archive unusable", 10),
        ("shutdown", {}, None, "unfinished", 1),
    ],
)
def test_verdicts(
    reason: str, changes: dict[str, Any], fault: str | None, name: str, status: int
) -> None:
    judged = verdict(reason, _figures(**changes), LIMITS, fault)
    assert (judged.name, judged.exit_status) == (name, status)
    if fault:
        assert fault in str(judged)


def test_a_dropped_item_is_one_line_without_the_item() -> None:
    crawler = get_crawler(PvdnSpider)
    spider = PvdnSpider.from_crawler(crawler)
    record = _record()
    logged = QuietLogFormatter().dropped(record, Exception("the archive refused it"), None, spider)
    line = logged["msg"] % logged["args"]
    assert line == f"dropped ArticleRecord {CANONICAL}: the archive refused it"
    assert logged["level"] <= logging.WARNING


class _Crawler(SimpleNamespace):
    """The few crawler attributes CrawlArchive uses, without a running crawl."""

    def get_extension(self, cls: type) -> None:
        return None


def test_changes_wait_for_their_batch_and_refused_ones_are_set_aside(tmp_path: Path) -> None:
    stats = get_crawler(PvdnSpider).stats
    assert isinstance(stats, MemoryStatsCollector)
    crawler = _Crawler(stats=stats, spidercls=PvdnSpider, engine=None)
    database = tmp_path / "archive.sqlite3"
    archive = CrawlArchive(
        crawler,  # type: ignore[arg-type]
        f"sqlite:///{database}",
        commit_every=3,
        commit_latency=0.05,
        incremental=True,
    )
    good = _record()
    other = replace(good, canonical_url=CANONICAL.replace("plan", "plan-2"), aliases=())
    poisoned = replace(good, canonical_url=CANONICAL.replace("plan", "plan-3"), aliases=())
    # Past the dataclass's own check, as a bug elsewhere could: the database refuses it.
    object.__setattr__(poisoned, "post_id", 10**23)

    async def scenario() -> list[str | None]:
        await archive.spider_opened()
        outcomes = await asyncio.gather(
            archive.store(good),
            archive.store(poisoned),
            archive.store(other),
            # Alone in its batch: written by the latency timer, not by a full batch.
            archive.store(AliasRecord("https://www.vallartadaily.com/seawall", CANONICAL)),
        )
        page = await archive.store(
            PageRecord("https://www.vallartadaily.com/terms/", "static", 200)
        )
        await archive.spider_closed("finished")
        return [*outcomes, page]

    assert asyncio.run(scenario()) == ["new", "rejected", "new", "alias", "page"]
    assert stats.get_value("pvdn/stored/new") == 2
    assert stats.get_value("pvdn/rejected/article") == 1
    rejects = query(database, "SELECT url, kind, reason FROM rejects")
    assert [(url, kind) for url, kind, _ in rejects] == [(poisoned.canonical_url, "article")]
    assert "OverflowError" in rejects[0][2] or "too large" in rejects[0][2].lower()
    assert query(database, "SELECT count(*) FROM articles") == [(2,)]
    assert query(database, "SELECT status FROM crawl_runs") == [("finished",)]


def test_story_field_order_is_the_record_order() -> None:
    """The export row lists the story's fields as `Story` declares them (no copy to drift)."""
    row = ArchivedArticle.of(_record(), "changed")
    story_keys = [key for key in row if key in Story.__dataclass_fields__]
    assert story_keys == [name for name in Story.__dataclass_fields__ if name != "blocks"]
