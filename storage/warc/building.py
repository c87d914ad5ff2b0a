"""WARC records as bytes: one gzip member per record, built with warcio.

warcio builds the records (WARC headers, digests, Content-Length) and compresses each into its
own gzip member; this module decides what goes into them: WARC/1.1 headers with microsecond
dates, HTTP headers byte for byte as received, framing headers that no longer describe the
stored payload renamed, and credentials in requests blanked.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from importlib import metadata
from io import BytesIO
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from storage.warc.model import Capture, HeaderList, RefersTo, SentRequest, WarcError

__all__ = [
    "DEFAULT_RESOURCE_NOTE",
    "ORIGINAL_HEADER_PREFIX",
    "SERVER_NOT_MODIFIED_PROFILE",
    "WARC_VERSION",
    "Redaction",
    "new_record_id",
    "request_member",
    "resource_member",
    "response_member",
    "revisit_member",
    "target_uri",
    "warc_date",
    "warcinfo_member",
]

WARC_VERSION = "WARC/1.1"
CONFORMS_TO = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
SERVER_NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
# A received header that no longer describes the stored payload keeps its value under this
# prefix (the spelling pywb uses for headers it had to rewrite).
ORIGINAL_HEADER_PREFIX = "X-Archive-Orig-"
# Extension WARC headers (the standard lets writers add named fields; readers ignore them).
NOTE_HEADER = "WARC-Pvdn-Note"
REDACTED_HEADER = "WARC-Pvdn-Redacted"
DEFAULT_RESOURCE_NOTE = (
    "HTTP status line and headers were not kept; the payload is the HTML body as the "
    "pvdn-archive database stored it before captures were kept in WARC files"
)
REDACTED = "REDACTED"
# warcio (and so pywb) misreads a header line that spans more than two of its 16 KiB read
# buffers; Twisted, under Scrapy, refuses lines over 16 KiB anyway. Longer lines are cut.
MAX_HEADER_LINE = 16_384
# Scrapy drops requests for URLs over 2,083 characters; a URL over this cannot be recorded in
# a header line that readers parse reliably.
MAX_URI_LENGTH = 8_192

# Everything printable in ASCII may stay in a URI header; spaces, controls and non-ASCII are
# percent-encoded (UTF-8), so the header line stays one line of ASCII.
_URI_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))
_BREAKS_VALUE = re.compile(r"[\r\n\x00]")
_BREAKS_NAME = re.compile(r"[\x00-\x20\x7f:]")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HTTP_VERSION = re.compile(r"^HTTP/\d(?:\.\d)?$")


@dataclass(frozen=True)
class Redaction:
    """What never goes into a `request` record.

    A form field (in an `application/x-www-form-urlencoded` body) whose name is in
    `form_fields` keeps its name and gets the value `REDACTED`; a body of another type that
    mentions any of those names is left out entirely (it could hold a password we cannot
    find). A header whose name is in `headers` keeps its name and gets the value `REDACTED`.
    Names are compared without regard to case. The record says what was blanked in a
    `WARC-Pvdn-Redacted` header.
    """

    form_fields: frozenset[str] = field(
        default_factory=lambda: frozenset(
            {"pwd", "password", "passwd", "pass", "pass1", "pass2", "user_pass", "passphrase"}
        )
    )
    headers: frozenset[str] = field(
        default_factory=lambda: frozenset({"authorization", "proxy-authorization", "cookie"})
    )

    def __post_init__(self) -> None:
        """Names compared case-blind, as HTTP header and form field names are matched."""
        object.__setattr__(self, "form_fields", frozenset(n.lower() for n in self.form_fields))
        object.__setattr__(self, "headers", frozenset(n.lower() for n in self.headers))


class _ExactHeaders(StatusAndHeaders):  # type: ignore[misc]
    """HTTP status line and headers written back as the bytes they arrived as.

    Every name and value is held as latin-1 text (one character per byte), so encoding it as
    latin-1 gives the original bytes; warcio's own serialisation would percent-encode any
    non-ASCII value instead.
    """

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        """The block as the original bytes (warcio would percent-encode them)."""
        self.headers_buff = self.to_str(None).encode("latin-1") + b"\r\n"


def _latin1(value: str | bytes) -> str:
    """Bytes as one character per byte; text as its UTF-8 bytes, the same way."""
    raw = value if isinstance(value, bytes) else value.encode("utf-8")
    return raw.decode("latin-1")


def _header_pairs(headers: HeaderList) -> tuple[list[tuple[str, str]], list[str]]:
    """Names and values that cannot break the header block, and notes on what was cut.

    A CR, LF or NUL inside a value becomes a space, and a name loses white space, controls and
    colons (an empty name is dropped): received headers never contain these, hostile input
    may. A line longer than `MAX_HEADER_LINE` bytes keeps only that many."""
    pairs = []
    notes = []
    for raw_name, raw_value in headers:
        name = _BREAKS_NAME.sub("-", _latin1(raw_name).strip())
        if not name.strip("-"):
            continue
        if len(name) > MAX_HEADER_LINE // 2:
            notes.append(f"header name cut from {len(name)} to {MAX_HEADER_LINE // 2} bytes")
            name = name[: MAX_HEADER_LINE // 2]
        value = _BREAKS_VALUE.sub(" ", _latin1(raw_value))
        room = MAX_HEADER_LINE - len(name) - 2
        if len(value) > room:
            notes.append(f"header {name} cut from {len(value)} to {room} bytes")
            value = value[:room]
        pairs.append((name, value))
    return pairs, notes


def _honest_framing(
    pairs: list[tuple[str, str]], payload_length: int | None
) -> list[tuple[str, str]]:
    """Rename the framing headers that would mislead a reader of the stored payload.

    HTTP clients hand over bodies already de-chunked, so `Transfer-Encoding` never describes
    what is stored; a `Content-Length` that differs from the stored length (a body the client
    decompressed, or a redacted request body) is stale. Both keep their values under the
    `X-Archive-Orig-` prefix. `payload_length` None (a revisit, which stores no payload) leaves
    Content-Length alone.
    """
    honest = []
    for name, value in pairs:
        lowered = name.lower()
        stale_length = (
            lowered == "content-length"
            and payload_length is not None
            and value.strip() != str(payload_length)
        )
        renamed = lowered == "transfer-encoding" or stale_length
        honest.append((ORIGINAL_HEADER_PREFIX + name if renamed else name, value))
    return honest


def target_uri(url: str) -> str:
    """`url` as a WARC-Target-URI: ASCII only, no white space.

    A non-ASCII host name is written in its IDNA (punycode) form; other non-ASCII characters,
    spaces and controls are percent-encoded as UTF-8. Printable ASCII is kept as given, so an
    already valid URL comes back unchanged.
    """
    text = url.strip()
    if not text:
        raise WarcError("a capture needs a URL")
    if len(text) > MAX_URI_LENGTH:
        raise WarcError(f"URL of {len(text)} characters, over {MAX_URI_LENGTH}: {text[:100]!r}")
    if not text.isascii():
        try:
            parts = urlsplit(text)
            host = parts.hostname or ""
            port = f":{parts.port}" if parts.port is not None else ""
        except ValueError as error:
            raise WarcError(f"not a URL: {text[:200]!r} ({error})") from error
        if host and not host.isascii():
            try:
                ascii_host = host.encode("idna").decode("ascii")
            except UnicodeError:
                ascii_host = quote(host, safe="")
            userinfo, at, _hostport = parts.netloc.rpartition("@")
            # The first occurrence of the network location is the one after `scheme://`.
            text = text.replace(parts.netloc, f"{userinfo}{at}{ascii_host}{port}", 1)
    uri = quote(text, safe=_URI_SAFE)
    if len(uri) > MAX_URI_LENGTH:
        raise WarcError(f"URL of {len(uri)} characters once encoded: {uri[:100]!r}")
    return uri


def _http_uri(url: str) -> str:
    """The record's target URI; only http(s) exchanges are written as request/response."""
    uri = target_uri(url)
    if not uri.lower().startswith(("http://", "https://")):
        raise WarcError(f"an HTTP capture needs an http(s) URL, not {uri[:200]!r}")
    return uri


