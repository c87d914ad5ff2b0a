"""Opening an archive (`storage.archive.open_archive`) and finding its migrations.

Every way an archive can be unusable (missing, not a database, read-only, written by a newer
version, busy) must be a one-line `ArchiveError` naming it, never a traceback, and must leave
the archive as it was. Tests taking `engine` or `blank_engine` run again on PostgreSQL
(`test_storage_postgres.py`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from storage.archive import open_archive
from storage.engine import migrations_dir, upgrade_schema
from storage.errors import (
    ArchiveBusyError,
    ArchiveCorruptError,
    ArchiveError,
    ArchiveMissingError,
    ArchiveReadOnlyError,
    ArchiveSchemaError,
)
from storage.repository import ArchiveRepository
from tests.storage_support import (
    ROOT,
    T0,
    article,
    blank_engine,
    engine,
    factory,
    sqlite_url,
)

__all__ = ["blank_engine", "engine", "factory"]  # fixtures, imported for pytest

HEAD = "0005"


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _version(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _one_line(error: BaseException) -> str:
    message = str(error)
    assert message and "\n" not in message, message
    return message


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _archive(folder: Path) -> Path:
    """A migrated SQLite archive holding one article, closed."""
    path = folder / "archive.sqlite3"
    with open_archive(sqlite_url(path)) as archive, archive.sessions.begin() as session:
        ArchiveRepository(session).save_article(article(), T0)
    return path


# ---- missing, not a database, read-only ------------------------------------------------------


def test_reading_a_missing_archive_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite3"
    with (
        pytest.raises(ArchiveMissingError) as error,
        open_archive(sqlite_url(missing), write=False),
    ):
        pytest.fail("opened an archive that does not exist")
    assert str(missing) in _one_line(error.value)
    assert list(tmp_path.iterdir()) == []

    empty = tmp_path / "empty.sqlite3"  # a file SQLite opens, holding no archive
    empty.touch()
    with pytest.raises(ArchiveMissingError) as error, open_archive(sqlite_url(empty), write=False):
        pytest.fail("opened a database that holds no archive")
    assert str(empty) in _one_line(error.value)
    with sqlite3.connect(empty) as connection:  # no table made (SQLite's header aside)
        assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    connection.close()
    empty.unlink()

    nowhere = sqlite_url(tmp_path / "no-such-folder" / "a.sqlite3")
    with pytest.raises(ArchiveError, match="folder does not exist") as error, open_archive(nowhere):
        pass
    _one_line(error.value)
    with (
        pytest.raises(ArchiveError, match="is a folder") as error,
        open_archive(sqlite_url(tmp_path)),
    ):
        pass
    _one_line(error.value)
    assert list(tmp_path.iterdir()) == []


def test_writing_creates_a_current_archive_without_side_files(tmp_path: Path) -> None:
    path = _archive(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} <= {
        "archive.sqlite3",
        "archive.sqlite3-wal",
        "archive.sqlite3-shm",
    }
    with open_archive(sqlite_url(path), write=False) as archive:
        assert _version(archive.engine) == HEAD
        with archive.sessions() as session:
            assert ArchiveRepository(session).stats()["articles"] == 1


def test_open_archive_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"These are my notes, not a database.\n" * 200)
    before = _digest(path)
    for write in (False, True):
        with (
            pytest.raises(ArchiveCorruptError) as error,
            open_archive(sqlite_url(path), write=write),
        ):
            pytest.fail("opened a file that is not a database")
        assert str(path) in _one_line(error.value)
    assert _digest(path) == before, "left as it was"


@contextlib.contextmanager
def _unwritable(path: Path) -> Iterator[None]:
    """`path` cannot be opened for writing during the block. Root ignores permission bits, so
    as root the file is made immutable (`chattr +i`) instead; skips where neither works."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    chattr = shutil.which("chattr")
    made = chattr and subprocess.run([chattr, "+i", str(path)], capture_output=True, check=False)
    if not made or made.returncode != 0:
        pytest.skip("as root, a read-only file needs chattr +i, which this file system refuses")
    try:
        yield
    finally:
        subprocess.run([str(chattr), "-i", str(path)], check=True)


def test_a_read_only_archive_is_refused_for_writing_and_still_read(tmp_path: Path) -> None:
    path = _archive(tmp_path)
    before = _digest(path)
    with _unwritable(path):
        with pytest.raises(ArchiveReadOnlyError) as error, open_archive(sqlite_url(path)):
            pytest.fail("opened a read-only archive for writing")
        assert str(path) in _one_line(error.value)
        with open_archive(sqlite_url(path), write=False) as archive, archive.sessions() as session:
            assert ArchiveRepository(session).stats()["articles"] == 1
    assert _digest(path) == before


@contextlib.contextmanager
def _read_only_file_system(folder: Path) -> Iterator[Path]:
    """A small tmpfs mounted at `folder` for the block (the test fills it, then remounts it
    read-only). Skips where mounting is not allowed."""
    folder.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a file system needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_an_archive_on_a_read_only_file_system_is_refused_for_writing(tmp_path: Path) -> None:
    with _read_only_file_system(tmp_path / "disk") as disk:
        path = _archive(disk)
        remount = subprocess.run(
            ["mount", "-o", "remount,ro", str(disk)], capture_output=True, text=True, check=False
        )
        if remount.returncode != 0:
            pytest.skip(f"cannot remount read-only: {remount.stderr.strip()}")
        with pytest.raises(ArchiveReadOnlyError) as error, open_archive(sqlite_url(path)):
            pytest.fail("opened an archive on a read-only file system for writing")
        assert str(path) in _one_line(error.value)


