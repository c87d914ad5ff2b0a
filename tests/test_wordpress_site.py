"""The tests' WordPress is the real thing: after a fill it answers as a stock WordPress 6.1
does (core sitemaps, feeds, redirects of aliases, 404 for what is not published, no
validators on pages), shows each post's text as the manifest says, and after the change step
serves the new posts, the edits, and 404 for the trashed ones.

Needs the site `.ci/run` starts (PVDN_TEST_WORDPRESS_URL); skips without it.
"""

from __future__ import annotations

import math
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

import pytest
from lxml import etree, html

from tests.wordpress_site import Changes, Manifest, Post, WordPressSite

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
USER_AGENT = "pvdn-archive wordpress smoke test"


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def get(url: str) -> Answer:
    """One anonymous GET, redirects not followed, errors returned as answers."""
    assert urlsplit(url).hostname == "127.0.0.1"
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with _OPENER.open(request, timeout=30) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, error.headers, error.read())


@pytest.fixture(scope="module")
def filled(wordpress_site: WordPressSite) -> Iterator[Manifest]:
    yield wordpress_site.fill(posts=400)


@pytest.fixture(scope="module")
def changed(wordpress_site: WordPressSite, filled: Manifest) -> Changes:
    return wordpress_site.change(filled)


def sample(posts: list[Post], count: int) -> list[Post]:
    """Every n-th post, so a check covers the whole range of dates without 400 requests."""
    return posts[:: max(1, len(posts) // count)]


def sitemap_locs(url: str) -> list[str]:
    answer = get(url)
    assert answer.status == 200, url
    return [loc.text or "" for loc in etree.fromstring(answer.body).iter(f"{SITEMAP}loc")]


def test_fill_made_what_was_asked(filled: Manifest) -> None:
    assert len(filled.posts) == 400
    assert len({post.id for post in filled.posts}) == 400
    assert len({post.url for post in filled.posts}) == 400
    assert filled.timezone == "America/Mexico_City"
    assert all(post.published.endswith("-06:00") for post in filled.posts)
    assert len({post.author for post in filled.posts}) == 6
    assert len({c for post in filled.posts for c in post.categories}) == 9
    assert {len(group) for group in (filled.drafts, filled.pending, filled.private)} >= {2, 5}
    assert len(filled.scheduled) == 5
    assert len(filled.attachments) == 20
    forms = filled.link_forms()
    for form in ("url", "p", "noslash", "utm", "rel", "broken", "page"):
        assert forms.get(form, 0) >= 2, forms


def test_sitemaps_list_every_published_post_and_page_and_nothing_else(filled: Manifest) -> None:
    index = sitemap_locs(filled.sitemap_url)
    origin = filled.origin
    assert f"{origin}/wp-sitemap-posts-post-1.xml" in index
    assert f"{origin}/wp-sitemap-posts-page-1.xml" in index
    assert f"{origin}/wp-sitemap-taxonomies-category-1.xml" in index
    assert f"{origin}/wp-sitemap-users-1.xml" in index
    posts = [loc for url in index if "-posts-post-" in url for loc in sitemap_locs(url)]
    assert sorted(posts) == sorted(post.url for post in filled.posts)
    pages = sitemap_locs(f"{origin}/wp-sitemap-posts-page-1.xml")
    assert sorted(pages) == sorted(page.url for page in filled.pages)
    # Stock WordPress 6.1 gives its sitemaps no <lastmod> and no validators.
    answer = get(f"{origin}/wp-sitemap-posts-post-1.xml")
    assert b"<lastmod>" not in answer.body
    assert answer.headers.get("ETag") is None
    assert answer.headers.get("Last-Modified") is None


def test_robots_txt_names_the_sitemap(filled: Manifest) -> None:
    answer = get(f"{filled.origin}/robots.txt")
    assert answer.status == 200
    assert f"Sitemap: {filled.sitemap_url}" in answer.body.decode()


def test_feed_is_rss_of_the_newest_posts_with_validators(filled: Manifest) -> None:
    answer = get(filled.feed_url)
    assert answer.status == 200
    assert answer.headers.get_content_type() == "application/rss+xml"
    assert answer.headers.get("ETag")
    assert answer.headers.get("Last-Modified")
    items = etree.fromstring(answer.body).findall("channel/item")
    newest = list(reversed(filled.posts))[:10]
    assert [item.findtext("link") for item in items] == [post.url for post in newest]
    dc = "{http://purl.org/dc/elements/1.1/}creator"
    assert [item.findtext(dc) for item in items] == [post.author for post in newest]
    assert [sorted(c.text or "" for c in item.findall("category")) for item in items] == [
        sorted((*post.categories, *post.tags)) for post in newest
    ]


def test_shortlink_answers_301_to_the_permalink(filled: Manifest) -> None:
    for post in sample(filled.posts, 20):
        answer = get(f"{filled.origin}/?p={post.id}")
        assert (answer.status, answer.headers.get("Location")) == (301, post.url)


def test_permalink_without_trailing_slash_answers_301(filled: Manifest) -> None:
    for post in sample(filled.posts, 20):
        answer = get(post.url.rstrip("/"))
        assert (answer.status, answer.headers.get("Location")) == (301, post.url)


def test_every_alias_form_in_the_posts_leads_to_its_post(filled: Manifest) -> None:
    by_id = {post.id: post for post in filled.posts}
    seen = set()
    for post in filled.posts:
        for link in post.links:
            if link.form in seen or link.target_id not in by_id:
                continue
            seen.add(link.form)
            url = link.href if link.href.startswith("http") else filled.origin + link.href
            answer = get(url)
            target = by_id[link.target_id].url
            if link.form in ("p", "noslash"):
                assert (answer.status, answer.headers.get("Location")) == (301, target)
            else:  # the permalink itself, a bare path, utm_* parameters: the page, canonical
                assert answer.status == 200, url
                canonical = html.fromstring(answer.body).xpath('//link[@rel="canonical"]/@href')
                assert canonical == [target]
    assert seen == {"url", "p", "noslash", "utm", "rel"}


def test_unpublished_posts_answer_404_to_anonymous_readers(filled: Manifest) -> None:
    for other in (*filled.unpublished, *filled.draft_pages):
        for url in {other.url, other.pretty_url}:
            assert get(url).status == 404, (other.status, url)


def test_links_that_never_existed_answer_404(filled: Manifest) -> None:
    assert len(filled.broken_links) == 2
    for url in filled.broken_links:
        assert get(url).status == 404, url


def _text(element: html.HtmlElement) -> str:
    return re.sub(r"\s+", " ", element.text_content()).strip()


def test_post_pages_show_the_manifest_text_and_metadata_without_validators(
    filled: Manifest,
) -> None:
    posts = sample(filled.posts, 30) + [p for p in filled.posts if p.image_id][:3]
    for post in posts:
        answer = get(post.url)
        assert answer.status == 200
        # Stock WordPress sends no ETag or Last-Modified with an HTML page.
        assert answer.headers.get("ETag") is None
        assert answer.headers.get("Last-Modified") is None
        page = html.fromstring(answer.body)
        assert [_text(h) for h in page.xpath("//h1")] == [post.title]
        content = page.xpath('//*[contains(@class, "wp-block-post-content")]')[0]
        shown = [
            _text(e)
            for e in content.xpath(".//p | .//h2 | .//li")
            if not e.xpath("ancestor::figure")
        ]
        assert shown == post.paragraphs, post.url
        # The theme's footer: <time datetime> without a class, category links, the author's name.
        assert page.xpath("//time/@datetime") == [post.published]
        assert page.xpath('//a[@rel="tag" and contains(@href, "/category/")]/text()') == list(
            post.categories
        )
        assert post.author in page.xpath('//*[contains(@class, "post-author__name")]/text()')


def test_pages_and_attachment_pages_answer_200(filled: Manifest) -> None:
    for page in filled.pages:
        assert get(page.url).status == 200, page.url
    for attachment in filled.attachments:
        answer = get(attachment.url)
        assert answer.status == 200, attachment.url
        assert attachment.file_url.encode() in answer.body
        parent = next(p for p in filled.posts if p.id == attachment.parent_id)
        assert attachment.url.startswith(parent.url)
    image = get(filled.attachments[0].file_url)
    assert image.headers.get_content_type() == "image/jpeg"
    assert image.headers.get("ETag")  # static files: Apache's own validators


def test_listing_pages_walk_every_post_newest_first(filled: Manifest) -> None:
    newest = list(reversed(filled.posts))
    pages = math.ceil(len(newest) / 10)
    for number in (1, 2, pages):
        url = filled.listing_url if number == 1 else f"{filled.listing_url}page/{number}/"
        answer = get(url)
        assert answer.status == 200, url
        tree = html.fromstring(answer.body)
        titles = tree.xpath('//*[contains(@class, "wp-block-post-title")]/a/@href')
        assert titles == [post.url for post in newest[(number - 1) * 10 : number * 10]]
    assert get(f"{filled.listing_url}page/{pages + 1}/").status == 404


def test_category_archive_lists_its_posts(filled: Manifest) -> None:
    weather = next(c for c in filled.categories if c.slug == "weather")
    answer = get(weather.url)
    assert answer.status == 200
    listed = html.fromstring(answer.body).xpath(
        '//*[contains(@class, "wp-block-post-title")]/a/@href'
    )
    expected = [p.url for p in reversed(filled.posts) if "Weather" in p.categories][:10]
    assert listed == expected


def test_access_log_records_what_was_asked(wordpress_site: WordPressSite, filled: Manifest) -> None:
    mark = wordpress_site.log_mark()
    get(filled.posts[0].url)
    get(f"{filled.origin}/?p={filled.posts[0].id}")
    logged = wordpress_site.requests(since=mark, user_agent=USER_AGENT)
    first, second = (urlsplit(filled.posts[0].url).path, f"/?p={filled.posts[0].id}")
    assert [(r.method, r.target, r.status) for r in logged] == [
        ("GET", first, 200),
        ("GET", second, 301),
    ]


# After the change step: these tests run last (they use `changed`).


def test_change_publishes_three_posts(filled: Manifest, changed: Changes) -> None:
    assert len(changed.new) == 3
    after = changed.manifest
    assert len(after.posts) == len(filled.posts) + 3 - 2
    posts = sitemap_locs(f"{after.origin}/wp-sitemap-posts-post-1.xml")
    assert sorted(posts) == sorted(post.url for post in after.posts)
    feed = etree.fromstring(get(after.feed_url).body)
    links = [item.findtext("link") for item in feed.findall("channel/item")]
    assert links[:3] == [post.url for post in reversed(changed.new)]
    for post in changed.new:
        assert get(post.url).status == 200


def test_change_edits_five_old_posts(changed: Changes) -> None:
    assert len(changed.edited) == 5
    for edit in changed.edited:
        page = html.fromstring(get(edit.after.url).body)
        content = page.xpath('//*[contains(@class, "wp-block-post-content")]')[0]
        shown = [_text(e) for e in content.xpath(".//p | .//h2 | .//li")]
        assert shown[-1] == edit.added_paragraph
        assert edit.added_sentence in shown[0]
        assert edit.after.paragraphs == [p for p in shown if p]  # the manifest follows
        assert edit.after.modified > edit.before.modified
        assert edit.after.published == edit.before.published


def test_change_trashes_a_linked_and_an_unlinked_post(changed: Changes) -> None:
    linked, unlinked = changed.trashed_linked, changed.trashed_unlinked
    assert linked.linked_from
    assert not unlinked.linked_from
    sources = [p for p in changed.manifest.posts if p.id in linked.linked_from]
    assert sources  # the posts that link to it are still there, and still link to it
    assert all(any(link.target_id == linked.id for link in p.links) for p in sources)
    for post in (linked, unlinked):
        assert get(post.url).status == 404, post.url
        assert get(f"{changed.manifest.origin}/?p={post.id}").status == 404
