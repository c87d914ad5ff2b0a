"""A local mirror of the site for tests and the offline demo: serves `fixtures/site/`.

Routes come from `fixtures/site/routes.json` (path and query to a file, a redirect or a bare
status). Text responses have the production origin rewritten to the mirror's own, so a crawl
with `-a base_url=<mirror>` never leaves 127.0.0.1; every request is logged with its Host.

Subscriber pages (`fixtures/site/subscriber/`): a `login` route is WordPress's `/wp-login.php`
(GET the form, POST `log` / `pwd` to log in as the route's test user), and a route with a
`subscriber_file` serves that file instead of `file` to requests carrying the login cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

SITE = Path(__file__).resolve().parent.parent / "fixtures" / "site"
_ORIGINS = ("https://www.vallartadaily.com", "http://www.vallartadaily.com",
            "https://vallartadaily.com", "http://vallartadaily.com")  # fmt: skip
_DEFAULT_TYPE = "text/html; charset=UTF-8"
# WordPress names its cookies after md5(site URL); the mirror answers as the production site.
COOKIE_HASH = hashlib.md5(_ORIGINS[0].encode(), usedforsecurity=False).hexdigest()
LOGGED_IN_COOKIE = f"wordpress_logged_in_{COOKIE_HASH}"
_TEST_COOKIE = "wordpress_test_cookie"
_LASTMOD = re.compile(rb"\s*<lastmod>[^<]*</lastmod>")


@dataclass
class Mirror:
    """A running mirror: its origin, and the requests it has served as (host, path) pairs.

    Responses carry an ETag and answer `If-None-Match` with 304, as a caching WordPress does;
    with `validators` false they carry no ETag or Last-Modified, never answer 304, and
    sitemaps lose their `<lastmod>`, as a stock WordPress 6.1 serves its pages. `changed` lets
    a test edit a page between two crawls (path → new body), `status_of` make a path answer
    another status (a removed article's 410). `posts` lists the paths POSTed
    to, `sessions` the login cookie values handed out by a successful login.
    """

    server: ThreadingHTTPServer
    thread: threading.Thread
    requests: list[tuple[str, str]] = field(default_factory=list)
    responses: list[tuple[str, int, int]] = field(default_factory=list)  # path, status, bytes
    changed: dict[str, bytes] = field(default_factory=dict)
    status_of: dict[str, int] = field(default_factory=dict)  # path -> status to answer instead
    posts: list[str] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)
    validators: bool = True

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


class _Server(ThreadingHTTPServer):
    # A crawl opens a dozen connections at once; the default backlog of 5 drops some.
    request_queue_size = 128


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


def _login_error(route: dict[str, Any], form: dict[str, str], cookies: dict[str, str]) -> str:
    """WordPress's answer to a login POST: an error message, or "" for the right password."""
    user, password = form.get("log", "").strip(), form.get("pwd", "")
    if form.get("testcookie") and _TEST_COOKIE not in cookies:
        return (
            "Cookies are blocked or not supported by your browser. You must <a href="
            '"https://developer.wordpress.org/advanced-administration/wordpress/cookies/">'
            "enable cookies</a> to use WordPress."
        )
    if not user:
        return "The username field is empty."
    if not password:
        return "The password field is empty."
    if user != route["user"]:
        return (
            f"The username <strong>{escape(user)}</strong> is not registered on this site. If"
            " you are unsure of your username, try your email address instead."
        )
    if not hmac.compare_digest(password.encode(), str(route["password"]).encode()):
        return (
            f"The password you entered for the username <strong>{escape(user)}</strong> is"
            ' incorrect. <a href="https://www.vallartadaily.com/wp-login.php?action=lostpassword">'
            "Lost your password?</a>"
        )
    return ""


def _login_page(form_page: bytes, user: str = "", error: str = "") -> bytes:
    """The login form, shown again with the username typed and the error, as WordPress does
    (never the password)."""
    page = form_page.decode("utf-8")
    if error:
        box = f'<div id="login_error" class="notice notice-error"><p><strong>Error:</strong> {error}</p></div>'  # noqa: E501
        page = page.replace("<!--login_error-->", box, 1)
    if user:
        empty = 'name="log" id="user_login" class="input" value=""'
        page = page.replace(empty, empty.removesuffix('""') + f'"{escape(user)}"', 1)
    return page.encode("utf-8")


def _session_cookie(user: str) -> str:
    """A `wordpress_logged_in_*` value shaped like WordPress's: user|expiration|token|hmac."""
    token = secrets.token_hex(21)
    expiration = int(time.time()) + 2 * 86400
    mac = hashlib.sha256(f"{user}|{expiration}|{token}".encode()).hexdigest()
    return "%7C".join((quote(user, safe=""), str(expiration), token, mac))


def start_mirror(
    site: Path = SITE, host: str = "127.0.0.1", port: int = 0, *, validators: bool = True
) -> Mirror:
    """Serve `site` on host:port (0 picks a free port) in a background thread; without
    `validators`, as a server that never lets a client revalidate (see `Mirror`)."""
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
            elif "login" in route:
                test_cookie = ("Set-Cookie", f"{_TEST_COOKIE}=WP%20Cookie%20check; path=/")
                page = (site / route["login"]).read_bytes()
                self._send(200, _DEFAULT_TYPE, page, mirror, [test_cookie])
            elif "file" in route:
                name = route["file"]
                if "subscriber_file" in route and self._subscriber(mirror):
                    name = route["subscriber_file"]
                body = mirror.changed.get(self.path) or (site / name).read_bytes()
                self._send(int(route.get("status", 200)), route.get("type", _DEFAULT_TYPE),
                           body, mirror)  # fmt: skip
            else:
                self._send(int(route.get("status", 404)), _DEFAULT_TYPE, b"", mirror)

        def do_POST(self) -> None:
            """Only the login form takes a POST: the right test user and password get the
            login cookie and a 302 to `redirect_to`, anything else the form and an error."""
            mirror = mirror_box[0]
            mirror.requests.append((self.headers.get("Host", ""), self.path))
            mirror.posts.append(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length).decode("utf-8", "replace")
            form = dict(parse_qsl(data, keep_blank_values=True))
            route = _lookup(routes, self.path)
            if route is None or "login" not in route:
                self._send(405, _DEFAULT_TYPE, b"", mirror, [("Allow", "GET")])
                return
            error = _login_error(route, form, self._cookies())
            if error:
                page = _login_page((site / route["login"]).read_bytes(), form.get("log", ""), error)
                self._send(200, _DEFAULT_TYPE, page, mirror)
                return
            session = _session_cookie(str(route["user"]))
            mirror.sessions.add(session)
            target = form.get("redirect_to", "")
            if not target.startswith(mirror.origin + "/"):
                target = mirror.origin + "/wp-admin/"
            mirror.responses.append((self.path, 302, 0))
            self.send_response(302)
            for path in ("/wp-content/plugins", "/wp-admin"):
                self.send_header("Set-Cookie", f"wordpress_{COOKIE_HASH}={session}; path={path}; HttpOnly")  # fmt: skip # noqa: E501
            self.send_header("Set-Cookie", f"{LOGGED_IN_COOKIE}={session}; path=/; HttpOnly")
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _cookies(self) -> dict[str, str]:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(self.headers.get("Cookie", ""))
            except CookieError:
                return {}
            return {name: morsel.value for name, morsel in jar.items()}

        def _subscriber(self, mirror: Mirror) -> bool:
            return self._cookies().get(LOGGED_IN_COOKIE, "") in mirror.sessions

        def _send(
            self,
            status: int,
            content_type: str,
            body: bytes,
            mirror: Mirror,
            headers: Sequence[tuple[str, str]] = (),
        ) -> None:
            if content_type.startswith(("text/", "application/rss", "application/xml")):
                for origin in _ORIGINS:
                    body = body.replace(origin.encode(), mirror.origin.encode())
            if not mirror.validators and "xml" in content_type:
                body = _LASTMOD.sub(b"", body)
            etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
            if mirror.validators and status == 200 and self.headers.get("If-None-Match") == etag:
                status, body = 304, b""
            mirror.responses.append((self.path, status, len(body)))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if mirror.validators and status in (200, 304):
                self.send_header("ETag", etag)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: requests are recorded in `Mirror.requests` instead."""

    server = _Server((host, port), Handler)
    thread = threading.Thread(target=server.serve_forever, name="pvdn-mirror", daemon=True)
    mirror = Mirror(server, thread, validators=validators)
    mirror_box.append(mirror)
    thread.start()
    return mirror
