"""PVDN's URL shapes: which addresses are articles, listings, feeds or static pages, and how
the aliases of one article (slash or not, `?p=ID`, `?amp=1`, `utm_*`) reduce to one request.

Crawl-routing knowledge of the site lives here, as extraction knowledge lives in
`cleaning.profile`; the shapes come from `docs/site-profile.md` sections 1 and 3.
"""

from __future__ import annotations

import re
from enum import Enum
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pvdn_crawler.origin import site_origin

PRODUCTION_ORIGIN = "https://www.vallartadaily.com"


class PageKind(Enum):
    ARTICLE = "article"
    LISTING = "listing"
    FEED = "feed"
    SITEMAP = "sitemap"
    STATIC = "static"
    ASSET = "asset"


# Query parameters that never change the document: tracking (including the hit tracking
# Jetpack's related posts add to each of their links, `relatedposts_hit`, `_origin`,
# `_position`), AMP switches, and the share and reply actions WordPress plugins add to every
# article link.
_NOISE_PARAMS = re.compile(
    r"^(?:utm_\w+|relatedposts\w*|amp|noamp|fbclid|gclid|mc_cid|mc_eid|share|replytocom|nb"
    r"|like_comment)$"
)
_LISTING_PATH = re.compile(
    r"^/(?:headlines|category|topic|tag|author)(?:/|$)"  # archives with a base
    r"|/page/\d+/?$"  # any paginated archive, with or without a base
    r"|^/\d{4}/(?:\d{2}/){0,2}$|^/\d{4}(?:/\d{2}){0,2}$"  # date archives
)
# Category slugs that also serve as base-less archives (`/puerto-vallarta-news/page/2`).
CATEGORY_ROOTS = frozenset(
    {"puerto-vallarta-news", "mexico-news", "daily-news-roundup", "puerto-vallarta", "headlines"}
)
_FEED_PATH = re.compile(r"/feed/?$|/feed/(?:rss2?|atom)/?$")
_SITEMAP_PATH = re.compile(r"sitemap[\w-]*\.xml$")
_ASSET_PATH = re.compile(
    r"^/wp-(?:admin|content|includes|json|login\.php)|\.(?:jpe?g|png|gif|webp|svg|pdf|css|js"
    r"|mp3|mp4|zip|xml|txt|ico)$",
    re.IGNORECASE,
)
# WordPress pages (not posts) seen on the site: tools, policies, the subscription FAQ.
STATIC_PATHS = frozenset(
    {
        "/reader/", "/understanding-payments/", "/terms-of-use/", "/privacy-policy/",
        "/about/", "/about-us/", "/contact/", "/contact-us/", "/advertise/", "/newsletter/",
        "/subscribe/", "/my-account/", "/dashboard/", "/login/", "/register/", "/",
    }
)  # fmt: skip


def page_kind(url: str) -> PageKind:
    """What an address on the site serves, from its shape alone."""
    parts = urlsplit(url)
    path = parts.path or "/"
    query = dict(parse_qsl(parts.query))
    if "s" in query:
        return PageKind.LISTING  # search results
    if "p" in query:
        return PageKind.ARTICLE  # shortlink
    if _SITEMAP_PATH.search(path):
        return PageKind.SITEMAP
    if _FEED_PATH.search(path):
        return PageKind.FEED
    if _ASSET_PATH.search(path):
        return PageKind.ASSET
    slashed = path if path.endswith("/") else path + "/"
    if slashed in STATIC_PATHS:
        return PageKind.STATIC
    if _LISTING_PATH.search(path) or slashed.strip("/") in CATEGORY_ROOTS:
        return PageKind.LISTING
    return PageKind.ARTICLE


def request_url(url: str) -> str:
    """The one address to fetch for any alias: tracking and AMP parameters dropped, a post's
    trailing slash (WordPress redirects to it) added, fragment removed. `?p=ID` shortlinks stay:
    only the page knows its slug."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _NOISE_PARAMS.match(k)]  # fmt: skip
    path = parts.path or "/"
    if page_kind(url) is PageKind.ARTICLE and not path.endswith("/"):
        path += "/"  # posts only: archives are linked, and served, without the slash
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, urlencode(query), ""))


# Parameters of actions on a page (share it, reply to a comment) and of related-posts hit
# tracking: never a way to reach it, so not worth keeping in an alias either.
_ACTION_PARAMS = re.compile(r"^(?:share|replytocom|nb|like_comment|relatedposts\w*)$")


def alias_form(url: str) -> str:
    """An address as worth keeping as an alias: without its `#fragment` (a place in the page)
    and without share or reply action parameters. Tracking and AMP forms stay: they are how
    readers and feeds reach the article."""
    parts = urlsplit(url.split("#", 1)[0])
    if not parts.query:
        return urlunsplit(parts)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _ACTION_PARAMS.match(k)]  # fmt: skip
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def rebase(url: str, base_url: str) -> str:
    """The same path on another origin (a local mirror instead of production)."""
    target, base = urlsplit(url), urlsplit(base_url)
    return urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))


def same_site(url: str, base_url: str) -> bool:
    """On the crawled site: the base URL's scheme, host (or its `www.` alias) and port, or a
    plain-http link the crawl upgrades to the https site (see `pvdn_crawler.origin`). An
    address with credentials in it is never the site."""
    try:
        site = site_origin(base_url)
    except ValueError:
        return False
    return site.on_site(url) is not None


def post_id_of(text: str) -> int | None:
    """The WordPress post id a `?p=` value or a bare number names: digits only, at most 19
    (a 64-bit id; a longer string is not one, and slow to parse)."""
    if not text.isdigit() or len(text) > 19:
        return None
    return int(text)
