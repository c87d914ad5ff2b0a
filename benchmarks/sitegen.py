"""A generated PVDN-like site for crawl benchmarks, served on 127.0.0.1.

    python benchmarks/sitegen.py [--pages 5000] [--port 8000] [--no-validators]

The saved article pages under `fixtures/pages/` (all but another site's page and a page with no
story) are the templates. Each template is cut once into literal text and holes (the origin,
its own path, the article links it carries, its post id, title, dates and the numbers in its
paragraphs); page `i` fills the holes with its own values: slug `<template slug>-<i>`, post id
`200000 + i`, title `<title> #<i>`, a date `4·i` hours before now, numbers shifted by `1 + i %
97`, and the template's links to other articles pointed at other generated pages (so a crawl
that follows teasers meets no 404s). Listings (`/headlines/` and `/headlines/page/N`, 12 per
page, newest first, WordPress pagination with a Next link), two RSS feeds of the newest items
and robots.txt complete the site; there is no sitemap, as on the real site.

Everything is rendered in memory when the server starts. Responses carry an ETag and answer a
matching `If-None-Match` with 304, like `pvdn_crawler/mirror.py`; started with
`validators=False` (`--no-validators`) they carry none and never answer 304, as a stock
WordPress serves its pages (there is no sitemap, so no `<lastmod>` either way). `?p=ID`, a post
path without its slash and tracking parameters behave as on WordPress. `Site.counters` counts
requests by status and the time spent in handlers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pvdn_crawler.urls import PageKind, page_kind  # noqa: E402

PAGES = ROOT / "fixtures" / "pages"
SITE_MANIFEST = ROOT / "fixtures" / "site" / "expected.json"
# Another site's page, and a page with no story: neither is a PVDN article to multiply.
SKIPPED_CASES = frozenset({"c10-other-site-astra", "b04-late2025-no-body"})
PAGE_SIZE = 12
FEED_SIZE = 10
FIRST_POST_ID = 200_000
HOURS_APART = 4
HTML = "text/html; charset=UTF-8"
RSS = "application/rss+xml; charset=UTF-8"

# The site's origin in any of its spellings, then a path (query, fragment and `&amp;` stay).
_ABSOLUTE = re.compile(r"(?:https?:)?//(?:www\.)?vallartadaily\.com(?![\w.-])(/[^\"'\s<>?#&\\]*)?")
# Root-relative links (not `//host` nor Next.js assets).
_RELATIVE = re.compile(r"(?<=href=[\"'])/(?![/_])[^\"'\s<>?#&]*")
_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.DOTALL)
# Inside a paragraph: tags and entities are skipped, free-standing numbers are holes.
_PARAGRAPH_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|(?<!\w)([1-9]\d{0,3})(?!\w)")
_TEXTURIZE = {"’": "&#8217;", "‘": "&#8216;", "“": "&#8220;", "”": "&#8221;",
              "–": "&#8211;", "—": "&#8212;"}  # fmt: skip
# What never changes a WordPress page (WordPress ignores them).
_IGNORED_PARAMS = re.compile(r"^(?:utm_\w+|amp|noamp|share|replytocom|nb|fbclid|gclid)$")

# A hole: (kind, argument). Kinds: origin, self, link (argument: slot), id, title, date,
# textdate, num (argument: the number in the template).
Hole = tuple[str, int]
Part = str | Hole


@dataclass(frozen=True)
class Template:
    """A fixture article page cut into literal text and holes."""

    case: str
    path: str
    title: str
    parts: tuple[Part, ...]
    slots: int  # distinct links to other articles

    def render(self, page: GeneratedPage, origin: str, paths: list[str]) -> bytes:
        out: list[str] = []
        shift = 1 + page.index % 97
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            kind, arg = part
            if kind == "origin":
                out.append(origin)
            elif kind == "self":
                out.append(page.path)
            elif kind == "link":
                out.append(paths[page.links[arg]])
            elif kind == "id":
                out.append(str(page.post_id))
            elif kind == "title":
                out.append(f" #{page.index}")
            elif kind == "date":
                out.append(page.published.date().isoformat())
            elif kind == "textdate":
                out.append(_text_date(page.published))
            else:  # num
                out.append(str(arg + shift))
        return "".join(out).encode("utf-8")


@dataclass(frozen=True)
class GeneratedPage:
    index: int
    template: Template
    path: str
    post_id: int
    title: str
    published: datetime
    links: tuple[int, ...]  # page index per template slot


@dataclass(frozen=True)
class Resource:
    status: int
    content_type: str = HTML
    body: bytes = b""
    etag: str = ""
    location: str = ""


@dataclass
class Counters:
    """What the server answered. Updated under `lock` by handler threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    by_status: Counter[int] = field(default_factory=Counter)
    article_200: int = 0
    discovery: int = 0  # requests a run makes whatever the site's size (`is_discovery`)
    busy_seconds: float = 0.0

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": sum(self.by_status.values()),
                "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
                "article_200": self.article_200,
                "discovery": self.discovery,
                "busy_seconds": round(self.busy_seconds, 3),
            }

    def reset(self) -> None:
        with self.lock:
            self.by_status.clear()
            self.article_200 = 0
            self.discovery = 0
            self.busy_seconds = 0.0


