"""`python -m cleaning`: the story of saved files, HTML or text told apart by content."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.saved_cases import FIXTURES

PAGE = FIXTURES / "pages" / "a01-mid2025-full-repeat"
DUMP = FIXTURES / "dumps" / "seed-2025-cartels"


def _run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "cleaning", *args], input=stdin, capture_output=True, check=False
    )


def test_prints_title_then_story_of_a_page() -> None:
    expected = json.loads((PAGE / "expected.json").read_text(encoding="utf-8"))
    out = _run(str(PAGE / "page.html")).stdout.decode()
    body = "\n\n".join(text for _kind, text in expected["blocks"])
    assert out == f"{expected['title']}\n\n{body}\n"


def test_json_of_a_text_dump_from_stdin() -> None:
    result = _run("--json", "-", stdin=(DUMP / "dump.txt").read_bytes())
    data = json.loads(result.stdout)
    expected = json.loads((DUMP / "expected.json").read_text(encoding="utf-8"))
    assert result.returncode == 0
    assert data["extractor"] == "pvdn"
    assert data["title"] == expected["title"]
    assert [t["title"] for t in data["teasers"]] == [t["title"] for t in expected["teasers"]]


def test_several_files_are_headed_and_an_empty_one_sets_status(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"   ")
    result = _run(str(PAGE / "page.html"), str(empty))
    out = result.stdout.decode()
    assert f"==> {PAGE / 'page.html'} <==" in out
    assert "[no story: empty input]" in out
    assert result.returncode == 1


def test_missing_file_is_reported_not_raised(tmp_path: Path) -> None:
    result = _run(str(tmp_path / "nope.html"))
    assert result.returncode == 2
    assert b"cannot read" in result.stderr
    assert b"Traceback" not in result.stderr
