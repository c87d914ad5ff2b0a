"""A crawl killed with SIGKILL at any moment leaves a consistent archive, and the next run
completes the work; a crawl stopped gracefully resumes from its JOBDIR.

The crawl runs as the real `scrapy crawl pvdn` command; this test kills it when the mirror
has served a given number of requests (early: during discovery; middle: while batches are
being committed; late: near the end), with small commit batches so kills land between and
during writes.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from pvdn_crawler.mirror import SITE, Mirror, start_mirror
from tests.crawl_runner import run_crawl, start_crawl

MANIFEST: dict[str, Any] = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))
STORED = [a for a in MANIFEST["articles"] if a["stored"]]
KILL_AFTER_REQUESTS = (8, 40, 90, 160)
# Small batches, so kills land between and during commits.
SETTINGS = ("PVDN_COMMIT_EVERY=3", "CONCURRENT_REQUESTS_PER_DOMAIN=4", "LOG_LEVEL=WARNING")


def _stop_after(mirror: Mirror, process: subprocess.Popen[str], requests: int, sig: int) -> bool:
    """Send `sig` once the mirror has served `requests` requests; False if the crawl ended
    first."""
    deadline = time.monotonic() + 120
    while len(mirror.requests) < requests:
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    process.send_signal(sig)
    process.wait(timeout=60)
    return True


def _assert_consistent(database: Path) -> None:
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        # Every article is whole: it has its revisions, and its latest revision is its content
        # (a post page with no story has an empty body and says why).
        rows = db.execute(
            "SELECT a.id, a.content_hash, a.body, a.empty_reason, r.content_hash, r.body"
            " FROM articles a LEFT JOIN article_revisions r ON r.article_id = a.id AND r.number ="
            " (SELECT max(number) FROM article_revisions WHERE article_id = a.id)"
        ).fetchall()
        for article_id, hash_, body, empty_reason, revision_hash, revision_body in rows:
            assert revision_hash == hash_, article_id
            assert revision_body == body and (body or empty_reason), article_id
        numbers = db.execute(
            "SELECT article_id, count(*), max(number) FROM article_revisions GROUP BY article_id"
        ).fetchall()
        assert all(count == top for _, count, top in numbers)


def test_sigkill_at_any_moment_then_next_run_completes(tmp_path: Path) -> None:
    database = tmp_path / "archive.sqlite3"
    killed = 0
    with start_mirror() as mirror:
        for after in KILL_AFTER_REQUESTS:
            mirror.requests.clear()
            process = start_crawl(mirror.origin, database, *SETTINGS)
            killed += _stop_after(mirror, process, after, signal.SIGKILL)
            if database.exists():
                _assert_consistent(database)
        assert killed >= 3  # the kills landed inside crawls, not after them
        final = run_crawl(mirror.origin, database, *SETTINGS)
    assert final.returncode == 0, final.stderr[-2000:]
    _assert_consistent(database)
    with sqlite3.connect(database) as db:
        stored = {url for (url,) in db.execute("SELECT canonical_url FROM articles")}
        statuses = [s for (s,) in db.execute("SELECT status FROM crawl_runs ORDER BY id")]
    assert stored == {a["canonical_url"].replace(
        "https://www.vallartadaily.com", mirror.origin) for a in STORED}  # fmt: skip
    # Killed runs stay recorded as "running"; the run that completed the work is "ok".
    assert statuses[-1] == "ok"
    assert statuses.count("running") == killed


def test_jobdir_resumes_a_stopped_crawl(tmp_path: Path) -> None:
    database = tmp_path / "archive.sqlite3"
    jobdir = tmp_path / "job"
    with start_mirror() as mirror:
        settings = (*SETTINGS, f"JOBDIR={jobdir}")
        first = start_crawl(mirror.origin, database, *settings)
        # One SIGINT is Scrapy's graceful stop: pending requests stay in JOBDIR's queue.
        assert _stop_after(mirror, first, 60, signal.SIGINT)
        assert first.returncode == 1  # unfinished
        first_paths = [path for _, path in mirror.requests]
        mirror.requests.clear()
        resumed = run_crawl(mirror.origin, database, *settings)
        resumed_paths = [path for _, path in mirror.requests]
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert (jobdir / "requests.seen").exists()
    # The resumed run fetched what was left, not the pages the first part already had.
    assert "/headlines/" not in resumed_paths
    assert len(set(first_paths) & set(resumed_paths)) <= 2  # robots.txt at most
    with sqlite3.connect(database) as db:
        count = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert count == len(STORED)
    _assert_consistent(database)
