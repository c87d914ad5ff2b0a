"""The spider's routing, on responses built in memory: what it requests, what it yields."""

from __future__ import annotations

import scrapy
from scrapy.http import HtmlResponse, XmlResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from pvdn_crawler.items import AliasItem, ArticleItem
from pvdn_crawler.spiders.pvdn import PvdnSpider
from tests.saved_cases import FIXTURES

SITE = "https://www.vallartadaily.com"


def _spider(**kwargs: str) -> PvdnSpider:
    crawler = get_crawler(PvdnSpider)
    spider = PvdnSpider.from_crawler(crawler, **kwargs)
    assert isinstance(spider, PvdnSpider)
    return spider


def _html(url: str, body: str | bytes, request_url: str | None = None) -> HtmlResponse:
    request = scrapy.Request(request_url or url)
    data = body.encode() if isinstance(body, str) else body
    return HtmlResponse(url=url, body=data, encoding="utf-8", request=request)


LISTING = f"""<html><body class="archive category">
<h1>Headline News from PVDN</h1>
<h2><a href="{SITE}/first-story/">First story</a></h2><a href="{SITE}/first-story">Read More</a>
<h2><a href="/second-story/?utm_source=rss&utm_medium=rss">Second</a></h2>
<a href="https://pvdntv.com/2021/07/13/">PVDN TV</a>
<a href="{SITE}/reader/">Reader</a>
<a href="{SITE}/headlines/page/2">Next</a>
</body></html>"""


def test_listing_requests_each_article_once_and_stays_on_site() -> None:
    spider = _spider()
    out = list(spider.parse_page(_html(f"{SITE}/headlines/", LISTING)))
    urls = [r.url for r in out if isinstance(r, scrapy.Request)]
    assert urls.count(f"{SITE}/first-story/") == 1
    assert f"{SITE}/second-story/" in urls
    assert f"{SITE}/headlines/page/2" in urls
    assert not any("pvdntv" in u or "/reader/" in u for u in urls)
    assert spider._forms[f"{SITE}/first-story/"] == {f"{SITE}/first-story/", f"{SITE}/first-story"}


def test_max_pages_bounds_listing_walks() -> None:
    spider = _spider(max_pages="1")
    out = list(spider.parse_page(_html(f"{SITE}/headlines/", LISTING)))
    assert f"{SITE}/headlines/page/2" not in [r.url for r in out if isinstance(r, scrapy.Request)]


def test_article_item_with_canonical_aliases_and_teasers() -> None:
    page = FIXTURES / "pages" / "a03-mid2025-manual-excerpt" / "page.html"
    spider = _spider()
    # The listing linked the shortlink; the page is served under it and names its canonical.
    list(spider._follow(f"{SITE}/?p=60127"))
    out = list(spider.parse_page(_html(f"{SITE}/?p=60127", page.read_bytes())))
    items = [o for o in out if isinstance(o, ArticleItem)]
    assert len(items) == 1
    item = items[0]
    assert item.canonical_url.startswith(SITE) and "?p=" not in item.canonical_url
    assert f"{SITE}/?p=60127" in item.aliases
    assert item.post_id == 60127
    assert item.teasers and all(t.kind == "trending" for t in item.teasers)
    assert [t.position for t in item.teasers] == list(range(len(item.teasers)))
    followed = {r.url for r in out if isinstance(r, scrapy.Request)}
    assert {t.target_url for t in item.teasers} <= followed
    # Later links to the same article are aliases, not fetches.
    again = list(spider._follow(item.canonical_url.rstrip("/") + "?utm_source=rss"))
    assert again == [
        AliasItem(alias_url=item.canonical_url.rstrip("/") + "?utm_source=rss",
                  canonical_url=item.canonical_url)
    ]  # fmt: skip
    assert list(spider._follow(f"{SITE}/?p=60127")) == []  # known alias, already recorded


def test_static_page_is_not_an_article() -> None:
    body = '<html><body class="page-template-default page page-id-12"><p>FAQ</p></body></html>'
    spider = _spider()
    assert list(spider.parse_page(_html(f"{SITE}/understanding-payments/", body))) == []


FEED = f"""<?xml version="1.0"?><rss version="2.0"><channel>
<item><link>{SITE}/new-story/?utm_source=rss&amp;utm_medium=rss</link>
<pubDate>Tue, 17 Jun 2025 10:00:00 +0000</pubDate></item>
<item><link>{SITE}/old-story/?utm_source=rss</link>
<pubDate>Mon, 02 Jan 2023 10:00:00 +0000</pubDate></item>
</channel></rss>"""


def test_feed_since_skips_older_entries() -> None:
    spider = _spider(since="2025-01-01")
    response = XmlResponse(url=f"{SITE}/feed/", body=FEED.encode())
    urls = [r.url for r in spider.parse_feed(response) if isinstance(r, scrapy.Request)]
    assert urls == [f"{SITE}/new-story/"]


def test_local_mirror_base_url_sets_allowed_domains() -> None:
    spider = _spider(base_url="http://127.0.0.1:8123")
    assert spider.allowed_domains == ["127.0.0.1"]
    assert _spider().allowed_domains == ["vallartadaily.com", "www.vallartadaily.com"]


def test_user_agent_names_the_contact_url() -> None:
    settings = Settings({"PVDN_CONTACT_URL": "https://example.org/archive-team"})
    PvdnSpider.update_settings(settings)
    agent = settings.get("USER_AGENT")
    assert agent.startswith("pvdn-archive/")
    assert agent.endswith("(+https://example.org/archive-team)")
    explicit = Settings({"PVDN_CONTACT_URL": "https://example.org/x"})
    explicit.set("USER_AGENT", "my-bot", priority="cmdline")
    PvdnSpider.update_settings(explicit)
    assert explicit.get("USER_AGENT") == "my-bot"


def test_polite_defaults() -> None:
    settings = Settings()
    settings.setmodule("pvdn_crawler.settings", priority="project")
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1.0
