"""Every capture kept as WARC records: the raw-HTML column moves into the archive's WARC folder.

- `articles` and `article_revisions` gain `warc_file`, `warc_offset`, `warc_length`: where the
  page a story was cleaned from is kept (`storage.warc`).
- Each article's stored page (the zlib-compressed `raw_html`, the page that produced its
  current story) is written to a WARC file of the folder the caller names
  (`config.attributes["warc_dir"]`, from `storage.archive.open_archive`) as a `resource`
  record: the HTTP status line and headers were never kept, and its `WARC-Pvdn-Note` header
  says so rather than inventing them. Its date is when that story was first captured (the
  latest revision's `captured_at`). The article and its latest revision point at it; earlier
  revisions had no page kept and point nowhere.
- `raw_html` is dropped once every page is in a WARC file that was synced to disk. Should
  the migration fail before its commit, the database keeps `raw_html` and the records already
  written are orphans a later run ignores: nothing is lost either way.

Pages are read and written a batch at a time, so memory does not grow with the archive.

Unlike the other migrations, this one uses live code (`storage.warc`'s writer and reader):
the WARC files it writes must be the ones the archive reads today, and the record format is
a standard (WARC/1.1) that later versions keep reading, so the dependency is deliberate.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

from storage.errors import ArchiveError
from storage.warc import RunWarcWriter, WarcLocation, read_capture

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 100
_NOTE = (
    "moved by pvdn-archive migration 0004 from the archive's raw_html column, which kept the"
    " page's bytes without its HTTP status line and headers"
)
_articles = sa.table(
    "articles",
    sa.column("id", sa.Integer()),
    sa.column("raw_url", sa.Text()),
    sa.column("raw_html", sa.LargeBinary()),
    sa.column("first_seen", sa.DateTime(timezone=True)),
    sa.column("warc_file", sa.Text()),
    sa.column("warc_offset", sa.BigInteger()),
    sa.column("warc_length", sa.Integer()),
)
_revisions = sa.table(
    "article_revisions",
    sa.column("article_id", sa.Integer()),
    sa.column("number", sa.Integer()),
    sa.column("captured_at", sa.DateTime(timezone=True)),
    sa.column("warc_file", sa.Text()),
    sa.column("warc_offset", sa.BigInteger()),
    sa.column("warc_length", sa.Integer()),
)


def _warc_columns() -> list[sa.Column[str] | sa.Column[int]]:
    """The three columns that locate a capture, made anew for each table's batch."""
    return [
        sa.Column("warc_file", sa.Text(), nullable=True),
        sa.Column("warc_offset", sa.BigInteger(), nullable=True),
        sa.Column("warc_length", sa.Integer(), nullable=True),
    ]


def _warc_dir() -> Path | None:
    """The WARC folder `upgrade_schema` passed on (Alembic's config attributes), if any."""
    folder = context.config.attributes.get("warc_dir")
    return Path(folder) if folder else None


def upgrade() -> None:
    """Add the location columns, move every stored page into a WARC file, drop `raw_html`."""
    for table in ("articles", "article_revisions"):
        with op.batch_alter_table(table) as batch:
            for column in _warc_columns():
                batch.add_column(column)
    connection = op.get_bind()
    if connection.execute(sa.select(sa.func.count()).select_from(_articles)).scalar_one():
        folder = _warc_dir()
        if folder is None:
            raise ArchiveError(
                "this archive keeps its pages in the database; moving them into WARC files"
                " needs a WARC folder (set PVDN_WARC_DIR)"
            )
        _move_pages(connection, folder)
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("raw_html")


def _move_pages(connection: sa.Connection, folder: Path) -> None:
    """Write every article's stored page as a `resource` record; point the article and its
    latest revision at it."""
    latest = (
        sa.select(_revisions.c.captured_at)
        .where(_revisions.c.article_id == _articles.c.id)
        .order_by(_revisions.c.number.desc())
        .limit(1)
        .scalar_subquery()
    )
    folder.mkdir(parents=True, exist_ok=True)
    with RunWarcWriter(
        folder, "migration-0004", description="pages moved from the archive's database"
    ) as writer:
        after = 0
        while True:
            rows = connection.execute(
                sa.select(
                    _articles.c.id,
                    _articles.c.raw_url,
                    _articles.c.raw_html,
                    sa.func.coalesce(latest, _articles.c.first_seen),
                )
                .where(_articles.c.id > after)
                .order_by(_articles.c.id)
                .limit(_BATCH)
            ).all()
            if not rows:
                break
            for article_id, url, compressed, captured_at in rows:
                location = writer.write_resource(
                    url,
                    zlib.decompress(bytes(compressed)),
                    captured_at=_aware(captured_at),
                    note=_NOTE,
                )
                _point_at(connection, article_id, location)
            after = rows[-1][0]
        writer.sync()


def _point_at(connection: sa.Connection, article_id: int, location: WarcLocation) -> None:
    """Point the article and its latest revision at the record its page was moved to."""
    values = {
        "warc_file": location.filename,
        "warc_offset": location.offset,
        "warc_length": location.length,
    }
    connection.execute(_articles.update().where(_articles.c.id == article_id).values(values))
    newest = (
        sa.select(sa.func.max(_revisions.c.number))
        .where(_revisions.c.article_id == article_id)
        .scalar_subquery()
    )
    connection.execute(
        _revisions.update()
        .where(_revisions.c.article_id == article_id, _revisions.c.number == newest)
        .values(values)
    )


def _aware(value: datetime | str) -> datetime:
    """SQLite hands back UTC datetimes without their zone (or text); the WARC writer wants
    aware ones."""
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def downgrade() -> None:
    """Bring the pages back into `raw_html` (zlib level 6) from the WARC records the articles
    point at, then drop the location columns; an article without one gets an empty page.
    Refused without the WARC folder when any article has a capture: the columns dropped here
    are the only way to its page."""
    connection = op.get_bind()
    folder = _warc_dir()
    located = sa.select(sa.func.count()).where(_articles.c.warc_file.is_not(None))
    if folder is None and connection.execute(located).scalar_one():
        raise ArchiveError(
            "this archive keeps its pages in WARC files; bringing them back into the database"
            " needs the WARC folder (set PVDN_WARC_DIR)"
        )
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("raw_html", sa.LargeBinary(), nullable=True))
    rows = connection.execute(
        sa.select(
            _articles.c.id, _articles.c.warc_file, _articles.c.warc_offset, _articles.c.warc_length
        )
    ).all()
    for article_id, filename, offset, length in rows:
        page = b""
        if folder is not None and filename is not None:
            page = read_capture(folder, WarcLocation(filename, offset, length)).payload
        connection.execute(
            _articles.update()
            .where(_articles.c.id == article_id)
            .values(raw_html=zlib.compress(page, 6))
        )
    with op.batch_alter_table("articles") as batch:
        batch.alter_column("raw_html", existing_type=sa.LargeBinary(), nullable=False)
    for table in ("article_revisions", "articles"):
        with op.batch_alter_table(table) as batch:
            for column in reversed(_warc_columns()):
                batch.drop_column(column.name)
