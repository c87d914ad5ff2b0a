"""The plain values `storage.warc` takes and gives back, and the errors it raises.

Nothing here knows Scrapy: the caller copies what it fetched into a `Capture` (headers as
(name, value) pairs in the order received, bytes or str), and stores the `WarcLocation` it gets
back wherever it keeps its rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.errors import StorageError

__all__ = [
    "Capture",
    "HeaderList",
    "RefersTo",
    "SentRequest",
    "StoredCapture",
    "WarcDigestError",
    "WarcError",
    "WarcLocation",
    "WarcReadError",
]

# Header names and values as the HTTP client hands them over: bytes (kept byte for byte) or
# str (written as UTF-8).
HeaderList = Sequence[tuple[str | bytes, str | bytes]]


class WarcError(StorageError):
    """Input the WARC writer cannot record (a naive date, a status that is not a number...)."""


class WarcReadError(WarcError):
    """A location or file that does not hold what it should: no such file, a location past the
    end of the data, bytes that are not one whole WARC record."""


class WarcDigestError(WarcReadError):
    """A record whose payload or block no longer matches the digest written with it."""


@dataclass(frozen=True, order=True)
class WarcLocation:
    """Where one record lives: a file name relative to the WARC folder, the offset of the
    record's gzip member in that file and the member's length in bytes.

    These three values are what an archive row stores to point at its capture; reading
    `length` bytes at `offset` gives exactly one whole gzip member holding one WARC record.
    """

    filename: str
    offset: int
    length: int


@dataclass(frozen=True)
class SentRequest:
    """The request as it went out: method, URL, headers as sent and the body (if any).

    Passwords never reach the file: the writer's `Redaction` blanks named form fields and
    credential headers before the record is built.
    """

    method: str
    url: str
    headers: HeaderList = ()
    body: bytes = b""


@dataclass(frozen=True)
class Capture:
    """One HTTP exchange to record.

    `body` is the payload as the client delivered it: de-chunked, and encoded exactly as the
    `Content-Encoding` header left in `headers` says (Scrapy removes that header when it
    decompresses a body, so a Scrapy response satisfies this as it is). `fetched_at` must be
    timezone-aware; `ip_address` is the server's address when the client knows it.
    """

    url: str
    status: int
    headers: HeaderList
    body: bytes
    fetched_at: datetime
    request: SentRequest | None = None
    reason: str = ""
    protocol: str = "HTTP/1.1"
    ip_address: str | None = None


@dataclass(frozen=True)
class RefersTo:
    """The earlier capture a `revisit` record stands for (what a 304 said was unchanged)."""

    target_uri: str
    date: datetime
    record_id: str | None = None
    payload_digest: str | None = None


@dataclass(frozen=True)
class StoredCapture:
    """A record read back from a WARC: a `response`, `revisit` or `resource` record.

    `payload` is the stored payload byte for byte (for a response: the body after the HTTP
    headers, still in its content encoding if it had one; for a revisit: empty). `status`,
    `reason` and `headers` are empty for a `resource` record, which has no HTTP message.
    `warc_headers` holds every WARC header of the record as written.
    """

    location: WarcLocation
    record_type: str
    record_id: str
    target_uri: str
    date: datetime
    status: int | None
    reason: str
    headers: tuple[tuple[str, str], ...]
    payload: bytes
    payload_digest: str | None
    warc_headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        """The first HTTP header called `name` (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def warc_header(self, name: str) -> str | None:
        """The first WARC header called `name` (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.warc_headers if key.lower() == wanted), None)

    def refers_to(self) -> RefersTo:
        """This capture as the target of a later `revisit` record."""
        return RefersTo(self.target_uri, self.date, self.record_id, self.payload_digest)
