"""`pvdn-archive`: stats, export, show, reclean on an archive, and the offline demo.

Every problem with the archive is one line on stderr and exit status 2; reading commands never
create an archive; `export -o` never writes over it; `reclean` is a recorded run that takes
the writer lock and cleans in worker processes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from cleaning import clean_html
from pvdn_crawler import reclean as reclean_module
from pvdn_crawler.items import article_record
from storage import ArticleRecord, BatchWriter, open_archive
from storage.models import CrawlRun
from storage.repository import ArchiveRepository
from storage.warc import Capture, RunWarcWriter, SentRequest, WarcLocation, read_capture
from tests.cli_support import one_line_error, run_cli
from tests.saved_cases import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
CASE = FIXTURES / "pages" / "a01-mid2025-full-repeat"
CANONICAL = "https://www.vallartadaily.com/puerto-vallarta-malecon-seawall-reconstruction-plan/"
SHORTLINK = "https://www.vallartadaily.com/?p=88412"
STALE_BODY = "An older cleaning kept only this."


def _capture(url: str, page: bytes) -> Capture:
    """The exchange a crawl fetched `page` in."""
    headers = [("Content-Type", "text/html; charset=UTF-8")]
    request = SentRequest("GET", url, [("Accept", "text/html")])
    return Capture(url, 200, headers, page, datetime.now(UTC), request)


def _record(case: Path, *, fetched_url: str | None = None) -> ArticleRecord:
    """The record a crawl stores for a fixture page, with the body an older cleaning gave."""
    raw = (case / "page.html").read_bytes()
    canonical = json.loads((case / "expected.json").read_text(encoding="utf-8"))["canonical_url"]
    fetched = fetched_url or canonical
    record, dropped = article_record(
        clean_html(raw, canonical),
        canonical_url=canonical,
        fetched_url=fetched,
        aliases=[fetched] if fetched != canonical else [],
        capture=_capture(fetched, raw),
    )
    assert dropped == []
    return replace(record, story=replace(record.story, body=STALE_BODY))


def _store(path: Path, records: list[ArticleRecord]) -> None:
    """Store `records` as a crawl does: each page in the archive's WARC folder (beside the
    SQLite file), the rows pointing at it."""
    with open_archive(f"sqlite:///{path}") as archive:
        assert archive.warc_dir == path.with_name(f"{path.stem}-warc")
        with RunWarcWriter(archive.warc_dir, "tests") as warc:
            report = BatchWriter(archive.sessions, None, warc=warc).write(records)
    assert report.counts == {"new": len(records)}


def _expected_body(case: Path) -> str:
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    return "\n\n".join(text for _, text in expected["blocks"])


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """An archive file holding one article saved from the a01 page, with a stale body."""
    path = tmp_path / "archive.sqlite3"
    _store(path, [_record(CASE, fetched_url=SHORTLINK)])
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- reading ----------------------------------------------------------------------------------


def test_stats_with_the_database_before_or_after_the_command(
    archive: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{archive}"
    monkeypatch.chdir(archive.parent)
    outputs = []
    for argv in (
        ("--database", str(archive), "stats"),
        ("stats", "--database", str(archive)),
        ("stats", "--database", url),
        ("--database", archive.name, "stats"),  # a relative path
    ):
        status, out, err = run_cli(capsys, *argv)
        assert (status, err) == (0, ""), argv
        outputs.append(json.loads(out))
    monkeypatch.setenv("PVDN_DATABASE_URL", url)
    status, out, _ = run_cli(capsys, "stats")
    assert status == 0
    outputs.append(json.loads(out))
    stats = outputs[0]
    assert all(other == stats for other in outputs)
    assert (stats["articles"], stats["aliases"], stats["teaser_links"]) == (1, 1, 10)
    assert (stats["revisions"], stats["pages"], stats["rejects"], stats["runs"]) == (1, 0, 0, 0)


def test_export_is_json_lines_with_teasers(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.jsonl"
    assert run_cli(capsys, "--database", str(archive), "export", "-o", str(target))[0] == 0
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    article = json.loads(lines[0])
    assert article["canonical_url"] == CANONICAL
    assert article["aliases"] == [SHORTLINK]
    assert article["story"]["body"] == STALE_BODY
    assert len(article["teasers"]) == 10
    assert article["teasers"][0]["kind"] == "trending"
    assert "raw_html" not in article
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []
    # Without -o, the same lines on stdout.
    status, out, _ = run_cli(capsys, "export", "--database", str(archive))
    assert (status, out.splitlines()) == (0, lines)


def test_show_by_alias_and_unknown(archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "--database", str(archive), "show", SHORTLINK)
    assert status == 0
    shown = json.loads(out)
    assert shown["canonical_url"] == CANONICAL and shown["story"]["body"] == STALE_BODY
    status, out, err = run_cli(
        capsys, "--database", str(archive), "show", "https://example.org/nope/"
    )
    assert (status, out) == (1, "")
    assert "https://example.org/nope/" in one_line_error(err)


def test_reading_commands_on_a_missing_archive_create_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.sqlite3"
    for argv in (
        ("stats",),
        ("export",),
        ("export", "-o", str(tmp_path / "out.jsonl")),
        ("show", CANONICAL),
        ("reclean", "--workers", "1"),
    ):
        status, out, err = run_cli(capsys, "--database", str(missing), *argv)
        assert (status, out) == (2, ""), argv
        assert str(missing) in one_line_error(err), argv
    assert list(tmp_path.iterdir()) == []


def test_archive_problems_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.sqlite3"
    notes.write_bytes(b"not a database\n" * 100)
    for argv in (("stats",), ("export",), ("show", CANONICAL), ("reclean", "--workers", "1")):
        status, _, err = run_cli(capsys, "--database", str(notes), *argv)
        assert status == 2, argv
        assert "not a readable archive" in one_line_error(err), argv
    status, _, err = run_cli(capsys, "--database", "postgresql+psycopg://h:x:y/db", "stats")
    assert status == 2 and "--database" in one_line_error(err)


# ---- export never writes over the archive -----------------------------------------------------


def test_export_onto_the_archive_is_refused_and_the_archive_is_intact(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "same-file.sqlite3"
    os.link(archive, link)
    before = _digest(archive)
    for target in (
        archive,
        link,
        Path(f"{archive}-wal"),
        tmp_path / ".." / tmp_path.name / archive.name,
    ):
        status, _, err = run_cli(capsys, "--database", str(archive), "export", "-o", str(target))
        assert status == 2, target
        assert "refusing to write the export over the archive" in one_line_error(err), target
    assert _digest(archive) == before
    status, out, _ = run_cli(capsys, "--database", str(archive), "stats")
    assert status == 0 and json.loads(out)["articles"] == 1


def test_a_file_the_command_did_not_make_is_replaced_only_when_told(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.jsonl"
    notes.write_text("my own notes\n", encoding="utf-8")
    status, _, err = run_cli(capsys, "--database", str(archive), "export", "-o", str(notes))
    assert status == 2 and "exists: give --overwrite" in one_line_error(err)
    assert notes.read_text(encoding="utf-8") == "my own notes\n"
    argv = ("--database", str(archive), "export", "-o", str(notes), "--overwrite")
    assert run_cli(capsys, *argv)[0] == 0
    assert json.loads(notes.read_text(encoding="utf-8").splitlines()[0])["canonical_url"]
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"not ours")
    status, _, err = run_cli(capsys, "--database", str(archive), "trending", "--plot", str(chart))
    assert status == 2 and "exists: give --overwrite" in one_line_error(err)
    assert chart.read_bytes() == b"not ours"


def test_export_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    """`pvdn-archive export | head -1`: the reader leaves early, which is not an error."""
    path = tmp_path / "many.sqlite3"
    base = _record(CASE)
    _store(
        path,
        [replace(base, canonical_url=f"{CANONICAL}{n}/", fetched_url="") for n in range(60)],
    )
    with subprocess.Popen(
        [sys.executable, "-m", "pvdn_crawler.archive_cli", "--database", str(path), "export"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    ) as export:
        assert export.stdout is not None and export.stderr is not None
        first = export.stdout.readline()
        export.stdout.close()  # what `head -1` does after its line
        err = export.stderr.read()
        status = export.wait(timeout=120)
    assert json.loads(first)["canonical_url"] == f"{CANONICAL}0/"
    assert (status, err.decode()) == (0, "")


# ---- reclean ----------------------------------------------------------------------------------


def _runs(path: Path) -> list[tuple[str, str, dict[str, int]]]:
    with open_archive(f"sqlite:///{path}", write=False) as archive, archive.sessions() as session:
        rows = session.execute(
            select(CrawlRun.spider, CrawlRun.status, CrawlRun.counts).order_by(CrawlRun.id)
        )
        return [(spider, status, dict(counts)) for spider, status, counts in rows]


def _revisions(path: Path, url: str) -> list[str]:
    with open_archive(f"sqlite:///{path}", write=False) as archive, archive.sessions() as session:
        return [r.story.body for r in ArchiveRepository(session).revisions(url)]


def _locations(path: Path, url: str) -> list[WarcLocation | None]:
    with open_archive(f"sqlite:///{path}", write=False) as archive, archive.sessions() as session:
        return [r.warc for r in ArchiveRepository(session).revisions(url)]


def test_reclean_stores_a_new_revision_and_is_a_recorded_run(
    archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_cli(capsys, "--database", str(archive), "reclean", "--workers", "1")
    assert status == 0
    done = json.loads(out)
    assert (done["pages"], done["changed"]) == (1, 1)
    _, shown, _ = run_cli(capsys, "--database", str(archive), "show", CANONICAL)
    assert json.loads(shown)["story"]["body"] == _expected_body(CASE)
    assert json.loads(shown)["aliases"] == [SHORTLINK]
    assert _revisions(archive, CANONICAL) == [STALE_BODY, _expected_body(CASE)]
    # Both versions were read from the same capture, which the archive keeps pointing at.
    first, second = _locations(archive, CANONICAL)
    assert first is not None and first == second
    page = read_capture(archive.with_name("archive-warc"), first)
    assert page.payload == (CASE / "page.html").read_bytes()

    status, out, _ = run_cli(capsys, "reclean", "--database", str(archive), "--workers", "1")
    again = json.loads(out)
    assert status == 0 and (again["pages"], again["unchanged"]) == (1, 1)
    assert "changed" not in again
    assert len(_revisions(archive, CANONICAL)) == 2
    assert _runs(archive) == [
        ("reclean", "ok", {"pages": 1, "changed": 1}),
        ("reclean", "ok", {"pages": 1, "unchanged": 1}),
    ]
    assert (done["run"], again["run"]) == (1, 2)


def test_reclean_streams_the_archive_through_worker_processes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five pages read two at a time, cleaned by two worker processes: every page is read
    once and every stale story replaced."""
    cases = sorted((FIXTURES / "pages").glob("a0[1-5]-*"))
    path = tmp_path / "five.sqlite3"
    _store(path, [_record(case) for case in cases])
    monkeypatch.setattr(reclean_module, "_BATCH", 2)
    status, out, _ = run_cli(capsys, "--database", str(path), "reclean", "--workers", "2")
    assert status == 0
    done = {k: v for k, v in json.loads(out).items() if k != "run"}
    assert done == {"pages": 5, "status": "ok", "changed": 5}
    for case in cases:
        canonical = json.loads((case / "expected.json").read_text(encoding="utf-8"))[
            "canonical_url"
        ]
        assert _revisions(path, canonical) == [STALE_BODY, _expected_body(case)], case.name
    assert _runs(path) == [("reclean", "ok", {"pages": 5, "changed": 5})]


