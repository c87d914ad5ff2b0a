"""Run every benchmark in one go and write the report: benchmarks/README.md and report.json.

    .venv/bin/pip install -q -e '.[test,bench]' && .venv/bin/python benchmarks/run.py
    (options: --pages 5000, --repeats 7, --skip crawl)

Sections: cleaning quality and speed against the peers (quality.py), text dumps against the
pages of the same stories (text_speed.py), the crawl's throughput, memory and incremental cost
on a generated 5,000-page site (crawl_bench.py), storage upserts against plain sqlite3
(storage_bench.py), and what WARC capture costs: the archive's size against the old zlib
column and the crawl's pages/s with capture on and off on the same site, and the WARC writer
alone (warc_bench.py). Every figure is measured in this run; speed
is reported as medians and as ratios against a baseline measured alongside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import crawl_bench  # noqa: E402
import quality  # noqa: E402
import reclean_bench  # noqa: E402
import storage_bench  # noqa: E402
import text_speed  # noqa: E402
import warc_bench  # noqa: E402

COMMAND = ".venv/bin/pip install -q -e '.[test,bench]' && .venv/bin/python benchmarks/run.py"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "packages": {
            name: version(name) for name in ("trafilatura", "lxml", "Scrapy", "SQLAlchemy")
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=5000, help="generated pages to crawl")
    parser.add_argument("--repeats", type=int, default=7, help="timing repeats per page")
    parser.add_argument(
        "--other-sites", type=Path, help="other sites' pages for quality.py (see there)"
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["quality", "text", "crawl", "storage", "reclean", "warc"],
    )
    args = parser.parse_args()

    report: dict[str, Any] = {"machine": machine(), "command": COMMAND}
    sections: list[str] = []
    for name, module, kwargs in (
        ("quality", quality, {"repeats": args.repeats, "other_sites": args.other_sites}),
        ("text", text_speed, {"repeats": args.repeats}),
        ("storage", storage_bench, {}),
        ("reclean", reclean_bench, {}),
        ("crawl", crawl_bench, {"pages": args.pages}),
        ("warc", warc_bench, {"pages": args.pages}),
    ):
        if name in args.skip:
            continue
        started = time.monotonic()
        figures = module.run(**kwargs)
        figures["benchmark_seconds"] = round(time.monotonic() - started, 1)
        report[name] = figures
        sections.append(module.markdown(figures))
        print(f"{name}: done in {figures['benchmark_seconds']} s", file=sys.stderr)

    info = report["machine"]
    header = "\n".join(
        [
            "# Benchmarks",
            "",
            f"Latest run: {info['date']} on {info['cpu']} ({info['cores']} cores),"
            f" Python {info['python']}, "
            + ", ".join(f"{k} {v}" for k, v in info["packages"].items())
            + ".",
            "",
            f"Rerun with `{COMMAND}` (about fifteen minutes; `--skip crawl` for a quick one;"
            " `--other-sites DIR` adds other sites' pages, see `quality.py`). It"
            " writes this file and `benchmarks/report.json`. Timings on this machine are noisy:"
            " every speed figure is a median, and targets are judged on ratios against a"
            " baseline measured in the same run. No test asserts a timing.",
            "",
        ]
    )
    (HERE / "README.md").write_text(header + "\n" + "\n\n".join(sections) + "\n", "utf-8")
    (HERE / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(HERE / "README.md")


if __name__ == "__main__":
    main()
