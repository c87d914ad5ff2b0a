"""A fault-injecting HTTP server for crawl tests: a tiny PVDN-shaped site on 127.0.0.1 whose
paths answer from a script.

The script maps a path (with its query, as requested) to a list of `Reply`s consumed one per
request, the last one repeating, so "500 then 200" is `[status(500), article(...)]`. A reply
can also wait before answering (a timeout), reset the connection without answering, send less
body than its Content-Length promised, or omit the Content-Length. Paths not in the script get
the site's defaults: `/robots.txt`, `/feed/` and the category feed (RSS linking `feed`),
`/headlines/` (a listing linking `listing`), else a 404.

Text bodies (HTML, XML, plain text) and `Location` headers have the production origin rewritten
to the server's own, so a fixture page's links, canonical URL and teasers point back here and a
crawl with `-a base_url=<origin>` never leaves 127.0.0.1. Every request is logged (`hits`) with
its arrival time (`time.monotonic()`), method, path, headers, body and what was answered, and
every TCP connection is counted (`connections`), so a connection that carried no request the
server could read (a TLS handshake on a plain port, plain HTTP on a TLS port) shows as a
connection without a hit. With `tls=True` the server speaks HTTPS (a self-signed certificate
for 127.0.0.1, made once per test session); `start_canary()` is a server that no crawl may
reach.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
PRODUCTION = "https://www.vallartadaily.com"
_ORIGINS = (PRODUCTION, "http://www.vallartadaily.com", "https://vallartadaily.com",
            "http://vallartadaily.com")  # fmt: skip
HTML = "text/html; charset=UTF-8"
RSS = "application/rss+xml; charset=UTF-8"
XML = "application/xml; charset=UTF-8"
TEXT = "text/plain; charset=UTF-8"
_TEXTUAL = ("text/", "application/rss", "application/xml", "application/atom")
CATEGORY_FEED = "/category/puerto-vallarta-news/feed/"

Action = Literal["answer", "reset", "truncate", "no_length"]


@dataclass(frozen=True)
class Reply:
    """One answer. `delay`: seconds to wait first (longer than the crawl's DOWNLOAD_TIMEOUT
    makes a timeout). `action`: `answer` normally; `reset` closes the socket with an RST and
    sends nothing; `truncate` declares the whole body's Content-Length, sends `keep` bytes of
    it and closes; `no_length` sends the body without a Content-Length and closes."""

    status: int = 200
    body: bytes = b""
    content_type: str = HTML
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    action: Action = "answer"
    keep: int = 0

    def describe(self) -> str:
        if self.action == "reset":
            return "reset"
        return f"{self.status}" + ("" if self.action == "answer" else f" {self.action}")


@dataclass(frozen=True)
class Hit:
    """One request as the server saw it."""

    at: float  # time.monotonic() on arrival
    path: str
    headers: dict[str, str]
    answer: str  # Reply.describe() of what was sent
    method: str = "GET"
    body: bytes = b""  # a POST's body


def fixture_page(case: str, path: str | None = None) -> bytes:
    """A saved article page; with `path`, its own address (canonical, og:url, JSON-LD) moved
    to that path, so the page is stored under the path it is served at."""
    page = (PAGES / case / "page.html").read_bytes()
    if path is not None:
        url = json.loads((PAGES / case / "meta.json").read_text(encoding="utf-8"))["url"]
        page = page.replace(url.encode(), (PRODUCTION + path).encode())
    return page


def article(case: str, path: str, **changes: Any) -> Reply:
    """A fixture article served at `path` with 200."""
    return replace(Reply(body=fixture_page(case, path)), **changes)


def status(code: int, *headers: tuple[str, str]) -> Reply:
    body = f"<html><body><h1>{code}</h1></body></html>".encode()
    return Reply(status=code, body=body, headers=headers)


def redirect(location: str, code: int = 301) -> Reply:
    return Reply(status=code, headers=(("Location", location),))


def reset(delay: float = 0.0) -> Reply:
    return Reply(action="reset", delay=delay)


def rss(paths: Iterable[str], title: str = "PVDN") -> bytes:
    """An RSS 2.0 feed linking `paths` on the production origin, without dates (so a later
    run does not skip its entries as unchanged)."""
    items = "".join(
        f"<item><title>{escape(p)}</title><link>{PRODUCTION}{escape(p)}</link></item>"
        for p in paths
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{PRODUCTION}/</link>{items}</channel></rss>"
    ).encode()


def urlset(paths: Iterable[str]) -> bytes:
    """A sitemap listing `paths` on the production origin."""
    urls = "".join(f"<url><loc>{PRODUCTION}{escape(p)}</loc></url>" for p in paths)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


def listing(paths: Iterable[str]) -> bytes:
    """A WordPress archive page (body class `archive`) linking `paths`."""
    links = "".join(f'<h2><a href="{PRODUCTION}{escape(p)}">{escape(p)}</a></h2>' for p in paths)
    return (
        '<!DOCTYPE html><html><head><title>Headlines</title></head><body class="archive '
        f'category"><main>{links}</main></body></html>'
    ).encode()


@dataclass
class FaultServer:
    """A running server. `script` and the site's defaults can be changed between crawls
    (`set`); `hits` is the request log, `hits_for(path)` one path's part of it."""

    server: ThreadingHTTPServer
    thread: threading.Thread
    script: dict[str, list[Reply]] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # writes to clients that had gone
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: int = 0  # TCP connections accepted, whether or not a request followed
    tls: bool = False
    # Answers for paths the script does not name (an endless site makes them up), else 404.
    fallback: Callable[[str], Reply | None] | None = None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def origin(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def count_connection(self) -> None:
        with self.lock:
            self.connections += 1

    def set(self, path: str, *replies: Reply) -> None:
        """Script `path` afresh: `replies` are consumed in order, the last one repeats."""
        with self.lock:
            self.script[path] = list(replies)

    def hits_for(self, path: str) -> list[Hit]:
        with self.lock:
            return [hit for hit in self.hits if hit.path == path]

    def paths(self) -> list[str]:
        with self.lock:
            return [hit.path for hit in self.hits]

    def next_reply(self, path: str) -> Reply:
        with self.lock:
            replies = self.script.get(path)
            if not replies:
                made_up = self.fallback(path) if self.fallback is not None else None
                return made_up or status(404)
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def record(self, hit: Hit) -> None:
        with self.lock:
            self.hits.append(hit)

    def rewrite(self, data: bytes) -> bytes:
        for origin in _ORIGINS:
            data = data.replace(origin.encode(), self.origin.encode())
        return data

    def stop(self) -> None:
        self.stopping.set()  # wakes replies that are waiting out a delay
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        """Recorded with its body (a login form's fields); answered from the script like a
        GET."""
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(self.rfile.read(min(length, 1 << 20)))

    def _serve(self, body_in: bytes = b"") -> None:
        assert isinstance(self.server, _QuietServer) and self.server.fault is not None
        fault = self.server.fault
        arrived = time.monotonic()
        reply = fault.next_reply(self.path)
        headers = dict(self.headers.items())
        fault.record(Hit(arrived, self.path, headers, reply.describe(), self.command, body_in))
        if reply.delay and fault.stopping.wait(reply.delay):
            return
        if reply.action == "reset":
            self._reset()
            return
        body = reply.body
        if reply.content_type.startswith(_TEXTUAL):
            body = fault.rewrite(body)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers:
                self.send_header(name, fault.rewrite(value.encode()).decode())
            if reply.action != "no_length":
                self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[: reply.keep] if reply.action == "truncate" else body)
            self.wfile.flush()
        except OSError as exc:  # the client gave up (its timeout) before the answer
            fault.errors.append(f"{self.path}: {exc!r}")
        self.close_connection = True

    def _reset(self) -> None:
        """Close with an RST (SO_LINGER 0) rather than a FIN: a connection reset by peer."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # the last reference besides the socket's own: close() is real
        self.connection.close()
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests are recorded in `FaultServer.hits`."""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    # A crawl opens a dozen connections at once; the default backlog of 5 drops SYNs, and the
    # client's one-second SYN retry would look like a slow server.
    request_queue_size = 128
    fault: FaultServer | None = None
    tls_context: ssl.SSLContext | None = None

    def get_request(self) -> tuple[socket.socket, Any]:
        """Count every connection before anything is read from it; on a TLS server, shake
        hands here (a client speaking plain HTTP fails it: counted, no request, no hit)."""
        connection, address = self.socket.accept()
        if self.fault is not None:
            self.fault.count_connection()
        if self.tls_context is None:
            return connection, address
        connection.settimeout(5)
        try:
            secure = self.tls_context.wrap_socket(connection, server_side=True)
        except (OSError, ssl.SSLError) as exc:
            connection.close()
            if self.fault is not None:
                self.fault.errors.append(f"TLS handshake with {address}: {exc!r}")
            raise OSError("no TLS handshake") from exc
        secure.settimeout(None)
        return secure, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer is part of the tests, not a server error."""
        if self.fault is not None:
            self.fault.errors.append(f"error serving {client_address}: {sys.exc_info()[1]!r}")


@cache
def _tls_context() -> ssl.SSLContext:
    """A server context with a self-signed certificate for 127.0.0.1 (Scrapy does not verify
    certificates by default; the tests only need TLS to be spoken)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="fault-tls-"))
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def start_fault_server(
    script: Mapping[str, Sequence[Reply]] | None = None,
    *,
    feed: Sequence[str] = (),
    listing_paths: Sequence[str] = (),
    sitemaps: Sequence[str] = (),
    robots: str | None = None,
    tls: bool = False,
) -> FaultServer:
    """Serve on 127.0.0.1 (a free port) in a background thread. `feed`: article paths the
    front feed links; `listing_paths`: those `/headlines/` links; `sitemaps`: the sitemap
    addresses robots.txt names (paths, or absolute URLs for another host); `robots`: the
    rules robots.txt starts with (default: only /wp-admin/ disallowed); `tls`: speak HTTPS.
    `script` entries replace any default, robots.txt and the feeds included."""
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    # A short poll: stopping a server (shutdown) waits for one; tests stop many.
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="fault-server",
        daemon=True,
    )
    fault = FaultServer(server, thread, tls=tls)
    server.fault = fault
    if tls:
        server.tls_context = _tls_context()
    rules = "User-agent: *\nDisallow: /wp-admin/\n" if robots is None else robots
    robots_txt = (
        rules
        + "\n"
        + "".join(f"Sitemap: {PRODUCTION + s if s.startswith('/') else s}\n" for s in sitemaps)
    )
    defaults = {
        "/robots.txt": [Reply(body=robots_txt.encode(), content_type=TEXT)],
        "/feed/": [Reply(body=rss(feed), content_type=RSS)],
        CATEGORY_FEED: [Reply(body=rss([], "Puerto Vallarta News"), content_type=RSS)],
        "/headlines/": [Reply(body=listing(listing_paths))],
    }
    for path, replies in {**defaults, **(script or {})}.items():
        fault.set(path, *replies)
    thread.start()
    return fault


def start_canary() -> FaultServer:
    """A server on another port of 127.0.0.1 that no crawl may reach: it answers like the
    site (robots.txt, feeds, a listing) so that a crawl which does reach it would go on
    there, and it counts every connection, even one that never sends a request."""
    return start_fault_server(feed=["/canary-article/"], listing_paths=["/canary-listed/"])
