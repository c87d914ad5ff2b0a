"""robots.txt, obeyed for every request the crawl makes, the first ones included.

This replaces Scrapy's RobotsTxtMiddleware (disabled in `settings.py`) for two reasons:

- Under the asyncio reactor, Scrapy 2.19 hands the parsed robots.txt only to the first of the
  requests that waited for it: the others all await one Deferred through
  `maybe_deferred_to_future`, and Twisted's `Deferred.asFuture` consumes the Deferred's
  result, so every later waiter gets None, which the middleware reads as "no robots.txt,
  allow". The crawl's start requests (the feeds, `/headlines/`, the login page) all wait
  together, so all but one went out whatever robots.txt said. The shared await came with the
  middleware's move to `async def` (scrapy/scrapy#6802; before it, each waiter got a Deferred
  of its own). Here, again, each waiting request gets its own Deferred, all fired with the
  same rules.
- Scrapy reads any robots.txt it could not fetch as allow-all, and waits for it as long as
  any download (DOWNLOAD_TIMEOUT and retries: minutes). RFC 9309 says otherwise, and so does
  this middleware:

  * 2xx: the file's rules (ROBOTSTXT_PARSER, Protego by default). `/robots.txt` itself is
    always allowed, as the RFC says.
  * 4xx other than 429 ("unavailable", RFC 9309 2.3.1.3): no rules, everything allowed. A
    429 says "not now", nothing about the file: it is treated like a 5xx.
  * 5xx or 429 after RETRY_TIMES retries, no answer within `PVDN_ROBOTS_TIMEOUT` seconds (all
    attempts together, default 10), a connection that fails on every attempt, or a redirect
    away from the site or more than five deep (2.3.1.2) ("unreachable", 2.3.1.4): everything
    disallowed. Nothing else on that origin is fetched.

Rules are kept per scheme and host:port, for the whole run. Counts: `pvdn/robots/forbidden`
(requests refused, by the rules or because the file was unreachable) and, once per origin,
`pvdn/robots/unreachable/<cause>` (timeout, http_500, connection, redirect, ...), which the
run's verdict reads (`pvdn_crawler.extensions`). Scrapy's own `robotstxt/*` stats are kept.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Literal, Self
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet.defer import Deferred

from pvdn_crawler.middlewares import ROBOTS_META, failure_kind

logger = logging.getLogger(__name__)

ROBOTS_PATH = "/robots.txt"
_MAX_REDIRECTS = 5  # RFC 9309 2.3.1.2: follow at least five
_RETRY_PAUSE = 0.5  # seconds before a second attempt, growing by as much for each further one


@dataclass(frozen=True)
class RobotsRules:
    """What one origin's robots.txt allows. `state`: the file's rules (`parsed`), none
    (`unavailable`: a 4xx) or disallow-all (`unreachable`, with its `cause`)."""

    state: Literal["parsed", "unavailable", "unreachable"]
    parser: RobotParser | None = None
    cause: str = ""

    def allows(self, url: str, user_agent: str | bytes) -> bool:
        if self.state == "unreachable":
            return False
        if self.parser is None or urlsplit(url).path == ROBOTS_PATH:
            return True
        return self.parser.allowed(url, user_agent)


class RobotsMiddleware:
    """Downloader middleware, at RobotsTxtMiddleware's place (100). Every request waits for
    its origin's rules; the first one to arrive fetches robots.txt (`engine.download_async`,
    highest priority, outside the scheduler), the others wait for that same fetch. Requests
    with `dont_obey_robotstxt` in their meta are not checked."""

    DOWNLOAD_PRIORITY = 1000

    def __init__(self, crawler: Crawler, *, timeout: float, retries: int) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.timeout = timeout
        self.retries = max(0, retries)
        settings = crawler.settings
        self._default_user_agent: str = settings.get("USER_AGENT") or ""
        self._robots_user_agent: str | None = settings.get("ROBOTSTXT_USER_AGENT")
        self._parser_class: type[RobotParser] = load_object(settings.get("ROBOTSTXT_PARSER"))
        build_from_crawler(self._parser_class, crawler, b"")  # fails now if it cannot parse
        self._rules: dict[str, RobotsRules] = {}
        self._waiting: dict[str, list[Deferred[RobotsRules]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured("ROBOTSTXT_OBEY is off")
        return cls(
            crawler,
            timeout=max(0.1, settings.getfloat("PVDN_ROBOTS_TIMEOUT")),
            retries=settings.getint("RETRY_TIMES"),
        )

    async def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return
        parts = urlparse_cached(request)
        if parts.scheme not in ("http", "https"):
            return
        key = f"{parts.scheme}://{parts.netloc.lower()}"
        rules = self._rules.get(key) or await self._rules_for(key, request)
        if rules.allows(request.url, self._user_agent(request)):
            return
        self.stats.inc_value("robotstxt/forbidden")
        self.stats.inc_value("pvdn/robots/forbidden")
        if rules.state == "unreachable":
            logger.debug("Not fetched, robots.txt unreachable: %s", request)
            raise IgnoreRequest(f"robots.txt unreachable ({rules.cause}): disallow all")
        logger.debug("Forbidden by robots.txt: %s", request)
        raise IgnoreRequest("Forbidden by robots.txt")

    def _user_agent(self, request: Request) -> str | bytes:
        return (
            self._robots_user_agent
            or request.headers.get(b"User-Agent")
            or self._default_user_agent
        )

    async def _rules_for(self, key: str, request: Request) -> RobotsRules:
        """The origin's rules: fetched by the first request to ask, awaited by the rest."""
        waiting = self._waiting.get(key)
        if waiting is not None:
            mine: Deferred[RobotsRules] = Deferred()
            waiting.append(mine)
            return await maybe_deferred_to_future(mine)
        self._waiting[key] = []
        rules = RobotsRules("unreachable", cause="other")
        try:
            rules = await self._fetch(key, request)
        finally:
            # Whatever happened, every waiter gets the same rules (disallow-all if the fetch
            # itself broke), and later requests find them here without waiting.
            self._rules[key] = rules
            for waiter in self._waiting.pop(key):
                waiter.callback(rules)
        return rules

    async def _fetch(self, key: str, asked_by: Request) -> RobotsRules:
        assert self.crawler.engine is not None
        url = key + ROBOTS_PATH
        deadline = time.monotonic() + self.timeout
        cause = "timeout"
        for attempt in range(1 + self.retries):
            if attempt:
                # A struggling server gets a pause between attempts, not a burst of them.
                await asyncio.sleep(min(_RETRY_PAUSE * attempt, deadline - time.monotonic()))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            meta = {
                "dont_obey_robotstxt": True,
                "dont_retry": True,  # retried here, within the deadline
                "download_timeout": remaining,
                "redirect_ttl": _MAX_REDIRECTS,
                ROBOTS_META: True,
            }
            request = Request(
                url,
                priority=self.DOWNLOAD_PRIORITY,
                meta=meta,
                callback=NO_CALLBACK,
                dont_filter=True,
            )
            self.stats.inc_value("robotstxt/request_count")
            try:
                response = await self.crawler.engine.download_async(request)
            except IgnoreRequest:
                cause = "redirect"  # off the site (OriginGuardMiddleware) or too many hops
                break
            except Exception as exc:  # a download error: never a crash of the crawl
                cause = failure_kind(exc)
                if cause == "timeout":
                    break
                continue
            self.stats.inc_value("robotstxt/response_count")
            self.stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            if response.status == 429 or response.status >= 500:
                cause = f"http_{response.status}"
                continue
            if response.status >= 300:
                logger.info(
                    "%s answered %d: no robots.txt rules, everything allowed",
                    url,
                    response.status,
                )
                return RobotsRules("unavailable")
            return await self._parsed(response, asked_by)
        self.stats.set_value(f"pvdn/robots/unreachable/{cause}", 1)
        logger.warning(
            "%s could not be read (%s): nothing on %s is fetched (RFC 9309: an unreachable"
            " robots.txt disallows everything)",
            url,
            cause,
            key,
        )
        return RobotsRules("unreachable", cause=cause)

    async def _parsed(self, response: Response, asked_by: Request) -> RobotsRules:
        parser = build_from_crawler(self._parser_class, self.crawler, response.body)
        await self.crawler.signals.send_catch_log_async(
            signal=signals.robots_parsed, robotparser=parser, request=asked_by
        )
        return RobotsRules("parsed", parser)
