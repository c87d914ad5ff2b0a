"""RunHealth: judges a finished crawl for cron, logs one summary line, sets the exit status.

`scrapy crawl` alone exits 0 even when the site was unreachable, the disk was full or every
page fell back to the generic extractor (a redesign). This extension turns the run's figures
into a verdict and an exit status that the project's `crawl` command returns:

    0 ok · 1 the crawl did not finish · 2 another crawl holds the archive · 3 site unreachable
    4 layout drift · 5 too many errors · 6 blocked by robots.txt (it disallowed every request
    the crawl made) · 7 robots.txt unreachable (no answer in time, or 5xx after retries:
    disallow-all) · 8 blocked by the site (401/403/429/451 answers) · 9 storage failure (disk,
    database) · 10 archive unusable · 11 records refused by the database · 12 a feed export
    (`-o` / `-O` / FEEDS) could not be written

The archive component asks for the verdict (`conclude`) when the spider closes and records
the run with it; nothing is passed through the stats.
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

from pvdn_crawler.middlewares import REFUSED_STATUSES

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
    "blocked by the site": 8,
    "storage failure": 9,
    "archive unusable": 10,
    "records refused": 11,
    "export failed": 12,
}
# Causes of an unreachable robots.txt that mean no connection to the site at all.
_NO_CONNECTION = frozenset({"connection", "dns"})
# Answers that say the site refuses this client, rather than that a page is missing.
_REFUSALS = tuple(f"http_{status}" for status in sorted(REFUSED_STATUSES))
# Article fields whose absence on more than PVDN_MAX_MISSING_SHARE of a run's article pages
# means the pages stopped yielding them (a redesign, a theme change).
WATCHED_FIELDS = ("title", "body", "published")
# A share is read only from enough cases: one story-less page in a run of two is not drift,
# and one protected page is not a block.
_MIN_MISSING = 3
_MIN_REFUSALS = 5


@dataclass(frozen=True)
class Figures:
    """What a run did, from the crawl's stats."""

    new: int
    changed: int
    unchanged: int
    not_modified: int
    gone: int
    failed: int
    refused: int
    rejected: int
    requests: int
    responses: int
    articles_parsed: int
    generic: int
    missing: dict[str, int]
    duration: float
    bounds: tuple[str, ...] = ()  # discovery bounds that bit (pvdn/bounds/*)
    answered: int = 0  # final answers to requests other than robots.txt
    robots_forbidden: int = 0  # requests robots.txt did not allow
    robots_unreachable: str = ""  # why a robots.txt could not be read, if one could not
    export_failed: int = 0  # feed export errors (opening, writing or storing a feed)
    spider_errors: int = 0  # pages whose callback raised (a bug: the page is not archived)
    warc_refused: int = 0  # exchanges that could not be written as WARC records

    @classmethod
    def from_stats(cls, stats: dict[str, Any], duration: float) -> Figures:
        def n(key: str) -> int:
            return int(stats.get(key, 0) or 0)

        failures = {k: int(v) for k, v in stats.items() if k.startswith("pvdn/failed/")}
        return cls(
            new=n("pvdn/stored/new"),
            changed=n("pvdn/stored/changed"),
            unchanged=n("pvdn/stored/unchanged"),
            not_modified=n("pvdn/stored/not_modified"),
            gone=n("pvdn/stored/gone"),
            # Requests given up on, by cause (FailureStatsMiddleware), and spider bugs.
            failed=sum(failures.values()) + n("spider_exceptions/count"),
            refused=sum(failures.get(f"pvdn/failed/{code}", 0) for code in _REFUSALS),
            rejected=sum(int(v) for k, v in stats.items() if k.startswith("pvdn/rejected/")),
            requests=n("downloader/request_count"),
            responses=n("downloader/response_count"),
            articles_parsed=n("pvdn/articles/parsed"),
            generic=n("pvdn/extractor/generic"),
            missing={name: n(f"pvdn/articles/without_{name}") for name in WATCHED_FIELDS},
            duration=duration,
            bounds=tuple(
                sorted(k.rsplit("/", 1)[1] for k in stats if k.startswith("pvdn/bounds/"))
            ),
            answered=n("pvdn/answered"),
            robots_forbidden=n("pvdn/robots/forbidden"),
            spider_errors=n("spider_exceptions/count"),
            warc_refused=n("pvdn/warc/refused"),
            export_failed=n("pvdn/export/failed")
            + sum(int(v) for k, v in stats.items() if k.startswith("feedexport/failed_count/")),
            robots_unreachable=",".join(
                sorted(
                    k.rsplit("/", 1)[1] for k in stats if k.startswith("pvdn/robots/unreachable/")
                )
            ),
        )

    def line(self, verdict: str) -> str:
        """The run's summary line; the discovery bounds that stopped it are named at the end
        (the rest of what they held back is left for the next run)."""
        bounded = f" stopped_by_bounds={','.join(self.bounds)}" if self.bounds else ""
        return (
            f"pvdn run {verdict}: new={self.new} changed={self.changed} "
            f"unchanged={self.unchanged} not_modified={self.not_modified} gone={self.gone} "
            f"failed={self.failed} rejected={self.rejected} requests={self.requests} "
            f"duration={self.duration:.1f}s{bounded}"
        )


