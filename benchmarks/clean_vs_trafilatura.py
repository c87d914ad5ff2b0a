"""Compare `cleaning.clean_html` with `trafilatura.extract` on the saved PVDN pages, in one run.

    python benchmarks/clean_vs_trafilatura.py [--repeats 7] [--json out.json]

For each page under fixtures/pages/ it reports body token F1 against the expected output,
the boilerplate strings (`must_not_contain`) that leaked into the body, and the median time per
page. Both extractors run interleaved on the same bytes in the same process, so the speed
ratio is measured against a baseline taken in the same run (this machine's timings are noisy).
Pages are split by the path `cleaning` took ("pvdn" when the profile recognised the page).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaning import clean_html  # noqa: E402

WORD = re.compile(r"\w+")


@dataclass
class Score:
    f1: list[float]
    leaks: int
    ms: list[float]


def tokens(text: str) -> Counter[str]:
    return Counter(w.lower() for w in WORD.findall(text or ""))


def f1(predicted: str, truth: str) -> float:
    p, t = tokens(predicted), tokens(truth)
    overlap = sum((p & t).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(t.values())
    return 2 * precision * recall / (precision + recall)


def truth_of(expected: dict[str, object]) -> str | None:
    blocks = expected.get("blocks")
    if isinstance(blocks, list):
        return "\n\n".join(text for _kind, text in blocks)
    contains = expected.get("body_contains")
    return " ".join(contains) if isinstance(contains, list) else None


Extractor = Callable[[bytes, str | None], str]
CONTESTANTS: dict[str, Extractor] = {
    "cleaning.clean_html": lambda page, url: clean_html(page, url).body,
    "trafilatura.extract": lambda page, url: trafilatura.extract(page, url=url) or "",
    "trafilatura (favor_precision)": lambda page, url: (
        trafilatura.extract(page, url=url, favor_precision=True) or ""
    ),
}


def timed(fn: Extractor, page: bytes, url: str | None, repeats: int) -> tuple[str, float]:
    out, times = "", []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn(page, url)
        times.append((time.perf_counter() - start) * 1000)
    return out, statistics.median(times)


def run(repeats: int) -> dict[str, dict[str, dict[str, float]]]:
    results: dict[str, dict[str, Score]] = {}
    for folder in sorted((ROOT / "fixtures" / "pages").iterdir()):
        expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        page = (folder / "page.html").read_bytes()
        url = meta.get("url")
        truth = truth_of(expected)
        group = clean_html(page, url).extractor
        if truth is None or not truth.strip():
            continue  # pages with no story have nothing to score against
        for name, fn in CONTESTANTS.items():
            body, ms = timed(fn, page, url, repeats)
            score = results.setdefault(group, {}).setdefault(name, Score([], 0, []))
            score.f1.append(f1(body, truth))
            score.leaks += sum(1 for s in expected.get("must_not_contain", []) if s in body)
            score.ms.append(ms)
    return {
        group: {
            name: {
                "pages": len(s.f1),
                "f1": statistics.mean(s.f1),
                "leaks": s.leaks,
                "median_ms": statistics.median(s.ms),
            }
            for name, s in by_name.items()
        }
        for group, by_name in results.items()
    }


def markdown(summary: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = []
    for group, by_name in summary.items():
        base = by_name["trafilatura.extract"]["median_ms"]
        lines += [
            f"Pages where cleaning took the `{group}` path:",
            "",
            "| extractor | pages | body token F1 | boilerplate leaked | median ms/page"
            " | speed vs trafilatura |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, s in by_name.items():
            lines.append(
                f"| {name} | {s['pages']:.0f} | {s['f1']:.3f} | {s['leaks']:.0f} |"
                f" {s['median_ms']:.2f} | {base / s['median_ms']:.1f}x |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="runs per page (median taken)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()
    summary = run(args.repeats)
    print(markdown(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
