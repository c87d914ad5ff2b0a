"""Finishing the WARC files a killed process left open.

A writer names the file it is filling `<name>.warc.gz.open` and renames it when the file is
complete, so after a crash the unfinished files are exactly the `.open` ones. Each is cut back
to its last whole record (a record is one gzip member, written before its location is given
out, so nothing a caller holds is cut) and renamed to its final name; a file left without any
whole record is removed.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from storage.warc.members import scan_members
from storage.warc.model import WarcError

__all__ = ["OPEN_SUFFIX", "RecoveredFile", "fsync_folder", "recover_folder"]

OPEN_SUFFIX = ".open"


@dataclass(frozen=True)
class RecoveredFile:
    """What recovery did to one unfinished file."""

    filename: str  # the final name (without `.open`)
    records: int
    kept_bytes: int
    dropped_bytes: int
    removed: bool  # no whole record was left, so the file is gone


def fsync_folder(folder: Path) -> None:
    """Make file creations and renames in `folder` survive a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def recover_folder(folder: Path) -> list[RecoveredFile]:
    """Cut every `*.warc.gz.open` file in `folder` back to its last whole record and give it
    its final name.

    A file a live writer still holds (it keeps an exclusive `flock` on it until the file is
    finished or the process dies) is left alone, so recovery is safe to run at any time; the
    crawl runs it when its writer starts."""
    results = []
    for path in sorted(folder.glob(f"*.warc.gz{OPEN_SUFFIX}")):
        result = _recover_file(path)
        if result is not None:
            results.append(result)
    if results:
        fsync_folder(folder)
    return results


def _recover_file(path: Path) -> RecoveredFile | None:
    """Finish one left-open file: cut a torn last record, rename it (or delete it when it
    holds no record). None when a live writer holds it, or finished it meanwhile."""
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    try:
        fh = path.open("r+b")
    except FileNotFoundError:
        return None  # its writer finished it between the listing and now
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None  # a live writer is filling it
        records, end = 0, 0
        for member in scan_members(fh):
            records, end = records + 1, member.end
        size = os.fstat(fh.fileno()).st_size
        if records:
            if end < size:
                fh.truncate(end)
            os.fsync(fh.fileno())
            if final.exists():
                raise WarcError(f"cannot finish {path.name}: {final.name} already exists")
            path.rename(final)
        else:
            path.unlink()
    return RecoveredFile(final.name, records, end, size - end, records == 0)
