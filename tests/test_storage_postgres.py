"""The backend-neutral storage tests again, on PostgreSQL, when a server is given.

Set PVDN_TEST_POSTGRES_URL (e.g. postgresql+psycopg://pvdn:pvdn@127.0.0.1/pvdn_test) to run
them. Each test gets a schema of its own, created and dropped around it, so the database's
other contents are never touched; the session time zone is set far from UTC so the tests also
show that datetimes come back as UTC whatever the server says.

Every test of the storage modules that takes `engine`, `factory` or `blank_engine` runs here,
unless `SQLITE_ONLY` names it with the reason; nothing has to be listed by hand, so a new
storage test cannot be forgotten on PostgreSQL.
"""

from __future__ import annotations

import inspect
import os
import uuid
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.engine import make_engine, session_factory, upgrade_schema
from tests import test_storage, test_storage_archive, test_storage_batches

POSTGRES_URL = os.environ.get("PVDN_TEST_POSTGRES_URL", "")
SKIP_REASON = (
    "PostgreSQL storage tests need PVDN_TEST_POSTGRES_URL "
    "(e.g. postgresql+psycopg://user:password@127.0.0.1/dbname)"
)

SUITES: tuple[ModuleType, ...] = (test_storage, test_storage_batches, test_storage_archive)
DATABASE_FIXTURES = frozenset({"engine", "factory", "blank_engine"})

SQLITE_ONLY = {
    "test_sqlite_connections_are_configured": "SQLite pragmas",
    "test_writer_lock_on_sqlite_is_the_database_file_itself": "the flock on the SQLite file",
    "test_a_full_disk_stops_the_writer_with_its_cause": "SQLite's max_page_count",
}


@pytest.fixture
def blank_engine() -> Iterator[Engine]:
    """A fresh, empty schema of the given database, not migrated, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip(SKIP_REASON)
    schema = f"pvdn_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = make_url(POSTGRES_URL).update_query_dict(
            {"options": f"-csearch_path={schema} -cTimeZone=America/Mexico_City"}
        )
        engine = make_engine(url.render_as_string(hide_password=False))
        try:
            yield engine
        finally:
            engine.dispose()
            with admin.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        admin.dispose()


@pytest.fixture
def engine(blank_engine: Engine) -> Engine:
    """A migrated archive in a fresh schema of the given database, dropped afterwards."""
    upgrade_schema(blank_engine)
    return blank_engine


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the test schema."""
    return session_factory(engine)


def _database_tests(module: ModuleType) -> dict[str, Callable[..., Any]]:
    """The module's tests that take a database fixture."""
    return {
        name: function
        for name, function in vars(module).items()
        if name.startswith("test_")
        and callable(function)
        and DATABASE_FIXTURES & set(inspect.signature(function).parameters)
    }


# The same tests as on SQLite; they take `engine` / `factory` / `blank_engine` from this module.
# The advisory lock is per database, so the lock tests would collide with a crawl writing to the
# same database at the time; the test database is meant for tests only.
for _suite in SUITES:
    for _name, _test in _database_tests(_suite).items():
        if _name not in SQLITE_ONLY:
            globals()[_name] = _test


def test_every_sqlite_only_test_exists_and_says_why() -> None:
    """No stale name hides a test from PostgreSQL, and every exception has its reason."""
    every = {name for suite in SUITES for name in _database_tests(suite)}
    assert set(SQLITE_ONLY) <= every
    assert all(reason for reason in SQLITE_ONLY.values())
    here = {name for name in globals() if name.startswith("test_")}
    assert every - set(SQLITE_ONLY) <= here
