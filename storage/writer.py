"""Batches of changes written in one transaction each, with nothing lost in silence.

A crawl hands the archive what it learnt in batches (`ArchiveRepository.apply`), one
transaction per batch. The captures the changes carry are written to the run's WARC files
first and synced to disk, and only then are the rows that point at them committed: a crash at
any moment leaves at worst records nothing points at, never a row pointing past a file's end.

If the database refuses the batch because of one value (a constraint, a number it cannot
hold), that one change must not cost the other forty-nine: the batch is
rolled back and written again change by change, each in its own transaction, and the ones the
database still refuses are kept in the `rejects` table with the reason, logged in one line and
reported, so the run can say it lost something. A local fault (a full or read-only disk, a
damaged file, a server gone) is nobody's value: it is raised as `StorageFaultError` at once,
for the run to stop and name the cause.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http import HTTPStatus

from sqlalchemy.orm import Session, sessionmaker

from storage.errors import StorageFaultError
from storage.faults import local_fault
from storage.records import (
    AliasRecord,
    ArticleRecord,
    Change,
    GoneRecord,
    NotModifiedRecord,
    PageRecord,
    RejectedChange,
    TeaserListRecord,
)
from storage.repository import ArchiveRepository
from storage.warc import RunWarcWriter, WarcError

__all__ = ["BatchWriter", "WriteReport", "change_kind", "change_url"]

logger = logging.getLogger(__name__)

_KINDS: dict[type, str] = {
    ArticleRecord: "article",
    AliasRecord: "alias",
    NotModifiedRecord: "not_modified",
    GoneRecord: "gone",
    PageRecord: "page",
    TeaserListRecord: "teasers",
}


def change_url(change: Change) -> str:
    """The address a change is about."""
    if isinstance(change, ArticleRecord):
        return change.canonical_url
    if isinstance(change, AliasRecord):
        return change.alias_url
    if isinstance(change, TeaserListRecord):
        return change.page_url
    return change.url


def change_kind(change: Change) -> str:
    """A short name of the change's kind, for counts and rejects ("article", "alias", ...)."""
    return _KINDS[type(change)]


@dataclass
class WriteReport:
    """What one `write` did: an outcome per change, in order ("new", "alias", ...,
    "rejected" for a change the database refused, None for a change about an unknown
    article), and the refused changes with their reasons."""

    outcomes: list[str | None] = field(default_factory=list)
    rejected: list[RejectedChange] = field(default_factory=list)
    warc_refused: int = 0  # captures that could not be written as WARC records

    @property
    def counts(self) -> Counter[str]:
        """How many changes had each outcome (changes about no known article left out)."""
        return Counter(outcome for outcome in self.outcomes if outcome is not None)


class BatchWriter:
    """Writes batches for one run (`run_id`, recorded on rejects and teaser sightings)
    through `sessions`. `sightings` False: the pages' teasers are not recorded as seen (a
    re-clean reads pages fetched earlier; see `ArchiveRepository.apply`).

    Not thread-safe: one writer thread calls it, as the crawl's archive component does.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        run_id: int | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        warc: RunWarcWriter | None = None,
        *,
        sightings: bool = True,
    ) -> None:
        self.sessions = sessions
        self.run_id = run_id
        self.clock = clock
        self.warc = warc
        self.sightings = sightings

    def write(self, changes: Sequence[Change]) -> WriteReport:
        """Store `changes`; refused ones are set aside. StorageFaultError on a local fault."""
        report = WriteReport()
        if changes:
            changes = self._capture(changes, report)
            report.outcomes = self._write(changes, self.clock(), report)
        return report

    def _capture(self, changes: Sequence[Change], report: WriteReport) -> list[Change]:
        """Write the changes' captures to the WARC files (a 304 as a `revisit`), synced
        before anything points at them; the articles come back with their locations."""
        if self.warc is None:
            return list(changes)
        out: list[Change] = []
        try:
            for change in changes:
                capture = getattr(change, "capture", None)
                if capture is None:
                    out.append(change)
                    continue
                try:
                    if capture.status == HTTPStatus.NOT_MODIFIED:
                        # An article's, a feed's or a sitemap's 304: no payload, a revisit.
                        self.warc.write_revisit(capture)
                        location = None
                    else:
                        location = self.warc.write_capture(capture)
                except WarcError as error:
                    cause = error.__cause__
                    if isinstance(cause, OSError):  # the disk, not the exchange
                        raise cause from None  # (`from error` would loop: error's cause is it)
                    # This exchange cannot be a record (a URL too long, say): say why.
                    logger.error("not kept as WARC: %s: %s", capture.url, error)
                    report.warc_refused += 1
                    location = None
                if isinstance(change, ArticleRecord):
                    change = replace(change, warc=location)  # noqa: PLW2901
                out.append(change)
            self.warc.sync()
        except OSError as error:
            raise StorageFaultError(
                local_fault(error) or "WARC write failed", _reason(error)
            ) from error
        return out

    def _write(
        self, changes: Sequence[Change], seen_at: datetime, report: WriteReport
    ) -> list[str | None]:
        """One transaction for the batch; if the database refuses it, each change on its own,
        so one bad change costs itself, not its batch (the outcomes in the batch's order)."""
        try:
            with self.sessions.begin() as session:
                repository = ArchiveRepository(session)
                return list(
                    repository.apply(changes, seen_at, run_id=self.run_id, sightings=self.sightings)
                )
        except Exception as error:
            _raise_if_local(error)
            if len(changes) > 1:
                return [self._write([change], seen_at, report)[0] for change in changes]
            self._reject(changes[0], error, seen_at, report)
            return ["rejected"]

    def _reject(
        self, change: Change, error: BaseException, at: datetime, report: WriteReport
    ) -> None:
        """Keep a refused change in `rejects` with its reason, so the run says what it lost
        and the change can be looked at; a reject that cannot be kept either is logged."""
        reason = _reason(error)
        rejected = RejectedChange(change_url(change), change_kind(change), reason)
        logger.error("archive refused %s %s: %s", rejected.kind, rejected.url, reason)
        try:
            with self.sessions.begin() as session:
                ArchiveRepository(session).add_rejects([rejected], self.run_id, at)
        except Exception as reject_error:
            _raise_if_local(reject_error)
            logger.error("could not keep the reject of %s either: %s", rejected.url, reject_error)
        report.rejected.append(rejected)


def _raise_if_local(error: BaseException) -> None:
    """Stop the batch when the fault is the disk's or the database's, not the values':
    retrying changes one by one would only refuse every one of them for the same cause."""
    cause = local_fault(error)
    if cause is not None:
        raise StorageFaultError(cause, _reason(error)) from error


def _reason(error: BaseException) -> str:
    """The error in one line: its type and the first line of its message."""
    message = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {message[0] if message else ''}"[:500]
