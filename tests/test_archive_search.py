"""Storage for reading the archive: the full-text index, teaser sightings, migration 0004.

Small archives written through `storage`'s own API, on SQLite and, when
`PVDN_TEST_POSTGRES_URL` is set, on PostgreSQL (a schema per test, dropped afterwards).
"""

from __future__ import annotations

import os
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CursorResult, Engine, create_engine, delete, insert, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from pvdn_crawler.lookup import references
from storage import (
    AliasRecord,
    ArchiveRepository,
    ArticleRecord,
    BatchWriter,
    QueryError,
    Story,
    Teaser,
    TeaserListRecord,
)
from storage.engine import make_engine, session_factory, upgrade_schema
from storage.models import Article, Base, CrawlRun, TeaserLink
from storage.search import NOT_IN_MODELS, SEARCH_COLUMN, fts5_query, outside_models, slug
from tests.storage_support import ARTICLES_BEFORE_0004, OLD_ZLIB_LEVEL

SITE = "https://www.vallartadaily.com"
POSTGRES_URL = os.environ.get("PVDN_TEST_POSTGRES_URL", "")
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


# ---- archives ------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database, not migrated: an SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need PVDN_TEST_POSTGRES_URL")
    schema = f"pvdn_search_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def factory(blank_engine: Engine) -> sessionmaker[Session]:
    upgrade_schema(blank_engine)
    return session_factory(blank_engine)


def story(title: str, body: str, **fields: object) -> Story:
    lede = body.split("\n\n", maxsplit=1)[0]
    values: dict[str, object] = {"title": title, "lede": lede, "body": body, "extractor": "pvdn"}
    values.update(fields)
    return Story(**values)  # type: ignore[arg-type]


def record(slug_: str, title: str, body: str, **fields: object) -> ArticleRecord:
    teasers = fields.pop("teasers", ())
    aliases = fields.pop("aliases", ())
    return ArticleRecord(
        f"{SITE}/{slug_}/",
        story(title, body, **fields),
        fetched_url=f"{SITE}/{slug_}/",
        teasers=teasers,  # type: ignore[arg-type]
        aliases=aliases,  # type: ignore[arg-type]
    )


def trending(*targets: str) -> tuple[Teaser, ...]:
    return tuple(
        Teaser("trending", place, f"{SITE}/{target}/", f"Teaser of {target}")
        for place, target in enumerate(targets)
    )


WHALES = record(
    "whales",
    "Humpback whales return to Banderas Bay",
    "Tour boats counted forty humpbacks on Sunday.\n\nThe season started early this year.",
    categories=("Puerto Vallarta News",),
    published=datetime(2026, 1, 10, 9, 0, tzinfo=UTC),
)
BRIDGE = record(
    "bridge",
    "Bucerías bridge reopens",
    "The bridge on Highway 200 reopened after repairs.\n\nDrivers no longer detour through "
    "town, and the whales season brings more traffic.",
    categories=("Riviera Nayarit",),
    published=datetime(2025, 12, 1, 9, 0, tzinfo=UTC),
)
CANCUN = record(
    "cancun",
    "Sargassum reaches Cancún beaches",
    "Hotels in Cancún cleared the seaweed before dawn.",
    categories=("Mexico News",),
    published=datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
)


def apply(factory: sessionmaker[Session], changes: list[object], at: datetime) -> list[object]:
    """A crawl's batch in a run of its own, through the writer a crawl uses."""
    with factory.begin() as session:
        run_id = ArchiveRepository(session).start_run("pvdn", at)
    report = BatchWriter(factory, run_id, clock=lambda: at).write(changes)  # type: ignore[arg-type]
    with factory.begin() as session:
        ArchiveRepository(session).finish_run(run_id, at + timedelta(minutes=5), "ok", {})
    return list(report.outcomes)


def urls(factory: sessionmaker[Session], query: str, **options: object) -> list[str]:
    with factory() as session:
        hits = ArchiveRepository(session).search(query, **options)  # type: ignore[arg-type]
    return [hit.canonical_url for hit in hits]


