"""`pvdn-archive`: look into the archive, export it, re-clean it, or run the offline demo.

    pvdn-archive [--database PATH|URL] stats | export [-o FILE] | show URL | reclean | demo

The database is `--database` (before or after the command: an SQLite file path or an
SQLAlchemy URL), else `PVDN_DATABASE_URL`, else `sqlite:///pvdn.sqlite3`. Reading commands
never create an archive; every problem with one is a one-line message and a non-zero status.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from pvdn_crawler.mirror import start_mirror
from pvdn_crawler.reclean import reclean
from storage import ArchiveError, ArchiveRepository, StorageError, database_url, open_archive
from storage.locking import sqlite_file

PROG = "pvdn-archive"
DEMO_DATABASE = "pvdn-demo.sqlite3"


class CommandError(Exception):
    """A problem the user can fix, said in one line."""


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


def archive_url(value: str | None) -> str:
    """`--database` as an SQLAlchemy URL: a URL as given, a path as an SQLite file."""
    value = value or database_url()
    if "://" in value:
        try:
            make_url(value)
        except (ArgumentError, ValueError) as exc:  # ValueError: e.g. a port that is not a number
            raise CommandError(f"--database: not a database URL: {value!r} ({exc})") from None
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def cmd_stats(url: str, args: argparse.Namespace, out: IO[str]) -> int:
    with open_archive(url, write=False) as archive, archive.sessions() as session:
        _dump(ArchiveRepository(session).stats(), out, indent=2)
    return 0


def cmd_export(url: str, args: argparse.Namespace, out: IO[str]) -> int:
    """JSON Lines: one article per line, with its aliases and teaser links."""
    with (
        open_archive(url, write=False) as archive,
        _output(args.output, url, out) as target,
        archive.sessions() as session,
    ):
        for article in ArchiveRepository(session).iter_articles():
            _dump(article, target)
    return 0


def cmd_show(url: str, args: argparse.Namespace, out: IO[str]) -> int:
    with open_archive(url, write=False) as archive, archive.sessions() as session:
        article = ArchiveRepository(session).find_article(args.url)
    if article is None:
        print(f"{PROG}: no article at {args.url}", file=sys.stderr)
        return 1
    _dump(article, out, indent=2)
    return 0


def cmd_reclean(url: str, args: argparse.Namespace, out: IO[str]) -> int:
    """Run the current `cleaning` over every stored raw page; store what changed."""
    if not _exists(url):
        raise CommandError(f"no archive at {url} (a crawl creates it: scrapy crawl pvdn)")
    progress = sys.stderr if sys.stderr.isatty() else None
    done = reclean(url, workers=args.workers, progress=progress, all_revisions=args.all_revisions)
    _dump({"pages": done.pages, "run": done.run_id, **done.outcomes}, out, indent=2)
    return 10 if done.outcomes.get("rejected") else 0


def cmd_demo(url: str | None, out: IO[str]) -> int:
    """Serve the fixture site on 127.0.0.1, crawl it with `scrapy crawl pvdn`, print stats."""
    target = url or archive_url(DEMO_DATABASE)
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
    return cmd_stats(target, argparse.Namespace(), out)


@contextlib.contextmanager
def _output(path: Path | None, url: str, out: IO[str]) -> Iterator[IO[str]]:
    """Where an export goes: stdout, or a file written beside its final name and renamed
    into place once complete, so a failed export leaves no half file and an existing file is
    replaced whole. Never the archive itself, its WAL or its journal."""
    if path is None:
        yield out
        return
    target = path.expanduser().resolve()
    database = sqlite_file(make_url(url))
    if database is not None and target in _archive_files(database):
        raise CommandError(f"refusing to write the export over the archive's file {target}")
    if target.is_dir():
        raise CommandError(f"-o {path}: is a folder")
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("w", encoding="utf-8") as file:
            yield file
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _archive_files(database: Path) -> set[Path]:
    names = [
        database,
        *(database.with_name(database.name + s) for s in ("-wal", "-shm", "-journal")),
    ]
    files = {name.resolve() for name in names}
    with contextlib.suppress(OSError):  # the same file under another name (a hard link)
        inode = database.stat().st_ino
        files |= {p.resolve() for p in database.parent.iterdir() if p.stat().st_ino == inode}
    return files


def _exists(url: str) -> bool:
    database = sqlite_file(make_url(url))
    return database is None or database.exists()


_EXAMPLES = {
    "stats": "pvdn-archive stats --database pvdn.sqlite3",
    "export": "pvdn-archive export -o articles.jsonl",
    "show": "pvdn-archive show https://www.vallartadaily.com/some-story/",
    "reclean": "pvdn-archive reclean --workers 2",
    "demo": "pvdn-archive demo",
}


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database",
        default=argparse.SUPPRESS,
        help="the archive: an SQLite file path or an SQLAlchemy URL (default: PVDN_DATABASE_URL,"
        " else pvdn.sqlite3)",
    )
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split("\n")[0], parents=[common]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            parents=[common],
            help=help_text,
            description=help_text,
            epilog=f"example: {_EXAMPLES[name]}",
        )

    command("stats", "counts of articles, aliases, teaser links and runs")
    export = command("export", "JSON Lines, one article per line")
    export.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    show = command("show", "one article by canonical URL or alias")
    show.add_argument("url")
    again = command("reclean", "re-run cleaning over the stored raw HTML")
    again.add_argument(
        "--workers", type=int, default=None, help="cleaning processes (default: cores)"
    )
    command("demo", "crawl the fixture site offline into pvdn-demo.sqlite3")
    return parser


_COMMANDS: dict[str, Callable[[str, argparse.Namespace, IO[str]], int]] = {
    "stats": cmd_stats,
    "export": cmd_export,
    "show": cmd_show,
    "reclean": cmd_reclean,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        given = getattr(args, "database", None)
        if args.command == "demo":
            return cmd_demo(archive_url(given) if given else None, sys.stdout)
        return _COMMANDS[args.command](archive_url(given), args, sys.stdout)
    except (CommandError, ArchiveError, StorageError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`| head`): not an error. Keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
