"""Re-running `cleaning` over the stored pages of a whole archive.

When `cleaning` improves, the archive's stories should too, without a crawl: every stored page
is cleaned again and the articles whose story changed get a new revision. At archive scale
(tens of thousands of pages) that must not hold the pages in memory, must use every core and
must show how far it got:

- pages are read from the archive's WARC files (by the workers), in id order, a batch at a
  time, each batch's locations in a short read of its own (memory is flat in the archive's
  size);
- cleaning runs in worker processes (`workers`, default the number of cores), a batch ahead
  of the writing, and a worker answers only for pages whose story changed (the content hash
  tells), so little crosses between processes and little is written;
- the run holds the writer lock, is recorded in `crawl_runs` as spider "reclean", and writes
  through the same `BatchWriter` a crawl uses (refused records set aside, local faults stop
  it);
- a progress bar goes to stderr when that is a terminal.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from tqdm import tqdm

from cleaning import Options, clean_html
from pvdn_crawler.captures import header_charset
from pvdn_crawler.items import article_record
from storage import (
    ArchiveError,
    ArchiveRepository,
    ArticleRecord,
    BatchWriter,
    RawPage,
    open_archive,
)
from storage.archive import Archive
from storage.warc import WarcError, read_capture

__all__ = ["ReCleaned", "reclean"]

_BATCH = 100
_IN_FLIGHT_PER_WORKER = 2  # batches submitted ahead of the one being written, per worker
UNREADABLE = "capture unreadable"  # the outcome of a page whose WARC record cannot be read
# A page's re-clean: a label, and the record to store when the story changed.
_Result = tuple[str, ArticleRecord | None]


@dataclass(frozen=True)
class ReCleaned:
    """What a re-clean did: outcome counts, pages read, the run's id and its status (as
    recorded in `crawl_runs`: "ok", "records refused", or "storage failure" when a capture
    could not be read)."""

    outcomes: Counter[str]
    pages: int
    run_id: int
    status: str = "ok"


def _status(outcomes: Counter[str]) -> str:
    """The run's status from its outcomes: refused records first, then unreadable captures
    (a missing or damaged WARC file is a local fault, not a page that did not change)."""
    if outcomes["rejected"]:
        return "records refused"
    if any(label.startswith(UNREADABLE) for label in outcomes):
        return "storage failure"
    return "ok"


def reclean(
    url: str,
    *,
    workers: int | None = None,
    progress: IO[str] | None = None,
    all_revisions: bool = False,
    warc_dir: Path | None = None,
) -> ReCleaned:
    """Re-clean every stored page of the archive at `url`; see the module's docstring.

    By default each article's latest capture is cleaned again and a changed story becomes
    the article's next revision. With `all_revisions`, every revision that has its capture
    kept is cleaned again and its story replaced in place (the same page, read better).
    """
    count = max(1, workers or os.cpu_count() or 1)
    with open_archive(url, warc_dir=warc_dir) as archive:
        if archive.warc_dir is None:
            raise ArchiveError(f"archive {archive.name} has no WARC folder: give --warc-dir")
        with archive.sessions.begin() as session:
            repository = ArchiveRepository(session)
            run_id = repository.start_run("reclean", _now())
            total = repository.stats()["revisions" if all_revisions else "articles"]
        # A re-clean reads pages fetched earlier: their teasers are not seen again now.
        writer = BatchWriter(archive.sessions, run_id, sightings=False)
        outcomes: Counter[str] = Counter()
        pages = 0
        status = "unfinished"
        context = multiprocessing.get_context("spawn")
        try:
            with (
                ProcessPoolExecutor(max_workers=count, mp_context=context) as pool,
                tqdm(total=total, unit="page", file=progress, disable=progress is None) as bar,
            ):
                batches = _cleaned_batches(archive, archive.warc_dir, pool, count, all_revisions)
                for batch, results in batches:
                    outcomes.update(label for label, record in results if record is None)
                    if all_revisions:
                        outcomes.update(_replace_revisions(archive, batch, results))
                    else:
                        changed = [record for _, record in results if record is not None]
                        outcomes.update(writer.write(changed).counts)
                    pages += len(batch)
                    bar.update(len(batch))
            status = _status(outcomes)
        finally:
            with archive.sessions.begin() as session:
                ArchiveRepository(session).finish_run(
                    run_id, _now(), status, {"pages": pages, **outcomes}
                )
    return ReCleaned(outcomes, pages, run_id, status)


def _replace_revisions(
    archive: Archive, batch: list[RawPage], results: list[_Result]
) -> Counter[str]:
    """Store re-cleaned stories over the revisions they were cleaned from, in one transaction."""
    done: Counter[str] = Counter()
    with archive.sessions.begin() as session:
        repository = ArchiveRepository(session)
        for page, (_, record) in zip(batch, results, strict=True):
            if record is not None:
                # The story differed before the metadata the page does not state was kept.
                replaced = repository.replace_revision_story(page.id, record.story)
                done["revision re-cleaned" if replaced else "unchanged"] += 1
    return done


def _cleaned_batches(
    archive: Archive,
    folder: Path,
    pool: ProcessPoolExecutor,
    workers: int,
    all_revisions: bool,
) -> Iterator[tuple[list[RawPage], list[_Result]]]:
    """Batches of stored pages with their re-clean results. A few batches per worker are in
    the pool at any time (memory stays a few batches whatever the archive's size), so the
    workers keep cleaning while the caller writes, rather than waiting for it."""
    after = 0
    pending: deque[tuple[list[RawPage], list[Future[list[_Result]]]]] = deque()
    exhausted = False
    while True:
        while not exhausted and len(pending) < _IN_FLIGHT_PER_WORKER * workers:
            with archive.sessions() as session:
                repository = ArchiveRepository(session)
                read = repository.revision_pages if all_revisions else repository.raw_pages
                batch = read(after_id=after, limit=_BATCH)
            if not batch:
                exhausted = True
                break
            after = batch[-1].id
            chunk = max(1, len(batch) // workers)
            futures = [
                pool.submit(_reclean_pages, folder, batch[i : i + chunk])
                for i in range(0, len(batch), chunk)
            ]
            pending.append((batch, futures))
        if not pending:
            return
        pages, futures = pending.popleft()
        yield pages, [record for future in futures for record in future.result()]


def _reclean_pages(folder: Path, pages: list[RawPage]) -> list[_Result]:
    """In a worker: for each page, the new record if its story changed, else why not."""
    return [_reclean_page(folder, page) for page in pages]


def _reclean_page(folder: Path, page: RawPage) -> _Result:
    if page.warc is None:
        return ("no capture kept", None)
    try:
        capture = read_capture(folder, page.warc)
    except WarcError as error:
        return (f"{UNREADABLE} ({type(error).__name__})", None)
    # Every stored page came from the site (or a mirror of it): its host is the site's.
    host = urlsplit(page.raw_url).hostname or ""
    article = clean_html(
        capture.payload,
        page.raw_url,
        options=Options(site_hosts=frozenset({host})),
        # Read as the crawl read it: in the charset its HTTP header named (none is kept for
        # a page moved from the old database column).
        charset=header_charset(capture.header("Content-Type")),
    )
    record, _ = article_record(
        article,
        canonical_url=page.canonical_url,
        fetched_url=page.raw_url,
        warc=page.warc,
        etag=page.etag,
        last_modified=page.last_modified,
    )
    if record.post_id is None and page.post_id is not None:
        # The crawl may have learnt the id elsewhere (a `?p=` redirect): the page not
        # showing it is not news.
        record = replace(record, post_id=page.post_id)
    if record.story.content_hash == page.content_hash:
        return ("unchanged", None)
    if not record.story.body:
        # A story stored earlier is not replaced by no story (a cleaning regression).
        return ("no story now (kept as stored)", None)
    return ("cleaned", record)


def _now() -> datetime:
    return datetime.now(UTC)
