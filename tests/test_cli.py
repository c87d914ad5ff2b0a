"""`python -m cleaning`: the story of saved files, HTML or text told apart by content."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_json_on_several_inputs_is_json_lines_with_each_source(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    inputs = [str(PAGE / "page.html"), str(DUMP / "dump.txt"), str(empty)]
    result = _run("--json", *inputs)
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]  # each line is one JSON document
    assert [r["source"] for r in records] == inputs
    page_expected = json.loads((PAGE / "expected.json").read_text(encoding="utf-8"))
    dump_expected = json.loads((DUMP / "expected.json").read_text(encoding="utf-8"))
    assert records[0]["title"] == page_expected["title"]
    assert records[1]["title"] == dump_expected["title"]
    assert records[2]["empty_reason"] == "empty input"
    assert result.returncode == 1


def test_an_endless_input_is_read_only_up_to_the_size_limit() -> None:
    """/dev/zero never ends: the command stops one byte past the limit, says so in one line
    and goes on with the next input."""
    dump = DUMP / "dump.txt"
    result = subprocess.run(
        [sys.executable, "-m", "cleaning", "--max-bytes", "20000", "/dev/zero", str(dump)],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert result.stderr.decode().splitlines() == [
        "python -m cleaning: /dev/zero: larger than the size limit of 20000 bytes"
        " (see --max-bytes); not read further"
    ]
    assert result.returncode == 2
    expected = json.loads((DUMP / "expected.json").read_text(encoding="utf-8"))
    assert f"==> {dump} <==\n{expected['title']}\n" in result.stdout.decode()


def test_the_default_limit_stops_an_endless_stdin_without_filling_memory() -> None:
    with Path("/dev/zero").open("rb") as zeros:
        result = subprocess.run(
            [sys.executable, "-m", "cleaning", "-"],
            stdin=zeros,
            capture_output=True,
            check=False,
            timeout=120,
        )
    assert result.returncode == 2
    assert b"-: larger than the size limit of 20971520 bytes" in result.stderr
    assert b"Traceback" not in result.stderr


def test_inputs_within_the_limit_are_cleaned(tmp_path: Path) -> None:
    page = (PAGE / "page.html").read_bytes()
    result = _run("--max-bytes", str(len(page)), str(PAGE / "page.html"))
    assert result.returncode == 0
    assert result.stdout.decode().startswith(
        json.loads((PAGE / "expected.json").read_text(encoding="utf-8"))["title"]
    )
    assert _run("--max-bytes", str(len(page) - 1), str(PAGE / "page.html")).returncode == 2


@pytest.mark.parametrize("value", ["0", "-5", "lots"])
def test_a_bad_size_limit_is_a_usage_error(value: str) -> None:
    result = _run("--max-bytes", value, str(PAGE / "page.html"))
    assert result.returncode == 2
    assert b"expected a positive number of bytes" in result.stderr
    assert b"Traceback" not in result.stderr
