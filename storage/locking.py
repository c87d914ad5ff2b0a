"""One writer at a time: a lock a crawl holds for as long as it writes to the archive.

Two crawls writing the same archive would fetch the same pages twice and race on revision
numbers; with scheduled crawls, a slow run overlapping the next one is the normal way for that
to happen. So a crawl takes `writer_lock(engine)` before anything else (migrations included)
and a second one fails at once with `ArchiveBusyError` instead of waiting its turn.

The lock must die with its holder, including a holder killed with SIGKILL, or a crashed crawl
would block every later one until someone cleaned up by hand. Both mechanisms used here are
released by the operating system or the server when the process ends, however it ends:

- SQLite file: `flock(LOCK_EX | LOCK_NB)` on the sidecar file `<database file>.lock`, kept open
  while the lock is held. The file stays behind after release (deleting it would let a process
  that already opened the old file and one that creates a new one both "hold" the lock); it
  holds the last holder's pid, for the error message. POSIX only (`fcntl`). In-memory SQLite
  is private to one connection, so there is nothing to lock.
- PostgreSQL: a session-level `pg_try_advisory_lock(WRITER_LOCK_KEY)` on a connection of its
  own, kept open while the lock is held and closed on release; the server drops the lock when
  that session ends, e.g. when the killed holder's socket closes. Advisory locks are per
  database: archives in different schemas of one database share this lock.

Neither lock is re-entrant: taking it twice, even in one process, is "busy" the second time.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import URL, Engine, text
from sqlalchemy.exc import DBAPIError

from storage.errors import ArchiveBusyError, StorageError

__all__ = ["WRITER_LOCK_KEY", "lock_file_path", "writer_lock"]

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
        database = _sqlite_file(engine.url)
        if database is None:
            return contextlib.nullcontext()
        return _flock(database.with_name(database.name + ".lock"), str(database))
    if dialect == "postgresql":
        return _advisory_lock(engine)
    raise StorageError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")


def lock_file_path(url: URL) -> Path | None:
    """The sidecar lock file `writer_lock` uses for an SQLite URL; None when it uses none."""
    database = _sqlite_file(url) if url.get_backend_name() == "sqlite" else None
    return None if database is None else database.with_name(database.name + ".lock")


def _sqlite_file(url: URL) -> Path | None:
    """The absolute path of an SQLite database file; None for an in-memory database.

    Relative paths are resolved against the current directory, as SQLite does when it opens
    them. `file:` URIs (`?uri=true`) are understood, including `mode=memory`.
    """
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
def _flock(path: Path, database: str) -> Iterator[None]:
    """An exclusive, non-blocking flock on `path`, held while the block runs."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            raise _busy(database, f"lock file {path} held by {holder}") from None
        # Written only once we hold the lock, so the pid in the file is always a holder's.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(fd: int) -> str:
    """ "pid N" from the lock file, or a vaguer phrase if the holder has not written it yet."""
    pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return f"pid {pid}" if pid.isdigit() else "another process"


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
