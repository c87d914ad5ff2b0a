"""The `pvdn` spider: discovers the site's addresses and fetches what is new or due.

Discovery runs from robots.txt sitemaps, the feeds, the listing pages and the links on
article pages. Every link goes through `UrlIdentity`, which reduces it to one request address
and knows which article it is; what the archive already knows is asked for again only when
the revisit policy says so (`pvdn_crawler.revisits`). Extraction is `cleaning`'s job (run by
`PageCleaner`), storage the archive pipeline's; this module only routes, and yields the
storage records of what each answer taught.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from cleaning import Options
from pvdn_crawler.archive import CrawlArchive
from pvdn_crawler.captures import capture_of, header_charset
from pvdn_crawler.cleaner import CleaningTimeoutError, PageCleaner
from pvdn_crawler.defaults import PvdnDefaults
from pvdn_crawler.identity import UrlIdentity
from pvdn_crawler.items import FeedHints, article_record, teaser_list_record
from pvdn_crawler.origin import MAX_REDIRECT_HOPS, REDIRECT_STATUSES, site_origin
from pvdn_crawler.revisits import RevisitPolicy
from pvdn_crawler.subscriber import Credentials, LoginFailedError, log_in
from pvdn_crawler.urls import (
    PRODUCTION_ORIGIN,
    PageKind,
    alias_form,
    page_kind,
    request_url,
    same_site,
)
from storage.records import (
    AliasRecord,
    GoneRecord,
    KnownPage,
    NotModifiedRecord,
    PageRecord,
    TeaserListRecord,
)
from storage.warc import Capture

# Where discovery starts, relative to base_url.
START_FEEDS = ("/feed/", "/category/puerto-vallarta-news/feed/")
START_LISTINGS = ("/headlines/",)
try:
    _VERSION = version("pvdn-archive")
except PackageNotFoundError:  # running from a checkout that was not installed
    _VERSION = "dev"
_GONE = [404, 410]
# Statuses a page request handles itself: redirects, Not Modified, gone.
_ANSWERS = [*REDIRECT_STATUSES, 304, *_GONE]
# WordPress body classes of posts, of attachment pages, of Pages and of archives.
_POST_CLASSES = frozenset({"single", "single-post", "single-format-standard"})
_ATTACHMENT_CLASSES = frozenset({"attachment", "single-attachment"})
_NOT_POST_CLASSES = frozenset(
    {"page", "archive", "blog", "home", "search", "error404", "category", "tag", "date"}
)


@dataclass(frozen=True)
class SpiderArguments:
    """The spider's `-a` arguments, checked: each bad value is a one-line error."""

    base_url: str = PRODUCTION_ORIGIN
    max_pages: int | None = None
    since: date | None = None
    full: bool = False

    NAMES: ClassVar[frozenset[str]] = frozenset({"base_url", "max_pages", "since", "full"})

    @classmethod
    def parse(
        cls,
        base_url: str = PRODUCTION_ORIGIN,
        max_pages: str | int | None = None,
        since: str | None = None,
        full: str | bool = False,
    ) -> SpiderArguments:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
        pages: int | None = None
        if max_pages not in (None, ""):
            text = str(max_pages).strip()
            if not text.isdigit() or int(text) < 1:
                raise ValueError(
                    f"max_pages must be a whole number of at least 1, got {max_pages!r}"
                )
            pages = int(text)
        day: date | None = None
        if since:
            try:
                day = date.fromisoformat(since.strip())
            except ValueError:
                raise ValueError(f"since must be a date as YYYY-MM-DD, got {since!r}") from None
        flag = str(full).strip().lower()
        if flag not in {"", "0", "1", "true", "false", "yes", "no"}:
            raise ValueError(f"full must be 1 or 0, got {full!r}")
        return cls(base_url.strip().rstrip("/"), pages, day, flag in {"1", "true", "yes"})


