"""`pvdn-archive`: look into the archive, search it, export it, re-clean it, or run the demo.

    pvdn-archive [--database PATH|URL] [--warc-dir DIR] COMMAND ...
        stats | search QUERY | trending | show REF [--html] | history REF
        | export [--warc OUT.warc.gz] | browse | reclean [--all-revisions] | demo

The database is `--database` (before or after the command: an SQLite file path or an
SQLAlchemy URL), else `PVDN_DATABASE_URL`, else `sqlite:///pvdn.sqlite3`. Reading commands
never create an archive; every problem with one is a one-line message and a non-zero status
(2; 1 for a search or look-up that found nothing; `reclean` 11, as a crawl, when the database
refused records, and 9 when a capture could not be read). Output cut short by its reader (`| head`)
ends quietly with status 0.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from pvdn_crawler import exports, history, warc_export
from pvdn_crawler.browse import BrowseError, run_datasette
from pvdn_crawler.extensions import EXIT_STATUS
from pvdn_crawler.lookup import locate_article
from pvdn_crawler.mirror import start_mirror
from pvdn_crawler.reclean import reclean
from pvdn_crawler.trending_plot import FORMATS, PlotUnavailableError, plot_trending
from storage import (
    ArchiveError,
    ArchiveRepository,
    StorageError,
    database_url,
    open_archive,
)
from storage.engine import warc_dir
from storage.locking import is_database_file, sqlite_file
from storage.search import matching_categories

PROG = "pvdn-archive"
DEMO_DATABASE = "pvdn-demo.sqlite3"
# The demo serves the fixture site on this port every time: the mirror's origin is part of
# every canonical URL it stores, so a port that changed between two demos would store every
# article twice.
DEMO_PORT = 8642
BROWSE_PORT = 8001


class CommandError(Exception):
    """A problem the user can fix, said in one line."""


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


def moment(text: str, *, end: bool = False) -> datetime:
    """A `--since` / `--until` value as an aware instant: `YYYY-MM-DD` (a whole day in UTC:
    its start, or with `end` the start of the next day, so an until date is included) or an
    ISO 8601 date and time (UTC unless it names an offset)."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1 if end else 0), time(), tzinfo=UTC)
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"not a date: {text!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def _period(args: argparse.Namespace) -> str:
    """The --since / --until of a command as a person typed them, for titles."""
    since, until = getattr(args, "since_text", None), getattr(args, "until_text", None)
    if since and until:
        return f"{since} to {until}"
    return f"since {since}" if since else (f"until {until}" if until else "")


# ---- commands -----------------------------------------------------------------------------


def cmd_stats(url: str, args: argparse.Namespace, out: IO[str]) -> int:
    with _reading(url, args) as repository:
        exports.write_json(repository.stats(), out, indent=2)
    return 0


def cmd_search(url: str, args: argparse.Namespace, out: IO[str]) -> int:
    """The articles matching a query, best first, with the passage that matched."""
    with _reading(url, args) as repository:
        categories = _categories(repository, args.category)
        hits = repository.search(
            args.query,
            limit=args.limit,
            since=args.since,
            until=args.until,
            categories=categories,
        )
    if args.json:
        exports.write_json(hits, out, indent=2)
    else:
        for rank, hit in enumerate(hits, 1):
            day = hit.published.date().isoformat() if hit.published else "undated"
            out.write(f"{rank}. {hit.title or '(no title)'} ({day})\n   {hit.canonical_url}\n")
            out.write(f"   {hit.snippet}\n\n")
    if not hits:
        print(f"{PROG}: no article matches {args.query!r}", file=sys.stderr)
        return 1
    return 0


