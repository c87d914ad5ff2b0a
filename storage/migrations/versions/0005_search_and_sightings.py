"""Reading the archive: a full-text index of the articles, and every teaser sighting.

- `teaser_sightings`: one row per teaser per page per run (see `storage.models.TeaserSighting`),
  the history that `teaser_links` (one row per page, list and target, updated in place) cannot
  give. `teaser_links` stays as it is. What it knows is carried over honestly: for each link,
  the one sighting it records exactly, its latest (`last_seen`, with the position and title
  the upsert wrote then), attributed to the run that was going on at that time, if any. Its
  earlier sightings are not invented (`teaser_links.first_seen` and `seen_count` keep what is
  known of them). The target is resolved to an archived article by canonical URL or alias,
  as it was printed (older rows kept `?amp=1` forms; those resolve when an alias knows them).
- Full-text search (see `storage.search`), filled with the articles already stored:
  SQLite: the FTS5 table `articles_fts` over `articles` (external content) and the triggers
  that keep it in step; PostgreSQL: the generated `tsvector` column
  `articles.search_document` and its GIN index. A later migration that rebuilds `articles`
  on SQLite (batch mode's copy-and-move) must drop the three triggers first and create them
  again after, then rebuild the index (`INSERT INTO articles_fts(articles_fts) VALUES
  ('rebuild')`).

Written by hand without importing the models, like the migrations before it: the SQL below
is this revision's schema, whatever the code does later.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_SEARCH = (
    # Porter stemming over Unicode words, accents folded ("Cancún" finds "Cancun").
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, lede, body, content='articles',"
    " content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN"
    " INSERT INTO articles_fts(rowid, title, lede, body)"
    " VALUES (new.id, new.title, new.lede, new.body); END",
    "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN"
    " INSERT INTO articles_fts(articles_fts, rowid, title, lede, body)"
    " VALUES ('delete', old.id, old.title, old.lede, old.body); END",
    # Only when the text changed: an unchanged story's upsert rewrites the same values.
    "CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, lede, body ON articles"
    " WHEN old.title IS NOT new.title OR old.lede IS NOT new.lede OR old.body IS NOT new.body"
    " BEGIN"
    " INSERT INTO articles_fts(articles_fts, rowid, title, lede, body)"
    " VALUES ('delete', old.id, old.title, old.lede, old.body);"
    " INSERT INTO articles_fts(rowid, title, lede, body)"
    " VALUES (new.id, new.title, new.lede, new.body); END",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
)
_SQLITE_SEARCH_DROP = (
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TABLE IF EXISTS articles_fts",
)
# PostgreSQL's English configuration keeps accents ("Cancún" would not find "Cancun", as it
# does on SQLite); `unaccent` is an extension and not immutable, so the letters of the
# site's Spanish names are folded with translate(), which is.
_ACCENTED = "ÀÁÂÃÄÅàáâãäåÈÉÊËèéêëÌÍÎÏìíîïÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÑñÇçÝýÿ"
_PLAIN = "AAAAAAaaaaaaEEEEeeeeIIIIiiiiOOOOOOooooooUUUUuuuuNnCcYyy"


def _document(column: str, weight: str) -> str:
    folded = f"translate(coalesce({column}, ''), '{_ACCENTED}', '{_PLAIN}')"
    return f"setweight(to_tsvector('english'::regconfig, {folded}), '{weight}')"


_POSTGRES_SEARCH = (
    # Adding a stored generated column computes it for every existing row.
    "ALTER TABLE articles ADD COLUMN search_document tsvector GENERATED ALWAYS AS ("
    f"{_document('title', 'A')} || {_document('lede', 'B')} || {_document('body', 'C')})"
    " STORED",
    "CREATE INDEX ix_articles_search_document ON articles USING gin (search_document)",
)
_POSTGRES_SEARCH_DROP = (
    "DROP INDEX IF EXISTS ix_articles_search_document",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_document",
)

# Each teaser link's latest sighting, in time order; the run is the latest one started by
# then that had not finished before it.
_CARRY_OVER = """
INSERT INTO teaser_sightings
    (run_id, seen_at, page_url, page_id, kind, position, target_url, target_id, title)
SELECT
    (SELECT r.id FROM crawl_runs r
      WHERE r.started_at <= t.last_seen AND (r.finished_at IS NULL OR r.finished_at >= t.last_seen)
      ORDER BY r.id DESC LIMIT 1),
    t.last_seen, page.canonical_url, t.page_id, t.kind, t.position,
    COALESCE(direct.canonical_url, via_alias.canonical_url, t.target_url),
    COALESCE(direct.id, via_alias.id),
    t.title
FROM teaser_links t
JOIN articles page ON page.id = t.page_id
LEFT JOIN articles direct ON direct.canonical_url = t.target_url
LEFT JOIN article_aliases alias ON alias.url = t.target_url
LEFT JOIN articles via_alias ON via_alias.id = alias.article_id
ORDER BY t.last_seen, t.id
"""


def upgrade() -> None:
    """Create the sightings table and carry the teaser links over; create the search index."""
    op.create_table(
        "teaser_sightings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("page_url", sa.Text(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("target_url", sa.Text(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_teaser_sightings"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_runs.id"],
            name="fk_teaser_sightings_run_id_crawl_runs",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["articles.id"],
            name="fk_teaser_sightings_page_id_articles",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["articles.id"],
            name="fk_teaser_sightings_target_id_articles",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_teaser_sightings_kind_seen_at", "teaser_sightings", ["kind", "seen_at"])
    op.create_index("ix_teaser_sightings_target_url", "teaser_sightings", ["target_url"])
    op.execute(sa.text(_CARRY_OVER))
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_SEARCH if sqlite else _POSTGRES_SEARCH:
        op.execute(sa.text(statement))


def downgrade() -> None:
    """Drop the search index and the sightings (their history is lost; `teaser_links` was
    never changed)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_SEARCH_DROP if sqlite else _POSTGRES_SEARCH_DROP:
        op.execute(sa.text(statement))
    op.drop_index("ix_teaser_sightings_target_url", table_name="teaser_sightings")
    op.drop_index("ix_teaser_sightings_kind_seen_at", table_name="teaser_sightings")
    op.drop_table("teaser_sightings")