class PvdnSpider(scrapy.Spider):
    """Arguments: `base_url` (default the production site; a local mirror works the same),
    `max_pages` (listing pages per archive; default `PVDN_MAX_LISTING_PAGES`), `since`
    (YYYY-MM-DD: skip older feed and sitemap entries and do not store older articles), `full`
    (1: re-check every known address and walk every listing).
    """

    name = "pvdn"

    def __init__(
        self,
        base_url: str = PRODUCTION_ORIGIN,
        max_pages: str | int | None = None,
        since: str | None = None,
        full: str | bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        arguments = SpiderArguments.parse(base_url, max_pages, since, full)
        self.base_url = arguments.base_url
        self.max_pages = arguments.max_pages
        self.since = arguments.since
        self.full = arguments.full
        self._site = site_origin(self.base_url)
        self._start_listings = {request_url(self.base_url + path) for path in START_LISTINGS}
        self.allowed_domains = sorted(self._site.hosts)
        # A mirror's pages are the site's pages: the cleaning profile applies to its host too.
        self.cleaning_options = Options(site_hosts=frozenset(self.allowed_domains))
        self.identity = UrlIdentity()
        self.trusted = False
        self._exhausted: set[str] = set()
        # Pages of each listing archive asked for beyond its first page.
        self._listing_requested: defaultdict[str, set[str]] = defaultdict(set)
        self._hints: dict[str, FeedHints] = {}
        self._new_requested = 0
        # Set from the crawler's settings in from_crawler.
        self._max_new = 0
        self._max_sitemap_depth = 0
        self._warc_enabled = False
        self._cleaner: PageCleaner | None = None
        self._policy = RevisitPolicy(recent=timedelta(0), share=0.0)
        # Optional subscriber login: from the environment only (see pvdn_crawler.subscriber).
        self._subscriber = Credentials.from_environment()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """The spider, configured from the crawler's settings (see `pvdn_crawler.defaults`)."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider._max_new = settings.getint("PVDN_MAX_NEW_PER_RUN")
        spider._max_sitemap_depth = settings.getint("PVDN_MAX_SITEMAP_DEPTH")
        spider._warc_enabled = settings.getbool("PVDN_WARC_ENABLED")
        if spider.max_pages is None:
            spider.max_pages = settings.getint("PVDN_MAX_LISTING_PAGES")
        spider._cleaner = PageCleaner.from_crawler(crawler)
        spider._policy = RevisitPolicy(
            recent=timedelta(days=settings.getfloat("PVDN_RECENT_DAYS")),
            share=settings.getfloat("PVDN_RECHECK_SHARE"),
            full=spider.full,
        )
        return spider

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """The project's `PVDN_` defaults, at Scrapy's lowest priority (settings.py, `-s` and
        Scrapyd override them); and a User-Agent naming the contact URL, unless one was given
        on the command line."""
        super().update_settings(settings)
        PvdnDefaults().update_settings(settings)
        contact = settings.get("PVDN_CONTACT_URL")
        if contact and (settings.getpriority("USER_AGENT") or 0) < SETTINGS_PRIORITIES["cmdline"]:
            settings.set("USER_AGENT", f"pvdn-archive/{_VERSION} (+{contact})", priority="spider")

    async def start(self) -> AsyncIterator[scrapy.Request | AliasRecord]:
        if self._subscriber is not None:
            await self._log_in(self._subscriber)
        archive = self.crawler.get_extension(CrawlArchive)
        if archive is not None:
            self.identity = UrlIdentity(archive.known)
            self.trusted = archive.trusted and not self.full
        yield scrapy.Request(f"{self.base_url}/robots.txt", callback=self.parse_robots)
        for path in START_FEEDS:
            yield self._listed_request(self.base_url + path, self.parse_feed)
        for path in START_LISTINGS:
            yield scrapy.Request(self.base_url + path, callback=self.parse_page)
        for page in self._policy.due(self.identity.known, datetime.now(UTC)):
            for item in self._revisit(page):
                yield item

    async def _log_in(self, credentials: Credentials) -> None:
        """Log in before discovery; a failed login leaves the crawl anonymous."""
        self._subscriber = None  # the password is not kept once used
        try:
            await log_in(self.crawler, self.base_url, credentials)
        except LoginFailedError as exc:
            self.logger.error(
                "subscriber login failed, crawling anonymously (pages behind the wall are"
                " stored paywalled): %s",
                exc,
            )
            self._count("subscriber/login_failed")
        else:
            self.logger.info("logged in as a subscriber")
            self._count("subscriber/logged_in")

    # -- discovery -------------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            if same_site(url, self.base_url):
                yield self._listed_request(url, self.parse_sitemap)

    def parse_sitemap(
        self, response: Response
    ) -> Iterator[scrapy.Request | AliasRecord | PageRecord]:
        yield self._listing_record(response, "sitemap")
        if response.status == 304:
            self._count("sitemap/not_modified")
            return
        try:
            sitemap = Sitemap(response.body)
        except Exception:
            self._count("sitemap/unparseable")
            return
        depth = int(response.meta.get("sitemap_depth", 0))
        for entry in sitemap:
            loc = entry.get("loc", "").strip()
            if not loc or not same_site(loc, self.base_url):
                continue
            if sitemap.type == "sitemapindex":
                if depth >= self._max_sitemap_depth:
                    self._count("bounds/sitemap_depth")
                    continue
                request = self._listed_request(loc, self.parse_sitemap)
                request.meta["sitemap_depth"] = depth + 1
                yield request
            else:
                modified = _parse_stamp(entry.get("lastmod"))
                yield from self._discover(loc, modified, FeedHints(modified=modified))

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request | AliasRecord | PageRecord]:
        yield self._listing_record(response, "feed")
        if response.status == 304:
            self._count("feed/not_modified")
            return
        if not isinstance(response, TextResponse):
            self._count("feed/not_text")
            return
        for entry in response.xpath("//item | //*[local-name()='entry']"):
            link = entry.xpath("link/text() | *[local-name()='link']/@href").get()
            if not link:
                continue
            stamp = _parse_stamp(
                entry.xpath("pubDate/text() | *[local-name()='published']/text()").get()
            )
            updated = _parse_stamp(entry.xpath("*[local-name()='updated']/text()").get())
            hints = FeedHints(
                published=stamp,
                modified=updated,
                author=_first_text(
                    entry.xpath(
                        "*[local-name()='creator']/text()"
                        " | *[local-name()='author']/*[local-name()='name']/text()"
                    ).getall()
                ),
                categories=tuple(
                    dict.fromkeys(
                        text.strip()
                        for text in entry.xpath(
                            "category/text() | *[local-name()='category']/@term"
                        ).getall()
                        if text.strip()
                    )
                ),
            )
            yield from self._discover(link.strip(), updated or stamp, hints)

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        """An answer to a page request: a listing is walked for links, an article cleaned and
        stored, anything else remembered as what it is."""
        if response.status in REDIRECT_STATUSES:
            for answer in self._redirect(response):
                yield answer
            return
        if response.status == 304:
            yield NotModifiedRecord(
                url=response.url,
                etag=_header(response, "ETag"),
                last_modified=_header(response, "Last-Modified"),
                capture=self._capture(response),
            )
            self._count("articles/not_modified")
            return
        if response.status in _GONE:
            for gone in self._gone(response):
                yield gone
            return
        if not isinstance(response, HtmlResponse):
            self._count("pages/not_html")
            yield PageRecord(
                response.url, "other", response.status, capture=self._capture(response)
            )
            return
        kind = self._kind_of(response)
        self._count(f"pages/{kind}")
        if kind == "listing":
            async for trending in self._front_teasers(response):
                yield trending
            for item in self._walk_listing(response):
                yield item
        elif kind == "article":
            async for item in self._article(response):
                yield item
        else:
            yield PageRecord(
                request_url(response.url), kind, response.status, capture=self._capture(response)
            )

    # -- pages -----------------------------------------------------------------------------

    def _kind_of(self, response: HtmlResponse) -> str:
        """The URL's shape, corrected by WordPress's body classes where the page has them."""
        by_url = page_kind(response.url)
        classes = set(str(response.xpath("//body/@class").get() or "").split())
        if classes & _ATTACHMENT_CLASSES:
            return "attachment"
        if classes & _POST_CLASSES:
            return "article"
        if classes & _NOT_POST_CLASSES:
            return "listing" if by_url is PageKind.LISTING else "static"
        if by_url in (PageKind.ARTICLE, PageKind.LISTING, PageKind.STATIC):
            return str(by_url.value)
        return "other"

    def _walk_listing(
        self, response: HtmlResponse
    ) -> Iterator[scrapy.Request | AliasRecord | PageRecord]:
        yield PageRecord(
            request_url(response.url), "listing", response.status, capture=self._capture(response)
        )
        archive = _archive_of(response.url)
        links = [response.urljoin(href.strip()) for href in response.xpath("//a/@href").getall()]
        kinds = [(url, page_kind(url)) for url in links if same_site(url, self.base_url)]
        articles = [url for url, kind in kinds if kind is PageKind.ARTICLE]
        all_known = bool(articles) and all(map(self.identity.lookup, articles))
        if all_known and self.trusted:
            # Listings run newest first: a page of known addresses means the rest are too.
            self._exhausted.add(archive)
            self._count("listings/stopped_at_known")
        for url in articles:
            yield from self._discover(url)
        for url, kind in kinds:
            if kind is PageKind.LISTING and (address := self._listing_address(url, all_known)):
                yield scrapy.Request(address, callback=self.parse_page)

    async def _front_teasers(self, response: HtmlResponse) -> AsyncIterator[TeaserListRecord]:
        """The teaser lists (the site's trending list) of a start listing's first page, which
        every run fetches: the trending history then has an entry for every run, even one that
        downloads no article page."""
        address = request_url(response.url)
        if address not in self._start_listings:
            return
        assert self._cleaner is not None, "set by from_crawler"
        try:
            page = await self._cleaner.clean(
                response.body, response.url, _charset(response), self.cleaning_options
            )
        except CleaningTimeoutError:
            self._count("failed/clean_timeout")
            return
        record = teaser_list_record(page, address)
        if record.teasers:
            yield record

    def _listing_address(self, url: str, behind_known: bool) -> str | None:
        """The address to ask for a listing page linked from another by, or None when it is
        not to be asked for (again). Pages are counted against
        `max_pages` when asked for (the first page of each archive included), so pages in
        flight cannot walk past the bound. The bound reached from a page whose articles are all
        known is the end of a walk over known pages (a run after an unfinished one walks
        every listing): it is counted apart, so the next run trusts the archive again and
        stops at known pages, instead of every later run walking to the bound."""
        address = request_url(url)
        if "/page/" not in url:
            return address  # an archive's first page: the one page of it always walked
        archive = _archive_of(url)
        requested = self._listing_requested[archive]
        if archive in self._exhausted or address in requested:
            return None
        if self.max_pages is not None and len(requested) + 1 >= self.max_pages:
            self._count("listings/bound_at_known" if behind_known else "bounds/listing_pages")
            return None
        requested.add(address)
        return address

    async def _article(self, response: HtmlResponse) -> AsyncIterator[Any]:
        assert self._cleaner is not None, "set by from_crawler"
        try:
            article = await self._cleaner.clean(
                response.body, response.url, _charset(response), self.cleaning_options
            )
        except CleaningTimeoutError:
            self._count("failed/clean_timeout")
            return
        canonical = article.canonical_url
        if not canonical or not same_site(canonical, self.base_url):
            canonical = response.url
        fetched = self.identity.article_fetched(
            response.url, request_url(canonical), article.post_id
        )
        if fetched.duplicate:
            for alias in fetched.records:
                yield alias
            return
        if self.since and article.published and article.published.date() < self.since:
            self._count("articles/older_than_since")
            return
        record, dropped = article_record(
            article,
            canonical_url=fetched.canonical,
            fetched_url=response.url,
            aliases=fetched.aliases,
            capture=self._capture(response),
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            hints=self._hints.pop(request_url(response.url), None),
        )
        for name in dropped:
            self._count(f"articles/impossible_{name}")
        yield record
        links = [teaser.url for teaser in article.teasers if teaser.url]
        links += [response.urljoin(href.strip()) for href in response.xpath("//a/@href").getall()]
        for url in links:
            for item in self._discover(url):
                yield item

    def _redirect(self, response: Response) -> Iterator[scrapy.Request | AliasRecord | PageRecord]:
        location = response.headers.get("Location")
        hops = int(response.meta.get("hops", 0)) + 1
        if not location or hops > MAX_REDIRECT_HOPS:
            self._count("redirects/abandoned")
            return
        target_url = alias_form(response.urljoin(location.decode("latin-1")))
        yield PageRecord(
            request_url(response.url),
            "redirect",
            response.status,
            target_url,
            capture=self._capture(response),
        )
        on_site = self._site.on_site(target_url)
        if on_site is None:
            self._count("redirects/off_site")
            return
        sighting = self.identity.redirected(response.url, on_site)
        yield from sighting.aliases
        if sighting.first and (sighting.known is None or self.full):
            yield self._page_request(sighting.target, hops)

    def _gone(self, response: Response) -> Iterator[GoneRecord | PageRecord]:
        known = self.identity.lookup(response.url)
        capture = self._capture(response)
        if known is not None and known.is_article:
            self._count("articles/gone_answers")
            yield GoneRecord(url=response.url, status=response.status, capture=capture)
        else:
            self._count("articles/missing")
            yield PageRecord(request_url(response.url), "missing", response.status, capture=capture)

    # -- bookkeeping -----------------------------------------------------------------------

    def _discover(
        self, url: str, stamp: datetime | None = None, hints: FeedHints | None = None
    ) -> Iterator[scrapy.Request | AliasRecord]:
        """An article-shaped link on the site: fetched if never seen, or if what the archive
        knows of it is due; its new forms recorded as aliases of a known article."""
        # An old plain-http link names the https page: known under that form, not new.
        address = self._site.on_site(url)
        if address is None or page_kind(address) is not PageKind.ARTICLE:
            return
        url = address
        if self.since is not None and stamp is not None and stamp.date() < self.since:
            self._count("articles/older_than_since")
            return
        sighting = self.identity.sight(url)
        yield from sighting.aliases
        if hints is not None and sighting.canonical is None:
            self._hints[sighting.target] = hints.merged(self._hints.get(sighting.target))
        if not sighting.first:
            return
        known = sighting.known
        if known is None:
            if self._new_requested >= self._max_new:
                self._count("bounds/new_articles")
                return
            self._new_requested += 1
            yield self._page_request(sighting.target)
        elif self.full or (
            known.is_article and stamp is not None and RevisitPolicy.dated_later(known, stamp)
        ):
            self._count("revisits/dated_later" if not self.full else "revisits/full")
            yield self._page_request(sighting.target)
        else:
            self._count("revisits/skipped_known")

    def _revisit(self, page: KnownPage) -> Iterator[scrapy.Request]:
        """A known address the revisit policy says is due this run."""
        sighting = self.identity.sight(page.canonical_url)
        if sighting.first:
            self._count("revisits/due")
            yield self._page_request(sighting.target)

    def _page_request(self, url: str, hops: int = 0) -> scrapy.Request:
        """Page requests handle their redirects here rather than in RedirectMiddleware: a
        redirect to an article fetched already would be dropped as a duplicate request, and
        with it the knowledge that the old address is an alias."""
        return scrapy.Request(
            url,
            callback=self.parse_page,
            headers=self._conditions(url),
            meta={"dont_redirect": True, "handle_httpstatus_list": _ANSWERS, "hops": hops},
        )

    def _listed_request(self, url: str, callback: Any) -> scrapy.Request:
        """A feed or sitemap request, conditional on the validators it was last served with
        when the last run read everything it listed (a 304 then means nothing new)."""
        return scrapy.Request(
            url,
            callback=callback,
            headers=self._conditions(url) if self.trusted else {},
            meta={"handle_httpstatus_list": [304]},
        )

    def _listing_record(self, response: Response, kind: str) -> PageRecord:
        return PageRecord(
            request_url(response.url),
            "feed" if kind == "feed" else "sitemap",
            response.status,
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            capture=self._capture(response),
        )

    def _capture(self, response: Response) -> Capture | None:
        """The exchange, for the archive's WARC files (None when capture is off)."""
        return capture_of(response) if self._warc_enabled else None

    def _conditions(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since from what the archive stored for this address."""
        page = None if self.full else self.identity.lookup(url)
        if page is None or page.gone:
            return {}
        headers = {}
        if page.etag:
            headers["If-None-Match"] = _sent_etag(page.etag)
        if page.last_modified:
            headers["If-Modified-Since"] = page.last_modified
        return headers

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"pvdn/{key}")


def _parse_stamp(stamp: str | None) -> datetime | None:
    """A feed's RFC 822 date or a sitemap's ISO date, as an aware datetime (UTC if the stamp
    carries no offset)."""
    if not stamp or not stamp.strip():
        return None
    stamp = stamp.strip()
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(stamp)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# What Apache's mod_deflate appends to an ETag when it compresses the answer (its default
# since 2.4.0). The application behind it (WordPress, for its feeds) compares If-None-Match
# with the ETag it made, without the suffix, and never answers 304 to the suffixed form.
_ENCODING_SUFFIX = re.compile(r'-(?:gzip|br|deflate|zstd)(?="?$)')


def _sent_etag(etag: str) -> str:
    """An ETag as If-None-Match should send it back: without a compression suffix a proxy or
    module added on the way out."""
    return _ENCODING_SUFFIX.sub("", etag)


def _first_text(texts: list[str]) -> str | None:
    return next((text.strip() for text in texts if text.strip()), None)


def _archive_of(url: str) -> str:
    """The archive a listing page belongs to: its address without `/page/N`."""
    return url.split("/page/", maxsplit=1)[0].rstrip("/")


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _charset(response: Response) -> str | None:
    """The charset the HTTP Content-Type header declares, if any."""
    return header_charset(_header(response, "Content-Type"))
