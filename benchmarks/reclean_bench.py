"""`pvdn-archive reclean` at archive scale: memory against the archive's size, speed per worker.

    python benchmarks/reclean_bench.py [--pages 10000] [--small 1000] [--repeats 3]

Two archives are built in a temporary folder, of `pages` and `small` generated article pages
(`sitegen.py`'s pages, under the site's own origin), the way a crawl leaves them: each page
cleaned by `cleaning.clean_html`, turned into its record by the crawl's own `article_record`,
and stored through `storage.BatchWriter` with its HTTP exchange written as WARC records
(`RunWarcWriter`), 50 pages per batch. Every other page is stored with its story one
paragraph short, as an older cleaning might have left it: a re-clean then finds half the
pages changed (a new revision each) and half unchanged, so reading, cleaning and writing all
take part.

Each measured re-clean is `pvdn_crawler.reclean.reclean` on a fresh copy of an archive
(database and WARC folder), run in a child process of its own so that its memory can be
measured: the peak of the summed RSS of the child and its worker processes (read from /proc
every 20 ms), and the largest single process's peak (`ru_maxrss`, from wait4). Runs take turns
(large archive with 1 and 2 workers, small archive with 1 and 2 workers, the order rotated
every repeat); figures are medians over `repeats`.

Targets (issue 12): the peak memory with `pages` within 1.2x of that with `small` (at the
default worker count, the cores); with two workers at least 1.6x faster than with one (on
two cores), judged by the median over repeats of each repeat's paired ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (str(ROOT), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from crawl_bench import LAUNCHER, child_env  # noqa: E402
from sitegen import load_templates, plan_pages  # noqa: E402

from cleaning import Options, clean_html  # noqa: E402
from pvdn_crawler.items import article_record  # noqa: E402
from storage import ArticleRecord, BatchWriter, open_archive  # noqa: E402
from storage.warc import Capture, RunWarcWriter, SentRequest  # noqa: E402

__all__ = ["markdown", "run"]

PAGES = 10_000
SMALL = 1_000
BATCH = 50
ORIGIN = "https://www.vallartadaily.com"
MEMORY_TARGET = 1.2
SPEEDUP_TARGET = 1.6
SAMPLE_SECONDS = 0.02
_HEADERS: list[tuple[str | bytes, str | bytes]] = [
    ("Content-Type", "text/html; charset=UTF-8"),
    ("Server", "nginx"),
]
_REQUEST = [("Accept", "text/html"), ("User-Agent", "pvdn-archive (benchmark)")]

# The child: one re-clean, its outcome and time as JSON on stdout.
CHILD = """
import json, sys, time
from pvdn_crawler.reclean import reclean
url, warc, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
from pathlib import Path
started = time.perf_counter()
done = reclean(url, workers=workers, warc_dir=Path(warc))
print(json.dumps({"seconds": time.perf_counter() - started, "pages": done.pages,
                  "outcomes": dict(done.outcomes)}))