def is_discovery(path: str) -> bool:
    """Whether a request is one of the fixed discovery requests of a run (issue 9 names them):
    robots.txt, a feed, a sitemap or the first page of a listing. Their number does not grow
    with the site, so a second run's cost is judged on the requests beyond them."""
    path = urlsplit(path).path
    return (
        path == "/robots.txt"
        or path.endswith("/feed/")
        or "sitemap" in path
        or path == "/headlines/"
    )


def _text_date(moment: datetime) -> str:
    return f"{moment:%B} {moment.day}, {moment.year}"


def _title_forms(title: str) -> set[str]:
    escaped = escape(title, quote=False)
    texturized = escaped
    for char, entity in _TEXTURIZE.items():
        texturized = texturized.replace(char, entity)
    return {title, escaped, texturized, texturized.replace("&amp;", "&#038;")} - {""}


def _normal(path: str) -> str:
    return path if path.endswith("/") else path + "/"


def load_template(case_dir: Path, canonical_url: str, post_id: int | None) -> Template:
    """Cut one fixture page into text and holes."""
    html = (case_dir / "page.html").read_text(encoding="utf-8")
    expected = json.loads((case_dir / "expected.json").read_text(encoding="utf-8"))
    own = _normal(urlsplit(canonical_url).path)
    slots: dict[str, int] = {}
    spans: list[tuple[int, int, int, Hole]] = []  # start, end, priority, hole

    def path_hole(path: str) -> Hole | None:
        if path in ("", "/") or page_kind(f"http://x{path}") is not PageKind.ARTICLE:
            return None
        if _normal(path) == own:
            return ("self", 0)
        return ("link", slots.setdefault(_normal(path), len(slots)))

    for match in _ABSOLUTE.finditer(html):
        path = match.group(1)
        if path is None:
            spans.append((match.start(), match.end(), 0, ("origin", 0)))
            continue
        spans.append((match.start(), match.start(1), 0, ("origin", 0)))
        hole = path_hole(path)
        if hole is not None:
            spans.append((match.start(1), match.end(1), 0, hole))
    for match in _RELATIVE.finditer(html):
        hole = path_hole(match.group())
        if hole is not None:
            spans.append((match.start(), match.end(), 0, hole))
    if post_id is not None:
        for match in re.finditer(rf"(?<!\d){post_id}(?!\d)", html):
            spans.append((match.start(), match.end(), 1, ("id", 0)))
    for form in _title_forms(expected.get("title") or ""):
        for match in re.finditer(re.escape(form), html):
            spans.append((match.end(), match.end(), 2, ("title", 0)))
    for stamp in {expected.get("published"), expected.get("modified")} - {None}:
        moment = datetime.fromisoformat(str(stamp))
        for match in re.finditer(re.escape(moment.date().isoformat()), html):
            spans.append((match.start(), match.end(), 3, ("date", 0)))
        for match in re.finditer(re.escape(_text_date(moment)), html):
            spans.append((match.start(), match.end(), 3, ("textdate", 0)))
    for paragraph in _PARAGRAPH.finditer(html):
        for token in _PARAGRAPH_TOKEN.finditer(paragraph.group(1)):
            if token.group(1):
                start = paragraph.start(1) + token.start(1)
                hole = ("num", int(token.group(1)))
                spans.append((start, start + len(token.group(1)), 4, hole))

    parts: list[Part] = []
    cursor = 0
    seen_insertions: set[int] = set()
    for start, end, _priority, hole in sorted(spans, key=lambda s: (s[0], s[2], s[0] - s[1])):
        if start < cursor or (start == end and start in seen_insertions):
            continue  # overlaps a hole already taken
        if start == end:
            seen_insertions.add(start)
        parts.append(html[cursor:start])
        parts.append(hole)
        cursor = end
    parts.append(html[cursor:])
    return Template(
        case=case_dir.name,
        path=own,
        title=expected.get("title") or case_dir.name,
        parts=tuple(p for p in parts if p != ""),
        slots=len(slots),
    )


