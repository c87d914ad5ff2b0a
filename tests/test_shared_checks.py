"""The checks that ship beside the project in ../shared: the seed dump, and other sites' pages
scored against trafilatura. Skipped where a checkout has no ../shared folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def _run(script: Path, *args: str) -> str:
    if not script.exists():
        pytest.skip(f"{script} is not beside this checkout")
    result = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_seed_dump_check_passes() -> None:
    last = _run(SHARED / "checks" / "seed_dump.py").strip().splitlines()[-1]
    assert last.endswith(": ok"), last


def test_generic_path_no_worse_than_trafilatura_on_other_sites() -> None:
    out = _run(SHARED / "aeb-dev" / "score.py", "trafilatura", "cleaning:clean_html")
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:] if line.strip()}
    trafilatura_f1 = float(rows["trafilatura"][0])
    cleaning_f1, errors = float(rows["cleaning:clean_html"][0]), rows["cleaning:clean_html"][4]
    assert errors == "0"
    assert cleaning_f1 >= trafilatura_f1 - 0.0005, out
