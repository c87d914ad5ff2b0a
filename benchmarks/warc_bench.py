"""What keeping every capture as WARC costs: size against the old zlib column, and speed.

    python benchmarks/warc_bench.py [--pages 5000] [--repeats 3] [--json out.json]
    python benchmarks/warc_bench.py --only crawl|writer

Two parts, both on the generated site's articles (`sitegen.py`):

- The crawl (`run_crawl`): the real `scrapy crawl pvdn` over the generated site served on
  127.0.0.1 (`crawl_bench.crawl`, full pipeline), with capture on (the default) and off
  (`-s PVDN_WARC_ENABLED=False`), `repeats` times each, taking turns. Throughput: article
  pages per second of crawl, the median of each, and the median over the pairs of one
  repeat of on over off. Size (from the first pair): the archive with capture is its
  database plus its WARC folder; the archive before WARC capture kept each article's page
  zlib-compressed at level 6 in the database, estimated as the database of the crawl without
  capture plus the stored articles' pages compressed that way (SQLite's page slack ignored).
- The writer alone (`run_writer`, pages rendered in memory, no server): each page with the
  headers that site sends and the request headers a Scrapy crawl sends. Size: the zlib
  column's bytes against the WARC files (a gzip member per `response` and per `request`
  record, a `warcinfo` per file). Throughput: captures written per second through
  `RunWarcWriter.write_capture` (record building, digests, gzip, the write) with three
  durability choices: no fsync until the file is closed; `sync()` every 50 captures (the
  pipeline's commit batch, what the crawl does); and fsync after every capture.
  Zlib-compressing the same pages at level 6 (the old column's cost per page) is timed
  alongside. Each figure is the median of `repeats` runs, each in a fresh temporary folder;
  the modes take turns within a repeat, so they share the machine's noise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
for path in (HERE.parent, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import crawl_bench  # noqa: E402
from sitegen import Site, load_templates, plan_pages, start_site  # noqa: E402

from storage.warc import Capture, RunWarcWriter, SentRequest  # noqa: E402

__all__ = ["generate_pages", "markdown", "run", "run_crawl", "run_writer"]

PAGES = 2000  # the writer part's pages
CRAWL_PAGES = 5000
CAPTURE_OFF = ("PVDN_WARC_ENABLED=False",)
BATCH = 50  # the pipeline's default PVDN_COMMIT_EVERY
ORIGIN = "https://www.vallartadaily.com"
_ZLIB_LEVEL = 6  # what the raw_html column used (storage.models.ZlibBytes, before 0004)
_REQUEST_HEADERS: list[tuple[str | bytes, str | bytes]] = [
    (b"Accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    (b"Accept-Language", b"en"),
    (b"User-Agent", b"pvdn-archive (+https://github.com/pvdn-archive)"),
    (b"Accept-Encoding", b"gzip, deflate, br, zstd"),
]


def generate_pages(count: int = PAGES) -> list[tuple[str, bytes]]:
    """(URL, HTML) of the generated site's first `count` article pages."""
    pages = plan_pages(load_templates(), count, datetime(2025, 6, 1, tzinfo=UTC))
    paths = [page.path for page in pages]
    return [(ORIGIN + page.path, page.template.render(page, ORIGIN, paths)) for page in pages]


def _captures(pages: list[tuple[str, bytes]]) -> list[Capture]:
    start = datetime(2025, 6, 1, 12, tzinfo=UTC)
    captures = []
    for index, (url, body) in enumerate(pages):
        when = start + timedelta(milliseconds=137 * index)
        headers: list[tuple[str | bytes, str | bytes]] = [
            (b"Server", b"SimpleHTTP/0.6 Python/3.11"),
            (b"Date", when.strftime("%a, %d %b %Y %H:%M:%S GMT").encode()),
            (b"Content-Type", b"text/html; charset=UTF-8"),
            (b"ETag", f'"{zlib.crc32(body):08x}{index:08x}"'.encode()),
            (b"Content-Length", str(len(body)).encode()),
        ]
        request = SentRequest("GET", url, [*_REQUEST_HEADERS, (b"Referer", ORIGIN + "/")])
        captures.append(Capture(url, 200, headers, body, when, request, ip_address="127.0.0.1"))
    return captures


