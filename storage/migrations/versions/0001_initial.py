"""Initial schema: articles, their aliases, the teaser links they show, and crawl runs.

Written by hand to match `storage/models.py` as of this revision. It deliberately does not
import the models: a migration must keep creating this exact schema after the models move on.
Constraint names follow the models' naming convention, so later batch migrations can find them.

Revision ID: 0001
Revises:
Create Date: 2025-11-25
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    """A UTC instant; the models' UTCDateTime is a Python-side wrapper of this column type."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the four tables and their indexes."""
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("canonical_url", sa.Text(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("lede", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("blocks", sa.JSON(), nullable=False),
        sa.Column("dateline", sa.Text(), nullable=True),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        _timestamp("published", nullable=True),
        _timestamp("modified", nullable=True),
        sa.Column("paywalled", sa.Boolean(), nullable=False),
        sa.Column("extractor", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("raw_html", sa.LargeBinary(), nullable=False),
        sa.Column("raw_url", sa.Text(), nullable=False),
        _timestamp("first_seen"),
        _timestamp("last_seen"),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
        sa.UniqueConstraint("canonical_url", name="uq_articles_canonical_url"),
    )
    op.create_index("ix_articles_post_id", "articles", ["post_id"])

    op.create_table(
        "article_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        _timestamp("first_seen"),
        _timestamp("last_seen"),
        sa.PrimaryKeyConstraint("id", name="pk_article_aliases"),
        sa.UniqueConstraint("url", name="uq_article_aliases_url"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_aliases_article_id_articles",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_article_aliases_article_id", "article_aliases", ["article_id"])

    op.create_table(
        "teaser_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("target_url", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("image_alt", sa.Text(), nullable=True),
        _timestamp("first_seen"),
        _timestamp("last_seen"),
        sa.Column("seen_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_teaser_links"),
        sa.UniqueConstraint(
            "page_id", "kind", "target_url", name="uq_teaser_links_page_id_kind_target_url"
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["articles.id"],
            name="fk_teaser_links_page_id_articles",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_teaser_links_target_url", "teaser_links", ["target_url"])

    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        _timestamp("started_at"),
        _timestamp("finished_at", nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("spider", sa.Text(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crawl_runs"),
    )


def downgrade() -> None:
    """Drop everything, children before the table they reference."""
    op.drop_table("crawl_runs")
    op.drop_index("ix_teaser_links_target_url", table_name="teaser_links")
    op.drop_table("teaser_links")
    op.drop_index("ix_article_aliases_article_id", table_name="article_aliases")
    op.drop_table("article_aliases")
    op.drop_index("ix_articles_post_id", table_name="articles")
    op.drop_table("articles")