def load_templates() -> list[Template]:
    manifest = json.loads(SITE_MANIFEST.read_text(encoding="utf-8"))
    cases = {a["case"]: a for a in manifest["articles"]}
    templates = []
    for case_dir in sorted(PAGES.iterdir()):
        if case_dir.name in SKIPPED_CASES or case_dir.name not in cases:
            continue
        case = cases[case_dir.name]
        post_id = case["post_id"] if case["post_id_source"] == "page" else None
        templates.append(load_template(case_dir, case["canonical_url"], post_id))
    return templates


def _etag(body: bytes) -> str:
    return f'"{hashlib.sha1(body, usedforsecurity=False).hexdigest()[:16]}"'


def _resource(body: bytes, content_type: str = HTML) -> Resource:
    return Resource(200, content_type, body, _etag(body))


def plan_pages(templates: list[Template], count: int, now: datetime) -> list[GeneratedPage]:
    """Page 0 is the newest. Links go to pages drawn by a generator seeded with the page's
    index, so a site of a given size is the same on every run."""
    pages = []
    newest = now.replace(microsecond=0) - timedelta(hours=1)
    for index in range(count):
        template = templates[index % len(templates)]
        rng = random.Random(index)
        others = [n for n in rng.sample(range(count), min(count, template.slots + 1)) if n != index]
        head, _, last = template.path.rstrip("/").rpartition("/")
        pages.append(
            GeneratedPage(
                index=index,
                template=template,
                path=f"{head}/{last}-{index}/",
                post_id=FIRST_POST_ID + index,
                title=f"{template.title} #{index}",
                published=newest - timedelta(hours=HOURS_APART * index),
                links=tuple(others[: template.slots]),
            )
        )
    return pages


def _listing(pages: list[GeneratedPage], number: int, last: int, origin: str) -> bytes:
    base = f"{origin}/headlines"

    def href(n: int) -> str:
        return f"{base}/" if n == 1 else f"{base}/page/{n}"

    items = []
    for page in pages[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]:
        url = origin + page.path
        items.append(
            f'<article class="post-{page.post_id} post type-post status-publish ast-article-post">'
            f'<h2 class="entry-title"><a href="{url}" rel="bookmark">{escape(page.title)}</a></h2>'
            f'<div class="entry-meta"><span class="published">{_text_date(page.published)}'
            f'</span></div><div class="ast-excerpt-container"><p>{escape(page.title)}: the'
            f" story of the day from Banderas Bay, as the archive shows it ...</p></div>"
            f'<p class="read-more"><a href="{url}">Read More &raquo;</a></p></article>'
        )
    links = []
    if number > 1:
        links.append(f'<a class="prev page-numbers" href="{href(number - 1)}">Previous</a>')
    shown = sorted({1, last, *range(max(1, number - 2), min(last, number + 2) + 1)})
    for n in shown:
        if n == number:
            links.append(f'<span aria-current="page" class="page-numbers current">{n}</span>')
        else:
            links.append(f'<a class="page-numbers" href="{href(n)}">{n}</a>')
    if number < last:
        links.append(f'<a class="next page-numbers" href="{href(number + 1)}">Next</a>')
    next_link = f'<link rel="next" href="{href(number + 1)}" />' if number < last else ""
    return (
        '<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8">'
        f"<title>Headlines - Page {number} - Puerto Vallarta News</title>"
        f'<link rel="canonical" href="{href(number)}" />{next_link}</head>'
        '<body class="archive blog ast-desktop"><header class="site-header">'
        f'<a href="{origin}/" rel="home">Puerto Vallarta News</a>'
        f'<nav><a href="{origin}/headlines/">Headlines</a> <a href="{origin}/reader/">Reader'
        '</a></nav></header><main id="main" class="site-main">'
        '<h1 class="page-title">Headline News from PVDN</h1>'
        + "".join(items)
        + '<nav class="navigation pagination" aria-label="Posts"><div class="nav-links">'
        + "".join(links)
        + "</div></nav></main></body></html>"
    ).encode("utf-8")


def _feed(pages: list[GeneratedPage], origin: str) -> bytes:
    items = []
    for page in pages:
        slug = page.path.rstrip("/").rpartition("/")[2]
        link = f"{origin}{page.path}?utm_source=rss&#038;utm_medium=rss&#038;utm_campaign={slug}"
        items.append(
            f"<item><title>{escape(page.title)}</title><link>{link}</link>"
            f"<pubDate>{format_datetime(page.published)}</pubDate>"
            f'<guid isPermaLink="false">{origin}/?p={page.post_id}</guid>'
            f"<description><![CDATA[{page.title} [&#8230;]]]></description></item>"
        )
    built = format_datetime(pages[0].published) if pages else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Puerto Vallarta and Mexico News</title><link>{origin}/</link>"
        f"<lastBuildDate>{built}</lastBuildDate>" + "".join(items) + "</channel></rss>"
    ).encode("utf-8")


