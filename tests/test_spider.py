"""The spider's routing, on responses built in memory: what it requests, what it yields."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
import scrapy
from scrapy.addons import AddonManager
from scrapy.http import HtmlResponse, Response, XmlResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from pvdn_crawler.cleaner import PageCleaner
from pvdn_crawler.defaults import PVDN_SETTINGS
from pvdn_crawler.identity import UrlIdentity
from pvdn_crawler.spiders.pvdn import PvdnSpider, SpiderArguments
from storage.records import (
    AliasRecord,
    ArticleRecord,
    GoneRecord,
    KnownPage,
    NotModifiedRecord,
    PageRecord,
)
from tests.saved_cases import FIXTURES

SITE = "https://www.vallartadaily.com"
T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def _spider(known: dict[str, KnownPage] | None = None, **kwargs: str) -> PvdnSpider:
    crawler = get_crawler(PvdnSpider)
    spider = PvdnSpider.from_crawler(crawler, **kwargs)
    assert isinstance(spider, PvdnSpider)
    spider.identity = UrlIdentity(known or {})
    spider._cleaner = PageCleaner(workers=0, timeout=30)
    return spider


def _html(url: str, body: str | bytes, status: int = 200, **headers: str) -> HtmlResponse:
    data = body.encode() if isinstance(body, str) else body
    return HtmlResponse(
        url=url, body=data, encoding="utf-8", status=status, headers=headers,
        request=scrapy.Request(url),
    )  # fmt: skip


def _page(spider: PvdnSpider, response: Response) -> list[Any]:
    """Everything `parse_page` yields for a response (it is an async generator)."""

    async def collect(items: AsyncIterator[Any]) -> list[Any]:
        return [item async for item in items]

    return asyncio.run(collect(spider.parse_page(response)))


def _urls(out: Iterable[Any]) -> list[str]:
    return [r.url for r in out if isinstance(r, scrapy.Request)]


_FETCHED = (ArticleRecord, PageRecord, GoneRecord, NotModifiedRecord)


def _records(out: Iterable[Any], response: Response) -> list[Any]:
    """What the spider yielded, each record that answers a fetch checked to carry the
    exchange of `response` (for the WARC files) and compared without it."""
    plain = []
    for item in out:
        if isinstance(item, _FETCHED):
            capture = item.capture
            assert capture is not None, item
            assert (capture.url, capture.status, capture.body) == (
                response.url,
                response.status,
                response.body,
            )
            plain.append(replace(item, capture=None))
        else:
            plain.append(item)
    return plain


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
    listing = _html(f"{SITE}/headlines/", LISTING)
    out = _records(_page(spider, listing), listing)
    urls = _urls(out)
    assert urls.count(f"{SITE}/first-story/") == 1
    assert f"{SITE}/second-story/" in urls
    assert f"{SITE}/headlines/page/2" in urls
    assert not any("pvdntv" in u or "/reader/" in u for u in urls)
    assert spider.identity.forms_of(f"{SITE}/first-story") == {
        f"{SITE}/first-story/",
        f"{SITE}/first-story",
    }
    # The listing itself is remembered as what it is.
    assert PageRecord(f"{SITE}/headlines/", "listing", 200) in out


def test_max_pages_bounds_listing_walks_and_is_counted() -> None:
    spider = _spider(max_pages="1")
    out = _page(spider, _html(f"{SITE}/headlines/", LISTING))
    assert f"{SITE}/headlines/page/2" not in _urls(out)
    assert spider.crawler.stats is not None
    assert spider.crawler.stats.get_value("pvdn/bounds/listing_pages") == 1


def test_listing_pages_in_flight_cannot_walk_past_the_bound() -> None:
    """WordPress pagination links several pages at once (2, 3, the last): they are counted
    when asked for, so `max_pages=3` asks for two more pages, not every one linked."""
    numbered = "".join(f'<a href="{SITE}/headlines/page/{n}">{n}</a>' for n in (2, 3, 4, 97))
    spider = _spider(max_pages="3")
    first = _urls(_page(spider, _html(f"{SITE}/headlines/", LISTING.replace("</body>", numbered))))
    second = _urls(_page(spider, _html(f"{SITE}/headlines/page/2", numbered)))
    walked = [u for u in first + second if "/headlines/" in u]
    assert walked == [f"{SITE}/headlines/page/2", f"{SITE}/headlines/page/3"]
    assert spider.crawler.stats.get_value("pvdn/bounds/listing_pages") >= 1


def test_a_bound_reached_over_known_articles_keeps_the_next_run_trusting() -> None:
    """A walk that reaches the bound on a page of archived articles held nothing back: it is
    not a `bounds/` count (which would make the next run walk every listing again)."""
    known = {
        f"{SITE}/first-story/": KnownPage(f"{SITE}/first-story/", last_seen=T0, checked_at=T0),
        f"{SITE}/second-story/": KnownPage(f"{SITE}/second-story/", last_seen=T0, checked_at=T0),
    }
    spider = _spider(known, max_pages="1")  # an untrusted run: it walks on past known pages
    assert f"{SITE}/headlines/page/2" not in _urls(
        _page(spider, _html(f"{SITE}/headlines/", LISTING))
    )
    assert spider.crawler.stats.get_value("pvdn/bounds/listing_pages") is None
    assert spider.crawler.stats.get_value("pvdn/listings/bound_at_known") == 1


def test_article_record_with_canonical_aliases_and_teasers() -> None:
    page = FIXTURES / "pages" / "a03-mid2025-manual-excerpt" / "page.html"
    spider = _spider()
    # The listing linked the shortlink; the page is served under it and names its canonical.
    list(spider._discover(f"{SITE}/?p=60127"))
    response = _html(f"{SITE}/?p=60127", page.read_bytes())
    out = _records(_page(spider, response), response)
    records = [o for o in out if isinstance(o, ArticleRecord)]
    assert len(records) == 1
    record = records[0]
    assert record.canonical_url.startswith(SITE) and "?p=" not in record.canonical_url
    assert f"{SITE}/?p=60127" in record.aliases
    assert record.post_id == 60127
    assert record.teasers and all(t.kind == "trending" for t in record.teasers)
    assert [t.position for t in record.teasers] == list(range(len(record.teasers)))
    followed = set(_urls(out))
    assert {t.target_url for t in record.teasers} <= followed
    # Later links to the same article are aliases, not fetches.
    again = list(spider._discover(record.canonical_url.rstrip("/") + "?utm_source=rss"))
    assert again == [
        AliasRecord(alias_url=record.canonical_url.rstrip("/") + "?utm_source=rss",
                    canonical_url=record.canonical_url)
    ]  # fmt: skip
    assert list(spider._discover(f"{SITE}/?p=60127")) == []  # known alias, already recorded


def test_static_and_attachment_pages_are_remembered_not_stored() -> None:
    spider = _spider()
    page = '<html><body class="page-template-default page page-id-12"><p>FAQ</p></body></html>'
    attachment = '<html><body class="attachment attachment-template-default"><img></body></html>'
    static = _html(f"{SITE}/understanding-payments/", page)
    assert _records(_page(spider, static), static) == [
        PageRecord(f"{SITE}/understanding-payments/", "static", 200)
    ]
    photo = _html(f"{SITE}/story/photo-1/", attachment)
    assert _records(_page(spider, photo), photo) == [
        PageRecord(f"{SITE}/story/photo-1/", "attachment", 200)
    ]


def test_a_story_less_post_page_is_still_an_article() -> None:
    page = FIXTURES / "pages" / "b04-late2025-no-body" / "page.html"
    url = f"{SITE}/mexico-news/central-east/puebla/puebla-talavera-workshops-open-house/"
    out = _page(_spider(), _html(url, page.read_bytes()))
    (record,) = [o for o in out if isinstance(o, ArticleRecord)]
    assert record.story.body == ""
    assert record.story.empty_reason
    assert record.story.title
    assert record.teasers


def test_known_articles_are_not_fetched_again_unless_due() -> None:
    known = {
        f"{SITE}/old-story/": KnownPage(f"{SITE}/old-story/", last_seen=T0, checked_at=T0),
        f"{SITE}/terms/": KnownPage(f"{SITE}/terms/", kind="static", checked_at=T0),
    }
    spider = _spider(known)
    assert list(spider._discover(f"{SITE}/old-story/")) == []
    assert list(spider._discover(f"{SITE}/terms")) == []
    # A form of the known article not seen before is recorded as an alias, without a fetch.
    assert list(spider._discover(f"{SITE}/old-story/?amp=1")) == [
        AliasRecord(f"{SITE}/old-story/?amp=1", f"{SITE}/old-story/")
    ]
    # A feed entry dated after the archive's last look asks for it again.
    later = list(
        spider._discover(f"{SITE}/old-story/?utm_source=rss", datetime(2026, 1, 1, tzinfo=UTC))
    )
    # Already sighted this run: one request per address at most (the new form is an alias).
    assert _urls(later) == []
    fresh = _spider(known)
    dated = list(fresh._discover(f"{SITE}/old-story/", datetime(2026, 1, 1, tzinfo=UTC)))
    assert _urls(dated) == [f"{SITE}/old-story/"]


def test_an_old_http_link_is_the_known_https_article_not_a_new_one() -> None:
    """Old posts link to the site over plain http: that is the https page the archive knows,
    not a new article to fetch in every run."""
    known = {f"{SITE}/old-story/": KnownPage(f"{SITE}/old-story/", last_seen=T0, checked_at=T0)}
    spider = _spider(known)
    insecure = SITE.replace("https://", "http://")
    assert list(spider._discover(f"{insecure}/old-story/")) == []
    assert spider.crawler.stats.get_value("pvdn/revisits/skipped_known") == 1
    # A new article linked the same way is fetched once, over https.
    assert _urls(spider._discover(f"{insecure}/new-story/")) == [f"{SITE}/new-story/"]


def test_gone_is_said_once_for_known_articles_and_missing_links_are_remembered() -> None:
    known = {f"{SITE}/removed/": KnownPage(f"{SITE}/removed/", last_seen=T0)}
    spider = _spider(known)
    removed = _html(f"{SITE}/removed/", "", status=410)
    assert _records(_page(spider, removed), removed) == [GoneRecord(f"{SITE}/removed/", 410)]
    never = _html(f"{SITE}/never-was/", "", status=404)
    assert _records(_page(spider, never), never) == [
        PageRecord(f"{SITE}/never-was/", "missing", 404)
    ]


def test_redirect_to_a_known_article_is_an_alias_and_no_fetch() -> None:
    known = {f"{SITE}/story/": KnownPage(f"{SITE}/story/", last_seen=T0)}
    spider = _spider(known)
    list(spider._discover(f"{SITE}/?p=77"))
    moved = _html(f"{SITE}/?p=77", "", status=301, Location=f"{SITE}/story/")
    out = _records(_page(spider, moved), moved)
    assert PageRecord(f"{SITE}/?p=77", "redirect", 301, f"{SITE}/story/") in out
    assert AliasRecord(f"{SITE}/?p=77", f"{SITE}/story/") in out
    assert _urls(out) == []


FEED = f"""<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<item><link>{SITE}/new-story/?utm_source=rss&amp;utm_medium=rss</link>
<pubDate>Tue, 17 Jun 2025 10:00:00 +0000</pubDate><dc:creator><![CDATA[Ana Ruiz]]></dc:creator>
<category><![CDATA[Puerto Vallarta News]]></category><category>Weather</category></item>
<item><link>{SITE}/old-story/?utm_source=rss</link>
<pubDate>Mon, 02 Jan 2023 10:00:00 +0000</pubDate></item>
</channel></rss>"""


def test_feed_since_skips_older_entries_and_keeps_hints() -> None:
    spider = _spider(since="2025-01-01")
    response = XmlResponse(url=f"{SITE}/feed/", body=FEED.encode())
    out = _records(spider.parse_feed(response), response)
    assert _urls(out) == [f"{SITE}/new-story/"]
    assert out[0] == PageRecord(f"{SITE}/feed/", "feed", 200)
    hints = spider._hints[f"{SITE}/new-story/"]
    assert hints.author == "Ana Ruiz"
    assert hints.categories == ("Puerto Vallarta News", "Weather")
    assert hints.published == datetime(2025, 6, 17, 10, 0, tzinfo=UTC)


def test_local_mirror_base_url_sets_allowed_domains() -> None:
    spider = _spider(base_url="http://127.0.0.1:8123")
    assert spider.allowed_domains == ["127.0.0.1"]
    assert _spider().allowed_domains == ["vallartadaily.com", "www.vallartadaily.com"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"max_pages": "abc"}, "max_pages must be a whole number"),
        ({"max_pages": "-1"}, "max_pages must be a whole number"),
        ({"since": "x"}, "since must be a date"),
        ({"base_url": "www.example.com"}, "base_url must be an absolute"),
        ({"full": "maybe"}, "full must be 1 or 0"),
    ],
)
def test_bad_arguments_are_one_line_errors(arguments: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SpiderArguments.parse(**arguments)


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


def test_pvdn_defaults_yield_to_project_and_command_line_settings() -> None:
    settings = Settings()
    settings.set("PVDN_RECHECK_SHARE", 0.5, priority="project")
    PvdnSpider.update_settings(settings)
    assert settings.getfloat("PVDN_RECHECK_SHARE") == 0.5
    assert settings.getfloat("PVDN_RECENT_DAYS") == 2.0


def test_pvdn_defaults_reach_commands_that_run_no_pvdn_spider() -> None:
    """`scrapy fetch URL` and `shell` run Scrapy's DefaultSpider: the project's add-on gives
    them the PVDN_ defaults all the same (a robots.txt timeout of 0 would refuse the page)."""
    settings = Settings()
    settings.setmodule("pvdn_crawler.settings", priority="project")
    settings.set("PVDN_MAX_ERRORS", 3, priority="cmdline")
    crawler = SimpleNamespace(settings=settings)
    AddonManager(crawler).load_settings(settings)  # type: ignore[arg-type]
    assert settings.getfloat("PVDN_ROBOTS_TIMEOUT") == PVDN_SETTINGS["PVDN_ROBOTS_TIMEOUT"] > 0
    assert settings.getint("PVDN_MAX_ERRORS") == 3


def test_polite_defaults() -> None:
    settings = Settings()
    settings.setmodule("pvdn_crawler.settings", priority="project")
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1.0


def test_an_etag_goes_back_without_the_compression_suffix_apache_added() -> None:
    """mod_deflate turns WordPress's `"abc"` into `"abc-gzip"`; WordPress only answers 304 to
    the ETag it made."""
    known = {
        f"{SITE}/feed/": KnownPage(f"{SITE}/feed/", kind="feed", etag='"9b8f-gzip"', checked_at=T0),
        f"{SITE}/story/": KnownPage(f"{SITE}/story/", etag='W/"s1-br"', last_seen=T0),
    }
    spider = _spider(known)
    assert spider._conditions(f"{SITE}/feed/") == {"If-None-Match": '"9b8f"'}
    assert spider._conditions(f"{SITE}/story/") == {"If-None-Match": 'W/"s1"'}
