"""The `pvdn` spider: discovers article addresses and fetches each once.

Discovery runs from robots.txt sitemaps, the feeds, the listing pages and the links on
article pages. Every link is reduced to one request address (`urls.request_url`), so the
aliases of an article cost one fetch; the forms seen are kept as the article's aliases.
Extraction is `cleaning`'s job and storage the pipelines'; this module only routes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import scrapy
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from cleaning import Options, clean_html
from pvdn_crawler.items import AliasItem, ArticleItem, GoneItem, NotModifiedItem
from pvdn_crawler.subscriber import Credentials, LoginFailedError, log_in
from pvdn_crawler.urls import (
    PRODUCTION_ORIGIN,
    PageKind,
    alias_form,
    page_kind,
    request_url,
    same_site,
)

if TYPE_CHECKING:
    from storage.records import KnownPage

# Where discovery starts, relative to base_url.
START_FEEDS = ("/feed/", "/category/puerto-vallarta-news/feed/")
START_LISTINGS = ("/headlines/",)
try:
    _VERSION = version("pvdn-archive")
except PackageNotFoundError:  # running from a checkout that was not installed
    _VERSION = "dev"
_REDIRECTS = [301, 302, 303, 307, 308]
_GONE = [404, 410]
# Statuses an article request handles itself: redirects, Not Modified, gone.
_ANSWERS = [*_REDIRECTS, 304, *_GONE]
_MAX_HOPS = 5
# WordPress body classes of posts, of pages and of archives.
_POST_CLASSES = frozenset({"single", "single-post", "single-format-standard"})
_NOT_POST_CLASSES = frozenset(
    {"page", "archive", "blog", "home", "search", "error404", "category", "tag", "date"}
)


class PvdnSpider(scrapy.Spider):
    """Arguments: `base_url` (default the production site; a local mirror works the same),
    `max_pages` (listing pages per archive), `since` (YYYY-MM-DD: skip older feed and sitemap
    entries and do not store older articles), `full` (1: ignore what the archive knows).

    `known` is filled by the archive pipeline when the spider opens: every stored article by
    canonical URL and alias, with its HTTP validators and last-seen time. With it, a run after
    the first asks for articles conditionally; when the previous run also finished well
    (`trust_known`), it skips feed and sitemap entries not updated since they were last seen
    and stops walking a listing whose articles are all known.
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
        self.base_url = base_url.rstrip("/")
        host = urlsplit(self.base_url).hostname
        if not host:
            raise ValueError(f"base_url must be an absolute URL, got {base_url!r}")
        bare = host.removeprefix("www.")
        local = host == "localhost" or host.replace(".", "").isdigit()
        self.allowed_domains = [host] if local else sorted({bare, f"www.{bare}"})
        # A mirror's pages are the site's pages: the cleaning profile applies to its host too.
        self.cleaning_options = Options(site_hosts=frozenset(self.allowed_domains))
        self.max_pages = int(max_pages) if max_pages not in (None, "") else None
        self.since = date.fromisoformat(since) if since else None
        self.full = str(full).lower() in {"1", "true", "yes"}
        self.known: Mapping[str, KnownPage] = {}
        self.trust_known = False
        self._exhausted: set[str] = set()
        self._forms: defaultdict[str, set[str]] = defaultdict(set)
        self._stored: dict[str, str] = {}
        self._aliased: set[str] = set()
        self._moved: dict[str, str] = {}  # request address -> where it redirected
        self._by_post_id: dict[int, str] = {}
        self._listing_pages: defaultdict[str, int] = defaultdict(int)
        # Optional subscriber login: from the environment only (see pvdn_crawler.subscriber).
        self._subscriber = Credentials.from_environment()

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Site owners get a way to reach whoever runs the crawl: the contact URL setting goes
        into the User-Agent, unless a USER_AGENT was given on the command line."""
        super().update_settings(settings)
        contact = settings.get("PVDN_CONTACT_URL")
        if contact and (settings.getpriority("USER_AGENT") or 0) < SETTINGS_PRIORITIES["cmdline"]:
            settings.set("USER_AGENT", f"pvdn-archive/{_VERSION} (+{contact})", priority="spider")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self._subscriber is not None:
            await self._log_in(self._subscriber)
        yield scrapy.Request(f"{self.base_url}/robots.txt", callback=self.parse_robots)
        for path in START_FEEDS:
            yield scrapy.Request(self.base_url + path, callback=self.parse_feed)
        for path in START_LISTINGS:
            yield scrapy.Request(self.base_url + path, callback=self.parse_page)

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
                yield scrapy.Request(url, callback=self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request | AliasItem]:
        try:
            sitemap = Sitemap(response.body)
        except Exception:
            self._count("sitemap/unparseable")
            return
        for entry in sitemap:
            loc = entry.get("loc", "")
            if not loc or not same_site(loc, self.base_url):
                continue
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(loc, callback=self.parse_sitemap)
            elif not self._skip_dated(loc, entry.get("lastmod")):
                yield from self._follow(loc)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request | AliasItem]:
        if not isinstance(response, TextResponse):
            self._count("feed/not_text")
            return
        for item in response.xpath("//item | //*[local-name()='entry']"):
            link = item.xpath("link/text() | *[local-name()='link']/@href").get()
            published = item.xpath("pubDate/text() | *[local-name()='updated']/text()").get()
            if link and not self._skip_dated(link.strip(), published):
                yield from self._follow(link.strip())

    def parse_page(self, response: Response) -> Iterator[Any]:
        """Any HTML page: a listing is walked for links, an article cleaned and stored."""
        if response.status in _REDIRECTS:
            yield from self._redirect(response)
            return
        if response.status == 304:
            self._count("articles/not_modified")
            yield NotModifiedItem(
                url=response.url,
                etag=_header(response, "ETag"),
                last_modified=_header(response, "Last-Modified"),
            )
            return
        if response.status in _GONE:
            if self._known(response.url) is not None:
                self._count("articles/gone")
                yield GoneItem(url=response.url, status=response.status)
            else:
                self._count("articles/missing")
            return
        if not isinstance(response, HtmlResponse):
            self._count("pages/not_html")
            return
        kind = self._kind_of(response)
        self._count(f"pages/{kind.value}")
        if kind is PageKind.LISTING:
            yield from self._walk_listing(response)
        elif kind is PageKind.ARTICLE:
            yield from self._article(response)

    # -- pages -----------------------------------------------------------------------------

    def _kind_of(self, response: HtmlResponse) -> PageKind:
        """The URL's shape, corrected by WordPress's body classes where the page has them."""
        by_url = page_kind(response.url)
        classes = set((response.xpath("//body/@class").get() or "").split())
        if classes & _POST_CLASSES:
            return PageKind.ARTICLE
        if classes & _NOT_POST_CLASSES:
            return PageKind.LISTING if by_url is PageKind.LISTING else PageKind.STATIC
        return by_url

    def _walk_listing(self, response: HtmlResponse) -> Iterator[scrapy.Request | AliasItem]:
        archive = _archive_of(response.url)
        self._listing_pages[archive] += 1
        hrefs = response.xpath("//a/@href").getall()
        links = [response.urljoin(href.strip()) for href in hrefs]
        kinds = [(url, page_kind(url)) for url in links if same_site(url, self.base_url)]
        articles = [url for url, kind in kinds if kind is PageKind.ARTICLE]
        if articles and self._shortcuts() and all(map(self._known, articles)):
            # Listings run newest first: a page of known articles means the rest are too.
            self._exhausted.add(archive)
            self._count("listings/stopped_at_known")
        for url in articles:
            yield from self._follow(url)
        for url, kind in kinds:
            if kind is PageKind.LISTING and self._may_walk(url):
                yield scrapy.Request(request_url(url), callback=self.parse_page)

    def _may_walk(self, url: str) -> bool:
        archive = _archive_of(url)
        if archive in self._exhausted and "/page/" in url:
            return False
        return self.max_pages is None or self._listing_pages[archive] < self.max_pages

    def _article(self, response: HtmlResponse) -> Iterator[Any]:
        article = clean_html(response.body, response.url, options=self.cleaning_options)
        self._count(f"extractor/{article.extractor}")
        first_url = response.url
        canonical = article.canonical_url
        if not canonical or not same_site(canonical, self.base_url):
            canonical = request_url(response.url)
        canonical = request_url(canonical)
        forms = self._forms.pop(request_url(first_url), set()) | self._forms.pop(canonical, set())
        forms.add(first_url)
        if canonical in self._stored:
            # Reached under two request addresses (a shortlink served with 200 and its
            # canonical path): the article is stored once, the other address is an alias.
            yield from self._new_aliases(forms, canonical)
            return
        aliases = sorted(forms - {canonical})
        self._aliased.update(aliases)
        self._stored[canonical] = canonical
        self._stored[request_url(first_url)] = canonical
        if article.post_id is not None:
            self._by_post_id[article.post_id] = canonical
        if self.since and article.published and article.published.date() < self.since:
            self._count("articles/older_than_since")
            return
        yield ArticleItem.from_clean(
            article,
            canonical_url=canonical,
            fetched_url=response.url,
            aliases=aliases,
            raw_html=response.body,
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
        )
        for teaser in article.teasers:
            if teaser.url:
                yield from self._follow(teaser.url)
        for href in response.xpath("//a/@href").getall():
            yield from self._follow(response.urljoin(href.strip()))  # it keeps site articles

    # -- bookkeeping -----------------------------------------------------------------------

    def _follow(self, url: str) -> Iterator[scrapy.Request | AliasItem]:
        """One request per article address; a form of an article already stored this run
        becomes an alias instead of a fetch."""
        # Most links of a page are not to articles: they are told apart before any rewriting
        # (alias_form keeps the host, the path and the `p`/`s` parameters, so the answers are
        # the same for the alias form).
        if not same_site(url, self.base_url) or page_kind(url) is not PageKind.ARTICLE:
            return
        url = alias_form(url)
        target = request_url(url)
        target = self._moved.get(target, target)
        stored = self._stored.get(target) or self._stored_by_shortlink(target)
        if stored is not None:
            yield from self._new_aliases({url}, stored)
        else:
            yield from self._queue(target, {url})

    def _queue(self, target: str, forms: set[str], hops: int = 0) -> Iterator[scrapy.Request]:
        """Remember the forms that lead to `target`; request it the first time only."""
        first_sight = target not in self._forms
        self._forms[target].update(forms)
        if first_sight:
            yield self._article_request(target, hops)

    def _new_aliases(self, forms: set[str], canonical: str) -> Iterator[AliasItem]:
        for form in sorted(forms - self._aliased - {canonical}):
            self._aliased.add(form)
            yield AliasItem(alias_url=form, canonical_url=canonical)

    def _article_request(self, url: str, hops: int = 0) -> scrapy.Request:
        """Article requests handle their redirects here rather than in RedirectMiddleware:
        a redirect to an article fetched already would be dropped as a duplicate request,
        and with it the knowledge that the old address is an alias."""
        return scrapy.Request(
            url,
            callback=self.parse_page,
            headers=self._conditions(url),
            meta={"dont_redirect": True, "handle_httpstatus_list": _ANSWERS, "hops": hops},
        )

    def _conditions(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since from what the archive stored for this page."""
        page = None if self.full else self._known(url)
        if page is None or page.gone:
            return {}
        headers = {}
        if page.etag:
            headers["If-None-Match"] = page.etag
        if page.last_modified:
            headers["If-Modified-Since"] = page.last_modified
        return headers

    def _shortcuts(self) -> bool:
        """Whether to skip by what the archive knows (not on full runs, nor after a run that
        was killed or failed: the pages behind known ones may never have been fetched)."""
        return bool(self.known) and self.trust_known and not self.full

    def _known(self, url: str) -> KnownPage | None:
        return self.known.get(url) or self.known.get(request_url(url))

    def _redirect(self, response: Response) -> Iterator[scrapy.Request | AliasItem]:
        location = response.headers.get("Location")
        hops = int(response.meta.get("hops", 0)) + 1
        if not location or hops > _MAX_HOPS:
            self._count("redirects/abandoned")
            return
        target_url = alias_form(response.urljoin(location.decode("latin-1")))
        if not same_site(target_url, self.base_url):
            self._count("redirects/off_site")
            return
        source = request_url(response.url)
        forms = self._forms.pop(source, set()) | {response.url}
        target = request_url(target_url)
        self._moved[source] = target
        stored = self._stored.get(target)
        if stored is not None:
            yield from self._new_aliases(forms, stored)
        else:
            yield from self._queue(target, forms, hops)

    def _stored_by_shortlink(self, url: str) -> str | None:
        post_id = dict(parse_qsl(urlsplit(url).query)).get("p", "")
        return self._by_post_id.get(int(post_id)) if post_id.isdigit() else None

    def _skip_dated(self, url: str, stamp: str | None) -> bool:
        """A feed or sitemap entry older than `since`, or not updated since the archive last
        saw the article, needs no request."""
        when = _parse_stamp(stamp.strip()) if stamp else None
        if when is None:
            return False
        if self.since is not None and when.date() < self.since:
            return True
        page = self._known(url) if self._shortcuts() else None
        if page is not None and not page.gone and when <= page.last_seen:
            self._count("articles/skipped_unchanged_by_date")
            return True
        return False

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"pvdn/{key}")


def _parse_stamp(stamp: str) -> datetime | None:
    """A feed's RFC 822 date or a sitemap's ISO date, as an aware datetime (UTC if the stamp
    carries no offset)."""
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(stamp)
        except (TypeError, ValueError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _archive_of(url: str) -> str:
    """The archive a listing page belongs to: its address without `/page/N`."""
    return url.split("/page/", maxsplit=1)[0].rstrip("/")


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
