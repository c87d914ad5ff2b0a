"""The WARC files of one crawl run, written record by record.

`RunWarcWriter` is not thread-safe: one thread at a time may use it (the crawl calls it from
its single storage worker thread, never from the reactor).
"""

from __future__ import annotations

import fcntl
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from storage.warc.building import (
    DEFAULT_RESOURCE_NOTE,
    Redaction,
    new_record_id,
    request_member,
    resource_member,
    response_member,
    revisit_member,
    warcinfo_member,
)
from storage.warc.model import Capture, RefersTo, WarcError, WarcLocation
from storage.warc.recovery import OPEN_SUFFIX, RecoveredFile, fsync_folder, recover_folder

__all__ = ["DEFAULT_MAX_FILE_BYTES", "RunWarcWriter", "warc_file_name"]

# 1 GB, the size web archives usually cut their WARC files at.
DEFAULT_MAX_FILE_BYTES = 1_000_000_000
_RUN_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_NAME_ATTEMPTS = 1000


def warc_file_name(run: str | int, created: datetime, sequence: int) -> str:
    """`pvdn-<run>-<UTC time the file was opened>-<sequence>.warc.gz`."""
    token = _RUN_UNSAFE.sub("-", str(run)).strip("-.")[:64] or "run"
    return f"pvdn-{token}-{created.astimezone(UTC):%Y%m%dT%H%M%SZ}-{sequence:05d}.warc.gz"


def _same_file(path: Path, fd: int) -> bool:
    try:
        return os.path.samestat(path.stat(), os.fstat(fd))
    except FileNotFoundError:
        return False


