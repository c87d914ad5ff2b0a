"""clean_html grows linearly with its input on hostile pages (issue 10's HTML series).

Each series builds a page at 1x and at 8x its size and times clean_html on both, interleaved,
taking the median of several runs. Linear code gives a ratio near 8 and quadratic code near
64; the bound of 12 leaves room for noise and never depends on the machine's speed. On a
shared machine one measurement can still land above it, so a series is measured again (at
most three times) before it fails: a quadratic path (or one growing x3 per doubling, 27x at
8x) fails every time. Every series also checks that the big page really took the path it is
about (teasers found, story kept), so a shortcut cannot make it pass.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

import pytest

from cleaning import CleanArticle, clean_html

URL = "https://www.vallartadaily.com/puerto-vallarta-news/growth-test/"
MAX_RATIO = 12
ROUNDS = 5
ATTEMPTS = 3
SENTENCE = "Crews from the city worked on the Malecón seawall on Tuesday, officials said."


def _page(content: str, after: str = "", sidebar: str = "") -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Growth test</title>'
        f'<link rel="canonical" href="{URL}"></head><body><div id="page"><div id="primary">'
        '<article class="post type-post"><header class="entry-header">'
        '<h1 class="entry-title">Growth test</h1></header>'
        f'<div class="entry-content">{content}</div></article>{after}</div>'
        f'<div id="secondary" class="widget-area">{sidebar}</div></div></body></html>'
    )


def _story(n: int) -> str:
    return "".join(f"<p>Paragraph {i}. {SENTENCE}</p>" for i in range(n))


def _item(i: int) -> str:
    return (
        f'<li><a href="https://www.vallartadaily.com/story-{i}/">Story number {i}</a> '
        f"An excerpt for story number {i}…</li>"
    )


def many_trending_headings(n: int) -> str:
    """Headings with no list after them (each looked for one past all the others), then
    headings each with a list."""
    lone = "".join(f"<h3>Trending News on PVDN</h3><p>Note {i} has no link.</p>" for i in range(n))
    listed = "".join(
        f"<h3>Trending News on PVDN</h3><ul>{_item(2 * i)}{_item(2 * i + 1)}</ul>" for i in range(n)
    )
    return _page(_story(3) + lone, after=listed)


def many_teaser_widgets(n: int) -> str:
    """Popular-posts widgets in the sidebar, related lists after the story, and widgets that are
    never teasers, n of each."""
    sidebar = "".join(
        '<aside class="widget popular-posts"><h2 class="widget-title">Most read</h2>'
        f'<ul class="wpp-list">{_item(2 * i)}{_item(2 * i + 1)}</ul></aside>'
        '<aside class="widget widget_recent_entries"><h2 class="widget-title">Trending</h2>'
        f"<ul>{_item(i)}{_item(i + 1)}</ul></aside>"
        for i in range(n)
    )
    lists = "".join(
        f'<div class="related-posts"><div class="item">{_item(2 * i)}</div>'
        f'<div class="item">{_item(2 * i + 1)}</div></div>'
        f'<div class="pvdn-trending"><ol>{_item(2 * i)}{_item(2 * i + 1)}</ol></div>'
        for i in range(n)
    )
    return _page(_story(3), after=lists, sidebar=sidebar)


def nested_teaser_lists(n: int) -> str:
    """Lists nested in lists, each with one linkless and one deeper item (never enough teasers
    to be taken, so every level is looked at)."""
    nest = (
        '<div class="trending"><div class="x"><a href="/a/"><img alt=""></a></div>' * 40
        + "</div>" * 40
    )
    return _page(_story(3) + nest * n)


def repeated_ledes(n: int) -> str:
    """A long lede, then many short paragraphs and cut repeats of it."""
    lede = "Puerto Vallarta, Mexico - " + " ".join(f"Day {i}: {SENTENCE}" for i in range(n))
    cut = f"<p>{lede[:150]} . . .</p>"
    short = "".join(f"<p>Item {i}.</p>" for i in range(n))
    return _page(f"<p>{lede}</p><p>Second paragraph.</p>" + (short + cut) * 4)


def deep_nesting(levels: int) -> str:
    """The story behind more wrappers than libxml2 parses (both sizes past 256)."""
    after = "<p>Closing line after the wrappers.</p><p>And a last one.</p>"
    return _page('<div class="wrap">' * levels + _story(5) + "</div>" * levels + after)


def long_article(n: int) -> str:
    return _page(
        _story(n) + "".join(f"<h2>Section {i}</h2><ul><li>{SENTENCE}</li></ul>" for i in range(n))
    )


def trailing_dots(n: int) -> str:
    """Paragraphs opening alike (so the repeat detection reads their ends) and ending in long
    runs of spaced dots before a last word: a truncation-marker search used to backtrack from
    every start."""
    return _page("".join(f"<p>Start here now {i} {'. ' * n}x . .</p>" for i in range(6)))


def mojibake(n: int) -> str:
    """Every word of the story mangled (UTF-8 read as cp1252): each is repaired on its own."""
    broken = "José’s “olé” señor café".encode().decode("cp1252", "replace")
    return _page("".join(f"<p>{broken} {i}. {SENTENCE}</p>" for i in range(n)))


SERIES: dict[str, tuple[Callable[[int], str], int, Callable[[CleanArticle], bool]]] = {
    "many trending headings": (many_trending_headings, 150, lambda a: len(a.teasers) >= 1000),
    "many teaser widgets": (
        many_teaser_widgets,
        120,
        lambda a: len(a.teasers) == 8 * 120 * 6 and a.blocks != (),
    ),
    "nested teaser lists": (nested_teaser_lists, 12, lambda a: len(a.blocks) == 3),
    "repeated ledes": (repeated_ledes, 150, lambda a: a.lede is not None),
    "deep nesting": (deep_nesting, 300, lambda a: len(a.blocks) == 7),
    "long ordinary article": (long_article, 150, lambda a: len(a.blocks) == 8 * 150 * 3),
    "trailing dots": (trailing_dots, 300, lambda a: len(a.blocks) == 6),
    "mojibake words": (mojibake, 60, lambda a: a.body.startswith("José’s “olé” señor café 0.")),
}


def _time(data: bytes) -> float:
    start = time.perf_counter()
    clean_html(data, URL)
    return time.perf_counter() - start


def _ratio(small: bytes, big: bytes) -> float:
    """Median time on `big` over median time on `small`, runs interleaved."""
    small_times, big_times = [], []
    gc.collect()
    gc.disable()  # a collection landing in one run but not the other is noise, not growth
    try:
        for _ in range(ROUNDS):
            small_times.append(_time(small))
            big_times.append(_time(big))
    finally:
        gc.enable()
    return statistics.median(big_times) / statistics.median(small_times)


@pytest.mark.parametrize("name", list(SERIES))
def test_time_grows_linearly(name: str) -> None:
    build, size, took_the_path = SERIES[name]
    small, big = build(size).encode(), build(8 * size).encode()
    assert took_the_path(clean_html(big, URL)), name
    clean_html(small, URL)  # warm up
    ratios = []
    for _ in range(ATTEMPTS):
        ratios.append(_ratio(small, big))
        if ratios[-1] <= MAX_RATIO:
            break
    assert min(ratios) <= MAX_RATIO, f"{name}: 8x input took {ratios} times as long"