def _write(captures: list[Capture], folder: Path, mode: str) -> tuple[float, dict[str, int]]:
    """Seconds to write every capture in `mode`, and the sizes written."""
    started = time.perf_counter()
    lengths = 0
    with RunWarcWriter(
        folder, "bench", fsync_each_write=mode == "fsync every capture", recover=False
    ) as writer:
        for count, capture in enumerate(captures, 1):
            lengths += writer.write_capture(capture).length
            if mode == f"sync every {BATCH}" and count % BATCH == 0:
                writer.sync()
    seconds = time.perf_counter() - started
    files = list(folder.glob("*.warc.gz"))
    sizes = {
        "warc_bytes": sum(path.stat().st_size for path in files),
        "response_member_bytes": lengths,
        "files": len(files),
    }
    return seconds, sizes


def _zlib(bodies: list[bytes]) -> tuple[float, int]:
    started = time.perf_counter()
    size = sum(len(zlib.compress(body, _ZLIB_LEVEL)) for body in bodies)
    return time.perf_counter() - started, size


# ---- the crawl ---------------------------------------------------------------------------------


def _bytes(*paths: Path) -> int:
    return sum(
        file.stat().st_size
        for path in paths
        for file in ([path] if path.is_file() else path.rglob("*") if path.is_dir() else [])
        if file.is_file()
    )


def _database_files(database: Path) -> list[Path]:
    return sorted(database.parent.glob(f"{database.name}*"))


def _archive_sizes(site: Site, database: Path) -> dict[str, Any]:
    """The archive a crawl with capture left: its database and WARC folder, and what the old
    column would have held for the same articles."""
    folder = database.with_name(f"{database.stem}-warc")
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT raw_url, warc_length FROM articles").fetchall()
    db.close()
    pages = [site.routes[urlsplit(url).path].body for url, _ in rows]
    return {
        "stored_articles": len(rows),
        "html_bytes": sum(map(len, pages)),
        "zlib_column_bytes": sum(len(zlib.compress(page, _ZLIB_LEVEL)) for page in pages),
        "database_bytes": _bytes(*_database_files(database)),
        "warc_bytes": _bytes(folder),
        "warc_files": len(list(folder.glob("*.warc.gz"))),
        "article_response_bytes": sum(length or 0 for _, length in rows),
    }


def run_crawl(pages: int = CRAWL_PAGES, repeats: int = 3) -> dict[str, Any]:
    """Crawls of the generated site with capture on and off; see the module's docstring."""
    started = time.perf_counter()
    runs: dict[str, list[dict[str, Any]]] = {"on": [], "off": []}
    sizes: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="pvdn-warc-bench-") as tmp,
        start_site(pages) as site,
    ):
        work = Path(tmp)
        for n in range(repeats):
            order = ("on", "off") if n % 2 == 0 else ("off", "on")
            for mode in order:
                label = f"capture-{mode}-{n}"
                database = work / f"{label}.sqlite3"
                settings = CAPTURE_OFF if mode == "off" else ()
                result = crawl_bench.crawl(site, work, label, settings=settings)
                result["database_bytes"] = _bytes(*_database_files(database))
                result["warc_bytes"] = _bytes(database.with_name(f"{label}-warc"))
                if mode == "on" and not sizes:
                    sizes = _archive_sizes(site, database)
                if mode == "off" and "database_without_capture_bytes" not in sizes:
                    sizes["database_without_capture_bytes"] = result["database_bytes"]
                runs[mode].append(result)
                for path in (*_database_files(database), database.with_name(f"{label}-warc")):
                    shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    rates = {mode: [r["pages_per_s"] for r in found] for mode, found in runs.items()}
    pairs = [on / off for on, off in zip(rates["on"], rates["off"], strict=True) if off]
    old = sizes.get("database_without_capture_bytes", 0) + sizes.get("zlib_column_bytes", 0)
    new = sizes.get("database_bytes", 0) + sizes.get("warc_bytes", 0)
    every = [*runs["on"], *runs["off"]]
    return {
        "pages": pages,
        "repeats": repeats,
        "pages_per_s": {mode: statistics.median(values) for mode, values in rates.items()},
        "pages_per_s_runs": rates,
        "on_vs_off_median_of_pairs": statistics.median(pairs) if pairs else 0.0,
        "on_vs_off_of_medians": (
            statistics.median(rates["on"]) / statistics.median(rates["off"])
            if statistics.median(rates["off"])
            else 0.0
        ),
        "warc_bytes_per_run": [r["warc_bytes"] for r in runs["on"]],
        "no_warc_without_capture": all(r["warc_bytes"] == 0 for r in runs["off"]),
        "sizes": sizes,
        "old_archive_bytes": old,
        "new_archive_bytes": new,
        "new_vs_old": new / old if old else 0.0,
        "warc_vs_zlib_column": (
            sizes["warc_bytes"] / sizes["zlib_column_bytes"]
            if sizes.get("zlib_column_bytes")
            else 0.0
        ),
        "failed_runs": [r["label"] for r in every if r["exit_code"] or r["verdict"] != "ok"],
        "seconds": round(time.perf_counter() - started, 1),
    }


