"""Item pipelines: validation, then storage through `storage` in a thread of its own.

Scrapy runs on an event loop; SQLAlchemy sessions block. Every database call therefore runs
on one dedicated worker thread (one, so writes are serialised as SQLite wants), and items are
written in batches so a crawl commits every few dozen articles rather than per page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, TypeVar

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DropItem
from scrapy.statscollectors import StatsCollector
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pvdn_crawler.items import AliasItem, ArticleItem, GoneItem, NotModifiedItem
from storage.engine import database_url, make_engine, session_factory, upgrade_schema
from storage.errors import ArchiveBusyError
from storage.locking import writer_lock
from storage.records import ArticleRecord, KnownPage, TeaserRecord
from storage.repository import ArchiveRepository

logger = logging.getLogger(__name__)
T = TypeVar("T")
# What the archive pipeline writes: articles, and what a run learns about archived ones.
_Archived = ArticleItem | AliasItem | NotModifiedItem | GoneItem


class ValidationPipeline:
    """Drops pages that carry no story (a teaser-only page, a layout with nothing to read),
    with the reason, and counts them."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidationPipeline:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem) and not item.body.strip():
            reason = item.empty_reason or "no article text"
            self.stats.inc_value("pvdn/dropped/no_story")
            raise DropItem(f"no story at {item.fetched_url}: {reason}")
        return item


def to_record(item: ArticleItem) -> ArticleRecord:
    return ArticleRecord(
        canonical_url=item.canonical_url,
        aliases=tuple(item.aliases),
        post_id=item.post_id,
        title=item.title,
        lede=item.lede,
        body=item.body,
        blocks=tuple(item.blocks),
        dateline=item.dateline,
        author=item.author,
        categories=tuple(item.categories),
        published=item.published,
        modified=item.modified,
        paywalled=item.paywalled,
        extractor=item.extractor,
        raw_html=item.raw_html,
        fetched_url=item.fetched_url,
        etag=item.etag,
        last_modified=item.last_modified,
        # TeaserLink and TeaserRecord carry the same fields.
        teasers=tuple(TeaserRecord(**asdict(t)) for t in item.teasers),
    )


class ArchivePipeline:
    """Writes articles, their teaser links and aliases into the archive, and records the run.

    Settings: `PVDN_DATABASE_URL` (else the environment variable of that name, else
    `sqlite:///pvdn.sqlite3`), `PVDN_COMMIT_EVERY` (items per transaction, default 50).
    """

    def __init__(
        self,
        url: str,
        commit_every: int,
        stats: StatsCollector,
        spider: str,
        *,
        incremental: bool = True,
    ) -> None:
        self.url = url
        self.commit_every = max(1, commit_every)
        self.stats = stats
        self.spider_name = spider
        self.incremental = incremental
        self._pending: list[_Archived] = []
        self._resources = ExitStack()
        self._crawler: Crawler | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pvdn-archive")
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        settings = crawler.settings
        assert crawler.stats is not None and crawler.spidercls is not None
        pipeline = cls(
            database_url(settings.get("PVDN_DATABASE_URL")),
            settings.getint("PVDN_COMMIT_EVERY", 50),
            crawler.stats,
            crawler.spidercls.name,
            incremental=settings.getbool("PVDN_INCREMENTAL", True),
        )
        # The spider is handed what the archive knows once it is open.
        pipeline._crawler = crawler
        # The run's status needs the close reason, known only when spider_closed fires.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    async def _in_worker(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._worker, fn)

    async def open_spider(self) -> None:
        try:
            known = await self._in_worker(self._open)
        except ArchiveBusyError as exc:
            logger.error("%s", exc)
            self.stats.set_value("pvdn/archive_busy", 1)
            raise CloseSpider("archive_busy") from exc
        spider = self._crawler.spider if self._crawler else None
        if spider is not None and hasattr(spider, "known") and hasattr(spider, "trust_known"):
            spider.known, spider.trust_known = known
        logger.info(
            "archiving into %s (run %s, %d known addresses)",
            self._engine.url if self._engine else "?",
            self._run_id,
            len(known[0]),
        )

    def _open(self) -> tuple[Mapping[str, KnownPage], bool]:
        """Take the writer lock first (before migrations too), then open the run."""
        self._engine = make_engine(self.url)
        try:
            self._resources.enter_context(writer_lock(self._engine))
        except ArchiveBusyError:
            self._engine.dispose()
            self._engine = None
            raise
        upgrade_schema(self._engine)
        self._sessions = session_factory(self._engine)
        with self._sessions.begin() as session:
            repository = ArchiveRepository(session)
            # After a run that did not finish well, the archive may miss what lies behind
            # known pages: the spider then still asks conditionally but walks everything.
            last = repository.last_run()
            trusted = last is not None and last["status"] == "ok"
            self._run_id = repository.start_run(self.spider_name, _now())
            return (repository.known_pages() if self.incremental else {}), trusted

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem | AliasItem | NotModifiedItem | GoneItem):
            self._pending.append(item)
            if len(self._pending) >= self.commit_every:
                batch, self._pending = self._pending, []
                await self._in_worker(lambda: self._write(batch))
        return item

    def _write(self, batch: list[_Archived]) -> None:
        assert self._sessions is not None
        seen_at = _now()
        outcomes: list[str] = []
        with self._sessions.begin() as session:
            repository = ArchiveRepository(session)
            for item in batch:
                if isinstance(item, ArticleItem):
                    outcomes.append(repository.save_article(to_record(item), seen_at))
                elif isinstance(item, AliasItem):
                    if repository.add_alias(item.alias_url, item.canonical_url, seen_at):
                        outcomes.append("alias")
                elif isinstance(item, NotModifiedItem):
                    if repository.touch(item.url, seen_at, item.etag, item.last_modified):
                        outcomes.append("not_modified")
                elif repository.mark_gone(item.url, item.status, seen_at):
                    outcomes.append("gone")
        # Counted only once the transaction committed.
        for outcome in outcomes:
            self.stats.inc_value(f"pvdn/stored/{outcome}")

    async def close_spider(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            await self._in_worker(lambda: self._write(batch))

    async def spider_closed(self, reason: str) -> None:
        try:
            await self._in_worker(lambda: self._close(reason))
        finally:
            self._worker.shutdown(wait=True)

    def _close(self, reason: str) -> None:
        if self._sessions is not None and self._run_id is not None:
            stats = self.stats.get_stats()
            counts = {
                key.removeprefix("pvdn/").replace("/", "_"): int(value)
                for key, value in stats.items()
                if key.startswith("pvdn/") and isinstance(value, int)
            }
            counts["requests"] = int(stats.get("downloader/request_count", 0))
            counts["items_dropped"] = int(stats.get("item_dropped_count", 0))
            # RunHealth's verdict (ok, layout drift, …) when it ran, else the close reason.
            verdict = stats.get("pvdn/verdict")
            status = str(verdict) if verdict else ("finished" if reason == "finished" else reason)
            with self._sessions.begin() as session:
                ArchiveRepository(session).finish_run(self._run_id, _now(), status, counts)
        self._resources.close()
        if self._engine is not None:
            self._engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC)