def warc_date(moment: datetime) -> str:
    """WARC/1.1 date with microseconds, in UTC (a naive datetime is refused, not guessed)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise WarcError(f"a WARC date needs a timezone-aware datetime, got {moment!r}")
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return str(datetime_to_iso_date(utc, use_micros=True))


def new_record_id() -> str:
    """A fresh WARC-Record-ID (a UUID URN, as WARC/1.1 recommends)."""
    return f"<urn:uuid:{uuid.uuid4()}>"


def _warc_headers(
    record_type: str, record_id: str, date: str, extra: Iterable[tuple[str, str | None]]
) -> StatusAndHeaders:
    """A record's WARC header block; optional headers without a value are left out."""
    headers = [("WARC-Type", record_type), ("WARC-Record-ID", record_id), ("WARC-Date", date)]
    headers += [(name, value) for name, value in extra if value]
    return StatusAndHeaders("", headers, protocol=WARC_VERSION)


def _member(
    record_type: str,
    uri: str,
    warc_headers: StatusAndHeaders,
    payload: bytes,
    *,
    http_headers: StatusAndHeaders | None = None,
    content_type: str = "",
) -> bytes:
    """One record, built and gzip-compressed by warcio into its own gzip member."""
    out = BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version=WARC_VERSION)
    record = writer.create_warc_record(
        uri,
        record_type,
        payload=BytesIO(payload),
        length=len(payload),
        warc_headers=warc_headers,
        http_headers=http_headers,
        warc_content_type=content_type,
    )
    writer.write_record(record)
    return out.getvalue()


