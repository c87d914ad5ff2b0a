"""Finishing the WARC files a killed process left open.

A writer names the file it is filling `<name>.warc.gz.open` and renames it when the file is
complete, so after a crash the unfinished files are exactly the `.open` ones. Each is cut back
to its last whole record (a record is one gzip member, written before its location is given
out, so nothing a caller holds is cut) and renamed to its final name; a file left without any
whole record is removed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from storage.warc.members import scan_members
from storage.warc.model import WarcError

__all__ = ["OPEN_SUFFIX", "RecoveredFile", "fsync_folder", "recover_folder", "whole_length"]

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


def whole_length(path: Path) -> tuple[int, int]:
    """(number of whole records, bytes up to the end of the last one) of a `.warc.gz` file."""
    records = 0
    end = 0
    with path.open("rb") as fh:
        for member in scan_members(fh):
            records += 1
            end = member.end
    return records, end


def recover_folder(folder: Path) -> list[RecoveredFile]:
    """Cut every `*.warc.gz.open` file in `folder` back to its last whole record and give it
    its final name. Run it while no writer has the folder open (the crawl's writer lock)."""
    results = []
    for path in sorted(folder.glob(f"*.warc.gz{OPEN_SUFFIX}")):
        final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
        records, end = whole_length(path)
        size = path.stat().st_size
        if records == 0:
            path.unlink()
        else:
            with path.open("r+b") as fh:
                if end < size:
                    fh.truncate(end)
                fh.flush()
                os.fsync(fh.fileno())
            if final.exists():
                raise WarcError(f"cannot finish {path.name}: {final.name} already exists")
            path.rename(final)
        results.append(RecoveredFile(final.name, records, end, size - end, records == 0))
    if results:
        fsync_folder(folder)
    return results
