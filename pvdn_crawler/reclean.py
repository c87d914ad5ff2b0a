"""Re-running `cleaning` over the stored pages of a whole archive.

When `cleaning` improves, the archive's stories should too, without a crawl: every stored page
is cleaned again and the articles whose story changed get a new revision. At archive scale
(tens of thousands of pages) that must not hold the pages in memory, must use every core and
must show how far it got:

- pages are read in id order, a batch at a time, each batch in a short read of its own
  (memory is flat in the archive's size);
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
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO
from urllib.parse import urlsplit

from tqdm import tqdm

from cleaning import Options, clean_html
from pvdn_crawler.items import article_record
from storage import ArchiveRepository, ArticleRecord, BatchWriter, RawPage, open_archive
from storage.archive import Archive

__all__ = ["ReCleaned", "reclean"]

_BATCH = 100
# A page's re-clean: a label, and the record to store when the story changed.
_Result = tuple[str, ArticleRecord | None]


@dataclass(frozen=True)
class ReCleaned:
    """What a re-clean did: outcome counts, pages read, and the run's id."""

    outcomes: Counter[str]
    pages: int
    run_id: int


def reclean(url: str, *, workers: int | None = None, progress: IO[str] | None = None) -> ReCleaned:
    """Re-clean every stored page of the archive at `url`; see the module's docstring."""
    count = max(1, workers or os.cpu_count() or 1)
    with open_archive(url) as archive:
        with archive.sessions.begin() as session:
            repository = ArchiveRepository(session)
            run_id = repository.start_run("reclean", _now())
            total = repository.stats()["articles"]
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
                for batch, results in _cleaned_batches(archive, pool, count):
                    changed = [record for label, record in results if record is not None]
                    outcomes.update(label for label, record in results if record is None)
                    report = writer.write(changed)
                    outcomes.update(report.counts)
                    pages += len(batch)
                    bar.update(len(batch))
            status = "ok" if not outcomes["rejected"] else "records refused"
        finally:
            with archive.sessions.begin() as session:
                ArchiveRepository(session).finish_run(
                    run_id, _now(), status, {"pages": pages, **outcomes}
                )
    return ReCleaned(outcomes, pages, run_id)


def _cleaned_batches(
    archive: Archive, pool: ProcessPoolExecutor, workers: int
) -> Iterator[tuple[list[RawPage], list[_Result]]]:
    """Batches of stored pages with their re-clean results, the next batch cleaning while
    the caller writes this one."""
    after = 0
    pending: tuple[list[RawPage], list[Future[list[_Result]]]] | None = None
    while True:
        with archive.sessions() as session:
            batch = ArchiveRepository(session).raw_pages(after_id=after, limit=_BATCH)
        submitted = None
        if batch:
            after = batch[-1].id
            chunk = max(1, len(batch) // (workers * 4))
            futures = [
                pool.submit(_reclean_pages, batch[i : i + chunk])
                for i in range(0, len(batch), chunk)
            ]
            submitted = (batch, futures)
        if pending is not None:
            pages, futures = pending
            yield pages, [record for future in futures for record in future.result()]
        if submitted is None:
            return
        pending = submitted


def _reclean_pages(pages: list[RawPage]) -> list[_Result]:
    """In a worker: for each page, the new record if its story changed, else why not."""
    return [_reclean_page(page) for page in pages]


def _reclean_page(page: RawPage) -> _Result:
    # Every stored page came from the site (or a mirror of it): its host is the site's.
    host = urlsplit(page.raw_url).hostname or ""
    article = clean_html(page.raw_html, page.raw_url, options=Options(site_hosts=frozenset({host})))
    record, _ = article_record(
        article,
        canonical_url=page.canonical_url,
        fetched_url=page.raw_url,
        raw_html=page.raw_html,
        etag=page.etag,
        last_modified=page.last_modified,
    )
    if record.story.content_hash == page.content_hash:
        return ("unchanged", None)
    if not record.story.body:
        # A story stored earlier is not replaced by no story (a cleaning regression).
        return ("no story now (kept as stored)", None)
    return ("cleaned", record)


def _now() -> datetime:
    return datetime.now(UTC)
