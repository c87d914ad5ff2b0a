"""Reading the archive's captures back out: `pvdn-archive export --warc` and `show --html`.

The archive keeps every page it stored as a WARC record (`storage.warc`) and its rows point at
them. Two things a user wants from that without knowing the layout:

- one WARC file holding the captures of a selection (every stored version, or those captured
  since a date), for a replay tool such as pywb or ReplayWeb.page: `export_warc`;
- the HTML of an article's page as it was fetched, to look at or to clean by hand:
  `article_html`.

The export is written beside its final name and renamed into place once complete
(`storage.warc.export_captures`), and is refused where it would overwrite the archive: its
database file (with its WAL and journal) or anything in its WARC folder, where it would pass
for one of the archive's own files.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import make_url

from pvdn_crawler.lookup import locate_article
from storage import ArchiveError, ArchiveRepository, open_archive
from storage.archive import Archive
from storage.locking import is_database_file, sqlite_file
from storage.warc import ExportSummary, WarcReadError, export_captures, read_capture

__all__ = ["ArticleNotFoundError", "article_html", "export_warc", "run_export", "run_show_html"]

PROG = "pvdn-archive"


class ArticleNotFoundError(LookupError):
    """No article at the address, or none of its pages kept; said in one line."""


def run_export(
    url: str,
    warc: Path,
    out: IO[str],
    *,
    since: datetime | None,
    warc_dir: Path | None,
    overwrite: bool = False,
) -> int:
    """`pvdn-archive export --warc OUT [--since DATE] [--overwrite]`: the export, then what
    it holds as JSON."""
    done = export_warc(url, warc, since=since, warc_dir=warc_dir, overwrite=overwrite)
    summary = {"path": str(done.path), "captures": done.captures, "requests": done.requests}
    out.write(json.dumps({**summary, "bytes": done.bytes}, indent=2) + "\n")
    return 0


def run_show_html(url: str, reference: str, out: IO[str], warc_dir: Path | None) -> int:
    """`pvdn-archive show --html REF`: the page's bytes on stdout as they were fetched (no
    re-encoding); 1 with a one-line message when there is no such article or page."""
    try:
        page = article_html(url, reference, warc_dir=warc_dir)
    except ArticleNotFoundError as missing:
        print(f"{PROG}: {missing}", file=sys.stderr)
        return 1
    out.flush()
    binary = getattr(out, "buffer", None)
    if binary is None:  # a text-only stream: the best it can take
        out.write(page.decode("utf-8", "replace"))
    else:
        binary.write(page)
        binary.flush()
    return 0


def export_warc(
    url: str,
    out: Path,
    *,
    since: datetime | None = None,
    warc_dir: Path | None = None,
    overwrite: bool = False,
) -> ExportSummary:
    """Copy the captures of every stored version captured at or after `since` (all of them
    without it), in capture order, into the one WARC file `out`, which may exist already
    only with `overwrite`."""
    target = out.expanduser().resolve()
    if target.is_dir():
        raise ArchiveError(f"--warc {out}: is a folder")
    with open_archive(url, write=False, warc_dir=warc_dir) as archive:
        folder = _folder(archive)
        _refuse_archive_files(url, folder, target)
        if target.exists() and not overwrite:
            raise ArchiveError(f"--warc {out} exists: give --overwrite to replace it")
        with archive.sessions() as session:
            locations = ArchiveRepository(session).captures_since(since)
        when = f" captured since {since.isoformat()}" if since else ""
        description = f"pvdn-archive export of {archive.name}: every stored version{when}"
        return export_captures(folder, locations, target, description=description)


def article_html(url: str, reference: str, *, warc_dir: Path | None = None) -> bytes:
    """The page the article `reference` names (any form of its address: see
    `pvdn_crawler.lookup`) was last cleaned from, byte for byte as it was fetched (a page
    moved from the old database column: as the column kept it)."""
    with open_archive(url, write=False, warc_dir=warc_dir) as archive:
        with archive.sessions() as session:
            article = locate_article(ArchiveRepository(session), reference)
        if article is None:
            raise ArticleNotFoundError(f"no article at {reference}")
        if article.warc is None:
            raise ArticleNotFoundError(f"no page kept for {article.canonical_url}")
        try:
            return read_capture(_folder(archive), article.warc).payload
        except WarcReadError as error:
            raise ArchiveError(f"the page of {article.canonical_url}: {error}") from None


def _folder(archive: Archive) -> Path:
    if archive.warc_dir is None:
        raise ArchiveError(
            f"archive {archive.name} has no WARC folder: give --warc-dir (or PVDN_WARC_DIR)"
        )
    return archive.warc_dir


def _refuse_archive_files(url: str, folder: Path, target: Path) -> None:
    """The export may not land on the database (under any name of its file) nor in the WARC
    folder."""
    if target.parent.resolve() == folder.resolve():
        raise ArchiveError(f"refusing to write the export into the archive's WARC folder {folder}")
    database = sqlite_file(make_url(url))
    if database is not None and is_database_file(target, database):
        raise ArchiveError(f"refusing to write the export over the archive's file {target}")
