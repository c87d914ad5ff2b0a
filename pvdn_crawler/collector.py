"""Python's cyclic garbage collector, set for a crawl's way of allocating.

A crawl allocates in bursts that outlive CPython's youngest generation (700 allocations): for
every response Scrapy starts `CONCURRENT_ITEMS` tasks (its default 100; 32 in settings.py) to
process what the callback
yields, and the items that wait for their batch to be stored keep theirs alive longer still.
Those objects are promoted to the oldest generation, which then fills fast enough to be
collected about twice a second; each such collection walks every object in the process
(Scrapy, Twisted, SQLAlchemy, lxml's Python side: ~180,000 objects, 100-200 ms). Profiled on
the benchmark site, the collector took a quarter of the crawl process's time.

So for the length of the crawl the objects that exist when the spider opens (modules, classes:
never garbage) are moved out of the collector's sight
(`gc.freeze`), and the youngest generation is collected after `YOUNG_THRESHOLD` allocations
instead of 700, so that a response's short-lived objects are freed by reference counting
before a collection could promote them. Cyclic garbage is still collected, only in larger
steps. Both are undone when the spider closes (a crawl run inside a longer-lived process
leaves the collector as it found it).
"""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.crawler import Crawler

__all__ = ["YOUNG_THRESHOLD", "CollectorTuning"]

YOUNG_THRESHOLD = 20_000


class CollectorTuning:
    """A Scrapy extension: the collector tuned from spider open to spider close."""

    def __init__(self) -> None:
        self._saved: tuple[int, int, int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CollectorTuning:
        extension = cls()
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        if self._saved is not None:
            return
        self._saved = gc.get_threshold()
        gc.collect()  # what is garbage already is not frozen
        gc.freeze()
        _, middle, oldest = self._saved
        gc.set_threshold(max(YOUNG_THRESHOLD, self._saved[0]), middle, oldest)

    def spider_closed(self) -> None:
        if self._saved is None:
            return
        gc.set_threshold(*self._saved)
        gc.unfreeze()
        self._saved = None