def _status_line(status: int, reason: str) -> str:
    """The response's status line text, refused when the status is not an HTTP status; a
    missing reason phrase gets the standard one, and line breaks cannot reach the record."""
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 999:
        raise WarcError(f"an HTTP status is a number from 100 to 999, got {status!r}")
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    reason = _BREAKS_VALUE.sub(" ", _latin1(reason)).strip()[:1024]
    return f"{status} {reason}".rstrip()


def _ip_address(address: str | None) -> str | None:
    """The WARC-IP-Address value: a real IP address or nothing, never free text."""
    if address is None or address == "":
        return None
    try:
        return str(ipaddress.ip_address(str(address).strip()))
    except ValueError as error:
        raise WarcError(f"not an IP address: {str(address)[:100]!r}") from error


def _protocol(protocol: str) -> str:
    """The status line's protocol as the server gave it, or HTTP/1.1 when it is not one."""
    return protocol if _HTTP_VERSION.match(protocol) else "HTTP/1.1"


def response_member(
    capture: Capture, record_id: str, warcinfo_id: str | None
) -> tuple[bytes, str, str]:
    """The `response` record of `capture`: (gzip member, its target URI, its WARC-Date)."""
    uri = _http_uri(capture.url)
    date = warc_date(capture.fetched_at)
    pairs, notes = _header_pairs(capture.headers)
    http = _ExactHeaders(
        _status_line(capture.status, capture.reason),
        _honest_framing(pairs, len(capture.body)),
        protocol=_protocol(capture.protocol),
    )
    extra = [
        ("WARC-Target-URI", uri),
        ("WARC-IP-Address", _ip_address(capture.ip_address)),
        ("WARC-Warcinfo-ID", warcinfo_id),
        (NOTE_HEADER, "; ".join(notes) or None),
    ]
    headers = _warc_headers("response", record_id, date, extra)
    return _member("response", uri, headers, capture.body, http_headers=http), uri, date


def revisit_member(
    capture: Capture, refers_to: RefersTo | None, record_id: str, warcinfo_id: str | None
) -> tuple[bytes, str, str]:
    """A `revisit` record (profile server-not-modified) for a 304 answer: its status line and
    headers, no payload, and the earlier capture it stands for when the caller knows it."""
    if capture.status != HTTPStatus.NOT_MODIFIED:
        raise WarcError(f"a server-not-modified revisit records a 304, got {capture.status}")
    uri = _http_uri(capture.url)
    date = warc_date(capture.fetched_at)
    pairs, notes = _header_pairs(capture.headers)
    http = _ExactHeaders(
        _status_line(capture.status, capture.reason),
        _honest_framing(pairs, None),
        protocol=_protocol(capture.protocol),
    )
    extra: list[tuple[str, str | None]] = [
        ("WARC-Target-URI", uri),
        ("WARC-IP-Address", _ip_address(capture.ip_address)),
        ("WARC-Warcinfo-ID", warcinfo_id),
        ("WARC-Profile", SERVER_NOT_MODIFIED_PROFILE),
        (NOTE_HEADER, "; ".join(notes) or None),
    ]
    if refers_to is not None:
        extra += [
            ("WARC-Refers-To", refers_to.record_id),
            ("WARC-Refers-To-Target-URI", target_uri(refers_to.target_uri)),
            ("WARC-Refers-To-Date", warc_date(refers_to.date)),
            ("WARC-Payload-Digest", refers_to.payload_digest),
        ]
    headers = _warc_headers("revisit", record_id, date, extra)
    return _member("revisit", uri, headers, b"", http_headers=http), uri, date


def _redact_form(body: bytes, fields: frozenset[str]) -> tuple[bytes, list[str]]:
    """Blank the values of the named fields, keeping every other byte of the body."""
    found = []
    parts = []
    for part in body.split(b"&"):
        raw_name = part.partition(b"=")[0]
        name = unquote_plus(raw_name.decode("latin-1")).strip()
        if name.lower() in fields:
            found.append(name)
        parts.append(raw_name + b"=" + REDACTED.encode() if name.lower() in fields else part)
    return b"&".join(parts), found


