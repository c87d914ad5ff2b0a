"""Running `pvdn-archive` in the test process, and what its errors must look like."""

from __future__ import annotations

import pytest

from pvdn_crawler.archive_cli import main

__all__ = ["one_line_error", "run_cli"]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The command's exit status, standard output and standard error."""
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_line_error(err: str) -> str:
    """The one line a failing command writes, named after the command."""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pvdn-archive: "), err
    return lines[0]