# ---- query language ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expression"),
    [
        ("whales bay", '"whales" AND "bay"'),
        ('"humpback whales" season', '"humpback whales" AND "season"'),
        ("whales OR dolphins bay", '("whales" OR "dolphins") AND "bay"'),
        ("whales -boats", '("whales") NOT "boats"'),
        ('whales -"tour boats" -sargassum', '(("whales") NOT "tour boats") NOT "sargassum"'),
        ("title:whales AND NEAR(x)", '"title:whales" AND "AND" AND "NEAR(x)"'),
        ('say "hi', '"say" AND "hi"'),
        ('a"b', '"a""b"'),
        ("whales & ---", '"whales"'),
    ],
)
def test_queries_read_like_a_search_box_and_are_never_fts5_syntax(
    query: str, expression: str
) -> None:
    assert fts5_query(query) == expression


@pytest.mark.parametrize("query", ["", "   ", "-whales", "& ? !", "OR"])
def test_a_query_with_nothing_to_find_is_a_clear_error(query: str) -> None:
    with pytest.raises(QueryError, match="nothing to search for"):
        fts5_query(query)


def test_category_slugs_are_wordpress_slugs() -> None:
    assert slug("Puerto Vallarta News") == "puerto-vallarta-news"
    assert slug("Bucerías & Nayarit") == "bucerias-nayarit"


# ---- search --------------------------------------------------------------------------------


def test_search_ranks_and_filters(factory: sessionmaker[Session]) -> None:
    apply(factory, [WHALES, BRIDGE, CANCUN], T0)
    # Both mention whales; the one with whales in its title comes first.
    assert urls(factory, "whales") == [WHALES.canonical_url, BRIDGE.canonical_url]
    assert urls(factory, "whale") == urls(factory, "whales")  # stemmed
    assert urls(factory, '"highway 200"') == [BRIDGE.canonical_url]
    assert urls(factory, "whales -drivers") == [WHALES.canonical_url]
    assert urls(factory, "seaweed OR humpbacks") == [WHALES.canonical_url, CANCUN.canonical_url]
    # Accents do not matter, either way round.
    assert urls(factory, "cancun") == [CANCUN.canonical_url]
    assert urls(factory, "bucerias") == urls(factory, "Bucerías") == [BRIDGE.canonical_url]
    # Dates are publication dates; categories exact names (the CLI maps slugs to them).
    since = datetime(2026, 1, 1, tzinfo=UTC)
    assert urls(factory, "whales", since=since) == [WHALES.canonical_url]
    assert urls(factory, "whales", until=since) == [BRIDGE.canonical_url]
    assert urls(factory, "whales", categories=("Riviera Nayarit",)) == [BRIDGE.canonical_url]
    assert urls(factory, "whales", limit=1) == [WHALES.canonical_url]
    with factory() as session:
        hit = ArchiveRepository(session).search('"highway 200"')[0]
        names = ArchiveRepository(session).category_names()
    assert hit.title == "Bucerías bridge reopens"
    assert "**Highway** **200**" in hit.snippet or "**Highway 200**" in hit.snippet
    assert hit.published == BRIDGE.story.published
    assert names == ["Mexico News", "Puerto Vallarta News", "Riviera Nayarit"]