def cmd_trending(url: str, args: argparse.Namespace, out: IO[str]) -> int:
    """The stories the site's trending list showed, over the runs that saw them."""
    with _reading(url, args) as repository:
        stories = repository.trending(
            kind=args.kind, since=args.since, until=args.until, top=args.top
        )
    if args.plot is not None:
        _refuse_existing(args.plot, args)
        try:
            plot_trending(stories, args.plot, period=_period(args))
        except (PlotUnavailableError, ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        print(f"{PROG}: wrote {args.plot}", file=sys.stderr)
    if args.json:
        exports.write_json(stories, out, indent=2)
    elif args.plot is None:
        out.write(f"{'runs':>4} {'best':>4} {'median':>6}  {'first seen (UTC)':<16}  "
                  f"{'last seen (UTC)':<16}  story\n")  # fmt: skip
        for story in stories:
            out.write(
                f"{story.runs:>4} {story.best_position:>4} {story.median_position:>6.1f}  "
                f"{story.first_seen:%Y-%m-%d %H:%M}  {story.last_seen:%Y-%m-%d %H:%M}  "
                f"{story.title}\n{'':>52}{story.target_url}\n"
            )
    if not stories:
        print(f"{PROG}: no {args.kind} list was seen in this period", file=sys.stderr)
    return 0


def cmd_show(url: str, args: argparse.Namespace, out: IO[str]) -> int:
    if args.html:
        return warc_export.run_show_html(url, args.ref, out, args.warc_dir)
    with _reading(url, args) as repository:
        article = locate_article(repository, args.ref)
    if article is None:
        print(f"{PROG}: no article at {args.ref}", file=sys.stderr)
        return 1
    exports.write_json(article, out, indent=2)
    return 0


def cmd_history(url: str, args: argparse.Namespace, out: IO[str]) -> int:
    """An article's revisions with their capture times; with --diff, what changed."""
    with _reading(url, args) as repository:
        article = locate_article(repository, args.ref)
        revisions = repository.revisions(article.canonical_url) if article else []
    if article is None:
        print(f"{PROG}: no article at {args.ref}", file=sys.stderr)
        return 1
    if args.json:
        versions = {"canonical_url": article.canonical_url, "revisions": revisions}
        exports.write_json(versions, out, indent=2)
        return 0
    out.write(f"{article.canonical_url}\n")
    for revision in revisions:
        out.write(history.revision_line(revision) + "\n")
    if args.diff:
        if len(revisions) < 2:
            out.write("(one revision: nothing to compare)\n")
        for line in history.story_diff(article.canonical_url, revisions):
            out.write(line + "\n")
    return 0


def cmd_export(url: str, args: argparse.Namespace, out: IO[str]) -> int:
    """Articles (or every revision) as JSON Lines or CSV; with --warc, their captures."""
    if args.warc is not None:
        given = {"-o": args.output, "--until": args.until, "--category": args.category,
                 "--format": args.format, "--revisions": args.revisions}  # fmt: skip
        if others := [name for name, value in given.items() if value]:
            raise CommandError(f"export --warc takes --since only, not {', '.join(others)}")
        return warc_export.run_export(
            url,
            args.warc,
            out,
            since=args.since,
            warc_dir=args.warc_dir,
            overwrite=args.overwrite,
        )
    form = args.format or ("csv" if args.output and args.output.suffix == ".csv" else "jsonl")
    with _reading(url, args) as repository:
        categories = _categories(repository, args.category)
        with _output(args.output, url, out, args) as target:
            if args.revisions:
                revisions = repository.iter_revisions(
                    since=args.since, until=args.until, categories=categories
                )
                if form == "csv":
                    rows = (exports.revision_row(u, r) for u, r in revisions)
                    exports.write_csv(rows, exports.REVISION_COLUMNS, target)
                else:
                    objects = (exports.revision_object(u, r) for u, r in revisions)
                    exports.write_json_lines(objects, target)
            else:
                articles = repository.iter_articles(
                    since=args.since, until=args.until, categories=categories
                )
                if form == "csv":
                    rows = (exports.article_row(a) for a in articles)
                    exports.write_csv(rows, exports.ARTICLE_COLUMNS, target)
                else:
                    exports.write_json_lines(articles, target)
    return 0


def cmd_browse(url: str, args: argparse.Namespace, out: IO[str]) -> int:
    """Datasette on the archive (SQLite only)."""
    database = sqlite_file(make_url(url))
    if database is None:
        raise CommandError("browse needs an SQLite archive: Datasette reads SQLite files only")
    # Opened once as a reader: a missing archive is an error, an older schema is upgraded
    # (Datasette needs the search index and the sightings).
    with open_archive(url, write=False, warc_dir=args.warc_dir):
        pass
    out.flush()
    try:
        return run_datasette(database, port=args.port, get=args.get)
    except BrowseError as exc:
        raise CommandError(str(exc)) from None


def cmd_reclean(url: str, args: argparse.Namespace, out: IO[str]) -> int:
    """Run the current `cleaning` over every stored capture; store what changed. Refused
    records and unreadable captures end it with the crawl's status for them (11, 9), so a
    cron job tells them apart."""
    if not _exists(url):
        raise CommandError(f"no archive at {url} (a crawl creates it: scrapy crawl pvdn)")
    progress = sys.stderr if sys.stderr.isatty() else None
    done = reclean(
        url,
        workers=args.workers,
        progress=progress,
        all_revisions=args.all_revisions,
        warc_dir=args.warc_dir,
    )
    exports.write_json(
        {"pages": done.pages, "run": done.run_id, "status": done.status, **done.outcomes},
        out,
        indent=2,
    )
    return EXIT_STATUS[done.status]


def cmd_demo(url: str | None, port: int, out: IO[str]) -> int:
    """Serve the fixture site on 127.0.0.1:`port`, crawl it with `scrapy crawl pvdn`, print
    stats. The port is fixed so that a second demo finds the same URLs as the first."""
    target = url or archive_url(DEMO_DATABASE)
    try:
        mirror = start_mirror(port=port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise CommandError(
                f"port {port} on 127.0.0.1 is taken (another demo running?): stop it, or"
                f" pass --port N (the archive's URLs then name that port)"
            ) from None
        raise CommandError(f"cannot serve the fixture site on port {port}: {exc}") from None
    with mirror:
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
    return cmd_stats(target, argparse.Namespace(warc_dir=None), out)


# ---- helpers ------------------------------------------------------------------------------


@contextlib.contextmanager
def _reading(url: str, args: argparse.Namespace) -> Iterator[ArchiveRepository]:
    """The archive opened for reading, as a repository on one session (its WARC folder
    passed too: an older archive is upgraded before it is read, and that may need it)."""
    with (
        open_archive(url, write=False, warc_dir=args.warc_dir) as archive,
        archive.sessions() as session,
    ):
        yield ArchiveRepository(session)


def _categories(repository: ArchiveRepository, wanted: str | None) -> tuple[str, ...]:
    if not wanted:
        return ()
    return matching_categories(wanted, repository.category_names())


@contextlib.contextmanager
def _output(
    path: Path | None, url: str, out: IO[str], args: argparse.Namespace
) -> Iterator[IO[str]]:
    """Where an export goes: stdout, or a file written beside its final name and renamed
    into place once complete, so a failed export leaves no half file and an existing file
    (only with --overwrite) is replaced whole. Never the archive itself, its WAL or its
    journal."""
    if path is None:
        yield out
        return
    target = path.expanduser().resolve()
    database = sqlite_file(make_url(url))
    if database is not None and is_database_file(target, database):
        raise CommandError(f"refusing to write the export over the archive's file {target}")
    if target.is_dir():
        raise CommandError(f"-o {path}: is a folder")
    _refuse_existing(path, args)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as file:
            yield file
        partial.replace(target)
    except OSError as error:  # no such folder, no permission, a full disk: one line
        partial.unlink(missing_ok=True)
        raise CommandError(f"-o {path}: {error.strerror or error}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _refuse_existing(path: Path, args: argparse.Namespace) -> None:
    """A command never replaces a file it did not make unless told to (`--overwrite`)."""
    if path.expanduser().exists() and not getattr(args, "overwrite", False):
        raise CommandError(f"{path} exists: give --overwrite to replace it")


def _exists(url: str) -> bool:
    database = sqlite_file(make_url(url))
    return database is None or database.exists()


_EXAMPLES = {
    "stats": "pvdn-archive stats --database pvdn.sqlite3",
    "search": "pvdn-archive search '\"whale season\" banderas -cruise' --since 2025-01-01"
    " --category puerto-vallarta-news --limit 5",
    "trending": "pvdn-archive trending --since 2025-06-01 --top 10 --plot trending.png",
    "show": "pvdn-archive show /?p=88412   (or a URL, an alias, a path, a post id)",
    "history": "pvdn-archive history https://www.vallartadaily.com/some-story/ --diff",
    "export": "pvdn-archive export --format csv --since 2025-06-01 --category mexico-news"
    " -o articles.csv",
    "browse": "pvdn-archive browse --port 8001   (needs: pip install -e '.[browse]')",
    "reclean": "pvdn-archive reclean --workers 2",
    "demo": "pvdn-archive demo",
}


def _dated(parser: argparse.ArgumentParser, what: str) -> None:
    """--since / --until, kept as typed (read by `_read_dates`)."""
    parser.add_argument(
        "--since",
        dest="since_text",
        metavar="DATE",
        help=f"only {what} from this date (YYYY-MM-DD, UTC) or time on",
    )
    parser.add_argument(
        "--until",
        dest="until_text",
        metavar="DATE",
        help=f"only {what} up to this date (included) or time",
    )


def _read_dates(args: argparse.Namespace) -> None:
    """`since` and `until` as instants, from what was typed."""
    since, until = getattr(args, "since_text", None), getattr(args, "until_text", None)
    args.since = moment(since) if since else None
    args.until = moment(until, end=True) if until else None
    if args.since and args.until and args.since >= args.until:
        raise CommandError(f"--since {since} is not before --until {until}")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database",
        default=argparse.SUPPRESS,
        help="the archive: an SQLite file path or an SQLAlchemy URL (default: PVDN_DATABASE_URL,"
        " else pvdn.sqlite3)",
    )
    common.add_argument(
        "--warc-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help="the archive's WARC folder (default: PVDN_WARC_DIR, else beside an SQLite archive;"
        " a PostgreSQL archive needs one)",
    )
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__.split("\n")[0],
        parents=[common],
        epilog="example: pvdn-archive search whales   ('pvdn-archive COMMAND --help' for more)",
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
    search = command(
        "search",
        'full-text search of title, lede and body: all the words, "a phrase", a OR b, -word;'
        " best match first, with the passage that matched",
    )
    search.add_argument("query")
    _dated(search, "articles published")
    search.add_argument("--category", help="only articles of this category (name or slug)")
    search.add_argument("--limit", type=_positive, default=20, help="at most this many (20)")
    search.add_argument("--json", action="store_true", help="the hits as a JSON array")
    trending = command(
        "trending",
        "the stories the site's trending list showed: first and last seen, runs on the list,"
        " best and median place (1 = top)",
    )
    _dated(trending, "sightings")
    trending.add_argument("--top", type=_positive, default=10, help="this many stories (10)")
    trending.add_argument(
        "--kind", default="trending", help="the list: trending (default) or related"
    )
    trending.add_argument("--json", action="store_true", help="the stories as a JSON array")
    trending.add_argument(
        "--plot",
        type=Path,
        metavar="FILE",
        help=f"draw the stories' places over time into FILE ({' or '.join(FORMATS)}; needs"
        " pip install -e '.[plot]')",
    )
    trending.add_argument("--overwrite", action="store_true", help="replace an existing FILE")
    show = command(
        "show",
        "one article, by canonical URL, any alias, a ?p=ID URL, a post id, or its path (with or"
        " without the trailing slash) on the production or the crawled host",
    )
    show.add_argument("ref", metavar="REF")
    show.add_argument(
        "--html", action="store_true", help="print the page it was cleaned from, as fetched"
    )
    revisions = command("history", "an article's revisions and when each was captured")
    revisions.add_argument("ref", metavar="REF", help="as for show")
    revisions.add_argument(
        "--diff", action="store_true", help="a unified diff of the story between revisions"
    )
    revisions.add_argument("--json", action="store_true", help="the revisions as JSON")
    export = command(
        "export",
        "the articles (or every revision) as JSON Lines or CSV; never the raw HTML",
    )
    export.add_argument(
        "--format", choices=("jsonl", "csv"), help="jsonl (default) or csv (default for -o *.csv)"
    )
    _dated(export, "articles published (with --revisions: revisions captured)")
    export.add_argument("--category", help="only articles of this category (name or slug)")
    export.add_argument(
        "--revisions", action="store_true", help="every revision of the story, oldest first"
    )
    export.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    export.add_argument(
        "--warc",
        type=Path,
        metavar="OUT.warc.gz",
        help="instead: the captures (pages as fetched, with their requests) of every stored"
        " version, captured since --since, in this one WARC file",
    )
    export.add_argument(
        "--overwrite", action="store_true", help="replace an existing -o or --warc file"
    )
    browse = command(
        "browse",
        "open the archive in Datasette: search, facets on category and date, canned queries",
    )
    browse.add_argument("--port", type=_positive, default=BROWSE_PORT, help="(8001)")
    browse.add_argument(
        "--get", metavar="PATH", help="answer one request (e.g. /pvdn/articles.json) and exit"
    )
    again = command("reclean", "re-run cleaning over the stored captures (WARC files)")
    again.add_argument(
        "--workers", type=int, default=None, help="cleaning processes (default: cores)"
    )
    again.add_argument(
        "--all-revisions",
        action="store_true",
        help="re-clean every revision whose capture is kept, in place, not only the latest",
    )
    demo = command("demo", "crawl the fixture site offline into pvdn-demo.sqlite3")
    demo.add_argument(
        "--port", type=_positive, default=DEMO_PORT, help=f"serve it on this port ({DEMO_PORT})"
    )
    return parser


_COMMANDS: dict[str, Callable[[str, argparse.Namespace, IO[str]], int]] = {
    "stats": cmd_stats,
    "search": cmd_search,
    "trending": cmd_trending,
    "show": cmd_show,
    "history": cmd_history,
    "export": cmd_export,
    "browse": cmd_browse,
    "reclean": cmd_reclean,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.warc_dir = warc_dir(getattr(args, "warc_dir", None))
    try:
        _read_dates(args)
        given = getattr(args, "database", None)
        if args.command == "demo":
            return cmd_demo(archive_url(given) if given else None, args.port, sys.stdout)
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