"""


# ---- building an archive ----------------------------------------------------------------------


def _record(index: int, url: str, body: bytes, fetched: datetime) -> ArticleRecord:
    """The record a crawl stores for this page; every other one a paragraph short."""
    article = clean_html(
        body, url, options=Options(site_hosts=frozenset({"www.vallartadaily.com"}))
    )
    if index % 2 and len(article.blocks) > 1:
        article = replace(article, blocks=article.blocks[:-1])
    capture = Capture(url, 200, _HEADERS, body, fetched, SentRequest("GET", url, _REQUEST))
    record, _ = article_record(
        article, canonical_url=article.canonical_url or url, fetched_url=url, capture=capture
    )
    return record


def build_archive(folder: Path, pages: int) -> dict[str, Any]:
    """An archive of `pages` generated pages in `folder` (archive.sqlite3, archive-warc/)."""
    started = time.perf_counter()
    database = folder / "archive.sqlite3"
    planned = plan_pages(load_templates(), pages, datetime(2025, 6, 1, tzinfo=UTC))
    paths = [page.path for page in planned]
    fetched = datetime(2025, 6, 2, tzinfo=UTC)
    stored = 0
    with (
        open_archive(f"sqlite:///{database}") as archive,
        RunWarcWriter(folder / "archive-warc", "bench") as warc,
    ):
        writer = BatchWriter(archive.sessions, None, warc=warc)
        for start in range(0, pages, BATCH):
            records = [
                _record(
                    page.index,
                    ORIGIN + page.path,
                    page.template.render(page, ORIGIN, paths),
                    fetched + timedelta(seconds=page.index),
                )
                for page in planned[start : start + BATCH]
            ]
            stored += sum(1 for outcome in writer.write(records).outcomes if outcome == "new")
    return {
        "pages": pages,
        "stored": stored,
        "database_mb": _size(database) / 1e6,
        "warc_mb": _size(folder / "archive-warc") / 1e6,
        "build_s": round(time.perf_counter() - started, 1),
    }


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return sum(p.stat().st_size for p in path.parent.glob(f"{path.name}*"))


def _copy(source: Path, target: Path) -> None:
    """A fresh copy of an archive (database and WARC folder) to re-clean."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy2(source / "archive.sqlite3", target / "archive.sqlite3")
    shutil.copytree(source / "archive-warc", target / "archive-warc")


# ---- measuring one re-clean -------------------------------------------------------------------


