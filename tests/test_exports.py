"""Exports: Scrapy's feed exports of a crawl, `pvdn-archive export`, and what never writes.

Also the command line's basics: every subcommand's help has an example, and the demo run
twice leaves the same archive.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from pvdn_crawler.archive_cli import _EXAMPLES, main
from pvdn_crawler.exports import ARTICLE_COLUMNS, REVISION_COLUMNS
from pvdn_crawler.mirror import SITE, start_mirror
from storage.engine import make_engine, session_factory, upgrade_schema
from tests.crawl_runner import PROJECT, crawl_command, crawl_env, free_port, query
from tests.test_archive_search import BRIDGE, CANCUN, T0, WHALES, apply

MANIFEST: dict[str, Any] = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))
STORED = [a for a in MANIFEST["articles"] if a["stored"]]


def _scrapy(*argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *argv],
        cwd=PROJECT, env=crawl_env(), capture_output=True, text=True, timeout=timeout,
        check=False,
    )  # fmt: skip


def _crawl(origin: str, database: Path, log: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = crawl_command(origin, database, f"LOG_FILE={log}") + list(extra)
    return subprocess.run(
        command, cwd=PROJECT, env=crawl_env(), capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip


# ---- Scrapy's feed exports -----------------------------------------------------------------


def test_feed_exports_write_every_stored_article_and_nothing_else(tmp_path: Path) -> None:
    database = tmp_path / "archive.sqlite3"
    lines, table = tmp_path / "articles.jsonl", tmp_path / "articles.csv"
    with start_mirror() as mirror:
        first = _crawl(mirror.origin, database, tmp_path / "1.log", "-O", str(lines),
                       "-O", str(table))  # fmt: skip
        again = tmp_path / "again.jsonl"
        second = _crawl(mirror.origin, database, tmp_path / "2.log", "-O", str(again))
    assert first.returncode == 0, (tmp_path / "1.log").read_text()[-3000:]
    rows = [json.loads(line) for line in lines.read_text(encoding="utf-8").splitlines()]
    stored = {url for (url,) in query(database, "SELECT canonical_url FROM articles")}
    assert len(rows) == len(stored) == len(STORED)
    assert {row["canonical_url"] for row in rows} == stored
    assert {row["outcome"] for row in rows} == {"new"}
    assert all("raw_html" not in row and "blocks" not in row for row in rows)
    with table.open(encoding="utf-8", newline="") as file:
        assert {row["canonical_url"] for row in csv.DictReader(file)} == stored
    # Nothing new in the second run: an empty feed, and still a good run.
    assert second.returncode == 0, (tmp_path / "2.log").read_text()[-3000:]
    assert again.read_text(encoding="utf-8") == ""


def test_a_feed_that_cannot_be_written_fails_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the feed's folder should be", encoding="utf-8")
    log = tmp_path / "crawl.log"
    with start_mirror() as mirror:
        result = _crawl(mirror.origin, tmp_path / "archive.sqlite3", log, "-O",
                        str(blocker / "articles.jsonl"))  # fmt: skip
    assert result.returncode == 12
    text = log.read_text(encoding="utf-8")
    assert "pvdn run export failed" in text
    assert "feed export could not be" in text
    statuses = query(tmp_path / "archive.sqlite3", "SELECT status FROM crawl_runs")
    assert statuses == [("export failed",)]
    # The articles themselves were archived all the same.
    assert query(tmp_path / "archive.sqlite3", "SELECT count(*) FROM articles") == [(len(STORED),)]


# ---- commands that only look ---------------------------------------------------------------


def test_parse_and_check_never_write_into_the_archive(tmp_path: Path) -> None:
    database = tmp_path / "archive.sqlite3"
    article = STORED[0]["canonical_url"]
    with start_mirror() as mirror:
        assert _crawl(mirror.origin, database, tmp_path / "crawl.log").returncode == 0
        before = query(database, "SELECT id, status FROM crawl_runs")
        page = article.replace("https://www.vallartadaily.com", mirror.origin)
        settings = ["-s", f"PVDN_DATABASE_URL=sqlite:///{database}", "-s", "LOG_LEVEL=INFO"]
        parsed = _scrapy("parse", "--spider", "pvdn", "-c", "parse_page", "--pipelines",
                         "-a", f"base_url={mirror.origin}", *settings, page)  # fmt: skip
        checked = _scrapy("check", "pvdn", *settings)
        missing = tmp_path / "never-created.sqlite3"
        _scrapy("parse", "--spider", "pvdn", "-c", "parse_page", "-a",
                f"base_url={mirror.origin}", "-s", f"PVDN_DATABASE_URL=sqlite:///{missing}",
                page)  # fmt: skip
    assert parsed.returncode == 0, parsed.stderr[-3000:]
    assert "'canonical_url'" in parsed.stdout  # the callback ran and yielded the record
    assert checked.returncode == 0, checked.stderr[-3000:]
    assert query(database, "SELECT id, status FROM crawl_runs") == before
    assert not missing.exists()


# ---- pvdn-archive export -------------------------------------------------------------------


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[str]:
    """Three articles, one of them edited once (two revisions)."""
    url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    factory = session_factory(engine)
    apply(factory, [WHALES, BRIDGE, CANCUN], T0)
    edited = replace(WHALES, story=replace(WHALES.story, body="Tour boats counted sixty."))
    apply(factory, [edited], T0 + timedelta(days=2))
    engine.dispose()
    yield url


def _export(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> str:
    assert main(["--database", url, "export", *argv]) == 0
    return capsys.readouterr().out


def test_export_json_lines_and_csv(archive: str, capsys: pytest.CaptureFixture[str]) -> None:
    objects = [json.loads(line) for line in _export(capsys, archive).splitlines()]
    assert [o["canonical_url"] for o in objects] == [
        WHALES.canonical_url, BRIDGE.canonical_url, CANCUN.canonical_url,
    ]  # fmt: skip
    assert objects[0]["story"]["body"] == "Tour boats counted sixty."
    assert "raw_html" not in json.dumps(objects)
    rows = list(csv.DictReader(io.StringIO(_export(capsys, archive, "--format", "csv"))))
    assert tuple(rows[0]) == ARTICLE_COLUMNS
    assert rows[1]["title"] == "Bucerías bridge reopens"
    assert json.loads(rows[1]["categories"]) == ["Riviera Nayarit"]
    assert rows[0]["revision_count"] == "2"
    assert rows[1]["published"] == "2025-12-01T09:00:00+00:00"


def test_export_filters_and_revisions(
    archive: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def exported(*argv: str) -> list[str]:
        return [json.loads(line)["canonical_url"] for line in _export(capsys, archive, *argv)
                .splitlines()]  # fmt: skip

    assert exported("--since", "2026-01-01") == [WHALES.canonical_url, CANCUN.canonical_url]
    assert exported("--until", "2025-12-01") == [BRIDGE.canonical_url]  # the day included
    assert exported("--category", "mexico-news") == [CANCUN.canonical_url]
    revisions = [json.loads(line) for line in _export(capsys, archive, "--revisions")
                 .splitlines()]  # fmt: skip
    assert [(r["canonical_url"], r["revision"]) for r in revisions] == [
        (WHALES.canonical_url, 1), (WHALES.canonical_url, 2), (BRIDGE.canonical_url, 1),
        (CANCUN.canonical_url, 1),
    ]  # fmt: skip
    # Revisions are dated by their capture; -o FILE.csv is CSV.
    target = tmp_path / "changes.csv"
    _export(capsys, archive, "--revisions", "--since", "2026-03-03", "-o", str(target))
    with target.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert tuple(rows[0]) == REVISION_COLUMNS
    assert [(r["canonical_url"], r["revision"]) for r in rows] == [(WHALES.canonical_url, "2")]
    assert main(["--database", archive, "export", "--since", "yesterday"]) == 2
    assert main(["--database", archive, "export", "--category", "sports"]) == 2
    assert "no article has the category 'sports'" in capsys.readouterr().err


def test_export_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    long_body = "The council met again about the seawall. " * 60
    records = [
        replace(BRIDGE, canonical_url=f"{BRIDGE.canonical_url}{n}/",
                story=replace(BRIDGE.story, body=long_body))
        for n in range(120)
    ]  # fmt: skip
    apply(session_factory(engine), records, T0)  # type: ignore[arg-type]
    engine.dispose()
    for command in ("export", "search"):
        argv = ["--database", url, command] + (
            ["seawall", "--limit", "120"] if command == "search" else []
        )
        reader = subprocess.Popen(
            [sys.executable, "-m", "pvdn_crawler.archive_cli", *argv],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert reader.stdout is not None and reader.stderr is not None
        reader.stdout.read(100)
        reader.stdout.close()  # like `| head -c 100`
        status = reader.wait(timeout=60)
        errors = reader.stderr.read().decode()
        reader.stderr.close()
        assert (status, errors) == (0, ""), command


# ---- the command line ----------------------------------------------------------------------


def test_every_subcommand_has_an_example_in_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    for name, example in _EXAMPLES.items():
        with pytest.raises(SystemExit) as done:
            main([name, "--help"])
        assert done.value.code == 0
        shown = " ".join(capsys.readouterr().out.split())
        assert "example: " + " ".join(example.split()) in shown, name


def _demo(folder: Path, port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pvdn_crawler.archive_cli", "--database",
         str(folder / "demo.sqlite3"), "demo", "--port", str(port)],
        capture_output=True, text=True, timeout=300, check=False, cwd=folder,
    )  # fmt: skip


def test_the_demo_twice_gives_the_same_archive(tmp_path: Path) -> None:
    port = free_port()
    first = _demo(tmp_path, port)
    assert first.returncode == 0, first.stderr[-2000:]
    articles = query(tmp_path / "demo.sqlite3", "SELECT canonical_url FROM articles ORDER BY 1")
    second = _demo(tmp_path, port)
    assert second.returncode == 0, second.stderr[-2000:]
    assert json.loads(second.stdout)["articles"] == len(STORED) == len(articles)
    assert query(tmp_path / "demo.sqlite3", "SELECT canonical_url FROM articles ORDER BY 1") == (
        articles
    )
    assert all(url.startswith(f"http://127.0.0.1:{port}/") for (url,) in articles)


def test_the_demo_says_when_its_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = _demo(tmp_path, taken.getsockname()[1])
    assert result.returncode == 2
    assert "is taken" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "demo.sqlite3").exists()


def test_reading_commands_on_a_missing_archive_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "none.sqlite3")
    for argv in (["search", "x"], ["trending"], ["history", "1"], ["export"], ["browse"]):
        assert main(["--database", missing, *argv]) == 2, argv
        assert "no archive at" in capsys.readouterr().err, argv
    assert not Path(missing).exists()
