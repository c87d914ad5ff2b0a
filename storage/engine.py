"""Engines, sessions and schema upgrades: the only place that knows which database is used.

Everything else takes an `Engine` or a `Session`, so switching from the default SQLite file to
PostgreSQL is a change of URL (`PVDN_DATABASE_URL`) and nothing more.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.errors import StorageError

__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_DATABASE_URL",
    "WARC_DIR_ENV",
    "alembic_config",
    "database_url",
    "make_engine",
    "migrations_dir",
    "session_factory",
    "sqlite_foreign_keys_off",
    "upgrade_schema",
    "warc_dir",
]

DEFAULT_DATABASE_URL = "sqlite:///pvdn.sqlite3"
"""An SQLite file in the working directory: the archive works with no setup at all."""

DATABASE_URL_ENV = "PVDN_DATABASE_URL"
WARC_DIR_ENV = "PVDN_WARC_DIR"

_MIGRATIONS_PACKAGE = "storage"
_MIGRATIONS_FOLDER = "migrations"


@cache
def migrations_dir() -> Path:
    """Alembic's script directory, read as a package resource.

    Installed normally, the package's own folder. Inside a zipped egg (how Scrapyd deploys a
    project) the scripts are not files Alembic can list, so they are copied once per process
    into a temporary folder, removed when the process exits.
    """
    source = resources.files(_MIGRATIONS_PACKAGE) / _MIGRATIONS_FOLDER
    if isinstance(source, Path):
        return source
    target = Path(tempfile.mkdtemp(prefix="pvdn-migrations-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    _copy_tree(source, target / _MIGRATIONS_FOLDER)
    return target / _MIGRATIONS_FOLDER


def _copy_tree(source: Traversable, target: Path) -> None:
    """Copy a resource folder (migration scripts and the revision template) to the disk."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                _copy_tree(entry, target / entry.name)
        elif entry.name.endswith((".py", ".mako")):
            (target / entry.name).write_bytes(entry.read_bytes())


# Applied to every new SQLite connection, in this order, before it is used:
# - foreign_keys: SQLite ignores FOREIGN KEY clauses (and ON DELETE CASCADE) unless asked.
# - journal_mode=WAL: readers (an export, `stats`) do not block the crawler's writes.
# - busy_timeout: a second process waits up to 5 s for the write lock instead of failing at once.
# - synchronous=NORMAL: safe with WAL (a power cut can lose the last commits, never corrupt).
_SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)


def database_url(explicit: str | None = None) -> str:
    """The URL to use: an explicit value, else `$PVDN_DATABASE_URL`, else the SQLite default."""
    if explicit:
        return explicit
    return os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL


def warc_dir(explicit: str | Path | None = None) -> Path | None:
    """The WARC folder to use: an explicit value, else `$PVDN_WARC_DIR`, else None (beside an
    SQLite archive). The crawl and the commands read it alike, so both find the same files."""
    folder = explicit or os.environ.get(WARC_DIR_ENV)
    return Path(folder).expanduser() if folder else None


def make_engine(url: str) -> Engine:
    """Create an engine configured for the archive's workload on the URL's backend.

    SQLite gets its pragmas on every connection, and SQLAlchemy (not the `sqlite3` module)
    emits BEGIN: Python's legacy mode starts a transaction only at the first write, so a read
    followed by a write would not be one transaction, and SAVEPOINTs and transactional DDL
    would not work. Other backends get `pool_pre_ping`, because a long crawl outlives idle
    server connections.
    """
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url)
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite_connection(dbapi_connection: Any, _connection_record: Any) -> None:
    """Hand transaction control to SQLAlchemy, then set the pragmas (outside any transaction)."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    """Emit BEGIN ourselves; `sqlite3` still issues COMMIT and ROLLBACK."""
    connection.exec_driver_sql("BEGIN")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for callers that own the transaction: `with factory.begin() as session: ...`.

    expire_on_commit=False, so values read before a commit stay readable after it without a
    new round trip (the repository returns plain dataclasses anyway).
    """
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config() -> Config:
    """An Alembic configuration built in code, so no alembic.ini has to exist or be found.

    Without a `connection` attribute, `env.py` connects to `database_url()` itself; that is
    what lets a developer run Alembic commands (e.g. `command.revision`) from this config.
    """
    config = Config()
    # ConfigParser would read a "%" in the path as interpolation.
    config.set_main_option("script_location", str(migrations_dir()).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


def upgrade_schema(engine: Engine, revision: str = "head", *, warc_dir: Path | None = None) -> None:
    """Bring the database to the newest migration (`alembic upgrade head`); a no-op when it is.

    `revision` stops at an older migration instead, for tests of a later migration's upgrade
    of existing data. `warc_dir` is the archive's WARC folder, which a migration that moves
    stored pages into WARC files writes to. Run it under `writer_lock`: a migration is a write
    like any other.

    The engine's own connection is handed to Alembic, so this works for any URL, including an
    SQLite file this process already has open. On SQLite, foreign keys are switched off for the
    migration and checked after it, before the commit: batch migrations rebuild a table by
    copying and dropping it, and with foreign keys on, dropping a parent table would cascade
    deletes into its children. The pragma cannot change inside a transaction, hence doing it
    on the raw connection before Alembic begins one.
    """
    config = alembic_config()
    # Where migration 0004 moves the pages the database held (see storage.archive).
    config.attributes["warc_dir"] = warc_dir
    with (
        engine.connect() as connection,
        sqlite_foreign_keys_off(connection),
        connection.begin(),
    ):
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        if connection.dialect.name == "sqlite":
            _check_sqlite_foreign_keys(connection)


@contextlib.contextmanager
def sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """On SQLite, foreign keys off for the block (set on the raw connection, outside any
    transaction, where the pragma takes effect); elsewhere nothing."""
    if connection.dialect.name != "sqlite":
        yield
        return
    _raw_execute(connection, "PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        _raw_execute(connection, "PRAGMA foreign_keys=ON")


def _raw_execute(connection: Connection, sql: str) -> None:
    """Run a statement on the DBAPI connection, bypassing SQLAlchemy's autobegin."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def _check_sqlite_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a migration that left rows pointing at rows that do not exist."""
    violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if violations:
        raise StorageError(
            f"migration left {len(violations)} foreign key violation(s), first: {violations[0]}"
        )
