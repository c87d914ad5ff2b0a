"""Scheduled runs on any WordPress: check times, known non-articles, stories without a body,
date offsets, rejected changes.

- `articles` gains `checked_at` (the last time the page was asked for, whatever it answered;
  the revisit policy re-checks the stalest first), back-filled with `last_seen`, the best
  value the archive has.
- `articles` and `article_revisions` gain `published_offset` / `modified_offset` (the UTC
  offset in minutes the page wrote the date with; NULL for stories stored before, which read
  back in UTC as they did) and `empty_reason` (why a post page showed no story).
- `articles.post_id` becomes a 64-bit integer (PostgreSQL's INTEGER is 32 bits; SQLite's
  INTEGER already holds 64).
- `pages` holds addresses known not to be articles; `rejects` the changes the database
  refused, with their reason.
- `crawl_runs` gains `summary`, the run's summary line (its verdict with the cause).

Written by hand without importing the models, like the migrations before it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _story_additions() -> list[sa.Column[int] | sa.Column[str]]:
    return [
        sa.Column("published_offset", sa.Integer(), nullable=True),
        sa.Column("modified_offset", sa.Integer(), nullable=True),
        sa.Column("empty_reason", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    """Add the columns, back-fill `checked_at`, create `pages` and `rejects`."""
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))
        for column in _story_additions():
            batch.add_column(column)
        batch.alter_column(
            "post_id", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=True
        )
    articles = sa.table("articles", sa.column("checked_at"), sa.column("last_seen"))
    op.execute(articles.update().values(checked_at=articles.c.last_seen))
    with op.batch_alter_table("article_revisions") as batch:
        for column in _story_additions():
            batch.add_column(column)
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("summary", sa.Text(), nullable=True))

    op.create_table(
        "pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("target_url", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pages"),
        sa.UniqueConstraint("url", name="uq_pages_url"),
    )
    op.create_index("ix_pages_checked_at", "pages", ["checked_at"])
    op.create_table(
        "rejects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rejects"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name="fk_rejects_run_id_crawl_runs", ondelete="SET NULL"
        ),
    )


def downgrade() -> None:
    """Drop the new tables and columns (their values are lost); run with foreign keys off on
    SQLite, as `storage.engine.upgrade_schema` runs migrations."""
    op.drop_table("rejects")
    op.drop_index("ix_pages_checked_at", table_name="pages")
    op.drop_table("pages")
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("summary")
    with op.batch_alter_table("article_revisions") as batch:
        for column in reversed(_story_additions()):
            batch.drop_column(column.name)
    with op.batch_alter_table("articles") as batch:
        batch.alter_column(
            "post_id", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=True
        )
        for column in reversed(_story_additions()):
            batch.drop_column(column.name)
        batch.drop_column("checked_at")
