"""Deployed to Scrapyd as an egg: the crawl runs from the zipped egg, migrations included.

The egg is built the way a user builds it (`scrapyd-deploy --build-egg`, from a copy of the
project), uploaded to a real Scrapyd started on 127.0.0.1 (`addversion.json`) and scheduled
against the fixture site (`schedule.json`); the archive it writes is then read back.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pvdn_crawler.mirror import SITE, start_mirror
from tests.crawl_runner import FAST, PROJECT, crawl_env, free_port, query

MANIFEST: dict[str, Any] = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))
_PROJECT_FILES = (
    "pyproject.toml",
    "scrapy.cfg",
    "README.md",
    "cleaning",
    "storage",
    "pvdn_crawler",
)


def _tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.fail(f"{name} is not installed in this environment (pip install -e '.[test]')")
    return str(path)


def _api(origin: str, endpoint: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data or {}, doseq=True).encode() if data is not None else None
    with urllib.request.urlopen(f"{origin}/{endpoint}", data=body, timeout=30) as answer:
        loaded: dict[str, Any] = json.loads(answer.read())
    return loaded


def _build_egg(folder: Path) -> Path:
    """`scrapyd-deploy --build-egg` on a copy of the project (the build writes into its
    folder)."""
    source = folder / "project"
    source.mkdir()
    for name in _PROJECT_FILES:
        path = PROJECT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    egg = folder / "pvdn.egg"
    subprocess.run(
        [_tool("scrapyd-deploy"), f"--build-egg={egg}"],
        cwd=source,
        env=crawl_env(),
        capture_output=True,
        check=True,
        timeout=300,
    )
    return egg


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    """A Scrapyd on a free port of 127.0.0.1, its files under tmp_path."""
    port = free_port()
    home = tmp_path / "scrapyd"
    home.mkdir()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\npoll_interval = 0.2\nmax_proc = 1\n"
        "logs_dir = logs\neggs_dir = eggs\ndbs_dir = dbs\n",
        encoding="utf-8",
    )
    output = (home / "scrapyd.out").open("wb")
    process = subprocess.Popen(
        [_tool("scrapyd")], cwd=home, env=crawl_env(), stdout=output, stderr=subprocess.STDOUT
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _api(origin, "daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("Scrapyd did not start")
                time.sleep(0.2)
        yield origin
    finally:
        process.terminate()
        process.wait(timeout=30)
        output.close()


def test_the_egg_crawls_the_fixture_site_into_an_archive(scrapyd: str, tmp_path: Path) -> None:
    added = _api_multipart(scrapyd, _build_egg(tmp_path).read_bytes())
    assert added["status"] == "ok", added
    database = tmp_path / "archive.sqlite3"
    with start_mirror() as mirror:
        job = _api(
            scrapyd,
            "schedule.json",
            {
                "project": "pvdn_crawler",
                "spider": "pvdn",
                "base_url": mirror.origin,
                "setting": [
                    f"PVDN_DATABASE_URL=sqlite:///{database}",
                    *FAST,
                ],
            },
        )
        assert job["status"] == "ok", job
        deadline = time.monotonic() + 240
        while True:
            jobs = _api(scrapyd, "listjobs.json?project=pvdn_crawler")
            if any(j["id"] == job["jobid"] for j in jobs["finished"]):
                break
            assert time.monotonic() < deadline, jobs
            time.sleep(0.5)
    daemon = (tmp_path / "scrapyd" / "scrapyd.out").read_text(errors="replace")
    assert "Traceback" not in daemon and "Process died" not in daemon, daemon[-3000:]
    stored = {url for (url,) in query(database, "SELECT canonical_url FROM articles")}
    expected = {
        a["canonical_url"].replace("https://www.vallartadaily.com", mirror.origin)
        for a in MANIFEST["articles"]
        if a["stored"]
    }
    assert stored == expected
    (status,) = query(database, "SELECT status FROM crawl_runs")[0]
    assert status == "ok"
    # The job ran from the egg Scrapyd keeps (its runner puts it first on sys.path): the
    # migrations were read from inside the zip.
    logs = "\n".join(p.read_text() for p in (tmp_path / "scrapyd" / "logs").rglob("*.log"))
    assert "Running upgrade 0003 -> 0004" in logs
    assert "Traceback" not in logs


def _api_multipart(origin: str, egg: bytes) -> dict[str, Any]:
    """POST addversion.json: project, version and the egg as a file field."""
    boundary = "pvdn-archive-egg"
    parts = []
    for name, value in (("project", b"pvdn_crawler"), ("version", b"1")):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value
            + b"\r\n"
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="egg"; filename="pvdn.egg"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + egg
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{origin}/addversion.json",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        loaded: dict[str, Any] = json.loads(answer.read())
    return loaded
