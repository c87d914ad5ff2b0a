"""Incremental crawls: HTTP validators and gone marks on articles, and a revision history.

- `articles` gains `etag`, `last_modified` (header values as received), `gone_at` and
  `gone_status`, all nullable and NULL for existing rows: no stored article has validators yet,
  and none is known to be gone. SQLite adds them with plain ALTER TABLE ADD COLUMN (batch mode
  needs no table rebuild for that), so existing rows are not copied.
- `article_revisions` is created and back-filled with revision 1 of every existing article,
  its current content, captured at its `first_seen` (the time of the content actually
  captured is not known; the first crawl is the best lower bound the archive has). One
  INSERT ... SELECT, so the JSON columns are copied as stored and nothing passes through Python.

Like 0001, written by hand without importing the models.

Revision ID: 0002
Revises: 0001
Create Date: 2025-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The content columns a revision copies from its article, in both tables under these names.
_CONTENT = (
    "content_hash",
    "title",
    "lede",
    "body",
    "blocks",
    "dateline",
    "author",
    "categories",
    "published",
    "modified",
    "paywalled",
    "extractor",
)


def upgrade() -> None:
    """Add the article columns, create the revisions table, back-fill revision 1."""
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("etag", sa.Text(), nullable=True))
        batch.add_column(sa.Column("last_modified", sa.Text(), nullable=True))
        batch.add_column(sa.Column("gone_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("gone_status", sa.Integer(), nullable=True))

    op.create_table(
        "article_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("lede", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("blocks", sa.JSON(), nullable=False),
        sa.Column("dateline", sa.Text(), nullable=True),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("published", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paywalled", sa.Boolean(), nullable=False),
        sa.Column("extractor", sa.Text(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_article_revisions"),
        sa.UniqueConstraint("article_id", "number", name="uq_article_revisions_article_id_number"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_revisions_article_id_articles",
            ondelete="CASCADE",
        ),
    )

    # Lightweight table clauses: INSERT ... SELECT needs only the names, no types are applied.
    articles = sa.table(
        "articles", sa.column("id"), sa.column("first_seen"), *map(sa.column, _CONTENT)
    )
    back_fill = sa.select(
        articles.c.id,
        sa.literal(1, sa.Integer()),
        articles.c.first_seen,
        *(articles.c[name] for name in _CONTENT),
    ).order_by(articles.c.id)
    revisions = sa.table(
        "article_revisions",
        sa.column("article_id"),
        sa.column("number"),
        sa.column("captured_at"),
        *map(sa.column, _CONTENT),
    )
    targets = ["article_id", "number", "captured_at", *_CONTENT]
    op.execute(revisions.insert().from_select(targets, back_fill))


def downgrade() -> None:
    """Drop the history and the new article columns (their values are lost).

    On SQLite, dropping columns rebuilds `articles`; run it with foreign keys off, as
    `storage.engine.upgrade_schema` runs upgrades, or the rebuild's DROP TABLE would cascade
    into the aliases and teasers.
    """
    op.drop_table("article_revisions")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("gone_status")
        batch.drop_column("gone_at")
        batch.drop_column("last_modified")
        batch.drop_column("etag")
