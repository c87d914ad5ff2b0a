"""Reading captures back from the WARC folder, and exporting a selection into one file."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader
from warcio.statusandheaders import StatusAndHeadersParserException

from storage.warc.building import new_record_id, warcinfo_member
from storage.warc.members import decompress_member, scan_members
from storage.warc.model import StoredCapture, WarcDigestError, WarcLocation, WarcReadError
from storage.warc.recovery import OPEN_SUFFIX, fsync_folder

__all__ = [
    "CAPTURE_TYPES",
    "MAX_RECORD_BYTES",
    "ExportSummary",
    "export_captures",
    "iter_captures",
    "read_capture",
    "resolve_file",
]

CAPTURE_TYPES = frozenset({"response", "revisit", "resource"})
# No record this archive writes comes near this; it bounds what one hostile location costs.
MAX_RECORD_BYTES = 1 << 30
_PARSE_ERRORS = (ArchiveLoadFailed, StatusAndHeadersParserException, EOFError, ValueError)


@dataclass(frozen=True)
class ExportSummary:
    """What `export_captures` wrote."""

    path: Path
    captures: int  # response / revisit / resource records
    requests: int  # request records copied with them
    warcinfos: int  # the export's own warcinfo plus one per source file
    bytes: int


def resolve_file(folder: Path, filename: str) -> Path:
    """The file a location names: the finished file, or its `.open` form while a writer (or a
    crash not yet recovered) still has it. A name that would leave the folder is refused."""
    if not filename or Path(filename).name != filename or filename in {".", ".."}:
        raise WarcReadError(f"not a WARC file name: {filename[:200]!r}")
    for candidate in (folder / filename, folder / f"{filename}{OPEN_SUFFIX}"):
        if candidate.is_file():
            return candidate
    raise WarcReadError(f"no WARC file {filename!r} in {folder}")


def _parse_date(value: str) -> datetime:
    moment = datetime.fromisoformat(value.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _capture(record: Any, location: WarcLocation, payload: bytes) -> StoredCapture:
    """A warcio record whose payload has been read in full, as a `StoredCapture`; raises
    `WarcDigestError` when warcio's digest check failed while the payload was read."""
    warc = record.rec_headers
    checker = record.digest_checker
    if checker is not None and checker.passed is False:
        problems = "; ".join(checker.problems)
        raise WarcDigestError(f"{location.filename} at {location.offset}: {problems}")
    http = record.http_headers
    status: int | None = None
    reason = ""
    headers: tuple[tuple[str, str], ...] = ()
    if http is not None and record.rec_type in {"response", "revisit"}:
        code, _, reason = http.statusline.partition(" ")
        status = int(code) if code.isdigit() else None
        headers = tuple((str(name), str(value)) for name, value in http.headers)
    date = warc.get_header("WARC-Date") or ""
    try:
        moment = _parse_date(date)
    except ValueError as error:
        raise WarcReadError(f"{location.filename} at {location.offset}: bad date") from error
    return StoredCapture(
        location=location,
        record_type=str(record.rec_type),
        record_id=str(warc.get_header("WARC-Record-ID") or ""),
        target_uri=str(warc.get_header("WARC-Target-URI") or ""),
        date=moment,
        status=status,
        reason=reason.strip(),
        headers=headers,
        payload=payload,
        payload_digest=warc.get_header("WARC-Payload-Digest"),
        warc_headers=tuple((str(name), str(value)) for name, value in warc.headers),
    )


def _parse_record(plain: bytes, location: WarcLocation) -> tuple[Any, bytes]:
    """The one record in `plain` (uncompressed record bytes) and its raw payload."""
    try:
        records = ArchiveIterator(BytesIO(plain), check_digests=True)
        record = next(records, None)
        if record is None:
            raise WarcReadError(f"{location.filename} at {location.offset}: no record")
        payload = record.raw_stream.read()
    except _PARSE_ERRORS as error:
        raise WarcReadError(
            f"{location.filename} at {location.offset}: not a WARC record ({error})"
        ) from error
    return record, bytes(payload)


def _read_member(fh: BinaryIO, location: WarcLocation) -> tuple[bytes, bytes]:
    """(gzip member bytes, the record they hold) at `location`, or `WarcReadError`."""
    if location.offset < 0 or not 0 < location.length <= MAX_RECORD_BYTES:
        raise WarcReadError(f"not a record location: {location}")
    fh.seek(location.offset)
    data = fh.read(location.length)
    if len(data) != location.length:
        raise WarcReadError(f"{location} points past the end of {location.filename}")
    plain = decompress_member(data, MAX_RECORD_BYTES)
    if plain is None:
        raise WarcReadError(f"{location} does not hold exactly one whole gzip member")
    return data, plain


