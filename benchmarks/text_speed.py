"""Text dumps against pages: `clean_text` time over `clean_html` time on the same stories.

    python benchmarks/text_speed.py [--repeats 9]

A dump under fixtures/dumps/ whose folder has the name of a case under fixtures/pages/ is the
text copy of that page (its meta.json names the page too). For each such pair both functions
clean their input once untimed, then `repeats` rounds alternate them (the order swapped every
round), each call timed. The figure is the median of the dumps' per-pair medians over the
median of the pages' per-pair medians, measured in this one run; per-pair ratios are reported
beside it. Target: 3x at most (a dump should not cost more than a few times its page).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cleaning import clean_html, clean_text

__all__ = ["markdown", "pairs", "run"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
TARGET_TEXT_VS_HTML = 3.0


def pairs() -> list[tuple[str, bytes, bytes, str | None]]:
    """(case, dump bytes, page bytes, page url) for every dump that has a page of its story."""
    found = []
    for dump_dir in sorted((FIXTURES / "dumps").iterdir()):
        meta_file = dump_dir / "meta.json"
        if not meta_file.exists():
            continue
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        page_dir = FIXTURES / "pages" / meta.get("page", dump_dir.name)
        if not (page_dir / "page.html").exists():
            continue
        page_meta = json.loads((page_dir / "meta.json").read_text(encoding="utf-8"))
        found.append(
            (
                dump_dir.name,
                (dump_dir / "dump.txt").read_bytes(),
                (page_dir / "page.html").read_bytes(),
                page_meta.get("url"),
            )
        )
    return found


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def run(repeats: int = 9) -> dict[str, Any]:
    cases = pairs()
    if not cases:
        raise SystemExit("no dump has a page of the same story under fixtures/")
    rows = []
    for name, dump, page, url in cases:
        calls = {
            "text": lambda d=dump: clean_text(d),
            "html": lambda p=page, u=url: clean_html(p, u),
        }
        for call in calls.values():
            call()  # untimed: imports, caches
        times: dict[str, list[float]] = {"text": [], "html": []}
        gc.collect()
        for round_no in range(repeats):
            order = ("text", "html") if round_no % 2 == 0 else ("html", "text")
            for which in order:
                times[which].append(_timed(calls[which]))
        text_ms = statistics.median(times["text"]) * 1000
        html_ms = statistics.median(times["html"]) * 1000
        rows.append(
            {
                "case": name,
                "dump_bytes": len(dump),
                "page_bytes": len(page),
                "clean_text_ms": round(text_ms, 3),
                "clean_html_ms": round(html_ms, 3),
                "ratio": round(text_ms / html_ms, 2),
            }
        )
    text_median = statistics.median(r["clean_text_ms"] for r in rows)
    html_median = statistics.median(r["clean_html_ms"] for r in rows)
    ratio = text_median / html_median
    return {
        "pairs": rows,
        "repeats": repeats,
        "clean_text_median_ms": round(text_median, 3),
        "clean_html_median_ms": round(html_median, 3),
        "text_over_html": round(ratio, 2),
        "target": TARGET_TEXT_VS_HTML,
        "met": ratio <= TARGET_TEXT_VS_HTML,
    }


def markdown(figures: dict[str, Any]) -> str:
    lines = [
        "## Text dumps against their pages",
        "",
        f"`clean_text` median / `clean_html` median over the {len(figures['pairs'])} dumps that "
        f"have a page of the same story: **{figures['text_over_html']:.2f}x** "
        f"({figures['clean_text_median_ms']:.3f} ms / {figures['clean_html_median_ms']:.3f} ms; "
        f"target ≤ {figures['target']:.0f}x, {'met' if figures['met'] else 'missed'}; medians of "
        f"{figures['repeats']} alternating runs per input).",
        "",
        "| pair | dump bytes | page bytes | clean_text ms | clean_html ms | ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['case']} | {r['dump_bytes']} | {r['page_bytes']} | {r['clean_text_ms']:.3f} "
        f"| {r['clean_html_ms']:.3f} | {r['ratio']:.2f} |"
        for r in figures["pairs"]
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    figures = run(args.repeats)
    print(markdown(figures))
    print(f"clean_text median / clean_html median: {figures['text_over_html']:.2f}x")


if __name__ == "__main__":
    main()