class RunWarcWriter:
    """Writes one crawl run's captures into gzip-per-record WARC/1.1 files in `folder`.

    Each file starts with a `warcinfo` record and is rotated once it reaches
    `max_file_bytes`. While a file is being filled it is called `<name>.open`; locations
    already name the final file (`read_capture` finds either). With `recover` (the default)
    the constructor first finishes any `.open` file an earlier, killed run left behind; its
    report is kept in `recovered`.

    Durability: every `write_*` method writes its records completely (one write call) before
    it returns a location, so a killed process never leaves a location pointing past the data
    on disk. Surviving a power cut needs the data flushed to the disk as well: call `sync()`
    before committing the database rows that hold the locations (or pass
    `fsync_each_write=True`, which syncs inside every write at a much higher cost).
    """

    def __init__(
        self,
        folder: Path,
        run: str | int,
        *,
        description: str = "",
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        fsync_each_write: bool = False,
        redaction: Redaction | None = None,
        recover: bool = True,
    ) -> None:
        if max_file_bytes <= 0:
            raise WarcError(f"max_file_bytes must be positive, got {max_file_bytes}")
        self.folder = folder
        self.run = str(run)
        self.description = description
        self.max_file_bytes = max_file_bytes
        self.fsync_each_write = fsync_each_write
        self.redaction = redaction if redaction is not None else Redaction()
        folder.mkdir(parents=True, exist_ok=True)
        self.recovered: list[RecoveredFile] = recover_folder(folder) if recover else []
        self.files: list[str] = []  # final names of the files this writer created
        self._fd: int | None = None
        self._name = ""
        self._size = 0
        self._warcinfo_id: str | None = None
        self._sequence = 0
        self._unsynced = False
        self._folder_unsynced = False
        self._closed = False

    # ---- the records ---------------------------------------------------------------------

    def write_capture(self, capture: Capture) -> WarcLocation:
        """A `response` record and, when `capture.request` is set, its `request` record right
        after it (WARC-Concurrent-To the response). Returns the response's location."""
        self._ensure_file()
        record_id = new_record_id()
        response, uri, date = response_member(capture, record_id, self._warcinfo_id)
        return self._append(response, self._request(capture, uri, date, record_id))

    def write_revisit(self, capture: Capture, refers_to: RefersTo | None = None) -> WarcLocation:
        """A `revisit` record (profile server-not-modified) for a 304, plus its request.

        `refers_to` names the earlier capture the 304 confirmed (`StoredCapture.refers_to()`
        of the record the archive points at); without it the record still says when the page
        was checked and what the server answered."""
        self._ensure_file()
        record_id = new_record_id()
        revisit, uri, date = revisit_member(capture, refers_to, record_id, self._warcinfo_id)
        return self._append(revisit, self._request(capture, uri, date, record_id))

    def _request(self, capture: Capture, uri: str, date: str, concurrent_to: str) -> bytes:
        """The `request` record of `capture` beside the record `concurrent_to`, or nothing
        when the capture kept no request."""
        if capture.request is None:
            return b""
        return request_member(
            capture.request,
            uri=uri,
            date=date,
            concurrent_to=concurrent_to,
            warcinfo_id=self._warcinfo_id,
            redaction=self.redaction,
        )

    def write_resource(
        self,
        url: str,
        payload: bytes,
        *,
        captured_at: datetime,
        content_type: str = "text/html",
        note: str = DEFAULT_RESOURCE_NOTE,
    ) -> WarcLocation:
        """A `resource` record: a page kept without its HTTP status and headers (what the
        archive stored before WARC capture), dated when it was fetched, with `note` in a
        `WARC-Pvdn-Note` header saying what is missing."""
        self._ensure_file()
        member = resource_member(
            url,
            payload,
            captured_at=captured_at,
            content_type=content_type,
            note=note,
            warcinfo_id=self._warcinfo_id,
        )
        return self._append(member)

    # ---- durability and files --------------------------------------------------------------

    def sync(self) -> None:
        """Flush everything written so far to the disk (file data and folder entries). After
        it returns, every location this writer gave out survives a power cut."""
        if self._fd is not None and self._unsynced:
            os.fsync(self._fd)
        self._unsynced = False
        if self._folder_unsynced:
            fsync_folder(self.folder)
            self._folder_unsynced = False

    def close(self) -> None:
        """Sync and finish the current file (renamed to its final name). Idempotent."""
        if self._fd is not None:
            self._finish_file()
        self.sync()
        self._closed = True

    @property
    def current_file(self) -> str | None:
        """Final name of the file being filled, if one is open."""
        return self._name if self._fd is not None else None

    def __enter__(self) -> RunWarcWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _ensure_file(self) -> None:
        if self._closed:
            raise WarcError("this WARC writer is closed")
        if self._fd is not None:
            return
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND
        for _ in range(_NAME_ATTEMPTS):
            name = warc_file_name(self.run, datetime.now(UTC), self._sequence)
            self._sequence += 1
            final = self.folder / name
            if final.exists():
                continue
            opened = self.folder / f"{name}{OPEN_SUFFIX}"
            try:
                fd = os.open(opened, flags, 0o644)
            except FileExistsError:
                continue
            # Held until the file is finished or the process dies (even by SIGKILL): recovery
            # in another writer leaves a locked file alone. If that recovery got in between
            # the open and the lock, it removed the empty file: start again with a new name.
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)  # that recovery holds it, and will remove it
                continue
            if _same_file(opened, fd):
                break
            os.close(fd)
        else:
            raise WarcError(f"no free WARC file name for run {self.run!r} in {self.folder}")
        self._fd, self._name, self._size = fd, name, 0
        self._folder_unsynced = True
        self.files.append(name)
        self._warcinfo_id = new_record_id()
        description = self.description or f"pvdn-archive crawl run {self.run}"
        info = warcinfo_member(name, self._warcinfo_id, description, f"pvdn-{self.run}")
        try:
            self._write_all(info)
        except WarcError:
            # No file may start without its warcinfo: drop it, the next write tries anew.
            os.close(fd)
            self._fd = None
            self.files.pop()
            opened.unlink(missing_ok=True)
            raise

    def _append(self, first: bytes, following: bytes = b"") -> WarcLocation:
        offset = self._size
        self._write_all(first + following if following else first)
        location = WarcLocation(self._name, offset, len(first))
        if self.fsync_each_write:
            self.sync()
        if self._size >= self.max_file_bytes:
            self._finish_file()
        return location

    def _write_all(self, data: bytes) -> None:
        """Append `data` whole or not at all: a failed write (a full disk) is cut off again,
        so the next record does not follow a torn one."""
        assert self._fd is not None
        start = self._size
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as error:
            os.ftruncate(self._fd, start)
            raise WarcError(f"writing {self._name} failed: {error}") from error
        self._size = start + len(data)
        self._unsynced = True

    def _finish_file(self) -> None:
        """Sync the file and give it its final name, still holding its lock: a recovery run
        by another writer must not finish it at the same moment."""
        assert self._fd is not None
        os.fsync(self._fd)
        opened = self.folder / f"{self._name}{OPEN_SUFFIX}"
        opened.rename(self.folder / self._name)
        fsync_folder(self.folder)
        os.close(self._fd)
        self._fd = None
        self._unsynced = False
        self._folder_unsynced = False
