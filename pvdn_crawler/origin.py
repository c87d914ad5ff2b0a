"""The site's origin: which addresses the crawl may request, and why any other is refused.

An origin is a scheme, a host and a port (RFC 6454). The crawl's origin is its `base_url`'s;
a named host also answers under its documented alias, the same name with or without `www.`
(`vallartadaily.com` and `www.vallartadaily.com`), on the same scheme and port. Nothing else
is the site: not another port of the same host, not the other scheme on the same port, not an
address carrying credentials (`http://user:pw@host/`), which is never sent anywhere.

One exception, for links only: when the site is served over https on its default port, a
plain `http://` link to one of its hosts on port 80 is the same page asked for insecurely
(old posts link that way); `upgraded` gives its https form, which is on the origin. A
redirect to plain http is a downgrade the site asked for, and is refused instead.

Pure functions over strings: no Scrapy, no I/O. The downloader middleware that enforces this
is `pvdn_crawler.middlewares.OriginGuardMiddleware`; the login uses `same_origin` (a
stricter rule: no alias) before it sends the password.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from urllib.parse import SplitResult, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# Answers that send the client elsewhere (each one checked against the origin before it is
# followed), and how many of them in a row a page may take.
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
MAX_REDIRECT_HOPS = 5

Refusal = Literal["credentials", "scheme", "host", "port"]


@dataclass(frozen=True)
class Origin:
    """A scheme, a host name (lower case) and a port (the scheme's default made explicit)."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        default = DEFAULT_PORTS.get(self.scheme) == self.port
        return f"{self.scheme}://{self.host}" + ("" if default else f":{self.port}")


def origin_of(url: str) -> Origin | None:
    """The origin of an absolute http(s) URL; None for anything else, for an unreadable port
    and for an address that carries credentials (it has no origin the crawl would use)."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or "@" in parts.netloc or not parts.hostname:
        return None
    port = _port(parts)
    return None if port is None else Origin(parts.scheme, parts.hostname, port)


def same_origin(url: str, other: str) -> bool:
    """Whether both addresses have one origin, exactly: same scheme, host and port."""
    first = origin_of(url)
    return first is not None and first == origin_of(other)


@dataclass(frozen=True)
class SiteOrigin:
    """The crawl's origin and the host names that are the site on it."""

    origin: Origin
    hosts: frozenset[str]

    def __str__(self) -> str:
        return str(self.origin)

    def refusal(self, url: str) -> Refusal | None:
        """None for an address on the site; otherwise what makes it another site."""
        parts = urlsplit(url)
        if "@" in parts.netloc:
            return "credentials"
        if (parts.hostname or "") not in self.hosts:
            return "host"
        port = _port(parts) if parts.scheme in DEFAULT_PORTS else None
        if parts.scheme != self.origin.scheme:
            # On the same port, or each on its own scheme's default port, the difference is
            # the scheme (https -> http); otherwise it is another port as well.
            default = port is not None and port == DEFAULT_PORTS[parts.scheme]
            same_slot = port == self.origin.port or (default and self._default_port())
            return "scheme" if same_slot or port is None else "port"
        if port != self.origin.port:
            return "port"
        return None

    def admits(self, url: str) -> bool:
        return self.refusal(url) is None

    def on_site(self, url: str) -> str | None:
        """The address the crawl asks for `url` by: itself when it is on the site, its https
        form when it is a plain-http link the crawl upgrades; None when it is another site."""
        return url if self.admits(url) else self.upgraded(url)

    def upgraded(self, url: str) -> str | None:
        """The https form of a plain-http link to the site, when the site is https on its
        default port and the link is on port 80; None otherwise."""
        if self.origin.scheme != "https" or not self._default_port():
            return None
        parts = urlsplit(url)
        if parts.scheme != "http" or "@" in parts.netloc:
            return None
        if (parts.hostname or "") not in self.hosts or _port(parts) != DEFAULT_PORTS["http"]:
            return None
        return urlunsplit(("https", parts.hostname or "", parts.path, parts.query, parts.fragment))

    def _default_port(self) -> bool:
        return self.origin.port == DEFAULT_PORTS[self.origin.scheme]


@lru_cache(maxsize=16)
def site_origin(base_url: str) -> SiteOrigin:
    """The crawl's origin from its `base_url`. A host name also answers with or without
    `www.`; an IP address or `localhost` has no alias. ValueError for a base URL that has no
    http(s) origin."""
    origin = origin_of(base_url)
    if origin is None:
        raise ValueError(f"base_url has no http(s) origin: {base_url!r}")
    host = origin.host
    if _is_local(host):
        return SiteOrigin(origin, frozenset({host}))
    bare = host.removeprefix("www.")
    return SiteOrigin(origin, frozenset({bare, f"www.{bare}"}))


def without_credentials(url: str) -> str:
    """The address with any `user:password@` replaced by `***@`, for log lines."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    netloc = "***@" + parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _port(parts: SplitResult) -> int | None:
    """The explicit port, or the scheme's default; None when the port is not a number."""
    try:
        port = parts.port
    except ValueError:
        return None
    return port if port is not None else DEFAULT_PORTS.get(parts.scheme)


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
