"""Middlewares for the faults a site throws at a crawl: rate limits, requests that fail for
good, redirects away from the site, redirect loops and broken feeds or sitemaps.

Scrapy already retries 5xx answers and dropped connections (RetryMiddleware), refuses bodies
that end early (DOWNLOAD_FAIL_ON_DATALOSS) or exceed DOWNLOAD_MAXSIZE, and drops requests to
other hosts. What it does not do is keep to the site's port and scheme (its offsite check
compares host names only, scrapy/scrapy#50), wait as long as a 429 or 503 asks
(`Retry-After`), nor say in the run's own counts why requests failed; these components add
that. Every figure goes into a `pvdn/` stat, so it lands in `crawl_runs.counts` with the rest
of the run.

Enabled in `settings.py` (`DOWNLOADER_MIDDLEWARES`, `SPIDER_MIDDLEWARES`); the priorities
matter and are explained on each class.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self

from lxml import etree
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotConfigured,
    ResponseDataLossError,
)
from scrapy.http import Request, Response
from scrapy.statscollectors import StatsCollector
from twisted.internet import defer, error
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived
from twisted.web.http import _DataLoss

from pvdn_crawler.origin import REDIRECT_STATUSES, SiteOrigin, site_origin, without_credentials
from pvdn_crawler.urls import PageKind, page_kind, request_url

logger = logging.getLogger(__name__)

# Answers by which a site refuses this client (a WAF, a login wall, a rate limit, a legal
# block), as opposed to a page that is missing: each is a failed request.
REFUSED_STATUSES = frozenset({401, 403, 407, 429, 451})
# Set on the robots.txt requests of pvdn_crawler.robots: their failures are the robots.txt's
# verdict (`pvdn/robots/unreachable/...`), not failed requests of the crawl.
ROBOTS_META = "pvdn_robots"


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """A `Retry-After` header's wait in seconds: delta-seconds or an HTTP date (a date in the
    past waits 0). None when absent or unreadable."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _CountsInStats:
    """A component whose one dependency is the crawl's stats collector."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats)


class OriginGuardMiddleware(_CountsInStats):
    """Refuses every request off the site's origin before anything is sent: another port of
    the same host, the other scheme, another host, an address with credentials in it (see
    `pvdn_crawler.origin`; the origin is the spider's `base_url`). Each refusal is one log
    line and a `pvdn/refused/<why>` count (scheme, host, port, credentials, or no_origin when
    the base URL has none); it is an IgnoreRequest, which no component counts as a failed
    request.

    Priority 30: the first downloader middleware, so it sees every request that would reach
    the network: the spider's, the ones RedirectMiddleware and MetaRefreshMiddleware make
    from an answer (they go through the whole chain again), the robots.txt requests and the
    login's, which bypass the scheduler (`engine.download_async` runs the same chain), and it
    refuses them before the robots.txt check (which would fetch the other port's robots.txt
    first) or anything else acts on them. Scrapy's OffsiteMiddleware still drops requests to
    other hosts as they are scheduled (counted as `offsite/filtered`, outside `pvdn/`); what
    reaches this one on another host came past the scheduler.

    A plain-http link to the https site is not refused but upgraded (`pvdn/origin/upgraded`):
    the request is sent again as https. A redirect to plain http is refused.
    """

    def __init__(self, stats: StatsCollector, crawler: Crawler) -> None:
        super().__init__(stats)
        self.crawler = crawler
        self._read = False
        self._enforced = True
        self._site: SiteOrigin | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats, crawler)

    def process_request(self, request: Request) -> Request | None:
        if not self._read:
            self._read_origin()
        if not self._enforced:
            return None
        site = self._site
        why = "no_origin" if site is None else site.refusal(request.url)
        if why is None:
            return None
        if site is not None and not request.meta.get("redirect_urls"):
            upgraded = site.upgraded(request.url)
            if upgraded is not None:
                self.stats.inc_value("pvdn/origin/upgraded")
                return request.replace(url=upgraded)
        self.stats.inc_value(f"pvdn/refused/{why}")
        logger.warning(
            "refused %s %s: not on the site's origin %s (%s)",
            request.method,
            without_credentials(request.url),
            site or "(none)",
            why,
        )
        raise IgnoreRequest(f"not on the site's origin ({why})")

    def _read_origin(self) -> None:
        """The origin is the spider's `base_url`, read at the first request (the spider is
        open by then). A spider without one has no origin to keep to: nothing is enforced. A
        base URL without an http(s) origin leaves `_site` None: every request is refused."""
        spider = self.crawler.spider
        if spider is None:
            return  # not read yet: refused, as with no origin
        self._read = True
        base_url = getattr(spider, "base_url", None)
        if not isinstance(base_url, str):
            self._enforced = False
            logger.warning("the spider has no base_url: requests are not kept to one origin")
            return
        try:
            self._site = site_origin(base_url)
        except ValueError:
            self._site = None


class RetryAfterMiddleware:
    """Waits out `Retry-After` before RetryMiddleware retries an answer (429, 503, any status
    in RETRY_HTTP_CODES), at most `PVDN_MAX_RETRY_AFTER` seconds (default 120).

    Priority 560: just above RetryMiddleware (550), so it sees each answer first and hands it
    on unchanged once the wait is over; RetryMiddleware then retries, counts and gives up as
    usual. It waits only when a retry will follow (retries left, `dont_retry` not set). The
    wait is an `asyncio.sleep` inside the coroutine: only this request waits, the reactor and
    every other download go on.
    """

    def __init__(
        self,
        stats: StatsCollector,
        *,
        max_wait: float,
        retry_codes: frozenset[int],
        max_retry_times: int,
    ) -> None:
        self.stats = stats
        self.max_wait = max_wait
        self.retry_codes = retry_codes
        self.max_retry_times = max_retry_times

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured("retries are off: nothing to wait for")
        assert crawler.stats is not None
        return cls(
            crawler.stats,
            max_wait=max(0.0, settings.getfloat("PVDN_MAX_RETRY_AFTER")),
            retry_codes=frozenset(int(code) for code in settings.getlist("RETRY_HTTP_CODES")),
            max_retry_times=settings.getint("RETRY_TIMES"),
        )

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in self.retry_codes or request.meta.get("dont_retry", False):
            return response
        limit = request.meta.get("max_retry_times")
        if limit is None:
            limit = self.max_retry_times
        if int(request.meta.get("retry_times", 0)) >= int(limit):
            return response  # RetryMiddleware gives up on this one: no point waiting
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        if not asked:
            return response
        wait = min(asked, self.max_wait)
        if wait < asked:
            self.stats.inc_value("pvdn/retry_after/capped")
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # not on the asyncio reactor: retry at once, as Scrapy would
            logger.warning("cannot wait out Retry-After without the asyncio reactor")
            return response
        logger.info(
            "%s answered %d with Retry-After %s: waiting %.1fs before retrying",
            request.url,
            response.status,
            f"{asked:.0f}s",
            wait,
        )
        self.stats.inc_value("pvdn/retry_after/waits")
        self.stats.inc_value("pvdn/retry_after/seconds", round(wait))
        await asyncio.sleep(wait)
        return response


# What a download failure was, by exception type: Scrapy's own types (2.18+) first, then the
# Twisted and asyncio ones older handlers and other download handlers raise.
_FAILURE_KINDS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((DownloadTimeoutError, TimeoutError, defer.TimeoutError, error.TimeoutError), "timeout"),
    ((ResponseDataLossError, _DataLoss), "data_loss"),
    # Inside Scrapy only DOWNLOAD_MAXSIZE cancels a download (a body announced or streamed
    # past it); a timeout is a timeout error.
    ((DownloadCancelledError, defer.CancelledError), "too_large"),
    ((CannotResolveHostError, error.DNSLookupError), "dns"),
    (
        (
            DownloadConnectionRefusedError,
            DownloadFailedError,
            ConnectionError,
            error.ConnectError,
            error.ConnectionLost,
            error.ConnectionDone,
            ResponseFailed,
            ResponseNeverReceived,
        ),
        "connection",
    ),
)


def failure_kind(exception: BaseException) -> str:
    """What a download failure was: timeout, data_loss, too_large, dns, connection or other."""
    for types, kind in _FAILURE_KINDS:
        if isinstance(exception, types):
            return kind
    return "other"


class FailureStatsMiddleware(_CountsInStats):
    """Counts each request given up on, by cause: `pvdn/failed/<cause>` (timeout, connection,
    data_loss, too_large, dns, other) for downloads that raised, and
    `pvdn/failed/http_<status>` for a 5xx answer that retries did not cure, and for answers
    that refuse the client (401, 403, 407, 429, 451).

    Priority 540: below RetryMiddleware (550), so a failure it retries never gets here (it
    answers with the retry request); only the last attempt does. Requests ignored on purpose
    (robots.txt, another origin) are not failures, nor are the robots.txt fetches (their
    outcome is the robots.txt verdict).
    """

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get(ROBOTS_META):
            return response
        if response.status >= 500 or response.status in REFUSED_STATUSES:
            self.stats.inc_value(f"pvdn/failed/http_{response.status}")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, IgnoreRequest) or request.meta.get(ROBOTS_META):
            return
        kind = failure_kind(exception)
        self.stats.inc_value(f"pvdn/failed/{kind}")
        logger.warning("gave up on %s: %s (%s)", request.url, kind, type(exception).__name__)


class RedirectLoopMiddleware(_CountsInStats):
    """Counts redirect loops (`pvdn/redirects/loop`): a redirect that leads, through the
    redirects answered so far this run, back to the address that answered it (`/a` -> `/b`
    -> `/a`). The loop itself ends by Scrapy's duplicate filter (the address was requested
    already) or the spider's hop limit; this makes it visible in the run's counts.

    Priority 650: above RedirectMiddleware (600), to see every redirect answer, the ones it
    follows itself (feeds, listings) and the ones the spider handles (articles).
    """

    def __init__(self, stats: StatsCollector) -> None:
        super().__init__(stats)
        self._moves: dict[str, str] = {}

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if response.status in REDIRECT_STATUSES and location:
            source = request_url(request.url)
            self._moves[source] = request_url(response.urljoin(location.decode("latin-1")))
            if self._leads_back(source):
                self.stats.inc_value("pvdn/redirects/loop")
                logger.warning("redirect loop through %s: abandoned", request.url)
        return response

    def _leads_back(self, source: str) -> bool:
        seen: set[str] = set()
        node = self._moves.get(source)
        while node is not None and node not in seen:
            if node == source:
                return True
            seen.add(node)
            node = self._moves.get(node)
        return False


class MalformedXmlMiddleware(_CountsInStats):
    """Counts feeds and sitemaps that are not well-formed XML: `pvdn/feed/malformed`,
    `pvdn/sitemap/malformed`. The spider reads them leniently (lxml's recovery keeps what it
    can, an unreadable sitemap is counted as `pvdn/sitemap/unparseable`); a broken feed would
    otherwise just yield fewer links, or none, without a trace in the run.

    A spider middleware (priority 60, after HttpErrorMiddleware): it sees the answers that
    reach the spider, and never changes them.
    """

    def process_spider_input(self, response: Response) -> None:
        if response.status != 200:
            return
        kind = page_kind(response.url)
        if kind not in (PageKind.FEED, PageKind.SITEMAP):
            return
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        try:
            etree.fromstring(response.body, parser)
        except etree.XMLSyntaxError as exc:
            self.stats.inc_value(f"pvdn/{kind.value}/malformed")
            logger.warning("malformed %s at %s: %s", kind.value, response.url, exc)