def test_the_index_follows_every_write(factory: sessionmaker[Session]) -> None:
    """New, changed (a revision), unchanged, a re-clean's write, a deletion: the index
    answers for the text the articles hold now, and only for it."""
    apply(factory, [WHALES], T0)
    assert urls(factory, "forty") == [WHALES.canonical_url]
    edited = _retold(WHALES, "Tour boats counted sixty.")
    assert apply(factory, [edited], T0 + timedelta(hours=1)) == ["changed"]
    assert urls(factory, "forty") == []
    assert urls(factory, "sixty") == [WHALES.canonical_url]
    assert apply(factory, [edited], T0 + timedelta(hours=2)) == ["unchanged"]
    assert urls(factory, "sixty") == [WHALES.canonical_url]
    # A re-clean writes through a writer that records no sightings; the index follows still.
    cleaned = _retold(edited, "Tour boats counted ninety.")
    with factory.begin() as session:
        run_id = ArchiveRepository(session).start_run("reclean", T0)
    BatchWriter(factory, run_id, sightings=False).write([cleaned])
    assert urls(factory, "ninety") == [WHALES.canonical_url]
    assert urls(factory, "sixty") == []
    with factory.begin() as session:
        session.execute(delete(Article))
    assert urls(factory, "ninety") == []
    if factory.kw["bind"].dialect.name == "sqlite":
        with factory.begin() as session:
            session.execute(
                text("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
            )


def _retold(article: ArticleRecord, text_: str) -> ArticleRecord:
    return replace(article, story=replace(article.story, lede=text_, body=text_))


def test_search_refuses_a_query_with_nothing_to_find(factory: sessionmaker[Session]) -> None:
    apply(factory, [WHALES], T0)
    with factory() as session, pytest.raises(QueryError):
        ArchiveRepository(session).search("-whales")


# ---- teaser sightings ----------------------------------------------------------------------


def test_sightings_record_every_list_and_resolve_targets_late(
    factory: sessionmaker[Session],
) -> None:
    front = TeaserListRecord(f"{SITE}/headlines/", trending("bridge", "whales", "elsewhere"))
    first = replace(WHALES, teasers=trending("bridge", "bridge", "cancun"))
    assert apply(factory, [first, front], T0) == ["new", "teasers"]
    # The bridge and Cancún stories are archived later; Cancún under an alias first.
    apply(factory, [BRIDGE, TeaserListRecord(f"{SITE}/headlines/", trending("whales"))],
          T0 + timedelta(hours=1))  # fmt: skip
    later = replace(CANCUN, canonical_url=f"{SITE}/mexico-news/cancun/")
    apply(factory, [later, AliasRecord(f"{SITE}/cancun/", later.canonical_url)],
          T0 + timedelta(hours=2))  # fmt: skip
    with factory() as session:
        rows = session.execute(
            text(
                "SELECT s.page_url, s.target_url, s.position, a.canonical_url, r.started_at"
                " FROM teaser_sightings s LEFT JOIN articles a ON a.id = s.target_id"
                " JOIN crawl_runs r ON r.id = s.run_id ORDER BY s.id"
            )
        ).all()
    sightings = [(page, target, place, article) for page, target, place, article, _ in rows]
    assert sightings == [
        # The article's list: the second "bridge" of one list is the same sighting.
        (WHALES.canonical_url, BRIDGE.canonical_url, 0, BRIDGE.canonical_url),
        (WHALES.canonical_url, later.canonical_url, 2, later.canonical_url),
        (f"{SITE}/headlines/", BRIDGE.canonical_url, 0, BRIDGE.canonical_url),
        (f"{SITE}/headlines/", WHALES.canonical_url, 1, WHALES.canonical_url),
        (f"{SITE}/headlines/", f"{SITE}/elsewhere/", 2, None),
        (f"{SITE}/headlines/", WHALES.canonical_url, 0, WHALES.canonical_url),
    ]


def test_trending_counts_runs_and_places(factory: sessionmaker[Session]) -> None:
    apply(factory, [WHALES, BRIDGE], T0 - timedelta(minutes=1))
    lists = [("bridge", "whales"), ("whales", "bridge"), ("whales", "gone-story")]
    for hour, targets in enumerate(lists):
        page = TeaserListRecord(f"{SITE}/headlines/", trending(*targets))
        # Two pages in one run show the list; the run counts once, at its best place.
        other = TeaserListRecord(f"{SITE}/other/", trending(*reversed(targets)))
        apply(factory, [page, other], T0 + timedelta(hours=hour))
    with factory() as session:
        stories = ArchiveRepository(session).trending(top=None)
        window = ArchiveRepository(session).trending(since=T0 + timedelta(minutes=30), top=1)
    by_url = {story.target_url: story for story in stories}
    whales, bridge, gone = (by_url[f"{SITE}/{s}/"] for s in ("whales", "bridge", "gone-story"))
    assert [s.target_url for s in stories] == [whales.target_url, bridge.target_url,
                                               gone.target_url]  # fmt: skip
    assert (whales.runs, whales.best_position, whales.median_position) == (3, 1, 1.0)
    assert (bridge.runs, bridge.best_position, bridge.median_position) == (2, 1, 1.0)
    assert (gone.runs, gone.best_position) == (1, 1)
    assert (whales.first_seen, whales.last_seen) == (T0, T0 + timedelta(hours=2))
    assert whales.title == WHALES.story.title and gone.title == "Teaser of gone-story"
    assert [place for _, place in whales.positions] == [1, 1, 1]
    assert [s.target_url for s in window] == [whales.target_url]
    assert window[0].runs == 2


# ---- migration 0004 ------------------------------------------------------------------------


def test_the_models_differ_from_the_schema_only_by_the_search_index(
    factory: sessionmaker[Session],
) -> None:
    engine = factory.kw["bind"]
    with engine.connect() as connection:
        filtered = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": outside_models}
        )
        assert compare_metadata(filtered, Base.metadata) == []
        everything = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(everything, Base.metadata)
    names = {_named(difference) for difference in differences}
    expected = (
        {"articles_fts", "articles_fts_data", "articles_fts_idx", "articles_fts_docsize",
         "articles_fts_config"}
        if engine.dialect.name == "sqlite"
        else {SEARCH_COLUMN, "ix_articles_search_document"}
    )  # fmt: skip
    assert names == expected
    assert names <= NOT_IN_MODELS | {SEARCH_COLUMN}


