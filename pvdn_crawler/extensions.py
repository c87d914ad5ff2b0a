"""RunHealth: judges a finished crawl for cron, logs one summary line, sets the exit status.

`scrapy crawl` alone exits 0 even when the site was unreachable or every page fell back to the
generic extractor (a redesign). This extension turns the run's figures into a verdict and an
exit status that the project's `crawl` command returns:

    0 ok · 1 the crawl did not finish · 2 another crawl holds the archive · 3 site unreachable
    4 layout drift (too many pages on the generic extractor) · 5 too many errors
    6 blocked by robots.txt (it disallowed every request the crawl made)
    7 robots.txt unreachable (no answer in time, or 5xx after retries: disallow-all)
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.httpobj import urlparse_cached

logger = logging.getLogger(__name__)

EXIT_STATUS = {
    "ok": 0,
    "unfinished": 1,
    "archive busy": 2,
    "site unreachable": 3,
    "layout drift": 4,
    "too many errors": 5,
    "blocked by robots.txt": 6,
    "robots.txt unreachable": 7,
}
# Causes of an unreachable robots.txt that mean no connection to the site at all.
_NO_CONNECTION = frozenset({"connection", "dns"})


@dataclass(frozen=True)
class Figures:
    """What a run did, from the crawl's stats."""

    new: int
    changed: int
    unchanged: int
    not_modified: int
    gone: int
    failed: int
    requests: int
    responses: int
    articles_parsed: int
    generic: int
    duration: float
    answered: int = 0  # final answers to requests other than robots.txt
    robots_forbidden: int = 0  # requests robots.txt did not allow
    robots_unreachable: str = ""  # why a robots.txt could not be read, if one could not

    @classmethod
    def from_stats(cls, stats: dict[str, Any], duration: float) -> Figures:
        def n(key: str) -> int:
            return int(stats.get(key, 0) or 0)

        return cls(
            new=n("pvdn/stored/new"),
            changed=n("pvdn/stored/changed"),
            unchanged=n("pvdn/stored/unchanged"),
            not_modified=n("pvdn/stored/not_modified"),
            gone=n("pvdn/stored/gone"),
            # Requests given up on, by cause (FailureStatsMiddleware), and spider bugs.
            failed=sum(int(v) for k, v in stats.items() if k.startswith("pvdn/failed/"))
            + n("spider_exceptions/count"),
            requests=n("downloader/request_count"),
            responses=n("downloader/response_count"),
            articles_parsed=n("pvdn/pages/article"),
            generic=n("pvdn/extractor/generic"),
            duration=duration,
            answered=n("pvdn/answered"),
            robots_forbidden=n("pvdn/robots/forbidden"),
            robots_unreachable=",".join(
                sorted(
                    k.rsplit("/", 1)[1] for k in stats if k.startswith("pvdn/robots/unreachable/")
                )
            ),
        )

    def line(self, verdict: str) -> str:
        return (
            f"pvdn run {verdict}: new={self.new} changed={self.changed} "
            f"unchanged={self.unchanged} not_modified={self.not_modified} gone={self.gone} "
            f"failed={self.failed} requests={self.requests} duration={self.duration:.1f}s"
        )


def verdict(reason: str, figures: Figures, max_generic_share: float, max_errors: int) -> str:
    """The run's verdict, most serious first. robots.txt comes before the rest when nothing
    but robots.txt answered: that is why nothing else did (a robots.txt that could not even be
    connected to is the site being unreachable)."""
    if reason == "archive_busy":
        return "archive busy"
    if figures.robots_unreachable and figures.answered == 0:
        no_connection = set(figures.robots_unreachable.split(",")) <= _NO_CONNECTION
        if not (no_connection and figures.responses == 0):
            return "robots.txt unreachable"
    if figures.responses == 0:
        return "site unreachable"
    if figures.robots_forbidden and figures.answered == 0 and figures.failed == 0:
        return "blocked by robots.txt"  # nothing else was even tried
    if reason != "finished":
        return "unfinished"
    if figures.articles_parsed and figures.generic / figures.articles_parsed > max_generic_share:
        return "layout drift"
    if figures.failed > max_errors:
        return "too many errors"
    return "ok"


class RunHealth:
    """Settings: `PVDN_MAX_GENERIC_SHARE` (default 0.3: a larger share of article pages parsed
    by the generic extractor means the layout changed), `PVDN_MAX_ERRORS` (default 25)."""

    def __init__(self, stats: StatsCollector, max_generic_share: float, max_errors: int) -> None:
        self.stats = stats
        self.max_generic_share = max_generic_share
        self.max_errors = max_errors
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunHealth:
        assert crawler.stats is not None
        settings = crawler.settings
        extension = cls(
            crawler.stats,
            settings.getfloat("PVDN_MAX_GENERIC_SHARE", 0.3),
            settings.getint("PVDN_MAX_ERRORS", 25),
        )
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        return extension

    def spider_opened(self) -> None:
        self.started = time.monotonic()

    def response_received(self, response: Response) -> None:
        """Counts the final answers (after retries and redirects) to anything but robots.txt,
        which tell a run robots.txt blocked from one that reached the site."""
        request = response.request
        path = urlparse_cached(request).path if request is not None else ""
        if path != "/robots.txt":
            self.stats.inc_value("pvdn/answered")

    def spider_closed(self, reason: str) -> None:
        figures = Figures.from_stats(self.stats.get_stats(), time.monotonic() - self.started)
        judged = verdict(reason, figures, self.max_generic_share, self.max_errors)
        self.stats.set_value("pvdn/verdict", judged)
        self.stats.set_value("pvdn/exit_status", EXIT_STATUS[judged])
        # The summary's figures, as integers, go into crawl_runs.counts with the rest.
        for name in ("new", "changed", "unchanged", "not_modified", "gone", "failed", "requests"):
            self.stats.set_value(f"pvdn/run/{name}", getattr(figures, name))
        self.stats.set_value("pvdn/run/duration_ms", round(figures.duration * 1000))
        label = judged
        if judged == "robots.txt unreachable":  # the summary names the cause: timeout, http_503…
            label = f"{judged} ({figures.robots_unreachable})"
        logger.log(logging.INFO if judged == "ok" else logging.ERROR, figures.line(label))
