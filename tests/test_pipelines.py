"""Pipelines built from a crawler in memory: validation drops story-less pages with a reason."""

from __future__ import annotations

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from pvdn_crawler.items import AliasItem, ArticleItem
from pvdn_crawler.pipelines import ValidationPipeline, to_record
from pvdn_crawler.spiders.pvdn import PvdnSpider


def _validation() -> tuple[ValidationPipeline, dict[str, object]]:
    crawler = get_crawler(PvdnSpider)
    assert crawler.stats is not None
    crawler.stats.open_spider()
    return ValidationPipeline.from_crawler(crawler), crawler.stats.get_stats()


def test_page_without_story_is_dropped_with_reason_and_counted() -> None:
    pipeline, stats = _validation()
    item = ArticleItem(
        canonical_url="https://www.vallartadaily.com/x/",
        fetched_url="https://www.vallartadaily.com/x/",
        empty_reason="no article text",
    )
    with pytest.raises(DropItem, match=r"no story at https://www\.vallartadaily\.com/x/: no arti"):
        pipeline.process_item(item)
    assert stats["pvdn/dropped/no_story"] == 1


def test_story_and_alias_items_pass() -> None:
    pipeline, _ = _validation()
    story = ArticleItem(canonical_url="u", fetched_url="u", body="He declined to comment.")
    alias = AliasItem(alias_url="a", canonical_url="u")
    assert pipeline.process_item(story) is story
    assert pipeline.process_item(alias) is alias


def test_record_carries_every_field() -> None:
    item = ArticleItem(
        canonical_url="https://www.vallartadaily.com/x/",
        fetched_url="https://www.vallartadaily.com/?p=5",
        aliases=["https://www.vallartadaily.com/?p=5"],
        post_id=5,
        body="Body.",
        blocks=[{"kind": "paragraph", "text": "Body."}],
        categories=["Mexico News"],
        raw_html=b"<html></html>",
    )
    record = to_record(item)
    assert record.aliases == ("https://www.vallartadaily.com/?p=5",)
    assert record.blocks == ({"kind": "paragraph", "text": "Body."},)
    assert record.categories == ("Mexico News",)
    assert (record.post_id, record.raw_html, record.fetched_url) == (
        5,
        b"<html></html>",
        "https://www.vallartadaily.com/?p=5",
    )
