"""Telling a local fault (disk, database) from a value the database refused.

A write can fail because of the data (a value out of range, a constraint) or because of where
the data goes (a full or read-only disk, a damaged file, a server that went away). The first
costs one record, which is set aside while the rest of its batch is stored; the second stops
the run, whose summary must then name the cause. Drivers say which it was through exception
classes and, for SQLite, through the message of an `OperationalError`, so that is read here
and nowhere else.
"""

from __future__ import annotations

import errno

from sqlalchemy import exc as sa_exc

__all__ = ["local_fault"]

# SQLite's messages for its result codes SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR,
# SQLITE_CORRUPT / SQLITE_NOTADB, SQLITE_CANTOPEN, SQLITE_BUSY and SQLITE_NOMEM.
_SQLITE_CAUSES = (
    ("database or disk is full", "disk full"),
    ("readonly database", "archive read-only"),
    ("read-only", "archive read-only"),
    ("disk i/o error", "disk I/O error"),
    ("malformed", "archive corrupt"),
    ("file is not a database", "archive corrupt"),
    ("unable to open database", "archive cannot be opened"),
    ("database is locked", "archive locked by another process"),
    ("out of memory", "out of memory"),
)
# PostgreSQL SQLSTATE classes and codes that are the server's state, not the row's.
_PG_CAUSES = {
    "53100": "disk full",  # disk_full
    "53200": "out of memory",
    "25006": "archive read-only",  # read_only_sql_transaction
    "57P01": "database server shut down",
    "57P02": "database server shut down",
    "57P03": "database server unavailable",
    "08": "database connection lost",
    "53": "database server out of resources",
    "58": "database server I/O error",
    "XX": "database internal error",
}
_OS_CAUSES = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk full",
    errno.EROFS: "archive read-only",
    errno.EACCES: "archive read-only",
    errno.EIO: "disk I/O error",
}


def local_fault(error: BaseException) -> str | None:
    """The cause, in a few words, when `error` is a fault of the disk or the database rather
    than of the values written; None when the values were the problem."""
    if isinstance(error, OSError):
        return _OS_CAUSES.get(error.errno or 0, "file system error")
    if isinstance(error, MemoryError):
        return "out of memory"
    if not isinstance(error, sa_exc.DBAPIError):
        return None  # a value SQLAlchemy could not bind, or a bug: the record's problem
    if error.connection_invalidated:
        return "database connection lost"
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if isinstance(sqlstate, str) and sqlstate:
        return _PG_CAUSES.get(sqlstate) or _PG_CAUSES.get(sqlstate[:2])
    if isinstance(error, _VALUE_ERRORS):
        return None
    message = str(original).lower()
    for fragment, cause in _SQLITE_CAUSES:
        if fragment in message:
            return cause
    return "database error"


# What the database says about the values of one statement, not about itself.
_VALUE_ERRORS = (
    sa_exc.IntegrityError,
    sa_exc.DataError,
    sa_exc.ProgrammingError,
    sa_exc.NotSupportedError,
)
