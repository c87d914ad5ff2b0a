"""The errors `storage` raises on purpose, so callers can catch the archive's own failures."""

from __future__ import annotations

__all__ = ["RunNotFoundError", "StorageError"]


class StorageError(Exception):
    """Base of every error raised by `storage` itself (database driver errors pass through)."""


class RunNotFoundError(StorageError, LookupError):
    """A crawl run id that the database does not hold (finishing a run never started)."""
