"""What trended: the targets of the site's trending (or related) lists, run by run.

A run sees the trending list on many pages (every article page shows it, and the first
listing page), mostly the same list: a story's place in the list in that run is the best
place any page gave it, and the run counts once. Over a period, a story's figures are its
first and last sighting, the number of runs that saw it, and the best and the median of its
per-run places. The database groups the sightings by (target, run); the per-run rows, a
handful per run, are folded here, because a median is not portable SQL.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from storage.errors import QueryError
from storage.models import Article, TeaserSighting
from storage.records import TrendingStory

__all__ = ["trending"]

_IN_CHUNK = 500


@dataclass
class _Story:
    """One target's per-run rows while they are folded: (run, first, last, best place)."""

    target_id: int | None = None
    runs: list[tuple[Any, datetime, datetime, int]] = field(default_factory=list)


def trending(
    session: Session,
    *,
    kind: str = "trending",
    since: datetime | None = None,
    until: datetime | None = None,
    top: int | None = 10,
) -> list[TrendingStory]:
    """The targets of `kind` lists sighted in [since, until), most runs first (then the best
    place, then the latest sighting), at most `top` of them (all when None)."""
    if top is not None and top < 1:
        raise QueryError(f"top must be at least 1, got {top}")
    sighting = TeaserSighting
    # A sighting carried over from before runs were linked has no run: its time stands in.
    run_key = case((sighting.run_id.is_(None), sighting.seen_at))
    statement = (
        select(
            sighting.target_url,
            sighting.run_id,
            func.min(sighting.seen_at),
            func.max(sighting.seen_at),
            func.min(sighting.position),
            func.max(sighting.target_id),
        )
        .where(sighting.kind == kind)
        .group_by(sighting.target_url, sighting.run_id, run_key)
    )
    if since is not None:
        statement = statement.where(sighting.seen_at >= since)
    if until is not None:
        statement = statement.where(sighting.seen_at < until)
    stories: defaultdict[str, _Story] = defaultdict(_Story)
    # Each run's time: its first sighting of any target, so the runs line up across stories.
    run_times: dict[Any, datetime] = {}
    for target, run, first, last, best, target_id in session.execute(statement):
        key = run if run is not None else first
        run_times[key] = min(first, run_times.get(key, first))
        story = stories[target]
        story.runs.append((key, first, last, int(best)))
        story.target_id = story.target_id or target_id
    ranked = sorted(stories.items(), key=lambda item: _rank(item[1]))
    chosen = ranked[:top] if top is not None else ranked
    article_titles = _article_titles(session, [s.target_id for _, s in chosen if s.target_id])
    # A teaser's own title is looked up only where no archived title wins over it.
    untitled = [t for t, s in chosen if not article_titles.get(s.target_id or 0)]
    titles = _titles(session, kind, untitled, since, until)
    return [
        _trending_story(
            target,
            story,
            article_titles.get(story.target_id or 0) or titles.get(target) or target,
            run_times,
        )
        for target, story in chosen
    ]


def _rank(story: _Story) -> tuple[Any, ...]:
    best = min(place for _, _, _, place in story.runs)
    last = max(seen for _, _, seen, _ in story.runs)
    return (-len(story.runs), best, -last.timestamp())


def _trending_story(
    target: str, story: _Story, title: str, run_times: dict[Any, datetime]
) -> TrendingStory:
    runs = sorted(story.runs, key=lambda run: run[1])
    places = [place + 1 for _, _, _, place in runs]  # stored 0-based, shown from 1
    return TrendingStory(
        target_url=target,
        article_id=story.target_id,
        title=title,
        first_seen=runs[0][1],
        last_seen=max(last for _, _, last, _ in runs),
        runs=len(runs),
        best_position=min(places),
        median_position=float(statistics.median(places)),
        positions=tuple(
            (run_times[key], place) for (key, _, _, _), place in zip(runs, places, strict=True)
        ),
    )


def _titles(
    session: Session,
    kind: str,
    targets: Sequence[str],
    since: datetime | None,
    until: datetime | None,
) -> dict[str, str]:
    """The latest teaser title of each target within the period."""
    titles: dict[str, str] = {}
    sighting = TeaserSighting
    latest_first = func.row_number().over(
        partition_by=sighting.target_url,
        order_by=(sighting.seen_at.desc(), sighting.id.desc()),
    )
    for start in range(0, len(targets), _IN_CHUNK):
        chunk = list(targets[start : start + _IN_CHUNK])
        numbered = select(sighting.target_url, sighting.title, latest_first.label("n")).where(
            sighting.kind == kind, sighting.target_url.in_(chunk)
        )
        if since is not None:
            numbered = numbered.where(sighting.seen_at >= since)
        if until is not None:
            numbered = numbered.where(sighting.seen_at < until)
        rows = numbered.subquery()
        titles.update(
            (target, title)
            for target, title in session.execute(
                select(rows.c.target_url, rows.c.title).where(rows.c.n == 1)
            )
        )
    return titles


def _article_titles(session: Session, ids: Sequence[int | None]) -> dict[int, str]:
    """The archived title of each resolved target (the teaser's text may be shortened)."""
    wanted = sorted({i for i in ids if i is not None})
    titles: dict[int, str] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        statement = select(Article.id, Article.title).where(Article.id.in_(chunk))
        titles.update((i, t) for i, t in session.execute(statement) if t)
    return titles
