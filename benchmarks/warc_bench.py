"""What keeping every capture as WARC costs: size against today's zlib column, and speed.

    python benchmarks/warc_bench.py [--pages 2000] [--repeats 3] [--json out.json]

The pages are the generated site's articles (`sitegen.py`, rendered in memory: no server),
each with the headers that site sends and the request headers a Scrapy crawl sends.

- Size: the archive today keeps each page's HTML zlib-compressed at level 6 (no status line,
  no headers). With WARC capture each page becomes a gzip member holding its `response`
  record and another holding its `request` record, plus one `warcinfo` per file. Reported:
  the total of each, the response members alone, and bytes per page.
- Throughput: captures written per second through `RunWarcWriter.write_capture` (record
  building, digests, gzip, the write) with three durability choices: no fsync until the file
  is closed; `sync()` every 50 captures (the pipeline's commit batch, the intended use); and
  fsync after every capture. Zlib-compressing the same pages at level 6 (today's cost per
  page) is timed alongside. Each figure is the median of `repeats` runs, each in a fresh
  temporary folder; the modes take turns within a repeat, so they share the machine's noise.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
for path in (HERE.parent, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from sitegen import load_templates, plan_pages  # noqa: E402

from storage.warc import Capture, RunWarcWriter, SentRequest  # noqa: E402

__all__ = ["generate_pages", "markdown", "run"]

PAGES = 2000
BATCH = 50  # the pipeline's default PVDN_COMMIT_EVERY
ORIGIN = "https://www.vallartadaily.com"
_ZLIB_LEVEL = 6  # what storage.models.ZlibBytes uses
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


MODES = ("no fsync", f"sync every {BATCH}", "fsync every capture")


def run(pages: int = PAGES, repeats: int = 3, folder: Path | None = None) -> dict[str, Any]:
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


def markdown(figures: dict[str, Any]) -> str:
    per_page = figures["per_page_bytes"]
    rates = figures["captures_per_second"]
    lines = [
        f"{figures['pages']:,} generated article pages, {per_page['html'] / 1000:.1f} KB of HTML"
        f" each on average (medians of {figures['repeats']} runs).",
        "",
        "| stored as | total | per page | vs zlib column |",
        "|---|---:|---:|---:|",
        f"| HTML, zlib level 6 (today's column) | {figures['zlib_bytes'] / 1e6:.2f} MB"
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
    parser.add_argument("--pages", type=int, default=PAGES)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where the temporary WARCs go")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    figures = run(args.pages, args.repeats, args.dir)
    print(markdown(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
