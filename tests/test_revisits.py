"""The revisit policy: which known addresses a run asks for again, without validators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pvdn_crawler.revisits import RevisitPolicy
from storage.records import KnownPage

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
SITE = "https://www.vallartadaily.com"


def _archive(size: int) -> dict[str, KnownPage]:
    """`size` old articles, checked one hour apart (article i last checked i hours ago), each
    reachable under its canonical URL and an alias."""
    known: dict[str, KnownPage] = {}
    for i in range(size):
        page = KnownPage(
            f"{SITE}/story-{i}/",
            checked_at=NOW - timedelta(hours=i + 1),
            last_seen=NOW - timedelta(hours=i + 1),
            published=NOW - timedelta(days=400 + i),
        )
        known[page.canonical_url] = known[f"{SITE}/?p={i}"] = page
    return known


def test_the_stalest_share_is_due_and_at_least_one() -> None:
    known = _archive(200)
    due = RevisitPolicy(timedelta(days=2), share=0.01).due(known, NOW)
    assert [page.canonical_url for page in due] == [f"{SITE}/story-199/", f"{SITE}/story-198/"]
    assert len(RevisitPolicy(timedelta(days=2), share=0.0001).due(_archive(10), NOW)) == 1


def test_recent_articles_are_due_every_run() -> None:
    known = _archive(50)
    fresh = KnownPage(f"{SITE}/today/", checked_at=NOW, published=NOW - timedelta(hours=30))
    known[fresh.canonical_url] = fresh
    due = RevisitPolicy(timedelta(days=2), share=0.01).due(known, NOW)
    assert fresh in due
    assert len(due) == 2  # the fresh one and the stalest one


def test_every_address_is_checked_within_one_over_share_runs() -> None:
    """Simulated runs: each checks what is due and records the check."""
    known = _archive(100)
    policy = RevisitPolicy(timedelta(days=2), share=0.05)
    checked: set[str] = set()
    now = NOW
    for _ in range(policy.runs_to_cover(100)):
        now += timedelta(hours=1)
        for page in policy.due(known, now):
            checked.add(page.canonical_url)
            updated = KnownPage(page.canonical_url, checked_at=now, published=page.published)
            known = {url: updated if p is page else p for url, p in known.items()}
    assert policy.runs_to_cover(100) == 20
    assert len(checked) == 100


def test_discovery_pages_are_not_in_the_rotation_and_full_checks_everything() -> None:
    known = _archive(3)
    known[f"{SITE}/feed/"] = KnownPage(
        f"{SITE}/feed/", kind="feed", checked_at=NOW - timedelta(days=9)
    )
    known[f"{SITE}/terms/"] = KnownPage(f"{SITE}/terms/", kind="static", checked_at=None)
    due = RevisitPolicy(timedelta(days=2), share=0.01).due(known, NOW)
    assert [page.canonical_url for page in due] == [f"{SITE}/terms/"]  # never checked: stalest
    full = RevisitPolicy(timedelta(days=2), share=0.01, full=True).due(known, NOW)
    assert len(full) == 4


def test_a_feed_date_later_than_the_last_look() -> None:
    page = KnownPage(f"{SITE}/story/", checked_at=NOW)
    assert RevisitPolicy.dated_later(page, NOW + timedelta(minutes=1))
    assert not RevisitPolicy.dated_later(page, NOW - timedelta(days=1))
