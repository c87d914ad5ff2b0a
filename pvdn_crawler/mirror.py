"""A local mirror of the site for tests and the offline demo: serves `fixtures/site/`.

Routes come from `fixtures/site/routes.json` (path and query to a file, a redirect or a bare
status). Text responses have the production origin rewritten to the mirror's own, so a crawl
with `-a base_url=<mirror>` never leaves 127.0.0.1; every request is logged with its Host.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

SITE = Path(__file__).resolve().parent.parent / "fixtures" / "site"
_ORIGINS = ("https://www.vallartadaily.com", "http://www.vallartadaily.com",
            "https://vallartadaily.com", "http://vallartadaily.com")  # fmt: skip
_DEFAULT_TYPE = "text/html; charset=UTF-8"


@dataclass
class Mirror:
    """A running mirror: its origin, and the requests it has served as (host, path) pairs.

    Responses carry an ETag and answer `If-None-Match` with 304, as a caching WordPress does;
    `changed` lets a test edit a page between two crawls (path → new body), `status_of` make
    a path answer another status (a removed article's 410).
    """

    server: ThreadingHTTPServer
    thread: threading.Thread
    requests: list[tuple[str, str]] = field(default_factory=list)
    responses: list[tuple[str, int, int]] = field(default_factory=list)  # path, status, bytes
    changed: dict[str, bytes] = field(default_factory=dict)
    status_of: dict[str, int] = field(default_factory=dict)  # path -> status to answer instead

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _lookup(routes: dict[str, Any], path_and_query: str) -> dict[str, Any] | None:
    if path_and_query in routes:
        route: dict[str, Any] = routes[path_and_query]
        return route
    parts = urlsplit(path_and_query)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.startswith("utm_")]  # fmt: skip
    key = parts.path + (f"?{urlencode(query)}" if query else "")
    found: dict[str, Any] | None = routes.get(key)
    return found


def start_mirror(site: Path = SITE, host: str = "127.0.0.1", port: int = 0) -> Mirror:
    """Serve `site` on host:port (0 picks a free port) in a background thread."""
    routes: dict[str, Any] = json.loads((site / "routes.json").read_text(encoding="utf-8"))[
        "routes"
    ]
    mirror_box: list[Mirror] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            mirror = mirror_box[0]
            mirror.requests.append((self.headers.get("Host", ""), self.path))
            route = _lookup(routes, self.path)
            if self.path in mirror.status_of:
                self._send(mirror.status_of[self.path], _DEFAULT_TYPE, b"", mirror)
            elif route is None:
                self._send(404, _DEFAULT_TYPE, (site / "404.html").read_bytes(), mirror)
            elif "redirect" in route:
                mirror.responses.append((self.path, int(route.get("status", 301)), 0))
                self.send_response(int(route.get("status", 301)))
                self.send_header("Location", mirror.origin + route["redirect"])
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif "file" in route:
                body = mirror.changed.get(self.path) or (site / route["file"]).read_bytes()
                self._send(int(route.get("status", 200)), route.get("type", _DEFAULT_TYPE),
                           body, mirror)  # fmt: skip
            else:
                self._send(int(route.get("status", 404)), _DEFAULT_TYPE, b"", mirror)

        def _send(self, status: int, content_type: str, body: bytes, mirror: Mirror) -> None:
            if content_type.startswith(("text/", "application/rss", "application/xml")):
                for origin in _ORIGINS:
                    body = body.replace(origin.encode(), mirror.origin.encode())
            etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                status, body = 304, b""
            mirror.responses.append((self.path, status, len(body)))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if status in (200, 304):
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: requests are recorded in `Mirror.requests` instead."""

    server = ThreadingHTTPServer((host, port), Handler)
    thread = threading.Thread(target=server.serve_forever, name="pvdn-mirror", daemon=True)
    mirror = Mirror(server, thread)
    mirror_box.append(mirror)
    thread.start()
    return mirror
