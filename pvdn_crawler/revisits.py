"""Which archived addresses a run asks for again, without relying on HTTP validators.

Stock WordPress sends no `ETag` or `Last-Modified` on its pages and no `<lastmod>` in its
sitemaps, so a crawl cannot ask "has this changed?" cheaply: every request of a known article
downloads it whole. The policy therefore decides *which* known addresses to ask for at all:

- every address never seen before (not decided here: anything unknown is fetched);
- an article that a feed or sitemap entry dates later than the archive's last look at it;
- every article published within the last `recent` days (the ones that still change);
- the stalest `share` of everything the archive knows (articles and other pages, at least
  one), by the time each was last checked, so that every stored address is re-checked in
  turn: an edit or a deletion nobody links to is seen within 1/share runs.

A `full` run re-checks everything. Re-checks still send the stored validators when there are
any, so a server that has them answers 304 for the unchanged ones.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from storage.records import KnownPage

__all__ = ["RevisitPolicy"]

_NEVER = datetime.min.replace(tzinfo=UTC)
# Kinds of address walked or read every run anyway (discovery), never part of the rotation.
_DISCOVERY_KINDS = frozenset({"listing", "feed", "sitemap"})


@dataclass(frozen=True)
class RevisitPolicy:
    """`recent`: how long after publication an article is checked every run; `share`: the
    fraction of the archive re-checked per run; `full`: re-check everything."""

    recent: timedelta
    share: float
    full: bool = False

    def due(self, known: Mapping[str, KnownPage], now: datetime) -> list[KnownPage]:
        """The known addresses to check this run, stalest first (articles by canonical URL,
        other pages by their address). Linear in the archive's size plus k log n for the
        share."""
        pages = _distinct(known)
        rotating = [page for page in pages if page.kind not in _DISCOVERY_KINDS]
        if self.full:
            return sorted(rotating, key=_last_check)
        horizon = now - self.recent
        recent = [p for p in rotating if p.published is not None and p.published >= horizon]
        count = max(1, math.ceil(self.share * len(rotating))) if rotating else 0
        stalest = heapq.nsmallest(count, rotating, key=_last_check)
        chosen = {id(page): page for page in (*stalest, *recent)}
        return sorted(chosen.values(), key=_last_check)

    @staticmethod
    def dated_later(page: KnownPage, stamp: datetime) -> bool:
        """Whether a feed or sitemap date is later than the archive's last look at the page."""
        return stamp > _last_check(page)

    def runs_to_cover(self, size: int) -> int:
        """How many runs re-check every one of `size` addresses once (for the docs and tests)."""
        per_run = max(1, math.ceil(self.share * size)) if size else 1
        return math.ceil(size / per_run) if size else 0


def _distinct(known: Mapping[str, KnownPage]) -> Iterable[KnownPage]:
    """Each known page once (aliases map to the same object as their article)."""
    return {id(page): page for page in known.values()}.values()


def _last_check(page: KnownPage) -> datetime:
    return page.checked_at or page.last_seen or _NEVER
