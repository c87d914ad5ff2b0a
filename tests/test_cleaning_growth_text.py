"""Text dumps: `clean_text`'s time grows linearly with its input, on every shape of dump.

Hostile input is normal input: a dump with one enormous trending bullet, thousands of bullets
or a lede pasted hundreds of times must not stall the crawl. Each series below builds a dump
at 1x and at 8x its size; the time at 8x over the time at 1x (medians of several alternating
runs) must stay within 12x, which a linear path meets with room to spare (8x) and a quadratic
one cannot (64x). No absolute time is asserted. Each series also checks that the big dump
really went down the path it is meant to load (so a dump refused early cannot pass).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from cleaning import CleanArticle, clean_text

MAX_GROWTH = 12.0
RUNS = 5

TITLE = "Storm Watch Issued for Jalisco Coast as Rains Reach Puerto Vallarta"
LEDE = (
    "Puerto Vallarta, Mexico — Civil Protection raised a storm watch for the Jalisco coast on "
    "Sunday as heavy rain reached Puerto Vallarta and the rivers that cross the city rose."
)
PARAGRAPH = (
    "Crews cleared mud from Avenida México overnight, and the city said the Cuale River bridges "
    "would stay open while inspectors checked their supports."
)
ITEM = (
    "tropical-storm-watch-jaliscoStorm Watch Issued for Jalisco Coast Forecasters expect "
    "heavy rain in Puerto Vallarta and Banderas Bay as the storm moves north along the coast."
)
EXCERPT_SENTENCE = (
    "Forecasters expect heavy rain in Puerto Vallarta and Banderas Bay as the storm moves north."
)


def _dump(story: list[str], trending: list[str] = (), *, header: list[str] = ()) -> str:  # type: ignore[assignment]
    """A dump in the seed's shape: title, story, Follow-Us line, trending list, Scroll to Top."""
    lines = [*header, TITLE, LEDE, *story, "Follow Us On Google News | Get Our Newsletter"]
    if trending:
        lines += ["Trending News on PVDN", "\n".join(f"  • {item}" for item in trending)]
    return "\n\n".join([*lines, "Scroll to Top"])


@dataclass(frozen=True)
class Series:
    """A dump of `scale` size, and what its cleaned result must show."""

    make: Callable[[int], str]
    check: Callable[[CleanArticle, int], bool]


SERIES = {
    # One trending item thousands of words long: every split point of its title is scored.
    "long trending bullet": Series(
        lambda n: _dump(
            [PARAGRAPH],
            ["tropical-stormStorm Watch Issued for Jalisco " + EXCERPT_SENTENCE * (120 * n)],
        ),
        lambda a, n: len(a.teasers) == 1 and len(a.teasers[0].summary or "") > 8000 * n,
    ),
    "many trending bullets": Series(
        lambda n: _dump([PARAGRAPH], [ITEM] * (40 * n)),
        lambda a, n: len(a.teasers) == 40 * n,
    ),
    # The lede pasted again and again through the story (the repeat checks compare them).
    "many repeated ledes": Series(
        lambda n: _dump([PARAGRAPH, LEDE] * (150 * n)),
        lambda a, n: sum(r.reason == "repeated paragraph" for r in a.removed) >= 290 * n,
    ),
    "long dump": Series(
        lambda n: _dump(
            [f"{PARAGRAPH} Report {i}." for i in range(150 * n)]
            + ["What Happened", *(f"  • Point {i} of the storm report" for i in range(20 * n))]
        ),
        lambda a, n: len(a.blocks) >= 170 * n,
    ),
    # Lowercase-then-capital glue points all through one item, none of them an alt's end.
    "glued letters bullet": Series(
        lambda n: _dump([PARAGRAPH], ["a" + "Bc" * (2000 * n) + " Storm Watch Issued"]),
        lambda a, n: len(a.teasers) == 1 and a.teasers[0].image_alt is None,
    ),
    # Quote marks and sentence stops all through an item (the headline-balance checks).
    "quoted and stopped bullet": Series(
        lambda n: _dump(
            [PARAGRAPH], ["“Storm” Watch ‘Issued’ " + "The “x.” said ‘A’ It " * (120 * n)]
        ),
        lambda a, n: len(a.teasers) == 1,
    ),
    # Dateline-shaped words all through an item (a dateline is looked for at each split).
    "datelines bullet": Series(
        lambda n: _dump(
            [PARAGRAPH], ["Storm Watch Issued " + "PUERTO VALLARTA (PVDN) – Rain " * (100 * n)]
        ),
        lambda a, n: len(a.teasers) == 1,
    ),
    # A line of spaced dots that is not a cut excerpt (the trailing-ellipsis check).
    "spaced dots line": Series(
        lambda n: _dump([PARAGRAPH, ". " * (4000 * n) + "x.."]),
        lambda a, n: len(a.blocks) == 3,
    ),
    "related posts": Series(
        lambda n: "\n\n".join(
            [TITLE, LEDE, PARAGRAPH, "Related Posts"]
            + ["storm photo", "Rain Closes Roads in the Hotel Zone", "Crews worked all night..."]
            * (60 * n)
        ),
        lambda a, n: len(a.teasers) == 60 * n,
    ),
    "long header": Series(
        lambda n: _dump([PARAGRAPH], header=["Puerto Vallarta News"] * (300 * n)),
        lambda a, n: a.title == TITLE,
    ),
}


def _median_times(small: str, big: str) -> tuple[float, float]:
    """Medians of `RUNS` timed calls on each input, alternating, after one untimed call each."""
    times: dict[str, list[float]] = {"small": [], "big": []}
    inputs = {"small": small, "big": big}
    for text in inputs.values():
        clean_text(text)
    # The collector runs by allocation count, over every live object: timed, it would charge
    # the big input for the test process's other objects (timeit turns it off too). CPU time
    # of this process, not wall time: a long call is more often preempted on a busy machine.
    gc.collect()
    gc.disable()
    try:
        for run in range(RUNS):
            for which in ("small", "big") if run % 2 == 0 else ("big", "small"):
                started = time.process_time()
                clean_text(inputs[which])
                times[which].append(time.process_time() - started)
    finally:
        gc.enable()
    return statistics.median(times["small"]), statistics.median(times["big"])


@pytest.mark.parametrize("name", SERIES)
def test_clean_text_time_grows_linearly(name: str) -> None:
    series = SERIES[name]
    small, big = series.make(1), series.make(8)
    assert len(big) > 6 * len(small)
    assert series.check(clean_text(big), 8), f"{name}: the 8x dump did not take its path"
    small_time, big_time = _median_times(small, big)
    growth = big_time / small_time
    assert growth <= MAX_GROWTH, f"{name}: 8x input took {growth:.1f}x the time"
