"""Cleaning pages away from the crawl's event loop, with a time limit per page.

`cleaning` is pure and linear in a page's size, but a crawl must not trust that with its
schedule: a page that takes too long must cost that page, not stall every download behind it.
So pages are cleaned in worker processes (`PVDN_CLEAN_WORKERS`, default 1: on two cores the
crawl keeps one and cleaning gets the other), each page with `PVDN_CLEAN_TIMEOUT` seconds. A
page over the limit is recorded as a failure (`pvdn/failed/clean_timeout`), its worker is
killed and replaced, and the crawl goes on. `PVDN_CLEAN_WORKERS = 0` cleans in the crawl's own
thread instead (no time limit: for debugging and in-memory tests).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from scrapy import signals
from scrapy.crawler import Crawler

from cleaning import CleanArticle, Options, clean_html

__all__ = ["CleaningTimeoutError", "PageCleaner"]

logger = logging.getLogger(__name__)


class CleaningTimeoutError(Exception):
    """A page took longer than the cleaning time limit."""


class PageCleaner:
    """Settings: `PVDN_CLEAN_WORKERS`, `PVDN_CLEAN_TIMEOUT` (see `pvdn_crawler.defaults`)."""

    def __init__(self, workers: int, timeout: float) -> None:
        self.workers = max(0, workers)
        self.timeout = timeout
        self._pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageCleaner:
        settings = crawler.settings
        cleaner = cls(
            settings.getint("PVDN_CLEAN_WORKERS"), settings.getfloat("PVDN_CLEAN_TIMEOUT")
        )
        crawler.signals.connect(cleaner.close, signal=signals.spider_closed)
        return cleaner

    async def clean(
        self, body: bytes, url: str, charset: str | None, options: Options
    ) -> CleanArticle:
        """`cleaning.clean_html` of a page; CleaningTimeoutError past the time limit."""
        if self.workers == 0:
            return _clean(body, url, charset, options)
        for attempt in (1, 2):
            pool = self._ensure_pool()
            waiting = asyncio.wrap_future(pool.submit(_clean, body, url, charset, options))
            # Waited for without cancelling it on a timeout: cancelling would reach the pool's
            # own future, which the pool then fails to break when its worker is killed.
            waiting.add_done_callback(_consume)
            done, _ = await asyncio.wait({waiting}, timeout=self.timeout)
            if not done:
                logger.error("cleaning %s took over %gs: given up", url, self.timeout)
                self._restart(pool)
                raise CleaningTimeoutError(url)
            try:
                return waiting.result()
            except BrokenProcessPool:
                # Another page's timeout killed the pool under this one: once more.
                self._restart(pool)
                if attempt == 2:
                    raise CleaningTimeoutError(url) from None
        raise AssertionError("unreachable")

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: the crawl process runs threads and an event loop, which fork copies badly.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self._pool

    def _restart(self, pool: ProcessPoolExecutor) -> None:
        """Kill a pool's workers (one of them is stuck on a page) and start afresh."""
        if self._pool is pool:
            self._pool = None
        # Killing a worker breaks the pool: its other pages fail with BrokenProcessPool (and
        # are tried again in a new pool) rather than being cancelled.
        processes = getattr(pool, "_processes", None) or {}  # None once the pool shut down
        for process in list(processes.values()):
            process.kill()
        pool.shutdown(wait=False)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _consume(future: asyncio.Future[CleanArticle]) -> None:
    """Read a given-up page's outcome, so asyncio does not report it as never retrieved."""
    if not future.cancelled():
        future.exception()


def _clean(body: bytes, url: str, charset: str | None, options: Options) -> CleanArticle:
    """Runs in a worker process (or in the crawl's thread with no workers)."""
    return clean_html(body, url, charset=charset, options=options)