ROBOTS = b"User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n"
NOT_FOUND = (
    b'<!DOCTYPE html><html><body class="error404"><h1>This page doesn&#8217;t seem to exist.'
    b"</h1></body></html>"
)


def build_routes(pages: list[GeneratedPage], origin: str) -> dict[str, Resource]:
    paths = [page.path for page in pages]
    routes: dict[str, Resource] = {
        "/robots.txt": _resource(ROBOTS, "text/plain; charset=UTF-8"),
        "/feed/": _resource(_feed(pages[:FEED_SIZE], origin), RSS),
        "/category/puerto-vallarta-news/feed/": _resource(
            _feed(pages[: FEED_SIZE * 3 : 3], origin), RSS
        ),
    }
    last = max(1, -(-len(pages) // PAGE_SIZE))
    for number in range(1, last + 1):
        path = "/headlines/" if number == 1 else f"/headlines/page/{number}"
        routes[path] = _resource(_listing(pages, number, last, origin))
    for page in pages:
        routes[page.path] = _resource(page.template.render(page, origin, paths))
        routes[page.path.rstrip("/")] = Resource(301, location=origin + page.path)
        routes[f"/?p={page.post_id}"] = Resource(301, location=origin + page.path)
    return routes


class _Server(ThreadingHTTPServer):
    # A crawl keeps a few dozen connections open; the default backlog of 5 refuses some.
    request_queue_size = 1024
    daemon_threads = True
    block_on_close = False


@dataclass
class Site:
    """A running generated site."""

    server: ThreadingHTTPServer
    thread: threading.Thread
    pages: list[GeneratedPage]
    routes: dict[str, Resource]
    counters: Counters
    generation_seconds: float
    validators: bool = True

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def listing_pages(self) -> int:
        return sum(1 for path in self.routes if path.startswith("/headlines/"))

    def article_paths(self) -> Iterator[str]:
        return (page.path for page in self.pages)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> Site:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _lookup(routes: dict[str, Resource], target: str) -> Resource | None:
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _IGNORED_PARAMS.match(k)]  # fmt: skip
    return routes.get(parts.path + (f"?{urlencode(query)}" if query else ""))


def start_site(
    count: int = 5000, host: str = "127.0.0.1", port: int = 0, *, validators: bool = True
) -> Site:
    """Generate `count` article pages and serve them (port 0 picks a free port); without
    `validators`, with no ETag and no 304 answers."""
    counters = Counters()
    routes: dict[str, Resource] = {}
    not_found = Resource(404, HTML, NOT_FOUND)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real server offers
        timeout = 60
        # Headers and body go out in two writes: with Nagle's algorithm on, the body's last
        # segment waits for the client's delayed ACK (40 ms) on every keep-alive response.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            started = time.perf_counter()
            resource = _lookup(routes, self.path) or not_found
            status, body = resource.status, resource.body
            etag = resource.etag if validators else ""
            if etag and status == 200 and self.headers.get("If-None-Match") == etag:
                status, body = 304, b""
            self.send_response(status)
            if resource.location:
                self.send_header("Location", resource.location)
            else:
                self.send_header("Content-Type", resource.content_type)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            with counters.lock:
                counters.by_status[status] += 1
                counters.discovery += is_discovery(self.path)
                if status == 200 and resource.content_type == HTML:
                    counters.article_200 += not self.path.startswith("/headlines/")
                counters.busy_seconds += time.perf_counter() - started

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: requests are counted instead."""

    server = _Server((host, port), Handler)
    started = time.perf_counter()
    thread = threading.Thread(target=server.serve_forever, name="pvdn-sitegen", daemon=True)
    site = Site(server, thread, [], routes, counters, 0.0, validators)
    site.pages = plan_pages(load_templates(), count, datetime.now(UTC))
    routes.update(build_routes(site.pages, site.origin))
    site.generation_seconds = time.perf_counter() - started
    thread.start()
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-validators", action="store_true", help="no ETag, no 304")
    args = parser.parse_args()
    site = start_site(args.pages, port=args.port, validators=not args.no_validators)
    print(
        f"{len(site.pages)} articles, {site.listing_pages} listing pages, generated in"
        f" {site.generation_seconds:.2f} s; serving {site.origin}/headlines/ (Ctrl-C stops)"
    )
    try:
        site.thread.join()
    except KeyboardInterrupt:
        site.stop()


if __name__ == "__main__":
    main()
