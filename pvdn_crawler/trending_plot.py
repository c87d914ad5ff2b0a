"""`pvdn-archive trending --plot FILE`: the top stories' places in the trending list over time.

One line per story, through its best place in each run that saw it (a gap where a run's list
did not show it); place 1 (the top of the list) at the top of the chart, as a reader sees the
list. The legend names each story by its
title, shortened. matplotlib is an optional extra (`pip install -e '.[plot]'`): it is only
imported here, when a chart is asked for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from storage.records import TrendingStory

__all__ = ["FORMATS", "PlotUnavailableError", "plot_trending"]

FORMATS = (".png", ".svg")
_LEGEND_CHARS = 48
# Up to this many runs, each gets its own labelled tick; beyond, matplotlib picks dates.
_LABELLED_RUNS = 12
_NUDGE = 0.05  # of a place, between two stories' lines
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")


class PlotUnavailableError(RuntimeError):
    """matplotlib is not installed."""


def plot_trending(stories: Sequence[TrendingStory], path: Path, *, period: str = "") -> None:
    """Draw `stories` (already ranked) into `path`, PNG or SVG by its suffix; `period` says
    which runs they come from, for the chart's title ("" for all of them)."""
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"--plot writes {' or '.join(FORMATS)} files, not {path.name!r}")
    try:
        import matplotlib  # noqa: PLC0415  (optional extra, imported only when asked for)

        matplotlib.use("Agg")
        import matplotlib.dates as mdates  # noqa: PLC0415
        import matplotlib.pyplot as plt  # noqa: PLC0415
        from matplotlib.ticker import MaxNLocator  # noqa: PLC0415
    except ImportError:
        raise PlotUnavailableError("--plot needs matplotlib: pip install -e '.[plot]'") from None
    runs = sorted({seen for story in stories for seen, _ in story.positions})
    figure, axes = plt.subplots(figsize=(12, 6.5), dpi=110)
    try:
        for index, story in enumerate(stories):
            places = dict(story.positions)
            # A run whose list did not show the story is a gap in its line, not a bridge;
            # stories on the same places are drawn a little apart so that none hides another.
            nudge = (index - (len(stories) - 1) / 2) * _NUDGE
            ys = [places[run] + nudge if run in places else math.nan for run in runs]
            axes.plot(
                runs,  # type: ignore[arg-type]
                ys,
                marker=_MARKERS[index % len(_MARKERS)],
                linewidth=1.8,
                label=_short(story.title),
            )
        lowest = max((place for story in stories for _, place in story.positions), default=1)
        axes.set_ylim(lowest + 0.6, 0.4)  # place 1 at the top
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        if 0 < len(runs) <= _LABELLED_RUNS:
            axes.set_xticks(runs)  # type: ignore[arg-type]
            axes.set_xticklabels([_run_label(run, runs) for run in runs], rotation=20, ha="right")
        else:
            locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
            axes.xaxis.set_major_locator(locator)
            formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
            axes.xaxis.set_major_formatter(formatter)
        axes.grid(True, alpha=0.3)
        axes.set_xlabel("crawl run (UTC)")
        axes.set_ylabel("place in the trending list (1 = top)")
        axes.set_title(
            f"PVDN trending list: the top {len(stories)} stories, their place in each run"
            + (f" ({period})" if period else "")
        )
        if stories:
            axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, title="story")
        else:
            axes.text(0.5, 0.5, "no trending list seen in this period", ha="center",
                      transform=axes.transAxes)  # fmt: skip
        figure.savefig(path, bbox_inches="tight")
    finally:
        plt.close(figure)


def _run_label(run: datetime, runs: Sequence[datetime]) -> str:
    """A run's time, to the second when two runs fall in the same minute."""
    minutes = {other.strftime("%Y-%m-%d %H:%M") for other in runs}
    precise = len(minutes) < len(runs)
    return run.strftime("%b %d %H:%M:%S" if precise else "%b %d %H:%M")


def _short(title: str) -> str:
    """A legend label: the title cut at a word, at most `_LEGEND_CHARS` characters."""
    if len(title) <= _LEGEND_CHARS:
        return title
    cut = title[: _LEGEND_CHARS - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"