# ---- the writer alone --------------------------------------------------------------------------


MODES = ("no fsync", f"sync every {BATCH}", "fsync every capture")


def run_writer(pages: int = PAGES, repeats: int = 3, folder: Path | None = None) -> dict[str, Any]:
    """Measure sizes and throughput; `folder` is where the temporary WARCs go (the disk the
    archive would use matters for the fsync figures)."""
    generated = generate_pages(pages)
    captures = _captures(generated)
    bodies = [body for _url, body in generated]
    timings: dict[str, list[float]] = {mode: [] for mode in (*MODES, "zlib level 6 only")}
    sizes: dict[str, int] = {}
    zlib_bytes = 0
    for repeat in range(repeats):
        # Rotate the order so no mode always runs first (cold caches) or last.
        order = MODES[repeat % len(MODES) :] + MODES[: repeat % len(MODES)]
        for mode in order:
            with tempfile.TemporaryDirectory(dir=folder) as scratch:
                seconds, sizes = _write(captures, Path(scratch), mode)
            timings[mode].append(seconds)
        seconds, zlib_bytes = _zlib(bodies)
        timings["zlib level 6 only"].append(seconds)
    html_bytes = sum(map(len, bodies))
    return {
        "pages": pages,
        "repeats": repeats,
        "html_bytes": html_bytes,
        "zlib_bytes": zlib_bytes,
        **sizes,
        "warc_vs_zlib": sizes["warc_bytes"] / zlib_bytes,
        "response_members_vs_zlib": sizes["response_member_bytes"] / zlib_bytes,
        "per_page_bytes": {
            "html": html_bytes / pages,
            "zlib": zlib_bytes / pages,
            "warc": sizes["warc_bytes"] / pages,
        },
        "captures_per_second": {
            mode: pages / statistics.median(values) for mode, values in timings.items()
        },
    }


def run(pages: int = CRAWL_PAGES, repeats: int = 3, writer_pages: int = PAGES) -> dict[str, Any]:
    """Both parts: the crawl over a `pages`-article site, the writer over `writer_pages`."""
    return {
        "crawl": run_crawl(pages, repeats),
        "writer": run_writer(min(writer_pages, pages), repeats),
    }


def _mb(value: float) -> str:
    return f"{value / 1e6:,.1f} MB"