def test_reclean_with_a_warc_file_gone_is_a_storage_failure(
    archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A capture that cannot be read is a local fault, not a page that did not change: the
    run is recorded as a storage failure and the command exits 9, as a crawl would."""
    for warc in archive.with_name("archive-warc").glob("*.warc.gz"):
        warc.unlink()
    status, out, _ = run_cli(capsys, "--database", str(archive), "reclean", "--workers", "1")
    assert status == 9
    done = json.loads(out)
    assert done["status"] == "storage failure"
    assert [k for k in done if k.startswith("capture unreadable")] != []
    assert _runs(archive)[-1][1] == "storage failure"
    assert _revisions(archive, CANONICAL) == [STALE_BODY]


def test_reclean_keeps_a_post_id_the_page_does_not_show(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    amp = FIXTURES / "pages" / "b01-amp-2025-paywall"  # an AMP page: no post id in the markup
    record = _record(amp)
    assert record.post_id is None
    path = tmp_path / "amp.sqlite3"
    _store(path, [replace(record, post_id=77001)])  # as a crawl stores it after ?p=77001
    status, out, _ = run_cli(capsys, "--database", str(path), "reclean", "--workers", "1")
    assert status == 0 and json.loads(out)["changed"] == 1
    _, shown, _ = run_cli(capsys, "--database", str(path), "show", record.canonical_url)
    assert json.loads(shown)["post_id"] == 77001


def test_reclean_reads_a_page_in_the_charset_its_header_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Latin-9 page whose charset only the HTTP header names: the crawl cleaned it with
    that charset, and a re-clean, reading the same capture, must too (else the euro signs
    come back mangled and every such page looks changed)."""
    case = FIXTURES / "pages" / "f04-header-charset-latin9"
    raw = (case / "page.html").read_bytes()
    url = json.loads((case / "meta.json").read_text(encoding="utf-8"))["url"]
    content_type = "text/html; charset=ISO-8859-15"
    request = SentRequest("GET", url, [("Accept", "text/html")])
    page = Capture(url, 200, [("Content-Type", content_type)], raw, datetime.now(UTC), request)
    crawled = clean_html(raw, url, charset="ISO-8859-15")
    assert "€" in crawled.body
    record, _ = article_record(crawled, canonical_url=url, fetched_url=url, capture=page)
    path = tmp_path / "latin9.sqlite3"
    _store(path, [record])
    status, out, _ = run_cli(capsys, "--database", str(path), "reclean", "--workers", "1")
    assert status == 0
    done = {k: v for k, v in json.loads(out).items() if k != "run"}
    assert done == {"pages": 1, "status": "ok", "unchanged": 1}
    for flag in ("--all-revisions",):
        status, out, _ = run_cli(capsys, "--database", str(path), "reclean", flag, "--workers", "1")
        assert status == 0 and "revision re-cleaned" not in json.loads(out), out
    assert _revisions(path, url) == [crawled.body]


def test_reclean_waits_for_no_crawl_it_is_busy(
    archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`reclean` writes, so it takes the writer lock: during a crawl it stops at once."""
    with open_archive(f"sqlite:///{archive}"):
        status, out, err = run_cli(capsys, "--database", str(archive), "reclean", "--workers", "1")
    assert (status, out) == (2, "")
    assert "busy" in one_line_error(err)
    assert _runs(archive) == []
    assert _revisions(archive, CANONICAL) == [STALE_BODY]


# ---- demo -------------------------------------------------------------------------------------


def test_demo_crawls_the_fixture_site(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pvdn_crawler.archive_cli", "--database",
         f"sqlite:///{tmp_path / 'demo.sqlite3'}", "demo"],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    stats = json.loads(result.stdout)
    manifest = json.loads((FIXTURES / "site" / "expected.json").read_text(encoding="utf-8"))
    assert stats["articles"] == sum(1 for a in manifest["articles"] if a["stored"])
    assert stats["last_run"]["status"] == "ok"
