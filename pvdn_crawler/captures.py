"""The HTTP exchange behind a response, as the archive keeps it in WARC files.

Scrapy keeps the request a response answered, both header sets and the body; this copies them
into a `storage.warc.Capture` (no copy of the body is made). Writing happens later, on the
archive's worker thread, never on the crawl's event loop. `header_charset` reads a capture's
Content-Type back the way the crawl did, for re-cleaning; Scrapy is imported for type checking
only, so the re-clean's worker processes do not load it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from storage.warc import Capture, HeaderList, SentRequest

if TYPE_CHECKING:
    from scrapy.http import Headers, Response

__all__ = ["capture_of", "header_charset"]


def capture_of(response: Response) -> Capture:
    """The exchange `response` came from, fetched now."""
    request = response.request
    sent = None
    if request is not None:
        sent = SentRequest(
            method=request.method,
            url=request.url,
            headers=_header_list(request.headers),
            body=request.body or b"",
        )
    ip = getattr(response, "ip_address", None)
    return Capture(
        url=response.url,
        status=response.status,
        headers=_header_list(response.headers),
        body=response.body,
        fetched_at=datetime.now(UTC),
        request=sent,
        protocol=_protocol(response),
        ip_address=str(ip) if ip else None,
    )


def _header_list(headers: Headers) -> HeaderList:
    """Every header value, in the order Scrapy holds them (a header sent twice stays two)."""
    return [(name, value) for name, values in headers.items() for value in values]


def _protocol(response: Response) -> str:
    protocol = getattr(response, "protocol", None)
    return str(protocol) if protocol else "HTTP/1.1"


def header_charset(content_type: str | None) -> str | None:
    """The charset a `Content-Type` header value names, if any: what the crawl cleans a page
    with, and so what re-cleaning its capture must use too."""
    for parameter in (content_type or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None
