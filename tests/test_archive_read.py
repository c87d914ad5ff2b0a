"""Reading an archive crawled from the fixture site: search, trending, history, show, browse.

The archive is made by the real `scrapy crawl pvdn`, twice, against the mirror: between the
runs the mirror edits one article (a sentence added) and answers 410 for another, and the
second run re-checks every known article (`PVDN_RECHECK_SHARE=1`), so unchanged pages answer
304. What the commands must say is worked out here from the fixtures and from what the
mirror answered in each run, independently of `storage`. The same tests run on PostgreSQL
when `PVDN_TEST_POSTGRES_URL` is set (a schema of its own, dropped afterwards).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import html
from sqlalchemy import create_engine, make_url, text

from pvdn_crawler.archive_cli import main
from pvdn_crawler.mirror import SITE, start_mirror
from tests.crawl_runner import run_crawl

PRODUCTION = "https://www.vallartadaily.com"
MANIFEST: dict[str, Any] = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))
ROUTES: dict[str, Any] = json.loads((SITE / "routes.json").read_text(encoding="utf-8"))["routes"]
STORED = [a for a in MANIFEST["articles"] if a["stored"]]
FRONT = [a for a in STORED if "/headlines/" in a["linked_from"]]
CHANGED, GONE = FRONT[0], FRONT[1]
EDIT = b" Update: officials confirmed the figures."
POSTGRES_URL = os.environ.get("PVDN_TEST_POSTGRES_URL", "")


def _path(url: str) -> str:
    return url.removeprefix(PRODUCTION)


@dataclass
class Crawled:
    """The twice-crawled archive: its URL, the mirror's origin, the runs' 200 answers."""

    url: str
    origin: str
    answered: list[set[str]]  # per run, the paths the mirror answered 200

    def local(self, url: str) -> str:
        return url.replace(PRODUCTION, self.origin)

    def sql(self, statement: str, **params: Any) -> list[Any]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(statement), params))
        finally:
            engine.dispose()


def _crawl_twice(folder: Path, url: str) -> Crawled:
    answered: list[set[str]] = []
    with start_mirror() as mirror:
        for number, settings in enumerate(((), ("PVDN_RECHECK_SHARE=1",)), 1):
            if number == 2:
                page = (SITE / ROUTES[_path(CHANGED["canonical_url"])]["file"]).read_bytes()
                end = page.index(b"</p>", page.index(b"entry-content"))
                mirror.changed[_path(CHANGED["canonical_url"])] = page[:end] + EDIT + page[end:]
                mirror.status_of[_path(GONE["canonical_url"])] = 410
            before = len(mirror.responses)
            result = run_crawl(
                mirror.origin,
                folder / "unused.sqlite3",
                f"PVDN_DATABASE_URL={url}",
                # A PostgreSQL archive has no folder of its own for its captures.
                f"PVDN_WARC_DIR={folder / 'warc'}",
                f"LOG_FILE={folder / f'run{number}.log'}",
                *settings,
            )
            assert result.returncode == 0, (folder / f"run{number}.log").read_text()[-3000:]
            answered.append(
                {path for path, status, _ in mirror.responses[before:] if status == 200}
            )
        return Crawled(url, mirror.origin, answered)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crawled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Crawled]:
    folder = tmp_path_factory.mktemp(f"read-{request.param}")
    if request.param == "sqlite":
        yield _crawl_twice(folder, f"sqlite:///{folder / 'archive.sqlite3'}")
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need PVDN_TEST_POSTGRES_URL")
    schema = f"pvdn_read_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield _crawl_twice(folder, url.render_as_string(hide_password=False))
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def _cli(capsys: pytest.CaptureFixture[str], crawled: Crawled, *argv: str) -> tuple[int, str]:
    status = main(["--database", crawled.url, *argv])
    return status, capsys.readouterr().out


# ---- search --------------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z]+$")


def _unique_phrase(body: str, others: list[str]) -> str | None:
    """Six consecutive plain words from the middle of the body's longest paragraph, most of
    them not short (PostgreSQL drops stop words from a phrase: "of them for drinking on
    the" is only "drinking" there), that no other article has."""
    paragraph = max(body.split("\n\n"), key=len)
    words = paragraph.split()
    windows = [words[i : i + 6] for i in range(len(words) - 5)]
    windows.sort(key=lambda w: abs(words.index(w[0]) - len(words) // 2))
    for window in windows:
        if all(_PLAIN.match(word) for word in window) and sum(len(w) > 3 for w in window) >= 4:
            phrase = " ".join(window)
            if not any(phrase.lower() in other.lower() for other in others):
                return phrase
    return None


def test_search_finds_each_article_by_a_phrase_of_its_body_first(
    crawled: Crawled, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = crawled.sql("SELECT canonical_url, coalesce(title, '') || ' ' || body FROM articles")
    texts = {url: str(body) for url, body in rows}
    searched = 0
    for url, body in texts.items():
        phrase = _unique_phrase(body, [t for u, t in texts.items() if u != url])
        if phrase is None:
            continue  # a story-less post page, whose only text is its title
        status, out = _cli(capsys, crawled, "search", f'"{phrase}"', "--json", "--limit", "3")
        hits = json.loads(out)
        assert status == 0 and hits, phrase
        assert hits[0]["canonical_url"] == url, phrase
        assert "**" in hits[0]["snippet"]
        searched += 1
    assert searched >= len([a for a in STORED if a.get("story", True)])


def test_search_ranks_a_title_match_first_and_filters(
    crawled: Crawled, capsys: pytest.CaptureFixture[str]
) -> None:
    seawall = crawled.local(CHANGED["canonical_url"])
    status, out = _cli(capsys, crawled, "search", "seawall", "--json")
    assert status == 0 and json.loads(out)[0]["canonical_url"] == seawall
    # The edit of the second run is searchable: the index followed the revision.
    assert json.loads(_cli(capsys, crawled, "search", '"officials confirmed the figures"',
                           "--json")[1])[0]["canonical_url"] == seawall  # fmt: skip
    # Published 2024-11-19, in "Puerto Vallarta News".
    for argv, found in (
        (("--since", "2024-11-19"), True),
        (("--until", "2024-11-18"), False),
        (("--category", "puerto-vallarta-news"), True),
        (("--category", "Weather"), False),
    ):
        status, out = _cli(capsys, crawled, "search", "seawall", "--json", *argv)
        urls = [hit["canonical_url"] for hit in json.loads(out)]
        assert (seawall in urls) is found, argv
    assert _cli(capsys, crawled, "search", "seawall", "--category", "no-such-thing")[0] == 2
    assert _cli(capsys, crawled, "search", "zzyzx-no-such-word")[0] == 1


# ---- trending ------------------------------------------------------------------------------


def _page_teasers(path: str) -> list[str]:
    """The trending targets a page of the site shows, in order, read from the fixtures."""
    route = ROUTES.get(path, {})
    if "file" not in route:
        return []
    served = SITE / route["file"]
    if path == "/headlines/":
        tree = html.parse(str(served))
        return [str(h) for h in tree.xpath("//section[@class='pvdn-trending']//a/@href")]
    expected = served.parent / "expected.json"
    if served.name != "page.html" or not expected.exists():
        return []
    teasers = json.loads(expected.read_text(encoding="utf-8")).get("teasers") or []
    return [t["url"] for t in teasers if t["kind"] == "trending" and t["url"]]


def test_trending_lists_every_target_with_its_runs_and_places(
    crawled: Crawled, capsys: pytest.CaptureFixture[str]
) -> None:
    # Per run, each target's best place over the pages the mirror answered with 200.
    expected: dict[str, list[int]] = {}
    runs_seen: dict[str, list[int]] = {}
    for run, paths in enumerate(crawled.answered):
        best: dict[str, int] = {}
        for path in paths:
            for place, url in enumerate(_page_teasers(path), 1):
                target = crawled.local(url.replace("?amp=1", ""))
                best[target] = min(place, best.get(target, place))
        for target, place in best.items():
            expected.setdefault(target, []).append(place)
            runs_seen.setdefault(target, []).append(run)
    assert any(runs == [0, 1] for runs in runs_seen.values())  # the front list, both runs
    status, out = _cli(capsys, crawled, "trending", "--json", "--top", "1000")
    assert status == 0
    stories = {story["target_url"]: story for story in json.loads(out)}
    assert set(stories) == set(expected)
    times = crawled.sql("SELECT started_at, finished_at FROM crawl_runs ORDER BY id")
    for target, places in expected.items():
        story = stories[target]
        assert story["runs"] == len(places), target
        assert story["best_position"] == min(places), target
        assert story["median_position"] == statistics.median(places), target
        first_run, last_run = times[runs_seen[target][0]], times[runs_seen[target][-1]]
        assert _between(story["first_seen"], first_run), target
        assert _between(story["last_seen"], last_run), target
    # The archived target is resolved to its article, titled as archived.
    seawall = stories[crawled.local(CHANGED["canonical_url"])]
    assert seawall["article_id"] is not None
    assert seawall["title"].startswith("Puerto Vallarta Approves Plan to Rebuild")


def _between(stamp: str, run: Any) -> bool:
    started, finished = (_aware(value) for value in run)
    return started <= datetime.fromisoformat(stamp) <= finished


def _aware(value: Any) -> datetime:
    """A run's time as read back: SQLite gives UTC text, PostgreSQL an aware datetime."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_trending_plot_writes_a_chart(
    crawled: Crawled, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    chart = tmp_path / f"trending{suffix}"
    assert _cli(capsys, crawled, "trending", "--top", "8", "--plot", str(chart))[0] == 0
    data = chart.read_bytes()
    if suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
    else:
        assert b"<svg" in data and b"place in the trending list" in data
    assert _cli(capsys, crawled, "trending", "--plot", str(tmp_path / "chart.gif"))[0] == 2


# ---- history and show ----------------------------------------------------------------------


def test_history_diff_shows_the_edit_of_the_second_run(
    crawled: Crawled, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _cli(capsys, crawled, "history", crawled.local(CHANGED["canonical_url"]),
                       "--diff")  # fmt: skip
    assert status == 0
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines[1:3]] == [["revision", "1"], ["revision", "2"]]
    added = [line for line in lines if line.startswith("+") and not line.startswith("+++")]
    removed = [line for line in lines if line.startswith("-") and not line.startswith("---")]
    assert len(added) == len(removed) == 1
    assert added[0].endswith("officials confirmed the figures.")
    assert added[0][1:].replace(EDIT.decode(), "") == removed[0][1:]
    # An article the second run found unchanged has one revision and no diff.
    other = crawled.local(FRONT[2]["canonical_url"])
    status, out = _cli(capsys, crawled, "history", other, "--diff")
    assert status == 0 and "nothing to compare" in out and "\n+" not in out


def test_show_finds_an_article_by_every_form(
    crawled: Crawled, capsys: pytest.CaptureFixture[str]
) -> None:
    article = CHANGED  # post id from its page, linked from the feed with utm_* parameters
    canonical = crawled.local(article["canonical_url"])
    path = _path(article["canonical_url"])
    post_id = article["post_id"]
    forms = [
        canonical,
        crawled.local(article["linked_aliases"][0]),
        article["canonical_url"],  # the production host
        article["canonical_url"].rstrip("/"),
        f"{PRODUCTION}/?p={post_id}",
        f"{crawled.origin}/?p={post_id}",
        str(post_id),
        path,
        path.rstrip("/"),
        path.strip("/"),
    ]
    for form in forms:
        status, out = _cli(capsys, crawled, "show", form)
        assert status == 0, form
        assert json.loads(out)["canonical_url"] == canonical, form
    for unknown in ("/no-such-story/", "999999", f"{PRODUCTION}/?p=1"):
        assert _cli(capsys, crawled, "show", unknown)[0] == 1, unknown


def test_history_accepts_the_same_forms(
    crawled: Crawled, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _cli(capsys, crawled, "history", str(CHANGED["post_id"]), "--json")
    assert status == 0
    shown = json.loads(out)
    assert shown["canonical_url"] == crawled.local(CHANGED["canonical_url"])
    assert [r["number"] for r in shown["revisions"]] == [1, 2]


# ---- browse (Datasette reads SQLite only: these run on SQLite alone) ------------------------


def _datasette(crawled: Crawled, path: str) -> Any:
    pytest.importorskip("datasette", reason="browse needs the [browse] extra (in [test])")
    result = subprocess.run(
        [sys.executable, "-m", "pvdn_crawler.archive_cli", "--database", crawled.url,
         "browse", "--get", path],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.mark.parametrize("crawled", ["sqlite"], indirect=True)
def test_datasette_searches_the_articles(crawled: Crawled) -> None:
    rows = _datasette(crawled, "/archive/articles.json?_search=seawall&_shape=array")
    assert [row["canonical_url"] for row in rows] == [crawled.local(CHANGED["canonical_url"])]
    faceted = _datasette(crawled, "/archive/articles.json?_size=0")
    assert {"categories", "published"} <= set(faceted["facet_results"])
    categories = {f["value"] for f in faceted["facet_results"]["categories"]["results"]}
    assert "Puerto Vallarta News" in categories


@pytest.mark.parametrize("crawled", ["sqlite"], indirect=True)
def test_datasette_runs_each_canned_query(crawled: Crawled) -> None:
    trending = _datasette(crawled, "/archive/trending_this_week.json?_shape=array")
    front = {crawled.local(url.replace("?amp=1", "")) for url in _page_teasers("/headlines/")}
    assert front <= {row["target_url"] for row in trending}
    assert all(row["runs"] in (1, 2) for row in trending)
    changed = _datasette(crawled, "/archive/changed_this_week.json?_shape=array")
    assert [(r["canonical_url"], r["revision"]) for r in changed] == [
        (crawled.local(CHANGED["canonical_url"]), 2)
    ]
    gone = _datasette(crawled, "/archive/gone_articles.json?_shape=array")
    assert [(r["canonical_url"], r["gone_status"]) for r in gone] == [
        (crawled.local(GONE["canonical_url"]), 410)
    ]