def _named(difference: object) -> str:
    """The name of what an Alembic difference (a tuple, or a list of them) is about."""
    if isinstance(difference, list):
        difference = difference[0]
    assert isinstance(difference, tuple)
    subject = difference[-1] if difference[0] in ("remove_column",) else difference[1]
    return str(getattr(subject, "name", subject))


def test_migration_0005_fills_the_index_and_carries_teaser_links_over(
    blank_engine: Engine, tmp_path: Path
) -> None:
    upgrade_schema(blank_engine, "0003")
    columns: dict[str, object] = {
        "canonical_url": WHALES.canonical_url, "post_id": None, "title": WHALES.story.title,
        "lede": WHALES.story.lede, "body": WHALES.story.body, "blocks": [], "categories": [],
        "paywalled": False, "extractor": "pvdn", "content_hash": "h",
        "raw_html": zlib.compress(b"<p/>", OLD_ZLIB_LEVEL), "raw_url": WHALES.canonical_url,
        "first_seen": T0, "last_seen": T0,
    }  # fmt: skip
    with blank_engine.begin() as connection:
        # As 0003's code stored it: the page in raw_html (moved into a WARC file by 0004).
        article_id = _new_id(connection.execute(insert(ARTICLES_BEFORE_0004).values(**columns)))
        run_id = _new_id(
            connection.execute(
                insert(CrawlRun).values(
                    started_at=T0, finished_at=T0 + timedelta(hours=1), status="ok",
                    spider="pvdn", counts={},
                )
            )
        )  # fmt: skip
        for place, target, seen in (
            (0, WHALES.canonical_url, T0 + timedelta(minutes=5)),  # the page's own story
            (1, f"{SITE}/elsewhere/", T0 + timedelta(days=3)),  # seen after every run
        ):
            connection.execute(
                insert(TeaserLink).values(
                    page_id=article_id, kind="trending", target_url=target, position=place,
                    title=f"Teaser {place}", first_seen=T0, last_seen=seen, seen_count=4,
                )
            )  # fmt: skip
    upgrade_schema(blank_engine, warc_dir=tmp_path / "warc")
    factory = session_factory(blank_engine)
    assert urls(factory, "humpbacks") == [WHALES.canonical_url]
    with factory() as session:
        rows = session.execute(
            text(
                "SELECT run_id, page_url, target_url, target_id, position, title"
                " FROM teaser_sightings ORDER BY id"
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        (run_id, WHALES.canonical_url, WHALES.canonical_url, article_id, 0, "Teaser 0"),
        (None, WHALES.canonical_url, f"{SITE}/elsewhere/", None, 1, "Teaser 1"),
    ]


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


# ---- finding an article from a reference ---------------------------------------------------


def test_references_cover_every_form_on_every_origin() -> None:
    mirror = "http://127.0.0.1:8642"
    urls_, post_id = references("/whales", [mirror])
    assert post_id is None
    assert urls_[:3] == [f"{SITE}/whales", f"{SITE}/whales/", f"{mirror}/whales"]
    assert f"{mirror}/whales/" in urls_
    urls_, post_id = references(f"{mirror}/whales/?utm_source=rss#comments", [mirror])
    assert post_id is None
    assert urls_[0] == f"{mirror}/whales/?utm_source=rss"
    assert f"{mirror}/whales/" in urls_ and f"{SITE}/whales/" in urls_
    assert references("4242", [mirror]) == ([f"{SITE}/?p=4242", f"{mirror}/?p=4242"], 4242)
    assert references("www.vallartadaily.com/?p=7", [])[1] == 7
    assert references("whales/", [])[0][:2] == [f"{SITE}/whales/", f"{SITE}/whales"]
    assert references("0", [mirror]) == ([], None)
    assert references("9" * 40, [mirror]) == ([], None)
