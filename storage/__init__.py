"""Persistence of the PVDN archive (SQLAlchemy models, engine, repository, migrations).

The crawler's whole view of storage::

    with open_archive(database_url()) as archive:   # writer lock, schema upgraded
        with archive.sessions.begin() as session:
            repository = ArchiveRepository(session)
            known = repository.known_pages()         # what a crawl may skip or ask again
            run_id = repository.start_run("pvdn", now)
        writer = BatchWriter(archive.sessions, run_id)
        report = writer.write(changes)               # one transaction per batch

`storage` imports neither Scrapy nor `cleaning`: records are plain dataclasses the caller fills.
"""

from storage.archive import Archive, open_archive
from storage.engine import DEFAULT_DATABASE_URL, database_url, make_engine, session_factory
from storage.errors import (
    ArchiveBusyError,
    ArchiveError,
    ArchiveMissingError,
    QueryError,
    RunNotFoundError,
    StorageError,
    StorageFaultError,
)
from storage.records import (
    AliasRecord,
    ArchiveStats,
    ArticleRecord,
    Change,
    GoneRecord,
    KnownPage,
    NotModifiedRecord,
    PageRecord,
    RawPage,
    RejectedChange,
    RunSummary,
    SearchHit,
    StoredArticle,
    StoredRevision,
    Story,
    Teaser,
    TeaserListRecord,
    TrendingStory,
)
from storage.repository import ArchiveRepository, SaveOutcome
from storage.writer import BatchWriter, WriteReport

__all__ = [
    "DEFAULT_DATABASE_URL",
    "AliasRecord",
    "Archive",
    "ArchiveBusyError",
    "ArchiveError",
    "ArchiveMissingError",
    "ArchiveRepository",
    "ArchiveStats",
    "ArticleRecord",
    "BatchWriter",
    "Change",
    "GoneRecord",
    "KnownPage",
    "NotModifiedRecord",
    "PageRecord",
    "QueryError",
    "RawPage",
    "RejectedChange",
    "RunNotFoundError",
    "RunSummary",
    "SaveOutcome",
    "SearchHit",
    "StorageError",
    "StorageFaultError",
    "StoredArticle",
    "StoredRevision",
    "Story",
    "Teaser",
    "TeaserListRecord",
    "TrendingStory",
    "WriteReport",
    "database_url",
    "make_engine",
    "open_archive",
    "session_factory",
]