def read_capture(folder: Path, location: WarcLocation) -> StoredCapture:
    """The record at `location`, with its payload and block digests verified.

    Raises `WarcReadError` if the location does not hold one whole record of a capture type
    (response, revisit, resource) and `WarcDigestError` if the bytes no longer match their
    digests."""
    with resolve_file(folder, location.filename).open("rb") as fh:
        _data, plain = _read_member(fh, location)
    record, payload = _parse_record(plain, location)
    if record.rec_type not in CAPTURE_TYPES:
        raise WarcReadError(f"{location} holds a {record.rec_type} record, not a capture")
    return _capture(record, location, payload)


def iter_captures(folder: Path, *, include_open: bool = False) -> Iterator[StoredCapture]:
    """Every capture (response, revisit, resource) in the folder's finished files, file by
    file in name order, each verified against its digests. With `include_open`, files still
    being written are read too, up to their last whole record."""
    paths = sorted(folder.glob("*.warc.gz"))
    if include_open:
        paths = sorted([*paths, *folder.glob(f"*.warc.gz{OPEN_SUFFIX}")])
    for path in paths:
        filename = path.name.removesuffix(OPEN_SUFFIX)
        with path.open("rb") as fh:
            if path.name.endswith(OPEN_SUFFIX):
                members = list(scan_members(fh))
                limit = members[-1].end if members else 0
                fh.seek(0)
                yield from _iter_file(LimitReader(fh, limit), filename)
            else:
                yield from _iter_file(fh, filename)


def _iter_file(fh: BinaryIO | LimitReader, filename: str) -> Iterator[StoredCapture]:
    records = ArchiveIterator(fh, check_digests=True)
    while True:
        try:
            record = next(records, None)
            if record is None:
                return
            payload = bytes(record.raw_stream.read())
            location = WarcLocation(
                filename, records.get_record_offset(), records.get_record_length()
            )
        except _PARSE_ERRORS as error:
            raise WarcReadError(f"{filename}: not a readable WARC ({error})") from error
        if record.rec_type in CAPTURE_TYPES:
            yield _capture(record, location, payload)


def _member_after(fh: BinaryIO, offset: int) -> tuple[bytes, bytes] | None:
    """The whole member starting at `offset`, if there is one: (member bytes, record)."""
    member = next(scan_members(fh, offset), None)
    if member is None or member.length > MAX_RECORD_BYTES:
        return None
    return _read_member(fh, WarcLocation("", member.start, member.length))


def _warc_header(plain: bytes, name: str) -> str | None:
    """A WARC header of a record, read from its header block only."""
    block = plain.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    wanted = name.lower() + ":"
    for line in block.split("\r\n")[1:]:
        if line.lower().startswith(wanted):
            return line[len(wanted) :].strip()
    return None


def export_captures(
    folder: Path, locations: Iterable[WarcLocation], out: Path, *, description: str = ""
) -> ExportSummary:
    """Write the captures at `locations` into the single WARC file `out`.

    Records are copied byte for byte (their gzip members as they are in the archive): each
    capture, then its request record when one follows it, preceded once per source file by
    that file's `warcinfo` (so every record's WARC-Warcinfo-ID still resolves). The file opens
    with a `warcinfo` of its own. Each capture is read and digest-checked before it is
    copied; a location repeated is copied once. `out` appears only when complete.
    """
    partial = out.with_name(f"{out.name}.part")
    captures = requests = 0
    warcinfos = 1
    copied_info: set[str] = set()
    seen: set[WarcLocation] = set()
    try:
        with partial.open("wb") as dest:
            text = description or "pvdn-archive export of selected captures"
            dest.write(warcinfo_member(out.name, new_record_id(), text, "pvdn-archive export"))
            for location in locations:
                if location in seen:
                    continue
                seen.add(location)
                with resolve_file(folder, location.filename).open("rb") as src:
                    data, plain = _read_member(src, location)
                    record, payload = _parse_record(plain, location)
                    if record.rec_type not in CAPTURE_TYPES:
                        raise WarcReadError(f"{location} holds a {record.rec_type} record")
                    capture = _capture(record, location, payload)
                    if location.filename not in copied_info:
                        copied_info.add(location.filename)
                        first = _member_after(src, 0)
                        if first is not None and _warc_header(first[1], "WARC-Type") == "warcinfo":
                            dest.write(first[0])
                            warcinfos += 1
                    dest.write(data)
                    captures += 1
                    following = _member_after(src, location.offset + location.length)
                    if following is not None and (
                        _warc_header(following[1], "WARC-Type") == "request"
                        and _warc_header(following[1], "WARC-Concurrent-To") == capture.record_id
                    ):
                        dest.write(following[0])
                        requests += 1
            dest.flush()
            os.fsync(dest.fileno())
            size = dest.tell()
        partial.replace(out)
        fsync_folder(out.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    return ExportSummary(out, captures, requests, warcinfos, size)