def markdown_crawl(figures: dict[str, Any]) -> str:
    sizes = figures["sizes"]
    rates = figures["pages_per_s"]
    runs = figures["pages_per_s_runs"]
    articles = sizes["stored_articles"]
    old, new = figures["old_archive_bytes"], figures["new_archive_bytes"]
    lines = [
        f"`scrapy crawl pvdn` over the generated {figures['pages']:,}-article site on 127.0.0.1"
        " (full pipeline, as under Crawl throughput), with capture on (the default) and off"
        f" (`-s PVDN_WARC_ENABLED=False`), {figures['repeats']} crawls each, taking turns.",
        "",
        f"Archive after one crawl ({articles:,} articles stored; {_mb(sizes['html_bytes'])} of"
        " article HTML). Before WARC capture the database kept each article's latest page"
        " zlib-compressed (level 6, no headers); that column is estimated here by compressing"
        " the same pages, added to the database of the crawl without capture.",
        "",
        "| archive | database | pages | total | vs before |",
        "|---|---:|---:|---:|---:|",
        f"| before: page in a zlib column (estimated) |"
        f" {_mb(sizes['database_without_capture_bytes'])} | {_mb(sizes['zlib_column_bytes'])}"
        f" | {_mb(old)} | 1.00x |",
        f"| with WARC capture | {_mb(sizes['database_bytes'])} | {_mb(sizes['warc_bytes'])}"
        f" in {sizes['warc_files']} file(s) | {_mb(new)} | {figures['new_vs_old']:.2f}x |",
        "",
        f"The WARC files are {figures['warc_vs_zlib_column']:.2f}x the zlib column. They hold"
        " every answer of the crawl with its request, not only the articles' pages: the articles'"
        f" `response` records alone are {_mb(sizes['article_response_bytes'])}"
        f" ({sizes['article_response_bytes'] / max(1, sizes['zlib_column_bytes']):.2f}x the"
        " column); the rest is their `request` records, the listings, feeds, sitemaps, 404s and"
        " redirects, and one `warcinfo` per file.",
        "",
        "| crawl | article pages/s (median) | runs |",
        "|---|---:|---|",
        f"| capture on | {rates['on']:.1f} | {', '.join(f'{r:.1f}' for r in runs['on'])} |",
        f"| capture off | {rates['off']:.1f} | {', '.join(f'{r:.1f}' for r in runs['off'])} |",
        "",
        f"Capture on / off: **{figures['on_vs_off_median_of_pairs']:.2f}** (median over the"
        f" {figures['repeats']} pairs of one repeat; ratio of the medians"
        f" {figures['on_vs_off_of_medians']:.2f}). Without capture no WARC file was written:"
        f" {'yes' if figures['no_warc_without_capture'] else 'NO'}."
        + (f" Failed runs: {', '.join(figures['failed_runs'])}." if figures["failed_runs"] else ""),
    ]
    return "\n".join(lines) + "\n"


def markdown(figures: dict[str, Any]) -> str:
    """The report section: the crawl, then the writer alone."""
    parts = ["## WARC capture", ""]
    if "crawl" in figures:
        parts += ["### Archive size and crawl throughput", "", markdown_crawl(figures["crawl"])]
    if "writer" in figures:
        parts += ["### The WARC writer alone", "", markdown_writer(figures["writer"])]
    return "\n".join(parts)


def markdown_writer(figures: dict[str, Any]) -> str:
    per_page = figures["per_page_bytes"]
    rates = figures["captures_per_second"]
    lines = [
        f"{figures['pages']:,} generated article pages, {per_page['html'] / 1000:.1f} KB of HTML"
        f" each on average (medians of {figures['repeats']} runs).",
        "",
        "| stored as | total | per page | vs zlib column |",
        "|---|---:|---:|---:|",
        f"| HTML, zlib level 6 (the old column) | {figures['zlib_bytes'] / 1e6:.2f} MB"
        f" | {per_page['zlib'] / 1000:.2f} KB | 1.00x |",
        f"| WARC response members only | {figures['response_member_bytes'] / 1e6:.2f} MB"
        f" | {figures['response_member_bytes'] / figures['pages'] / 1000:.2f} KB"
        f" | {figures['response_members_vs_zlib']:.2f}x |",
        f"| WARC files (responses, requests, warcinfo) | {figures['warc_bytes'] / 1e6:.2f} MB"
        f" | {per_page['warc'] / 1000:.2f} KB | {figures['warc_vs_zlib']:.2f}x |",
        "",
        "| writing | captures/s |",
        "|---|---:|",
        *(f"| {mode} | {rate:,.0f} |" for mode, rate in rates.items()),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=CRAWL_PAGES, help="the crawled site's")
    parser.add_argument("--writer-pages", type=int, default=PAGES)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["crawl", "writer"], help="one part alone")
    parser.add_argument("--dir", type=Path, default=None, help="where the writer's WARCs go")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    if args.only != "writer":
        figures["crawl"] = run_crawl(args.pages, args.repeats)
    if args.only != "crawl":
        figures["writer"] = run_writer(args.writer_pages, args.repeats, args.dir)
    print(markdown(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
