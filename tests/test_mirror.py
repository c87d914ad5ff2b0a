"""The fixture mirror's two ways of serving: with validators (ETag, 304 on `If-None-Match`,
sitemap `<lastmod>`), as a caching WordPress does, and without any, as a stock WordPress 6.1
serves its pages and sitemaps."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from email.message import Message
from urllib.parse import urlsplit

from pvdn_crawler.mirror import SITE, start_mirror

ARTICLE = "/puerto-vallarta-news/malecon-night-market-approved/"
SITEMAP = "/wp-sitemap-posts-post-1.xml"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(origin: str, path: str, **headers: str) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(origin + path, headers=headers)
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:  # a 304 arrives as one
        with error:
            return error.code, error.headers, error.read()


def locs(body: bytes) -> list[str]:
    """The sitemap's addresses, as paths (each mirror has its own origin)."""
    return [urlsplit(loc.decode()).path for loc in re.findall(rb"<loc>([^<]*)</loc>", body)]


def test_default_mirror_revalidates() -> None:
    with start_mirror() as mirror:
        status, headers, body = get(mirror.origin, ARTICLE)
        etag = headers["ETag"]
        again = get(mirror.origin, ARTICLE, **{"If-None-Match": etag})
        _, _, sitemap = get(mirror.origin, SITEMAP)
    assert status == 200
    assert etag
    assert body
    assert again[0] == 304
    assert again[2] == b""
    assert sitemap.count(b"<lastmod>") == len(locs(sitemap)) > 0


def test_mirror_without_validators_never_lets_a_client_revalidate() -> None:
    with start_mirror() as mirror:
        etag = get(mirror.origin, ARTICLE)[1]["ETag"]
        _, _, with_lastmod = get(mirror.origin, SITEMAP)
    with start_mirror(validators=False) as mirror:
        status, headers, body = get(mirror.origin, ARTICLE)
        again = get(mirror.origin, ARTICLE, **{"If-None-Match": etag})
        since = get(
            mirror.origin, ARTICLE, **{"If-Modified-Since": "Sat, 01 Jan 2050 00:00:00 GMT"}
        )
        _, sitemap_headers, sitemap = get(mirror.origin, SITEMAP)
        answered = list(mirror.responses)
    assert status == 200
    assert headers["ETag"] is None
    assert headers["Last-Modified"] is None
    assert (again[0], again[2]) == (200, body)  # the whole page again, every time
    assert (since[0], since[2]) == (200, body)
    assert sitemap_headers["ETag"] is None
    assert b"<lastmod>" not in sitemap
    # The same entries as with validators, only undated.
    assert locs(sitemap) == locs(with_lastmod)
    assert len(locs(sitemap)) == (SITE / "assumed" / SITEMAP.lstrip("/")).read_bytes().count(
        b"<loc>"
    )
    assert [status for _, status, _ in answered] == [200, 200, 200, 200]
