"""The errors `storage` raises on purpose, so callers can catch the archive's own failures.

Each says what is wrong in one line a command can print as it is, naming the archive, and
what to do about it where there is something to do.
"""

from __future__ import annotations

__all__ = [
    "ArchiveBusyError",
    "ArchiveCorruptError",
    "ArchiveError",
    "ArchiveMissingError",
    "ArchiveReadOnlyError",
    "ArchiveSchemaError",
    "QueryError",
    "RunNotFoundError",
    "StorageError",
    "StorageFaultError",
]


class StorageError(Exception):
    """Base of every error raised by `storage` itself (database driver errors pass through)."""


class RunNotFoundError(StorageError, LookupError):
    """A crawl run id that the database does not hold (finishing a run never started)."""


class QueryError(StorageError, ValueError):
    """A question the archive cannot answer as asked (a search with nothing to look for, a
    category no article has); the message says why, in one line."""


class ArchiveError(StorageError):
    """The archive cannot be opened or used as asked; the message is fit for a user."""


class ArchiveBusyError(ArchiveError):
    """Another process holds the archive's writer lock (see `storage.locking.writer_lock`).

    Raised at once rather than after a wait: a scheduled crawl that finds the previous one
    still running should skip its turn, not queue up behind it and then redo the same pages.
    """


class ArchiveMissingError(ArchiveError):
    """A command that only reads was pointed at an archive that does not exist."""


class ArchiveCorruptError(ArchiveError):
    """The file is not an SQLite database, or its pages are damaged."""


class ArchiveReadOnlyError(ArchiveError):
    """The archive (or its folder) cannot be written, and the command needs to write."""


class ArchiveSchemaError(ArchiveError):
    """The archive was written by a newer version of the project than this one."""


class StorageFaultError(StorageError):
    """A local fault stopped a write: the disk is full or read-only, the file is damaged or
    the database server went away. Not the fault of the data being written, so retrying the
    same data elsewhere in the batch would not help; the run must end and say `cause`."""

    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(f"{cause}: {detail}")
        self.cause = cause
        self.detail = detail
