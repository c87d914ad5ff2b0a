"""The item pipeline: every change the spider yields is stored through the crawl's archive.

An article page's record also feeds the run's drift alarm (how many article pages lacked a
title, a body or a published date). An article that the archive stored new or changed leaves
the pipeline as an `ArchivedArticle` row, which is what Scrapy's feed exports write; every
other change leaves as it came (the project's feed exporter skips those).
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector

from pvdn_crawler.archive import CrawlArchive
from pvdn_crawler.extensions import WATCHED_FIELDS
from pvdn_crawler.items import ArchivedArticle
from storage import (
    AliasRecord,
    ArticleRecord,
    GoneRecord,
    NotModifiedRecord,
    PageRecord,
    StorageFaultError,
    TeaserListRecord,
)
from storage.writer import change_url

_CHANGES = (ArticleRecord, AliasRecord, NotModifiedRecord, GoneRecord, PageRecord, TeaserListRecord)


class ArchivePipeline:
    """Hands changes to `CrawlArchive` and waits for their batch to commit."""

    def __init__(self, archive: CrawlArchive, stats: StatsCollector) -> None:
        self.archive = archive
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        archive = crawler.get_extension(CrawlArchive)
        if archive is None:
            raise NotConfigured("pvdn_crawler.archive.CrawlArchive must be in EXTENSIONS")
        assert crawler.stats is not None
        return cls(archive, crawler.stats)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, _CHANGES):
            return item
        if isinstance(item, ArticleRecord):
            self._watch(item)
        try:
            outcome = await self.archive.store(item)
        except StorageFaultError as fault:
            # Said once, at ERROR, by the archive component; the run stops and names it.
            raise DropItem(f"not stored ({fault.cause})", log_level="DEBUG") from None
        if outcome == "rejected":
            raise DropItem(f"the archive refused {change_url(item)}")
        if isinstance(item, ArticleRecord) and outcome in ("new", "changed"):
            return ArchivedArticle.of(item, outcome)
        return item

    def _watch(self, record: ArticleRecord) -> None:
        """Count the article page, the path its cleaning took and the watched fields it lacks
        (here, so that the drift shares divide counts of the same pages)."""
        self.stats.inc_value("pvdn/articles/parsed")
        self.stats.inc_value(f"pvdn/extractor/{record.story.extractor}")
        for name in WATCHED_FIELDS:
            if not getattr(record.story, name):
                self.stats.inc_value(f"pvdn/articles/without_{name}")
