"""Full-text search over the articles' title, lede and body, on SQLite and PostgreSQL alike.

The index lives beside the models, not in them, because neither backend's form of it is a
table SQLAlchemy can declare for both:

- SQLite: an FTS5 table `articles_fts` over `articles` (external content: it stores only the
  index, the text stays in `articles`), kept in step by three triggers on `articles`
  (insert, delete, and an update that changes the title, lede or body), with the Porter
  stemmer ("whales" finds "whale").
- PostgreSQL: a generated column `articles.search_document` (a `tsvector` of the title,
  weighted A, the lede, B, and the body, C, with the English configuration), which the
  server recomputes on every write, and a GIN index on it.

Migration 0005 creates them (and fills them for the articles already stored); every write
path (a crawl's upserts, a revision, a re-clean) goes through `articles`, so the index follows
without the repository doing anything. `outside_models` tells Alembic's comparison of the
schema with the models to leave exactly these objects out.

A query is read the same way on both backends, as a web search box reads it: words must all
appear (in any form the stemmer relates), `"a phrase"` must appear as written, `OR` between two
terms accepts either, and `-word` or `-"a phrase"` excludes articles that have it. Nothing
else is syntax, so no query can be an error of the search engine's own query language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Session

from storage.errors import QueryError
from storage.models import Article, StoryColumns
from storage.records import SearchHit

__all__ = [
    "FTS_TABLE",
    "SEARCH_COLUMN",
    "SEARCH_INDEX",
    "article_filters",
    "category_names",
    "fts5_query",
    "matching_categories",
    "outside_models",
    "search",
    "slug",
]

FTS_TABLE = "articles_fts"
SEARCH_COLUMN = "search_document"
SEARCH_INDEX = "ix_articles_search_document"
# FTS5 keeps its index in shadow tables named after the virtual table. Ours reads its content
# from `articles`, so it has no `_content` table; the name is listed all the same, so that an
# index made otherwise is not taken for a table of the models either.
_FTS5_SHADOWS = ("data", "idx", "docsize", "config", "content")
NOT_IN_MODELS = frozenset({FTS_TABLE, *(f"{FTS_TABLE}_{s}" for s in _FTS5_SHADOWS), SEARCH_INDEX})
"""Names of the search objects that exist in the database but not in `storage.models`."""

# Markers around the matched words in a snippet, and what stands for text left out.
MARK = "**"
ELLIPSIS = "…"
_SNIPPET_WORDS = 24
_LANGUAGE = "english"
# Weights of title, lede and body in SQLite's BM25 ranking (PostgreSQL's ts_rank gives the
# A, B and C weights 1.0, 0.4 and 0.2 by default: the same order).
_BM25_WEIGHTS = "10.0, 4.0, 1.0"
# Terms of a query: an optional minus, then a quoted phrase (the closing quote may be missing
# at the end) or a run of non-space characters.
_TERM = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')
_WORD = re.compile(r"\w")
# The accented letters PostgreSQL's search document folds (migration 0005), folded the same
# way in the query and in the text a snippet is cut from. SQLite's tokenizer folds them all.
_ACCENTED = "ÀÁÂÃÄÅàáâãäåÈÉÊËèéêëÌÍÎÏìíîïÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÑñÇçÝýÿ"
_PLAIN = "AAAAAAaaaaaaEEEEeeeeIIIIiiiiOOOOOOooooooUUUUuuuuNnCcYyy"
_FOLD = str.maketrans(_ACCENTED, _PLAIN)


def outside_models(name: str | None, type_: Any, parent_names: Any) -> bool:
    """Alembic's `include_name` hook: False for the search index's tables, column and index,
    which the models do not declare on purpose (see the module's docstring)."""
    if type_ == "column":
        return not (name == SEARCH_COLUMN and parent_names.get("table_name") == "articles")
    return name not in NOT_IN_MODELS


@dataclass(frozen=True, slots=True)
class _Term:
    text: str
    excluded: bool


def _terms(query: str) -> list[_Term | None]:
    """The query's terms in order; None stands for an `or` (any case) between two terms."""
    terms: list[_Term | None] = []
    for match in _TERM.finditer(query):
        minus, phrase, word = match.groups()
        # Any case, as PostgreSQL's websearch_to_tsquery reads it: one query, one reading.
        if phrase is None and word.upper() == "OR" and not minus:
            terms.append(None)
            continue
        value = phrase if phrase is not None else word
        if value and _WORD.search(value):
            terms.append(_Term(value, bool(minus)))
    return terms


def fts5_query(query: str) -> str:
    """The query as an FTS5 MATCH expression: every term quoted (so nothing in it is FTS5
    syntax), required terms joined by AND, `OR` groups in parentheses, exclusions by NOT.

    Raises QueryError when nothing is left to look for (no word, or only exclusions).
    """
    groups: list[list[str]] = []
    excluded: list[str] = []
    joined = False
    for term in _terms(query):
        if term is None:
            joined = bool(groups)
            continue
        quoted = '"' + term.text.replace('"', '""') + '"'
        if term.excluded:
            excluded.append(quoted)
        elif joined:
            groups[-1].append(quoted)
        else:
            groups.append([quoted])
        joined = False
    if not groups:
        raise QueryError(f"nothing to search for in {query!r}: give at least one word")
    expression = " AND ".join(
        group[0] if len(group) == 1 else "(" + " OR ".join(group) + ")" for group in groups
    )
    for exclusion in excluded:
        expression = f"({expression}) NOT {exclusion}"
    return expression


def slug(name: str) -> str:
    """A name as WordPress makes a slug of it: accents dropped, lower case, runs of anything
    else than letters and digits as one hyphen ("Puerto Vallarta News" ->
    "puerto-vallarta-news")."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def category_names(session: Session) -> list[str]:
    """Every category name the archive's articles carry, sorted."""
    if session.get_bind().dialect.name == "sqlite":
        statement = text(
            "SELECT DISTINCT c.value FROM articles, json_each(articles.categories) AS c"
            " WHERE c.type = 'text'"
        )
    else:
        statement = text(
            "SELECT DISTINCT jsonb_array_elements_text(categories::jsonb) FROM articles"
        )
    return sorted(str(name) for (name,) in session.execute(statement))


def matching_categories(wanted: str, names: Iterable[str]) -> tuple[str, ...]:
    """The names among `names` that `wanted` designates, by name or slug, in any case.

    Raises QueryError naming a few known categories when none matches.
    """
    known = sorted(set(names))
    key = slug(wanted)
    found = tuple(name for name in known if key and slug(name) == key)
    if not found:
        shown = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
        raise QueryError(f"no article has the category {wanted!r} (categories: {shown or 'none'})")
    return found


def article_filters(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    categories: Sequence[str] = (),
) -> list[ColumnElement[bool]]:
    """WHERE clauses on `articles`: its publication date (its first-seen date when the page
    stated none) within [since, until), and one of `categories` among its categories."""
    clauses: list[ColumnElement[bool]] = []
    dated = func.coalesce(Article.published, Article.first_seen)
    if since is not None:
        clauses.append(dated >= since)
    if until is not None:
        clauses.append(dated < until)
    if categories:
        clauses.append(_has_category(session, categories))
    return clauses


def _has_category(session: Session, categories: Sequence[str]) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "sqlite":
        return text(
            "EXISTS (SELECT 1 FROM json_each(articles.categories) AS c WHERE c.value IN :names)"
        ).bindparams(bindparam("names", list(categories), expanding=True))  # type: ignore[return-value]
    names = bindparam("names", list(categories), type_=ARRAY(Text))
    return func.jsonb_exists_any(cast(Article.categories, JSONB), names).is_(True)


def search(
    session: Session,
    query: str,
    *,
    limit: int = 20,
    since: datetime | None = None,
    until: datetime | None = None,
    categories: Sequence[str] = (),
) -> list[SearchHit]:
    """The articles matching `query`, best first, at most `limit`, with a snippet each.

    Ranking: SQLite's BM25 and PostgreSQL's `ts_rank` (length-normalised), a match in the
    title counting most, then the lede, then the body. Ties go to the older article id.
    """
    if limit < 1:
        raise QueryError(f"limit must be at least 1, got {limit}")
    filters = article_filters(session, since=since, until=until, categories=categories)
    # Both backends refuse the same queries (nothing to look for, only exclusions), though
    # PostgreSQL reads the text itself (`websearch_to_tsquery`).
    matched = fts5_query(query)
    if session.get_bind().dialect.name == "sqlite":
        statement = _sqlite_search(matched)
    else:
        statement = _postgres_search(query)
    statement = statement.where(*filters).limit(limit)
    hits = []
    for row in session.execute(statement):
        dated = StoryColumns.story_values_from(
            {"published": row.published, "published_offset": row.published_offset}
        )
        hits.append(
            SearchHit(
                article_id=row.id,
                canonical_url=row.canonical_url,
                title=row.title,
                published=dated["published"],
                categories=tuple(row.categories or ()),
                snippet=" ".join(str(row.snippet or "").split()),
                score=float(row.score),
            )
        )
    return hits


def _columns() -> list[Any]:
    return [
        Article.id,
        Article.canonical_url,
        Article.title,
        Article.published,
        Article.published_offset,
        Article.categories,
    ]


def _sqlite_search(match: str) -> Select[Any]:
    fts = table(FTS_TABLE, column("rowid"))
    # The body's passage when the body matched, else the best column's (title or lede).
    body, best = (
        f"snippet({FTS_TABLE}, {column}, '{MARK}', '{MARK}', '{ELLIPSIS}', {_SNIPPET_WORDS})"
        for column in (2, -1)
    )
    snippet: ColumnElement[str] = literal_column(
        f"CASE WHEN instr({body}, '{MARK}') > 0 THEN {body} ELSE {best} END"
    )
    # bm25() is lower for better matches; the hit's score is its negation.
    rank: ColumnElement[float] = literal_column(f"bm25({FTS_TABLE}, {_BM25_WEIGHTS})")
    return (
        select(*_columns(), snippet.label("snippet"), (-rank).label("score"))
        .select_from(fts)
        .join(Article, Article.id == fts.c.rowid)
        .where(text(f"{FTS_TABLE} MATCH :match").bindparams(match=match))
        .order_by(rank, Article.id)
    )


def _postgres_search(query: str) -> Select[Any]:
    config: ColumnElement[Any] = literal_column(f"'{_LANGUAGE}'::regconfig")
    folded = bindparam("query", query.translate(_FOLD), type_=Text)
    tsquery = func.websearch_to_tsquery(config, folded)
    document: ColumnElement[Any] = literal_column(f"articles.{SEARCH_COLUMN}")
    # Normalisation 1: divided by 1 + log(length), so long bodies do not win on length alone.
    rank = func.ts_rank(document, tsquery, 1)
    options = (
        f"StartSel={MARK}, StopSel={MARK}, MaxWords={_SNIPPET_WORDS}, MinWords=12,"
        f" MaxFragments=1, FragmentDelimiter={ELLIPSIS}"
    )
    shown = func.coalesce(func.nullif(Article.body, ""), Article.lede, Article.title, "")
    # Cut from the folded text, or a word matched without its accent would not be marked.
    snippet = func.ts_headline(config, func.translate(shown, _ACCENTED, _PLAIN), tsquery, options)
    return (
        select(*_columns(), snippet.label("snippet"), rank.label("score"))
        .where(document.op("@@")(tsquery))
        .order_by(rank.desc(), Article.id)
    )
