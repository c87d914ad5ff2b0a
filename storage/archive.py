"""Opening an archive: the one recipe every writer and reader uses.

    with open_archive(url) as archive:            # a crawl, `reclean`
        writer = BatchWriter(archive.sessions, run_id, warc=RunWarcWriter(...))
        report = writer.write(changes)            # stored, or kept in `rejects` with a reason

    with open_archive(url, write=False) as archive:   # `stats`, `export`, `show`, ...
        ...

A writer takes the writer lock first (before migrations too), then brings the schema up to
date; it may create a new SQLite file. A reader never creates an archive, takes no lock (WAL
lets it read while a crawl writes) and changes nothing, except that an archive of an older
schema is upgraded first, under the lock, as a writer would. Every way an archive can be
unusable (missing, not a database, damaged, read-only, written by a newer version, busy)
becomes an `ArchiveError` whose message is one line naming the archive.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from storage.engine import alembic_config, make_engine, session_factory, upgrade_schema
from storage.errors import (
    ArchiveBusyError,
    ArchiveCorruptError,
    ArchiveError,
    ArchiveMissingError,
    ArchiveReadOnlyError,
    ArchiveSchemaError,
    StorageError,
)
from storage.faults import local_fault
from storage.locking import sqlite_file, writer_lock

__all__ = ["Archive", "default_warc_dir", "open_archive", "schema_state"]


@dataclass(frozen=True)
class Archive:
    """An open archive: where it is (`name`, without a password), its engine and sessions,
    and the folder of its WARC files (None for a PostgreSQL archive not given one)."""

    name: str
    engine: Engine
    sessions: sessionmaker[Session]
    warc_dir: Path | None = None


def default_warc_dir(url: str) -> Path | None:
    """The WARC folder beside an SQLite archive (`pvdn.sqlite3` -> `pvdn-warc/`); None for
    another backend, which has no folder of its own (give one: PVDN_WARC_DIR)."""
    database = sqlite_file(make_url(url))
    return None if database is None else database.with_name(f"{database.stem}-warc")


@contextlib.contextmanager
def open_archive(
    url: str, *, write: bool = True, warc_dir: Path | None = None
) -> Iterator[Archive]:
    """The archive at `url`, opened for writing (lock held, schema current) or for reading;
    its WARC folder is `warc_dir`, else the default beside an SQLite file.

    Raises `ArchiveError` subclasses with a one-line message; the engine is disposed and the
    lock released when the block ends, in that order (see `storage.locking`).
    """
    name = make_url(url).render_as_string(hide_password=True)
    database = sqlite_file(make_url(url))
    folder = warc_dir or default_warc_dir(url)
    if database is not None:
        _check_sqlite_file(database, name, write=write)
    engine = make_engine(url)
    try:
        with contextlib.ExitStack() as stack:
            try:
                if write:
                    # PostgreSQL's lock needs a connection: a server that is not there fails here.
                    stack.enter_context(writer_lock(engine))
            except (sa_exc.SQLAlchemyError, OSError) as error:
                raise _archive_error(name, error) from None
            # Disposed before the lock is released: see the SQLite note in storage.locking.
            stack.callback(engine.dispose)
            try:
                current, head = schema_state(engine)
                if current is None and not write:
                    raise ArchiveMissingError(
                        f"{name} holds no archive (a crawl creates it: scrapy crawl pvdn)"
                    )
                if current != head:
                    if write:
                        upgrade_schema(engine, warc_dir=folder)
                    else:
                        _upgrade_for_reading(engine, name, folder)
            except ArchiveError:
                raise
            except (sa_exc.SQLAlchemyError, OSError) as error:
                raise _archive_error(name, error) from None
            except StorageError as error:  # a migration's own check, or its WARC writing
                cause = error.__cause__
                if isinstance(cause, sa_exc.SQLAlchemyError | OSError):
                    raise _archive_error(name, cause) from None
                raise ArchiveError(
                    f"archive {name} cannot be upgraded: {_first_line(error)}"
                ) from None
            yield Archive(name, engine, session_factory(engine), folder)
    finally:
        engine.dispose()


def schema_state(engine: Engine) -> tuple[str | None, str]:
    """(the archive's migration revision, or None when it has none yet; the newest this
    version knows). ArchiveSchemaError when the archive's revision is not one of ours."""
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    assert head is not None, "the project has migrations"
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
        raise ArchiveSchemaError(
            f"archive {engine.url.render_as_string(hide_password=True)} has schema {current},"
            f" newer than this version of pvdn-archive knows (up to {head}): upgrade pvdn-archive"
        )
    return current, head


def _upgrade_for_reading(engine: Engine, name: str, warc_dir: Path | None) -> None:
    """An archive of an older schema is upgraded before it is read, under the writer lock. If
    a crawl holds the lock, that crawl upgrades it when it starts: read it once it has (a
    crawl still migrating makes the reader say so, not fail on a missing column)."""
    try:
        with writer_lock(engine):
            try:
                upgrade_schema(engine, warc_dir=warc_dir)
            finally:
                engine.dispose()  # before the lock's descriptor closes: see storage.locking
    except ArchiveBusyError:
        current, head = schema_state(engine)
        if current != head:
            raise ArchiveBusyError(
                f"archive {name} is being upgraded by a running crawl: try again shortly"
            ) from None


def _check_sqlite_file(database: Path, name: str, *, write: bool) -> None:
    """Errors that show before SQLite is asked: a reader's missing file, a folder."""
    if database.is_dir():
        raise ArchiveError(f"archive {name} is a folder, not a database file")
    if not database.exists():
        if not write:
            raise ArchiveMissingError(
                f"no archive at {database} (a crawl creates it: scrapy crawl pvdn)"
            )
        if not database.parent.is_dir():
            raise ArchiveError(f"cannot create archive {database}: its folder does not exist")


def _first_line(error: BaseException) -> str:
    """An error's message cut to one line; its type's name when it has no message."""
    lines = str(error).splitlines()
    return lines[0] if lines else type(error).__name__


def _archive_error(name: str, error: BaseException) -> ArchiveError:
    """The one-line error for a database that could not be opened or upgraded."""
    cause = local_fault(error) or "database error"
    detail = _first_line(getattr(error, "orig", None) or error)
    if cause == "archive corrupt":
        return ArchiveCorruptError(f"archive {name} is not a readable archive: {detail}")
    if cause == "archive read-only":
        return ArchiveReadOnlyError(f"archive {name} cannot be written: {detail}")
    return ArchiveError(f"archive {name} cannot be opened ({cause}): {detail}")
