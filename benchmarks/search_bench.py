"""Search latency of the archive: `pvdn-archive search` on an archive of N articles.

    python benchmarks/search_bench.py [--articles 2000] [--repeats 20] [--postgres URL]

Articles are made from the fixture pages' paragraphs (fixtures/pages/*/expected.json),
shuffled with a fixed seed: each has a title and 8 to 14 paragraphs of the site's real
vocabulary, so the index is the size and shape a crawl's would be. They are written through
`BatchWriter` (the crawl's path, so the index is filled by the same triggers or generated
column), then each query runs `--repeats` times through `ArchiveRepository.search` with 20
hits and snippets; the median and the slowest are printed in milliseconds. With `--postgres`,
the same on a fresh schema of that database (dropped afterwards).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, make_url

from storage import ArchiveRepository, ArticleRecord, BatchWriter, Story
from storage.engine import make_engine, session_factory, upgrade_schema

ROOT = Path(__file__).resolve().parent.parent
QUERIES = (
    ("one word", "seawall", {}),
    ("two words", "whale season", {}),
    ("phrase", '"hurricane season"', {}),
    ("or / not", "malecon OR airport -hurricane", {}),
    ("common word", "puerto", {}),
    ("word, category", "beach", {"categories": ("Puerto Vallarta News",)}),
)


def paragraphs() -> list[str]:
    found = []
    for expected in sorted((ROOT / "fixtures" / "pages").glob("*/expected.json")):
        for _kind, text in json.loads(expected.read_text(encoding="utf-8")).get("blocks", []):
            if len(text.split()) >= 12:
                found.append(text)
    return found


def records(count: int, seed: int = 7) -> list[ArticleRecord]:
    pool = paragraphs()
    rng = random.Random(seed)
    categories = ("Puerto Vallarta News", "Mexico News", "Weather", "Expat Life")
    start = datetime(2020, 1, 1, tzinfo=UTC)
    made = []
    for n in range(count):
        body = rng.sample(pool, rng.randint(8, 14))
        title = " ".join(rng.choice(pool).split()[:10])
        made.append(
            ArticleRecord(
                f"https://www.vallartadaily.com/story-{n}/",
                Story(
                    title=title,
                    lede=body[0],
                    body="\n\n".join(body),
                    categories=(rng.choice(categories),),
                    published=start + timedelta(hours=7 * n),
                    extractor="pvdn",
                ),
            )
        )
    return made


def measure(url: str, count: int, repeats: int) -> dict[str, tuple[float, float, int]]:
    engine = make_engine(url)
    try:
        upgrade_schema(engine)
        factory = session_factory(engine)
        writer = BatchWriter(factory, None)
        batch = records(count)
        for start in range(0, len(batch), 50):
            writer.write(batch[start : start + 50])
        results = {}
        for name, query, options in QUERIES:
            times = []
            hits = 0
            for _ in range(repeats):
                with factory() as session:
                    began = time.perf_counter()
                    hits = len(ArchiveRepository(session).search(query, **options))  # type: ignore[arg-type]
                    times.append((time.perf_counter() - began) * 1000)
            results[name] = (statistics.median(times), max(times), hits)
        return results
    finally:
        engine.dispose()


def report(backend: str, count: int, results: dict[str, tuple[float, float, int]]) -> None:
    print(f"{backend}, {count} articles: median / slowest ms (hits)")
    for name, (median, slowest, hits) in results.items():
        print(f"  {name:<16} {median:7.1f} / {slowest:7.1f}  ({hits})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--postgres", help="also on this PostgreSQL database (a new schema)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'search.sqlite3'}"
        report("SQLite", args.articles, measure(url, args.articles, args.repeats))
    if args.postgres:
        schema = f"pvdn_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.postgres)
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        try:
            url = make_url(args.postgres).update_query_dict({"options": f"-csearch_path={schema}"})
            results = measure(url.render_as_string(hide_password=False), args.articles,
                              args.repeats)  # fmt: skip
            report("PostgreSQL", args.articles, results)
        finally:
            with admin.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()


if __name__ == "__main__":
    main()
