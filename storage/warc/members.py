"""Finding the whole gzip members of a `.warc.gz` file, each holding one WARC record.

Recovery and export both need to know where records end without trusting anything but the
bytes: a member counts as whole when zlib reaches its end and its CRC-32 and length check out,
and what it decompresses to starts like a WARC record (`WARC/`) and ends like one (CRLF CRLF).
The scan streams: memory stays at a few chunks whatever the file's size, and the time is
linear in the bytes scanned.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["Member", "decompress_member", "scan_members"]

_CHUNK = 1 << 20
_RECORD_START = b"WARC/"
_RECORD_END = b"\r\n\r\n"


@dataclass(frozen=True)
class Member:
    """One whole gzip member: bytes [start, end) of the file."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


def scan_members(fh: BinaryIO, start: int = 0) -> Iterator[Member]:
    """Yield the whole members from `start` on, in order; stop silently at the first byte that
    does not begin one (a torn tail, garbage, or the end of the file)."""
    fh.seek(start)
    base = start  # file offset of pending[0]
    member_start = start
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    head = b""
    tail = b""
    pending = b""
    while True:
        if not pending:
            pending = fh.read(_CHUNK)
            if not pending:
                return
        try:
            out = decompressor.decompress(pending, _CHUNK)
        except zlib.error:
            return
        if len(head) < len(_RECORD_START):
            head = (head + out[: len(_RECORD_START)])[: len(_RECORD_START)]
        tail = (tail + out[-len(_RECORD_END) :])[-len(_RECORD_END) :]
        if decompressor.eof:
            rest = decompressor.unused_data
            end = base + len(pending) - len(rest)
            if head != _RECORD_START or tail != _RECORD_END:
                return
            yield Member(member_start, end)
            member_start = base = end
            pending = rest
            decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
            head = tail = b""
        else:
            rest = decompressor.unconsumed_tail
            base += len(pending) - len(rest)
            pending = rest


def decompress_member(data: bytes, limit: int) -> bytes | None:
    """The record inside `data` when `data` is exactly one whole gzip member that inflates to
    at most `limit` bytes, else None (the limit keeps a hostile member from filling memory)."""
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        plain = decompressor.decompress(data, limit)
    except zlib.error:
        return None
    if not decompressor.eof or decompressor.unused_data or decompressor.unconsumed_tail:
        return None
    return plain
