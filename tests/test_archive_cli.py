"""`pvdn-archive`: stats, export, show, reclean on an archive, and the offline demo."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cleaning import clean_html
from pvdn_crawler.archive_cli import main
from pvdn_crawler.items import ArticleItem
from pvdn_crawler.pipelines import to_record
from storage.engine import make_engine, session_factory, upgrade_schema
from storage.repository import ArchiveRepository
from tests.saved_cases import FIXTURES

CASE = FIXTURES / "pages" / "a01-mid2025-full-repeat"
CANONICAL = "https://www.vallartadaily.com/puerto-vallarta-malecon-seawall-reconstruction-plan/"
SHORTLINK = "https://www.vallartadaily.com/?p=88412"


@pytest.fixture
def archive(tmp_path: Path) -> str:
    """An archive holding one article saved from the a01 page, with a stale body."""
    url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    raw = (CASE / "page.html").read_bytes()
    item = ArticleItem.from_clean(
        clean_html(raw, CANONICAL),
        canonical_url=CANONICAL,
        fetched_url=SHORTLINK,
        aliases=[SHORTLINK],
        raw_html=raw,
    )
    item.body = "An older cleaning kept only this."
    with session_factory(engine).begin() as session:
        ArchiveRepository(session).save_article(to_record(item), datetime.now(UTC))
    engine.dispose()
    return url


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().out


def test_stats(archive: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _run(capsys, "--database", archive, "stats")
    stats = json.loads(out)
    assert status == 0
    assert (stats["articles"], stats["aliases"], stats["teaser_links"]) == (1, 1, 10)


def test_export_is_json_lines_with_teasers(
    archive: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.jsonl"
    assert _run(capsys, "--database", archive, "export", "-o", str(target))[0] == 0
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    article = json.loads(lines[0])
    assert article["canonical_url"] == CANONICAL
    assert article["aliases"] == [SHORTLINK]
    assert len(article["teasers"]) == 10
    assert article["teasers"][0]["kind"] == "trending"


def test_show_by_alias_and_unknown(archive: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _run(capsys, "--database", archive, "show", SHORTLINK)
    assert status == 0
    assert json.loads(out)["canonical_url"] == CANONICAL
    assert _run(capsys, "--database", archive, "show", "https://example.org/nope/")[0] == 1


def test_reclean_restores_the_story_from_raw_html(
    archive: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _run(capsys, "--database", archive, "reclean")
    assert status == 0
    assert json.loads(out) == {"changed": 1}
    _, shown = _run(capsys, "--database", archive, "show", CANONICAL)
    expected = json.loads((CASE / "expected.json").read_text(encoding="utf-8"))
    assert json.loads(shown)["body"] == "\n\n".join(text for _, text in expected["blocks"])
    assert json.loads(_run(capsys, "--database", archive, "reclean")[1]) == {"unchanged": 1}


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
