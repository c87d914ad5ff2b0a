"""Scheduled runs against the fixture site: incremental requests, change history, gone
articles, one writer at a time, and exit statuses cron can act on.

Each test crawls with the real `scrapy crawl pvdn` command in a subprocess; the database is
read with sqlite3.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pvdn_crawler.mirror import SITE, Mirror, start_mirror
from storage.engine import make_engine
from storage.locking import writer_lock
from tests.crawl_runner import query, run_crawl

MANIFEST: dict[str, Any] = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))
STORED = [a for a in MANIFEST["articles"] if a["stored"]]
PRODUCTION = "https://www.vallartadaily.com"


@dataclass
class TwoRuns:
    mirror: Mirror
    database: Path
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    first_responses: list[tuple[str, int, int]]
    second_responses: list[tuple[str, int, int]]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoRuns]:
    folder = tmp_path_factory.mktemp("scheduled")
    database = folder / "archive.sqlite3"
    with start_mirror() as mirror:
        first = run_crawl(mirror.origin, database)
        first_responses = list(mirror.responses)
        mirror.responses.clear()
        second = run_crawl(mirror.origin, database)
        yield TwoRuns(mirror, database, first, second, first_responses, list(mirror.responses))


def _article_paths() -> set[str]:
    return {a["canonical_url"].removeprefix(PRODUCTION) for a in STORED}


def test_second_run_on_an_unchanged_site_downloads_no_article_body(two_runs: TwoRuns) -> None:
    assert two_runs.first.returncode == 0, two_runs.first.stderr[-2000:]
    assert two_runs.second.returncode == 0, two_runs.second.stderr[-2000:]
    articles = _article_paths()
    bodies = [p for p, status, size in two_runs.second_responses if p in articles and size > 0]
    assert bodies == []
    first_total, second_total = len(two_runs.first_responses), len(two_runs.second_responses)
    # Printed for the closing note: the request counts of a first and a second run.
    print(f"requests: first run {first_total}, second run {second_total}")
    assert second_total < first_total / 4


def test_not_modified_answers_counted_and_not_recleaned(two_runs: TwoRuns) -> None:
    runs = query(two_runs.database, "SELECT status, counts FROM crawl_runs ORDER BY id")
    assert [status for status, _ in runs] == ["ok", "ok"]
    second = json.loads(runs[1][1])
    assert second.get("stored_new", 0) == 0
    assert second.get("stored_changed", 0) == 0
    assert second.get("stored_unchanged", 0) == 0  # nothing was re-cleaned
    assert second["stored_not_modified"] >= 1
    revisions = query(two_runs.database, "SELECT count(*) FROM article_revisions")[0][0]
    assert revisions == len(STORED)


def test_summary_line_for_cron(two_runs: TwoRuns) -> None:
    line = next(line for line in two_runs.second.stderr.splitlines() if "pvdn run ok:" in line)
    for figure in ("new=0", "changed=0", "not_modified=", "gone=0", "failed=", "requests=",
                   "duration="):  # fmt: skip
        assert figure in line


def test_changed_article_gets_a_revision_and_a_gone_one_is_marked(tmp_path: Path) -> None:
    database = tmp_path / "archive.sqlite3"
    # Two articles on the first headlines page, which every run walks.
    on_front = [a for a in STORED if "/headlines/" in a["linked_from"]]
    changed, gone = on_front[0], on_front[1]
    changed_path = changed["canonical_url"].removeprefix(PRODUCTION)
    gone_path = gone["canonical_url"].removeprefix(PRODUCTION)
    with start_mirror() as mirror:
        assert run_crawl(mirror.origin, database).returncode == 0
        page = (SITE / ".." / "pages" / changed["case"] / "page.html").read_bytes()
        first_paragraph_end = page.index(b"</p>", page.index(b"entry-content"))
        mirror.changed[changed_path] = (
            page[:first_paragraph_end] + b" Update: officials confirmed the figures." +
            page[first_paragraph_end:]
        )  # fmt: skip
        mirror.status_of[gone_path] = 410
        # Every known article is due for a re-check in this run (the revisit policy's share).
        result = run_crawl(mirror.origin, database, "PVDN_RECHECK_SHARE=1")
    assert result.returncode == 0, result.stderr[-2000:]
    local = mirror.origin
    rows = query(
        database,
        "SELECT a.canonical_url, count(r.id), a.gone_status FROM articles a"
        " JOIN article_revisions r ON r.article_id = a.id GROUP BY a.id",
    )
    by_url = {url: (revisions, status) for url, revisions, status in rows}
    assert by_url[local + changed_path] == (2, None)
    assert by_url[local + gone_path] == (1, 410)  # marked, not deleted
    bodies = query(
        database,
        "SELECT r.body FROM article_revisions r JOIN articles a ON a.id = r.article_id"
        " WHERE a.canonical_url = ? ORDER BY r.number",
        local + changed_path,
    )
    assert "officials confirmed the figures" not in bodies[0][0]
    assert "officials confirmed the figures" in bodies[1][0]


def test_second_writer_exits_at_once_with_a_clear_message(tmp_path: Path) -> None:
    database = tmp_path / "archive.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    try:
        with start_mirror() as mirror, writer_lock(engine):
            result = run_crawl(mirror.origin, database)
            requested = list(mirror.requests)
    finally:
        engine.dispose()
    assert result.returncode == 2
    assert "another crawl" in result.stderr.lower()
    assert not any(path != "/robots.txt" for _, path in requested)


def test_unreachable_site_exits_3(tmp_path: Path) -> None:
    result = run_crawl(
        "http://127.0.0.1:9", tmp_path / "archive.sqlite3", "RETRY_TIMES=0", "DOWNLOAD_TIMEOUT=5"
    )
    assert result.returncode == 3
    assert "pvdn run site unreachable" in result.stderr


def test_layout_drift_exits_4(tmp_path: Path) -> None:
    """One fixture page (a redesign) takes the generic path; a zero tolerance trips on it."""
    with start_mirror() as mirror:
        result = run_crawl(
            mirror.origin, tmp_path / "archive.sqlite3", "PVDN_MAX_GENERIC_SHARE=0.0"
        )
    assert result.returncode == 4
    assert "pvdn run layout drift" in result.stderr