# ---- schema --------------------------------------------------------------------------------


def test_an_archive_of_a_newer_version_is_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    for write in (True, False):
        with pytest.raises(ArchiveSchemaError) as error, open_archive(_url(engine), write=write):
            pytest.fail("opened an archive of an unknown schema")
        message = _one_line(error.value)
        assert "9999" in message and HEAD in message and "upgrade pvdn-archive" in message
    assert _version(engine) == "9999", "left as it was"


def test_reading_an_archive_of_an_older_schema_upgrades_it(blank_engine: Engine) -> None:
    upgrade_schema(blank_engine, "0002")
    with open_archive(_url(blank_engine), write=False) as archive:
        assert _version(archive.engine) == HEAD
        with archive.sessions() as session:
            assert ArchiveRepository(session).stats()["pages"] == 0


# ---- one writer ----------------------------------------------------------------------------

_CHILD_WRITER = """
import sys
from storage import ArchiveBusyError, open_archive
try:
    with open_archive(sys.argv[1]):
        print("opened")
except ArchiveBusyError as error:
    print("busy:", error)
"""


def _writer_in_child(url: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", _CHILD_WRITER, url],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    )
    return result.stdout.strip()


def test_a_second_writer_is_busy_and_readers_are_not(engine: Engine) -> None:
    url = _url(engine)
    with open_archive(url) as first:
        with pytest.raises(ArchiveBusyError) as busy, open_archive(url):
            pytest.fail("two writers on one archive")
        assert "another crawl is writing" in _one_line(busy.value)
        assert _writer_in_child(url).startswith("busy: archive database")
        with open_archive(url, write=False) as reader, reader.sessions() as session:
            assert ArchiveRepository(session).stats()["articles"] == 0
        with first.sessions.begin() as session:  # the holder writes meanwhile
            ArchiveRepository(session).save_article(article(), T0)
    assert _writer_in_child(url) == "opened"
    with open_archive(url) as again, again.sessions() as session:
        assert ArchiveRepository(session).stats()["articles"] == 1


def test_the_lock_follows_the_file_not_its_name(tmp_path: Path) -> None:
    """A hard link, another spelling of the path, or a deleted leftover `.lock` file of an
    older version: still the same archive, still busy (issue 10)."""
    path = _archive(tmp_path)
    (tmp_path / "archive.sqlite3.lock").write_text("12345\n")  # as older versions left it
    other_name = tmp_path / "linked.sqlite3"
    os.link(path, other_name)
    with open_archive(sqlite_url(path)):
        (tmp_path / "archive.sqlite3.lock").unlink()
        for url in (
            sqlite_url(path),
            sqlite_url(other_name),
            f"sqlite:///{tmp_path}/../{tmp_path.name}/archive.sqlite3",
        ):
            with pytest.raises(ArchiveBusyError), open_archive(url):
                pytest.fail(f"a second writer through {url}")
            assert _writer_in_child(url).startswith("busy: "), url
    assert not (tmp_path / "archive.sqlite3.lock").exists()
    assert _writer_in_child(sqlite_url(other_name)) == "opened"


def test_an_unreachable_server_is_a_one_line_error() -> None:
    """No server listens on port 1: the message names the archive, without a password."""
    url = "postgresql+psycopg://pvdn:secret@127.0.0.1:1/pvdn_nowhere"
    for write in (True, False):
        with pytest.raises(ArchiveError) as error, open_archive(url, write=write):
            pytest.fail("opened an archive on a server that is not there")
        message = _one_line(error.value)
        assert "127.0.0.1:1/pvdn_nowhere" in message and "secret" not in message


# ---- migrations as package resources --------------------------------------------------------

_FROM_ZIP = """
import sys
sys.path.insert(0, sys.argv[1])
import storage
from sqlalchemy import inspect, text
from storage.engine import make_engine, migrations_dir, upgrade_schema
assert storage.__file__.startswith(sys.argv[1]), storage.__file__
engine = make_engine("sqlite:///" + sys.argv[2])
upgrade_schema(engine)
with engine.connect() as connection:
    print(connection.execute(text("SELECT version_num FROM alembic_version")).scalar())
    print(",".join(sorted(inspect(connection).get_table_names())))
engine.dispose()
print(migrations_dir())
"""


def test_migrations_run_from_a_zipped_package(tmp_path: Path) -> None:
    """How Scrapyd deploys a project: the package inside a zip (an egg), where Alembic cannot
    list the migrations folder. `migrations_dir()` copies them out for the process."""
    bundle = tmp_path / "project.egg"
    with zipfile.ZipFile(bundle, "w") as archive:
        for path in sorted((ROOT / "storage").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(ROOT).as_posix())
    database = tmp_path / "fresh.sqlite3"
    result = subprocess.run(
        [sys.executable, "-c", _FROM_ZIP, str(bundle), str(database)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,  # not the project folder: `storage` must come from the zip
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    version, tables, copied = result.stdout.splitlines()
    assert version == HEAD
    assert {"articles", "article_revisions", "pages", "rejects"} <= set(tables.split(","))
    assert not copied.startswith(str(bundle)), "a folder on the disk, not inside the zip"
    assert not Path(copied).exists(), "the copy is removed when the process exits"
    assert database.exists()


def test_migrations_dir_is_the_package_folder_when_installed_normally() -> None:
    assert migrations_dir() == ROOT / "storage" / "migrations"
