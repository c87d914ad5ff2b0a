"""The errors `storage` raises on purpose, so callers can catch the archive's own failures."""

from __future__ import annotations

__all__ = ["ArchiveBusyError", "RunNotFoundError", "StorageError"]


class StorageError(Exception):
    """Base of every error raised by `storage` itself (database driver errors pass through)."""


class RunNotFoundError(StorageError, LookupError):
    """A crawl run id that the database does not hold (finishing a run never started)."""


class ArchiveBusyError(StorageError):
    """Another process holds the archive's writer lock (see `storage.locking.writer_lock`).

    Raised at once rather than after a wait: a scheduled crawl that finds the previous one
    still running should skip its turn, not queue up behind it and then redo the same pages.
    """
