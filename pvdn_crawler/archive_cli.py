"""`pvdn-archive`: look into the archive, export it, re-clean it, or run the offline demo.

    pvdn-archive [--database URL] stats | export [-o FILE] | show URL | reclean | demo

The database is `--database`, else `PVDN_DATABASE_URL`, else `sqlite:///pvdn.sqlite3`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from cleaning import Options, clean_html
from pvdn_crawler.items import ArticleItem
from pvdn_crawler.mirror import start_mirror
from pvdn_crawler.pipelines import to_record
from storage.engine import database_url, make_engine, session_factory, upgrade_schema
from storage.repository import ArchiveRepository

PROJECT = Path(__file__).resolve().parent.parent
DEMO_DATABASE = "sqlite:///pvdn-demo.sqlite3"


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, bytes):
        return None
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _dump(value: Any, out: IO[str], *, indent: int | None = None) -> None:
    out.write(json.dumps(value, default=_json_default, ensure_ascii=False, indent=indent))
    out.write("\n")


class Archive:
    """An open archive: engine plus session factory, schema brought up to date on open."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        upgrade_schema(self.engine)
        self.sessions = session_factory(self.engine)

    def close(self) -> None:
        self.engine.dispose()


def cmd_stats(archive: Archive, out: IO[str]) -> int:
    with archive.sessions() as session:
        _dump(ArchiveRepository(session).stats(), out, indent=2)
    return 0


def cmd_export(archive: Archive, out: IO[str]) -> int:
    """JSON Lines: one article per line, with its aliases and teaser links."""
    with archive.sessions() as session:
        for article in ArchiveRepository(session).iter_articles():
            _dump(article, out)
    return 0


def cmd_show(archive: Archive, url: str, out: IO[str]) -> int:
    with archive.sessions() as session:
        article = ArchiveRepository(session).find_article(url)
    if article is None:
        print(f"pvdn-archive: no article at {url}", file=sys.stderr)
        return 1
    _dump(article, out, indent=2)
    return 0


def cmd_reclean(archive: Archive, out: IO[str]) -> int:
    """Run the current `cleaning` over every stored raw page; store what changed."""
    outcomes: Counter[str] = Counter()
    with archive.sessions() as session:
        pages = list(ArchiveRepository(session).raw_pages())
    for page in pages:
        # Every stored page came from the site (or a mirror of it): its host is the site's.
        host = urlsplit(page.raw_url).hostname or ""
        article = clean_html(
            page.raw_html, page.raw_url, options=Options(site_hosts=frozenset({host}))
        )
        if not article.body:
            outcomes["no story now (kept as stored)"] += 1
            continue
        item = ArticleItem.from_clean(
            article,
            canonical_url=page.canonical_url,
            fetched_url=page.raw_url,
            aliases=[],
            raw_html=page.raw_html,
            etag=page.etag,
            last_modified=page.last_modified,
        )
        with archive.sessions.begin() as session:
            outcomes[ArchiveRepository(session).save_article(to_record(item), _now())] += 1
    _dump(dict(outcomes), out, indent=2)
    return 0


def cmd_demo(url: str | None, out: IO[str]) -> int:
    """Serve the fixture site on 127.0.0.1, crawl it with `scrapy crawl pvdn`, print stats."""
    target = url or DEMO_DATABASE
    with start_mirror() as mirror:
        command = [
            sys.executable, "-m", "scrapy", "crawl", "pvdn",
            "-a", f"base_url={mirror.origin}",
            "-s", f"PVDN_DATABASE_URL={target}",
            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "LOG_LEVEL=WARNING",
        ]  # fmt: skip
        print(f"serving the fixture site at {mirror.origin}; running: scrapy crawl pvdn",
              file=sys.stderr)  # fmt: skip
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "pvdn_crawler.settings"}
        result = subprocess.run(command, env=env, check=False)
    if result.returncode != 0:
        return result.returncode
    archive = Archive(target)
    try:
        return cmd_stats(archive, out)
    finally:
        archive.close()


def _now() -> datetime:
    return datetime.now(UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pvdn-archive", description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: PVDN_DATABASE_URL)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("stats", help="counts of articles, aliases, teaser links and runs")
    export = commands.add_parser("export", help="JSON Lines, one article per line")
    export.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    show = commands.add_parser("show", help="one article by canonical URL or alias")
    show.add_argument("url")
    commands.add_parser("reclean", help="re-run cleaning over the stored raw HTML")
    commands.add_parser("demo", help="crawl the fixture site offline into pvdn-demo.sqlite3")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        return cmd_demo(args.database, sys.stdout)
    archive = Archive(database_url(args.database))
    try:
        if args.command == "stats":
            return cmd_stats(archive, sys.stdout)
        if args.command == "show":
            return cmd_show(archive, args.url, sys.stdout)
        if args.command == "reclean":
            return cmd_reclean(archive, sys.stdout)
        opened = args.output.open("w", encoding="utf-8") if args.output else None
        with opened or contextlib.nullcontext(sys.stdout) as out:
            return cmd_export(archive, out)
    finally:
        archive.close()


if __name__ == "__main__":
    sys.exit(main())
