"""Running the real `scrapy crawl pvdn` against a local server: one helper for every test.

Crawls in tests are fast and impolite (the server is ours, on 127.0.0.1), read their
settings from the project (the subprocess starts in the project folder), and never see proxy
variables.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
FAST = ("AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0", "CONCURRENT_REQUESTS_PER_DOMAIN=8")


def crawl_command(
    origin: str, database: Path, *settings: str, args: tuple[str, ...] = ()
) -> list[str]:
    """The command line; `settings` are NAME=VALUE pairs (later ones win), `args` spider
    arguments as NAME=VALUE."""
    command = [sys.executable, "-m", "scrapy", "crawl", "pvdn", "-a", f"base_url={origin}"]
    for arg in args:
        command += ["-a", arg]
    for setting in (f"PVDN_DATABASE_URL=sqlite:///{database}", *FAST, *settings):
        command += ["-s", setting]
    return command


def crawl_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    return {**env, **extra}


def run_crawl(
    origin: str,
    database: Path,
    *settings: str,
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run a crawl to its end and return its exit status and output."""
    return subprocess.run(
        crawl_command(origin, database, *settings, args=args),
        cwd=PROJECT,
        env=env or crawl_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_crawl(
    origin: str, database: Path, *settings: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start a crawl in the background (for tests that stop or kill it)."""
    return subprocess.Popen(
        crawl_command(origin, database, *settings),
        cwd=PROJECT,
        env=env or crawl_env(),
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def query(database: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Read the archive with plain sqlite3, independently of `storage`."""
    with sqlite3.connect(database) as db:
        return db.execute(sql, args).fetchall()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now (for a server a test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
