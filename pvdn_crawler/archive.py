"""The crawl's archive: one component that opens it, tells the spider what it knows, stores
what the crawl learns in batches, and records the run with its verdict.

Scrapy runs on an event loop; SQLAlchemy blocks. Every database call therefore runs on one
dedicated worker thread (one, so writes are serialised as SQLite wants), and changes are
written in batches, so a crawl commits every few dozen changes rather than per page. A
change waits for its batch to commit (`store` returns its outcome then), so what passes the
item pipeline, and reaches a feed export, is stored.

Other components find it through the crawler (`crawler.get_extension(CrawlArchive)`): the
spider reads `known` and `trusted` from it, the archive pipeline hands it changes. When the
spider closes, it asks `RunHealth` for the verdict and records the run with it.

Settings: `PVDN_DATABASE_URL` (else the environment variable of that name, else
`sqlite:///pvdn.sqlite3`), `PVDN_COMMIT_EVERY`, `PVDN_COMMIT_LATENCY`, `PVDN_INCREMENTAL`,
`PVDN_ARCHIVE_WRITE` (false for the commands that only look: `scrapy parse`, `check`, ...;
the archive is then read for what it knows, if it exists, and nothing is written to it, not
even a run).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector

from pvdn_crawler.extensions import RunHealth, Verdict
from pvdn_crawler.feeds import feeds_closed
from storage import (
    ArchiveBusyError,
    ArchiveError,
    ArchiveMissingError,
    ArchiveRepository,
    BatchWriter,
    Change,
    KnownPage,
    StorageFaultError,
    database_url,
    open_archive,
)
from storage.archive import Archive
from storage.engine import warc_dir
from storage.warc import RunWarcWriter

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class WarcSettings:
    """`PVDN_WARC_ENABLED`, `PVDN_WARC_DIR` (else the environment variable of that name, else
    beside an SQLite archive), `PVDN_WARC_MAX_FILE_BYTES`."""

    enabled: bool = True
    folder: Path | None = None
    max_file_bytes: int = 1_000_000_000

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> WarcSettings:
        return cls(
            enabled=settings.getbool("PVDN_WARC_ENABLED"),
            folder=warc_dir(settings.get("PVDN_WARC_DIR")),
            max_file_bytes=settings.getint("PVDN_WARC_MAX_FILE_BYTES"),
        )


# Close reasons this component gives the engine.
ARCHIVE_BUSY = "archive_busy"
ARCHIVE_UNUSABLE = "archive_unusable"
STORAGE_FAILED = "storage_failed"


class CrawlArchive:
    """Opens the archive when the spider opens, writes changes, records the run."""

    def __init__(
        self,
        crawler: Crawler,
        url: str,
        *,
        commit_every: int,
        commit_latency: float,
        incremental: bool,
        warc: WarcSettings | None = None,
        write: bool = True,
    ) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats
        self.url = url
        self.commit_every = max(1, commit_every)
        self.commit_latency = max(0.0, commit_latency)
        self.incremental = incremental
        self.warc = warc or WarcSettings(enabled=False)
        self.write = write
        self.known: Mapping[str, KnownPage] = {}
        self.trusted = False
        self.run_id: int | None = None
        self.fault: StorageFaultError | None = None
        self._archive: Archive | None = None
        self._resources = contextlib.ExitStack()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pvdn-archive")
        self._writer: BatchWriter | None = None
        self._pending: list[tuple[Change, asyncio.Future[str | None]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writes: set[asyncio.Task[None]] = set()
        self._closing: asyncio.Future[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlArchive:
        settings = crawler.settings
        component = cls(
            crawler,
            database_url(settings.get("PVDN_DATABASE_URL")),
            commit_every=settings.getint("PVDN_COMMIT_EVERY"),
            commit_latency=settings.getfloat("PVDN_COMMIT_LATENCY"),
            incremental=settings.getbool("PVDN_INCREMENTAL"),
            warc=WarcSettings.from_settings(settings),
            write=settings.getbool("PVDN_ARCHIVE_WRITE"),
        )
        crawler.signals.connect(component.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(component.spider_closed, signal=signals.spider_closed)
        return component

    # -- lifecycle --------------------------------------------------------------------------

    async def spider_opened(self) -> None:
        """Open the archive (writer lock, migrations) and the run; a failure closes the
        spider before any request, with a one-line reason."""
        if not self.write:
            self.known = await self._in_worker(self._read_known)
            return
        try:
            self.known, self.trusted = await self._in_worker(self._open)
        except ArchiveError as exc:
            logger.error("%s", exc)
            busy = isinstance(exc, ArchiveBusyError)
            self.stats.set_value("pvdn/archive_error", str(exc))
            raise CloseSpider(ARCHIVE_BUSY if busy else ARCHIVE_UNUSABLE) from exc
        logger.info(
            "archiving into %s (run %s, %d known addresses)",
            self._archive.name if self._archive else "?",
            self.run_id,
            len(self.known),
        )

    def _open(self) -> tuple[Mapping[str, KnownPage], bool]:
        archive = self._resources.enter_context(open_archive(self.url, warc_dir=self.warc.folder))
        self._archive = archive
        with archive.sessions.begin() as session:
            repository = ArchiveRepository(session)
            # After a run that did not finish well, or stopped at a discovery bound, the
            # archive may miss what lies behind known pages: the spider then reads every feed
            # and sitemap whole and walks every listing.
            last = repository.last_run(spider=_spider_name(self.crawler))
            trusted = (
                last is not None
                and last["status"] == "ok"
                and not any(name.startswith("bounds_") for name in last["counts"])
            )
            self.run_id = repository.start_run(_spider_name(self.crawler), _now())
            known = repository.known_pages() if self.incremental else {}
        self._writer = BatchWriter(archive.sessions, self.run_id, warc=self._warc_writer(archive))
        return known, trusted

    def _warc_writer(self, archive: Archive) -> RunWarcWriter | None:
        """The run's WARC writer (closed with the archive), or None when capture is off."""
        if not self.warc.enabled:
            return None
        if archive.warc_dir is None:
            raise ArchiveError(
                f"archive {archive.name} has no folder for its WARC files: set PVDN_WARC_DIR"
                " (or PVDN_WARC_ENABLED=False to keep no captures)"
            )
        try:
            archive.warc_dir.mkdir(parents=True, exist_ok=True)
            writer = RunWarcWriter(
                archive.warc_dir,
                self.run_id or 0,
                description=f"pvdn-archive crawl, run {self.run_id} of {archive.name}",
                max_file_bytes=self.warc.max_file_bytes,
            )
        except OSError as exc:
            raise ArchiveError(f"WARC folder {archive.warc_dir}: {exc.strerror}") from None
        for recovered in writer.recovered:
            logger.warning(
                "WARC file %s: torn tail cut after a crash (%s)", recovered.filename, recovered
            )
        return self._resources.enter_context(writer)

    def _read_known(self) -> Mapping[str, KnownPage]:
        """What the archive knows, for a command that only looks (nothing when there is no
        archive, or it cannot be read: a look at one page does not need it)."""
        try:
            with (
                open_archive(self.url, write=False) as archive,
                archive.sessions() as session,
            ):
                return ArchiveRepository(session).known_pages() if self.incremental else {}
        except ArchiveMissingError:
            return {}
        except ArchiveError as exc:
            logger.warning("not using the archive: %s", exc)
            return {}

    async def spider_closed(self, reason: str) -> None:
        """Write what is pending, wait for the feed exports, ask RunHealth for the verdict,
        record the run, close."""
        try:
            await self.flush()
            await feeds_closed(self.crawler)
            health = self.crawler.get_extension(RunHealth)
            verdict = health.conclude(reason) if health is not None else Verdict(reason)
            summary = health.summary if health is not None else None
            if self.run_id is not None and self._archive is not None:
                counts = _counts(self.stats.get_stats())
                await self._in_worker(lambda: self._finish(verdict.name, counts, summary))
        finally:
            await self._in_worker(self._resources.close)
            self._worker.shutdown(wait=True)

    def _finish(self, status: str, counts: dict[str, int], summary: str | None) -> None:
        assert self._archive is not None and self.run_id is not None
        try:
            with self._archive.sessions.begin() as session:
                ArchiveRepository(session).finish_run(
                    self.run_id, _now(), status, counts, summary=summary
                )
        except Exception as exc:  # the disk that failed the writes may fail this too
            logger.error("could not record the end of run %s: %s", self.run_id, exc)

    # -- writes -----------------------------------------------------------------------------

    async def store(self, change: Change) -> str | None:
        """Store one change with its batch; its outcome once the batch committed ("new",
        "alias", ..., "rejected", or None for a change about an unknown article)."""
        if self.fault is not None:
            raise self.fault
        if not self.write:
            return None  # a command that only looks: nothing is stored
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._pending.append((change, future))
        if len(self._pending) >= self.commit_every:
            self._flush_now()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(
                self.commit_latency, self._flush_now
            )
        return await future

    async def flush(self) -> None:
        """Write everything pending and wait for every write under way."""
        self._flush_now()
        while self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    def _flush_now(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.ensure_future(self._write(batch))
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)

    async def _write(self, batch: list[tuple[Change, asyncio.Future[str | None]]]) -> None:
        writer = self._writer
        if writer is None:  # the archive never opened: nothing can be stored
            error = StorageFaultError("archive not open", "the archive could not be opened")
            for _, future in batch:
                future.set_exception(error)
            return
        changes = [change for change, _ in batch]
        try:
            report = await self._in_worker(lambda: writer.write(changes))
        except StorageFaultError as fault:
            self._fail(fault)
            for _, future in batch:
                if not future.done():
                    future.set_exception(fault)
            return
        for outcome in report.outcomes:
            if outcome is not None:
                self.stats.inc_value(f"pvdn/stored/{outcome}")
        for rejected in report.rejected:
            self.stats.inc_value(f"pvdn/rejected/{rejected.kind}")
        if report.warc_refused:
            self.stats.inc_value("pvdn/warc/refused", report.warc_refused)
        for (_, future), outcome in zip(batch, report.outcomes, strict=True):
            if not future.done():
                future.set_result(outcome)

    def _fail(self, fault: StorageFaultError) -> None:
        """A local fault: the run stops, and its summary names the cause."""
        if self.fault is None:
            self.fault = fault
            logger.error("archive write failed, stopping the crawl: %s", fault)
            self.stats.set_value("pvdn/storage_fault", fault.cause)
            engine = self.crawler.engine
            if engine is not None:
                closing = asyncio.ensure_future(engine.close_spider_async(reason=STORAGE_FAILED))
                self._closing = closing

    async def _in_worker(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._worker, fn)


def _counts(stats: dict[str, Any]) -> dict[str, int]:
    """The run's `pvdn/` figures as `crawl_runs.counts` keeps them, plus Scrapy's totals."""
    counts = {
        key.removeprefix("pvdn/").replace("/", "_"): int(value)
        for key, value in stats.items()
        if key.startswith("pvdn/") and isinstance(value, int) and not isinstance(value, bool)
    }
    counts["requests"] = int(stats.get("downloader/request_count", 0))
    counts["items_dropped"] = int(stats.get("item_dropped_count", 0))
    return counts


def _spider_name(crawler: Crawler) -> str:
    return crawler.spidercls.name if crawler.spidercls is not None else "pvdn"


def _now() -> datetime:
    return datetime.now(UTC)
