"""Persistence of the PVDN archive (SQLAlchemy models, engine, repository, migrations).

The crawler's whole view of storage::

    engine = make_engine(database_url())
    upgrade_schema(engine)
    factory = session_factory(engine)
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
from storage.errors import RunNotFoundError, StorageError
from storage.records import (
    ArchiveStats,
    ArticleRecord,
    RunSummary,
    StoredArticle,
    StoredTeaser,
    TeaserRecord,
)
from storage.repository import ArchiveRepository, SaveOutcome

__all__ = [
    "DEFAULT_DATABASE_URL",
    "ArchiveRepository",
    "ArchiveStats",
    "ArticleRecord",
    "RunNotFoundError",
    "RunSummary",
    "SaveOutcome",
    "StorageError",
    "StoredArticle",
    "StoredTeaser",
    "TeaserRecord",
    "database_url",
    "make_engine",
    "session_factory",
    "upgrade_schema",
]