@dataclass(frozen=True)
class Limits:
    """The thresholds of a verdict (settings PVDN_MAX_*)."""

    max_generic_share: float
    max_missing_share: float
    max_errors: int


@dataclass(frozen=True)
class Verdict:
    """A run's verdict: its name (a key of EXIT_STATUS) and, where it has one, its cause."""

    name: str
    cause: str | None = None

    def __str__(self) -> str:
        return f"{self.name} ({self.cause})" if self.cause else self.name

    @property
    def exit_status(self) -> int:
        return EXIT_STATUS[self.name]


def verdict(reason: str, figures: Figures, limits: Limits, fault: str | None = None) -> Verdict:
    """The run's verdict, most serious first. robots.txt comes before the site's answers when
    nothing but robots.txt answered: that is why nothing else did (a robots.txt that could not
    even be connected to is the site being unreachable)."""
    if reason == "archive_busy":
        return Verdict("archive busy")
    if reason == "archive_unusable":
        return Verdict("archive unusable")
    if fault is not None or reason == "storage_failed":
        return Verdict("storage failure", fault or "unknown cause")
    if figures.robots_unreachable and figures.answered == 0:
        no_connection = set(figures.robots_unreachable.split(",")) <= _NO_CONNECTION
        if not (no_connection and figures.responses == 0):
            return Verdict("robots.txt unreachable", figures.robots_unreachable)
    if figures.responses == 0:
        return Verdict("site unreachable")
    if figures.robots_forbidden and figures.answered == 0 and figures.failed == 0:
        return Verdict("blocked by robots.txt")  # nothing else was even tried
    if reason != "finished":
        return Verdict("unfinished")
    if figures.rejected:
        return Verdict("records refused", f"{figures.rejected} kept in the rejects table")
    if figures.warc_refused:
        return Verdict("records refused", f"{figures.warc_refused} captures not kept as WARC")
    if figures.export_failed:
        return Verdict("export failed", f"{figures.export_failed} feed export error(s)")
    if figures.refused >= _MIN_REFUSALS and figures.refused * 10 >= figures.responses:
        return Verdict("blocked by the site", f"{figures.refused} answers 401/403/429/451")
    parsed = figures.articles_parsed
    if parsed and figures.generic / parsed > limits.max_generic_share:
        share = f"{figures.generic} of {parsed} article pages on the generic extractor"
        return Verdict("layout drift", share)
    for name in WATCHED_FIELDS:
        lacking = figures.missing[name]
        if lacking >= _MIN_MISSING and lacking / parsed > limits.max_missing_share:
            return Verdict("layout drift", f"{lacking} of {parsed} article pages without a {name}")
    if figures.failed > limits.max_errors:
        return Verdict("too many errors", f"{figures.failed} failed requests")
    if figures.spider_errors:
        # Unlike a failed download, a bug fails the same page in every run: never "ok".
        return Verdict("too many errors", f"{figures.spider_errors} pages lost to spider errors")
    return Verdict("ok")


class RunHealth:
    """Settings: `PVDN_MAX_GENERIC_SHARE`, `PVDN_MAX_MISSING_SHARE`, `PVDN_MAX_ERRORS` (see
    `pvdn_crawler.defaults`)."""

    def __init__(self, stats: StatsCollector, limits: Limits) -> None:
        self.stats = stats
        self.limits = limits
        self.started = time.monotonic()
        self.verdict: Verdict | None = None
        self.summary: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunHealth:
        assert crawler.stats is not None
        settings = crawler.settings
        limits = Limits(
            max_generic_share=settings.getfloat("PVDN_MAX_GENERIC_SHARE"),
            max_missing_share=settings.getfloat("PVDN_MAX_MISSING_SHARE"),
            max_errors=settings.getint("PVDN_MAX_ERRORS"),
        )
        extension = cls(crawler.stats, limits)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        return extension

    @property
    def exit_status(self) -> int | None:
        """The run's exit status once it was judged."""
        return None if self.verdict is None else self.verdict.exit_status

    def spider_opened(self) -> None:
        self.started = time.monotonic()

    def response_received(self, response: Response) -> None:
        """Counts the final answers (after retries and redirects) to anything but robots.txt,
        which tell a run robots.txt blocked from one that reached the site."""
        request = response.request
        path = urlparse_cached(request).path if request is not None else ""
        if path != "/robots.txt":
            self.stats.inc_value("pvdn/answered")

    def conclude(self, reason: str) -> Verdict:
        """Judge the run (once), log its summary line, and return the verdict."""
        if self.verdict is not None:
            return self.verdict
        stats = self.stats.get_stats()
        figures = Figures.from_stats(stats, time.monotonic() - self.started)
        fault = stats.get("pvdn/storage_fault")
        judged = verdict(reason, figures, self.limits, str(fault) if fault else None)
        self.verdict = judged
        # The summary's figures, as integers, go into crawl_runs.counts with the rest.
        for name in ("new", "changed", "unchanged", "not_modified", "gone", "failed", "requests"):
            self.stats.set_value(f"pvdn/run/{name}", getattr(figures, name))
        self.stats.set_value("pvdn/run/duration_ms", round(figures.duration * 1000))
        self.stats.set_value("pvdn/exit_status", judged.exit_status)
        self.summary = figures.line(str(judged))
        logger.log(logging.INFO if judged.name == "ok" else logging.ERROR, self.summary)
        return judged
