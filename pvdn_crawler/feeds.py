"""Scrapy's feed exports (`scrapy crawl pvdn -O articles.jsonl`), fitted to this crawl.

Everything the spider yields passes the item pipeline, but only the articles the archive
stored new or changed leave it as `ArchivedArticle` rows: the other changes (aliases, 304s,
pages, teaser lists) are the archive's business, and an `ArticleRecord` carries the raw HTML,
which no JSON or CSV feed can hold. `ArchiveFeedExporter` replaces Scrapy's `FeedExporter`
(see `settings.EXTENSIONS`) and differs from it in two ways:

- a feed that names no `item_filter` or `item_classes` of its own exports `ArchivedArticle`
  rows only (`ArchivedArticleFilter`);
- a feed that cannot be opened or written is counted (`pvdn/export/failed`, beside Scrapy's
  own `feedexport/failed_count/*` for one that cannot be stored at the end) and logged in one
  line, so the run's verdict is "export failed" (exit status 12) instead of "ok". The archive
  component waits for the feeds to be closed before it asks for the verdict.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FeedExporter, FeedSlot, ItemFilter

from pvdn_crawler.items import ArchivedArticle

__all__ = ["ArchiveFeedExporter", "ArchivedArticleFilter", "feeds_closed"]

logger = logging.getLogger(__name__)


class ArchivedArticleFilter(ItemFilter):
    """Accepts the articles stored new or changed, and nothing else."""

    def accepts(self, item: Any) -> bool:
        return isinstance(item, ArchivedArticle) and super().accepts(item)


class ArchiveFeedExporter(FeedExporter):
    """Scrapy's feed exporter with the article filter by default and failures counted."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._closing: asyncio.Future[None] | None = None
        self._logged: set[str] = set()

    def _load_filter(self, feed_options: dict[str, Any]) -> ItemFilter:
        if not feed_options.get("item_filter") and not feed_options.get("item_classes"):
            feed_options = {**feed_options, "item_filter": ArchivedArticleFilter}
        return super()._load_filter(feed_options)

    def open_spider(self, spider: Spider) -> None:
        try:
            super().open_spider(spider)
        except Exception as exc:
            self._failed("could not be opened", exc)

    def item_scraped(self, item: Any, spider: Spider) -> None:
        try:
            super().item_scraped(item, spider)
        except Exception as exc:
            self._failed("could not be written", exc)

    async def close_spider(self, spider: Spider) -> None:
        self._closing = asyncio.ensure_future(super().close_spider(spider))
        await self._closing

    async def _close_slot(self, slot: FeedSlot, spider: Spider) -> None:
        # Run as a task of its own by Scrapy, whose errors nobody would see: a feed that was
        # never written to is opened only here (to store it empty), and may fail here.
        try:
            await super()._close_slot(slot, spider)
        except Exception as exc:
            self._failed("could not be stored", exc)

    async def closed(self) -> None:
        """Wait until the feeds are closed and stored, if closing has begun."""
        if self._closing is not None:
            await asyncio.shield(self._closing)

    def _failed(self, what: str, exc: Exception) -> None:
        """Count a failure; log it once (a feed that cannot be opened fails every item)."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("pvdn/export/failed")
        detail = str(exc).splitlines()[0] if str(exc) else ""
        line = f"feed export {what}: {type(exc).__name__}: {detail}"
        if line not in self._logged:
            self._logged.add(line)
            logger.error("%s", line)


async def feeds_closed(crawler: Crawler) -> None:
    """Wait for the crawl's feed exports to be stored, so a failure counts in the verdict."""
    exporter = crawler.get_extension(ArchiveFeedExporter)
    if exporter is not None:
        await exporter.closed()
