"""The site's URL shapes: page kinds and the one request address for every alias."""

from __future__ import annotations

import pytest

from pvdn_crawler.urls import PageKind, alias_form, page_kind, rebase, request_url, same_site

SITE = "https://www.vallartadaily.com"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/international-crisis-group-mexicos-government-and-cartels-agree", PageKind.ARTICLE),
        ("/skydiver-rescued-puerto-vallarta-palm-tree/", PageKind.ARTICLE),
        ("/puerto-vallarta-news/puerto-vallarta-charro-day-2025/", PageKind.ARTICLE),
        ("/mexico-news/southeast/quintana-roo/playa-del-carmen/playa-del-carmen-detainee-death",
         PageKind.ARTICLE),
        ("/?p=59398", PageKind.ARTICLE),
        ("/headlines/", PageKind.LISTING),
        ("/headlines/page/292", PageKind.LISTING),
        ("/category/mexico-news/southeast/quintana-roo/cancun/page/23", PageKind.LISTING),
        ("/puerto-vallarta-news/page/135", PageKind.LISTING),
        ("/puerto-vallarta/page/186", PageKind.LISTING),
        ("/topic/cancun", PageKind.LISTING),
        ("/2021/06/15/", PageKind.LISTING),
        ("/?s=hurricane", PageKind.LISTING),
        ("/feed/", PageKind.FEED),
        ("/category/puerto-vallarta-news/feed/", PageKind.FEED),
        ("/wp-sitemap-posts-post-1.xml", PageKind.SITEMAP),
        ("/reader/", PageKind.STATIC),
        ("/understanding-payments/", PageKind.STATIC),
        ("/wp-content/uploads/2017/08/bengal-tiger-cub-35900.jpg", PageKind.ASSET),
        ("/wp-admin/admin-ajax.php", PageKind.ASSET),
    ],
)  # fmt: skip
def test_page_kinds(path: str, kind: PageKind) -> None:
    assert page_kind(SITE + path) is kind


@pytest.mark.parametrize(
    "alias",
    [
        "/unlikely-friends",
        "/unlikely-friends/",
        "/unlikely-friends/?amp=1",
        "/unlikely-friends?noamp=mobile",
        "/unlikely-friends/?utm_source=rss&utm_medium=rss&utm_campaign=unlikely-friends",
        "/unlikely-friends/#comments",
        "/unlikely-friends/?relatedposts_hit=1&relatedposts_origin=4242&relatedposts_position=0",
    ],
)
def test_aliases_reduce_to_one_request(alias: str) -> None:
    assert request_url(SITE + alias) == SITE + "/unlikely-friends/"


def test_related_posts_tracking_is_not_kept_in_an_alias() -> None:
    tracked = SITE + "/unlikely-friends/?relatedposts_hit=1&relatedposts_position=2"
    assert alias_form(tracked) == SITE + "/unlikely-friends/"


def test_shortlinks_and_listings_keep_their_form() -> None:
    assert request_url(SITE + "/?p=59398&utm_source=rss") == SITE + "/?p=59398"
    assert request_url(SITE + "/headlines/page/2") == SITE + "/headlines/page/2"


def test_rebase_and_same_site() -> None:
    assert rebase(SITE + "/a/?p=1", "http://127.0.0.1:8000") == "http://127.0.0.1:8000/a/?p=1"
    assert same_site("https://vallartadaily.com/x/", SITE)
    assert not same_site("https://pvdntv.com/2021/07/13/", SITE)
    assert same_site("http://www.vallartadaily.com/x/", SITE)
    assert same_site("http://127.0.0.1:8000/x/", "http://127.0.0.1:8000")
    assert not same_site("http://127.0.0.1:9000/x/", "http://127.0.0.1:8000")
    # The scheme counts too (a plain-http link to the https site is the upgradable exception
    # above), and an address with credentials in it is never the site.
    assert not same_site("https://127.0.0.1:8000/x/", "http://127.0.0.1:8000")
    assert not same_site("http://www.vallartadaily.com:8080/x/", SITE)
    assert not same_site("http://reader:pw@127.0.0.1:8000/x/", "http://127.0.0.1:8000")
    assert not same_site("https://reader@www.vallartadaily.com/x/", SITE)
    assert not same_site("/relative/x/", SITE)
    assert not same_site("http://127.0.0.1:8000/x/", "not a url")


@pytest.mark.parametrize(
    "url",
    [
        "https://www.vallartadaily.com/malecon-seawall-plan/?share=facebook#comments",
        "https://www.vallartadaily.com/malecon-seawall-plan/?replytocom=12&utm_source=x",
        "https://www.vallartadaily.com/?p=74688&share=email",
        "https://www.vallartadaily.com/?s=seawall&nb=1",
        "https://www.vallartadaily.com/category/news/page/2/?like_comment=3#top",
        "https://vallartadaily.com/headlines/#main",
    ],
)
def test_alias_form_keeps_site_and_kind(url: str) -> None:
    # The spider decides whether a link is a site article before rewriting it to its alias form.
    base = "https://www.vallartadaily.com"
    form = alias_form(url)
    assert (same_site(form, base), page_kind(form)) == (same_site(url, base), page_kind(url))
