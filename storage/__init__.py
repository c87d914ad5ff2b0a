"""Persistence of the PVDN archive (SQLAlchemy models, engine, repository, migrations).

The crawler's whole view of storage::

    engine = make_engine(database_url())
    with writer_lock(engine):  # ArchiveBusyError at once if another crawl is writing
        upgrade_schema(engine)
        factory = session_factory(engine)
        with factory.begin() as session:
            known = ArchiveRepository(session).known_pages()  # for conditional requests
        ...
        with factory.begin() as session:
            outcome = ArchiveRepository(session).save_article(record, seen_at=now)

`storage` imports neither Scrapy nor `cleaning`: records are plain dataclasses the caller fills.
"""

from storage.engine import (
    DEFAULT_DATABASE_URL,
    database_url,
    make_engine,
    session_factory,
    upgrade_schema,
)
from storage.errors import ArchiveBusyError, RunNotFoundError, StorageError
from storage.locking import writer_lock
from storage.records import (
    ArchiveStats,
    ArticleRecord,
    KnownPage,
    RawPage,
    RunSummary,
    StoredArticle,
    StoredRevision,
    StoredTeaser,
    TeaserRecord,
)
from storage.repository import ArchiveRepository, SaveOutcome

__all__ = [
    "DEFAULT_DATABASE_URL",
    "ArchiveBusyError",
    "ArchiveRepository",
    "ArchiveStats",
    "ArticleRecord",
    "KnownPage",
    "RawPage",
    "RunNotFoundError",
    "RunSummary",
    "SaveOutcome",
    "StorageError",
    "StoredArticle",
    "StoredRevision",
    "StoredTeaser",
    "TeaserRecord",
    "database_url",
    "make_engine",
    "session_factory",
    "upgrade_schema",
    "writer_lock",
]