def _redact(
    headers: list[tuple[str, str]], body: bytes, redaction: Redaction
) -> tuple[list[tuple[str, str]], bytes, list[str]]:
    """Blank credentials and secrets (headers, form fields) before the record is written;
    returns the kept headers, the body and a note per redaction, so the record says what
    was removed."""
    notes = []
    kept = []
    for name, value in headers:
        secret = name.lower() in redaction.headers
        if secret:
            notes.append(f"header {name}")
        kept.append((name, REDACTED if secret else value))
    if body and redaction.form_fields:
        content_type = next((v for n, v in kept if n.lower() == "content-type"), "")
        if content_type.lower().startswith("application/x-www-form-urlencoded"):
            body, fields = _redact_form(body, redaction.form_fields)
            notes += [f"form field {name}" for name in fields]
        else:
            lowered = body.lower()
            if any(name.encode("utf-8") in lowered for name in redaction.form_fields):
                body = b""
                notes.append("body left out (it names a password field)")
    return kept, body, notes


def request_member(
    request: SentRequest,
    *,
    uri: str,
    date: str,
    concurrent_to: str,
    warcinfo_id: str | None,
    redaction: Redaction,
) -> bytes:
    """The `request` record sent for a capture, dated and targeted like its response.

    The request line names the request's own URL (the same as the response's for anything
    Scrapy fetched: each redirect hop is a capture of its own). A `Host` header is added when
    the caller's headers lack one: HTTP/1.1 clients always send it, and Scrapy's request
    headers leave it to the connection layer.
    """
    method = request.method.strip().upper() or "GET"
    if not _TOKEN.match(method):
        raise WarcError(f"not an HTTP method: {request.method[:50]!r}")
    parts = urlsplit(_http_uri(request.url))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    received, cut = _header_pairs(request.headers)
    pairs, body, notes = _redact(received, request.body, redaction)
    if not any(name.lower() == "host" for name, _ in pairs):
        pairs.insert(0, ("Host", parts.netloc.rpartition("@")[2]))
    http = _ExactHeaders(f"{path} HTTP/1.1", _honest_framing(pairs, len(body)), protocol=method)
    extra = [
        ("WARC-Target-URI", uri),
        ("WARC-Concurrent-To", concurrent_to),
        ("WARC-Warcinfo-ID", warcinfo_id),
        (REDACTED_HEADER, "; ".join(notes) or None),
        (NOTE_HEADER, "; ".join(cut) or None),
    ]
    headers = _warc_headers("request", new_record_id(), date, extra)
    return _member("request", uri, headers, body, http_headers=http)


def resource_member(
    url: str,
    payload: bytes,
    *,
    captured_at: datetime,
    content_type: str,
    note: str,
    warcinfo_id: str | None,
) -> bytes:
    """A `resource` record: a payload kept without its HTTP message, with a note saying so."""
    uri = target_uri(url)
    clean_type = _BREAKS_VALUE.sub(" ", content_type).strip() or "application/octet-stream"
    extra = [
        ("WARC-Target-URI", uri),
        ("WARC-Warcinfo-ID", warcinfo_id),
        (NOTE_HEADER, _BREAKS_VALUE.sub(" ", note).strip() or None),
    ]
    headers = _warc_headers("resource", new_record_id(), warc_date(captured_at), extra)
    return _member("resource", uri, headers, payload, content_type=clean_type)


def _version(package: str) -> str:
    """A package's version for the warcinfo record, "unknown" outside an installation."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def warcinfo_member(filename: str, record_id: str, description: str, is_part_of: str) -> bytes:
    """The `warcinfo` record that opens each file: who wrote it, in what format, for what."""
    fields = [
        ("software", f"pvdn-archive/{_version('pvdn-archive')} warcio/{_version('warcio')}"),
        ("format", "WARC File Format 1.1"),
        ("conformsTo", CONFORMS_TO),
        ("isPartOf", is_part_of),
        ("description", description),
    ]
    body = "".join(
        f"{name}: {_BREAKS_VALUE.sub(' ', value).strip()}\r\n" for name, value in fields if value
    ).encode("utf-8")
    now = warc_date(datetime.now(UTC))
    headers = _warc_headers("warcinfo", record_id, now, [("WARC-Filename", filename)])
    return _member("warcinfo", "", headers, body, content_type="application/warc-fields")
