"""One writer at a time: a lock a crawl holds for as long as it writes to the archive.

Two crawls writing the same archive would fetch the same pages twice and race on revision
numbers; with scheduled crawls, a slow run overlapping the next one is the normal way for that
to happen. So a crawl takes `writer_lock(engine)` before anything else (migrations included)
and a second one fails at once with `ArchiveBusyError` instead of waiting its turn.

The lock must belong to the archive itself, not to a name next to it, and must die with its
holder, including a holder killed with SIGKILL, or a crashed crawl would block every later one
until someone cleaned up by hand:

- SQLite file: `flock(LOCK_EX | LOCK_NB)` on the database file itself. The lock is on the
  file's inode, so a hard link or another path to the same file meets the same lock, and there
  is no side file whose removal would let a second writer in. SQLite's own locks are POSIX
  (fcntl) locks, which on Linux are independent of flock locks, so the two do not interfere;
  but closing any descriptor of the file drops the POSIX locks this process holds on it, so
  the lock's descriptor is closed only after the archive's engine was disposed
  (`storage.archive.open_archive` keeps that order). An empty file is created when the
  archive does not exist yet (SQLite takes an empty file as a new database). POSIX only.
  In-memory SQLite is private to one connection, so there is nothing to lock.
- PostgreSQL: a session-level `pg_try_advisory_lock(WRITER_LOCK_KEY)` on a connection of its
  own, kept open while the lock is held and closed on release; the server drops the lock when
  that session ends, e.g. when the killed holder's socket closes. Advisory locks are per
  database: archives in different schemas of one database share this lock.

Neither lock is re-entrant: taking it twice, even in one process, is "busy" the second time.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import URL, Engine, text
from sqlalchemy.exc import DBAPIError

from storage.errors import ArchiveBusyError, ArchiveError, ArchiveReadOnlyError, StorageError

__all__ = ["WRITER_LOCK_KEY", "is_database_file", "sqlite_file", "writer_lock"]

WRITER_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"pvdn-archive").digest()[:8], byteorder="big", signed=True
)
"""The PostgreSQL advisory lock key: the first 8 bytes of SHA-256("pvdn-archive") as a signed
64-bit integer (`pg_try_advisory_lock(bigint)`), fixed so every version of the code agrees."""


def writer_lock(engine: Engine) -> contextlib.AbstractContextManager[None]:
    """Hold the archive's writer lock for the `with` block; ArchiveBusyError if it is taken.

    Raised on entry, without waiting, when another holder (another process, or another
    `writer_lock` in this one) has the lock. Released when the block ends, normally or by an
    exception, and by the OS or server if the process dies inside it.
    """
    dialect = engine.dialect.name
    if dialect == "sqlite":
        database = sqlite_file(engine.url)
        if database is None:
            return contextlib.nullcontext()
        return _flock(database)
    if dialect == "postgresql":
        return _advisory_lock(engine)
    raise StorageError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")


def is_database_file(target: Path, database: Path) -> bool:
    """Whether writing `target` would overwrite the SQLite database `database`: the file, its
    `-wal`, `-shm` or `-journal` (by any path to them), or the file under another name (a
    hard link). What a command that writes files must never write over."""
    names = [
        database,
        *(database.with_name(database.name + s) for s in ("-wal", "-shm", "-journal")),
    ]
    resolved = target.resolve()
    if resolved in {name.resolve() for name in names}:
        return True
    with contextlib.suppress(OSError):  # a target that does not exist is no other name
        return resolved.samefile(database)
    return False


def sqlite_file(url: URL) -> Path | None:
    """The absolute path of an SQLite database file; None for an in-memory database or
    another backend.

    Relative paths are resolved against the current directory, as SQLite does when it opens
    them. `file:` URIs (`?uri=true`) are understood, including `mode=memory`.
    """
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database.startswith("file:"):
        if url.query.get("mode") == "memory":
            return None
        database = database.removeprefix("file:").split("?", 1)[0]
    if database in ("", ":memory:"):
        return None
    return Path(database).resolve()


def _busy(database: str, how: str) -> ArchiveBusyError:
    """The error a second writer gets; says what to do about it."""
    return ArchiveBusyError(
        f"archive database {database} is busy: another crawl is writing to it ({how}); "
        "wait for it to finish, or stop it, then try again"
    )


@contextlib.contextmanager
def _flock(database: Path) -> Iterator[None]:
    """An exclusive, non-blocking flock on the database file, held while the block runs."""
    try:
        fd = os.open(database, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        # EACCES / EPERM (permissions, an immutable file) and EROFS (a read-only file system)
        # all mean the same to a writer: the archive cannot be written here.
        if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
            raise ArchiveReadOnlyError(
                f"archive database {database} cannot be written: {exc.strerror}"
            ) from None
        raise ArchiveError(
            f"archive database {database} cannot be opened: {exc.strerror}"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(str(database), "the database file is locked") from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    """A session-level advisory lock on a connection used for nothing else, held for the block.

    AUTOCOMMIT, so the connection does not sit "idle in transaction" for the whole crawl. On
    release the lock is unlocked explicitly and the connection is then invalidated, i.e. really
    closed rather than returned to the pool: should the unlock fail, the session still ends
    and takes the lock with it.
    """
    key = {"key": WRITER_LOCK_KEY}
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar_one():
            database = engine.url.render_as_string(hide_password=True)
            raise _busy(database, f"PostgreSQL advisory lock {WRITER_LOCK_KEY} is taken")
        try:
            yield
        finally:
            # A lost connection has lost the lock already; its error must not hide the
            # block's own exception, or fail a crawl that has finished.
            with contextlib.suppress(DBAPIError):
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
    finally:
        connection.invalidate()
        connection.close()