def _tree_rss_kib(root: int) -> int:
    """Summed RSS of the descendants of `root` (from /proc), in KiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        pid, parent = int(entry.name), int(fields[1])
        children.setdefault(parent, []).append(pid)
        rss[pid] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total, stack = 0, list(children.get(root, ()))
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


def reclean_once(archive: Path, workers: int) -> dict[str, Any]:
    """`reclean` in a child process on `archive`: time, outcomes and peak memory. The child
    is started by crawl_bench's launcher, so its peak RSS is its own, not this process's
    (which has just built the archives): Linux keeps the peak across exec."""
    url = f"sqlite:///{archive / 'archive.sqlite3'}"
    usage_file = archive / "reclean.rusage.json"
    command = [sys.executable, "-c", CHILD, url, str(archive / "archive-warc"), str(workers)]
    launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(usage_file), *command]
    started = time.perf_counter()
    process = subprocess.Popen(launcher, cwd=ROOT, env=child_env(), stdout=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kib(process.pid))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert process.stdout is not None
    output = process.stdout.read()
    process.wait()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    usage = json.loads(usage_file.read_text(encoding="utf-8"))
    if usage["exit_code"] != 0:
        raise RuntimeError(f"reclean failed with status {usage['exit_code']}")
    result: dict[str, Any] = json.loads(output)
    return {
        **result,
        "workers": workers,
        "wall_s": round(wall, 2),
        "peak_tree_rss_mib": round(peak[0] / 1024, 1),
        "max_process_rss_mib": round(usage["max_rss_kib"] / 1024, 1),
        "cpu_s": round(usage["cpu_s"], 2),
    }


# ---- the run ----------------------------------------------------------------------------------


def run(pages: int = PAGES, small: int = SMALL, repeats: int = 3) -> dict[str, Any]:
    started = time.perf_counter()
    cores = os.cpu_count() or 1
    runs: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="pvdn-reclean-bench-") as tmp:
        work = Path(tmp)
        built = {}
        for size in (pages, small):
            folder = work / f"built-{size}"
            folder.mkdir()
            built[size] = build_archive(folder, size)
        cases = [(size, workers) for size in (pages, small) for workers in (1, 2)]
        for repeat in range(repeats):
            shift = repeat % len(cases)
            for size, workers in cases[shift:] + cases[:shift]:
                target = work / "run"
                _copy(work / f"built-{size}", target)
                runs.setdefault(f"{size}x{workers}", []).append(reclean_once(target, workers))
                shutil.rmtree(target)

    def med(key: str, field: str) -> float:
        return float(statistics.median(r[field] for r in runs[key]))

    default = min(2, cores)
    speedups = [
        one["seconds"] / two["seconds"]
        for one, two in zip(runs[f"{pages}x1"], runs[f"{pages}x2"], strict=True)
    ]
    memory_ratio = med(f"{pages}x{default}", "peak_tree_rss_mib") / med(
        f"{small}x{default}", "peak_tree_rss_mib"
    )
    speedup = float(statistics.median(speedups))
    return {
        "pages": pages,
        "small": small,
        "repeats": repeats,
        "cores": cores,
        "built": built,
        "runs": runs,
        "summary": {
            key: {
                "seconds": med(key, "seconds"),
                "pages_per_s": round(
                    statistics.median(r["pages"] / r["seconds"] for r in found), 1
                ),
                "peak_tree_rss_mib": med(key, "peak_tree_rss_mib"),
                "max_process_rss_mib": med(key, "max_process_rss_mib"),
                "cpu_s": med(key, "cpu_s"),
                "outcomes": found[0]["outcomes"],
            }
            for key, found in runs.items()
        },
        "memory_workers": default,
        "memory_ratio": round(memory_ratio, 3),
        "memory_met": memory_ratio <= MEMORY_TARGET,
        "speedup_runs": [round(s, 3) for s in speedups],
        "speedup": round(speedup, 3),
        "speedup_met": speedup >= SPEEDUP_TARGET,
        "seconds": round(time.perf_counter() - started, 1),
    }


def markdown(figures: dict[str, Any]) -> str:
    pages, small, summary = figures["pages"], figures["small"], figures["summary"]
    built = figures["built"]
    rows = []
    for size in (pages, small):
        for workers in (1, 2):
            s = summary[f"{size}x{workers}"]
            rows.append(
                f"| {size:,} | {workers} | {s['seconds']:.1f} | {s['pages_per_s']:.0f} |"
                f" {s['cpu_s']:.1f} | {s['peak_tree_rss_mib']:.0f} |"
                f" {s['max_process_rss_mib']:.0f} |"
            )
    outcomes = summary[f"{pages}x2"]["outcomes"]
    lines = [
        "## Re-cleaning the archive",
        "",
        f"`pvdn_crawler.reclean.reclean` (what `pvdn-archive reclean` runs) over archives of"
        f" {pages:,} and {small:,} generated article pages, built as a crawl leaves them:"
        " cleaned, stored through `BatchWriter` with their exchanges as WARC records"
        f" ({built[pages]['database_mb']:.0f} MB of database and"
        f" {built[pages]['warc_mb']:.0f} MB of WARC for {pages:,} pages). Every other page"
        " was stored one paragraph short, so a re-clean stores a new revision for half of them"
        f" (outcomes with {pages:,} pages: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items()))
        + "). Each re-clean runs in a child process on a fresh copy of the archive; *peak"
        " RSS, tree*: the largest sum of the RSS of the child and its worker processes, read"
        " from /proc every 20 ms; *largest process*: the peak of the biggest single one"
        f" (wait4). Medians of {figures['repeats']} runs each, taking turns, on"
        f" {figures['cores']} cores; *CPU s* counts the workers too.",
        "",
        "| pages | workers | seconds | pages/s | CPU s | peak RSS, tree MiB |"
        " largest process MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Peak memory, {pages:,} pages over {small:,} ({figures['memory_workers']} workers):"
        f" **{figures['memory_ratio']:.2f}x** (target <= {MEMORY_TARGET}x, "
        + ("met" if figures["memory_met"] else "**missed**")
        + f"). Two workers against one, {pages:,} pages: **{figures['speedup']:.2f}x** faster"
        f" (median of the {figures['repeats']} paired runs:"
        f" {', '.join(f'{s:.2f}' for s in figures['speedup_runs'])}; target >="
        f" {SPEEDUP_TARGET}x, " + ("met" if figures["speedup_met"] else "**missed**") + ").",
        "",
        f"Run time: {figures['seconds']:.0f} s (building the archives:"
        f" {built[pages]['build_s']:.0f} s and {built[small]['build_s']:.0f} s).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=PAGES)
    parser.add_argument("--small", type=int, default=SMALL)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures = run(args.pages, args.small, args.repeats)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    print(markdown(figures))


if __name__ == "__main__":
    main()
