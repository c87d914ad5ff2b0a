"""Checks kept outside the project, run when `PVDN_EXTERNAL_CHECKS` names their folder: a check
of `clean_text` on the real seed dump (`checks/seed_dump.py`) and other sites' pages scored
against trafilatura (`aeb-dev/score.py`). Skipped, saying so, where it is not set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(name: str, *args: str) -> str:
    folder = os.environ.get("PVDN_EXTERNAL_CHECKS")
    if not folder:
        pytest.skip("PVDN_EXTERNAL_CHECKS names no folder of external checks")
    script = Path(folder) / name
    if not script.exists():
        pytest.skip(f"{script} does not exist")
    result = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_seed_dump_check_passes() -> None:
    last = _run("checks/seed_dump.py").strip().splitlines()[-1]
    assert last.endswith(": ok"), last


def test_generic_path_no_worse_than_trafilatura_on_other_sites() -> None:
    out = _run("aeb-dev/score.py", "trafilatura", "cleaning:clean_html")
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:] if line.strip()}
    trafilatura_f1 = float(rows["trafilatura"][0])
    cleaning_f1, errors = float(rows["cleaning:clean_html"][0]), rows["cleaning:clean_html"][4]
    assert errors == "0"
    assert cleaning_f1 >= trafilatura_f1 - 0.0005, out
