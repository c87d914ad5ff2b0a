"""URL identity without Scrapy: which article an address is, what to request, what is an alias."""

from __future__ import annotations

from datetime import UTC, datetime

from pvdn_crawler.identity import UrlIdentity
from storage.records import AliasRecord, KnownPage

SITE = "https://www.vallartadaily.com"
T0 = datetime(2025, 6, 1, tzinfo=UTC)


def test_forms_of_one_article_cost_one_request() -> None:
    identity = UrlIdentity()
    first = identity.sight(f"{SITE}/story")
    again = identity.sight(f"{SITE}/story/?utm_source=rss&utm_medium=rss#comments")
    amp = identity.sight(f"{SITE}/story/?amp=1")
    assert (first.target, first.first) == (f"{SITE}/story/", True)
    assert [again.first, amp.first] == [False, False]
    assert identity.forms_of(f"{SITE}/story/") == {
        f"{SITE}/story",
        f"{SITE}/story/?utm_source=rss&utm_medium=rss",
        f"{SITE}/story/?amp=1",
    }


def test_fetched_article_takes_its_forms_as_aliases_once() -> None:
    identity = UrlIdentity()
    identity.sight(f"{SITE}/?p=12")
    fetched = identity.article_fetched(f"{SITE}/?p=12", f"{SITE}/story/", 12)
    assert (fetched.canonical, fetched.aliases, fetched.duplicate) == (
        f"{SITE}/story/",
        (f"{SITE}/?p=12",),
        False,
    )
    # Later links: aliases, never a second request; each form once.
    later = identity.sight(f"{SITE}/story/?amp=1")
    assert later.aliases == (AliasRecord(f"{SITE}/story/?amp=1", f"{SITE}/story/"),)
    assert identity.sight(f"{SITE}/story/?amp=1").aliases == ()
    # The shortlink of a post id stored this run is known too.
    assert identity.sight(f"{SITE}/?p=12&utm_source=x").canonical == f"{SITE}/story/"


def test_the_same_article_under_two_request_addresses_is_stored_once() -> None:
    identity = UrlIdentity()
    identity.article_fetched(f"{SITE}/story/", f"{SITE}/story/", None)
    second = identity.article_fetched(f"{SITE}/?p=12", f"{SITE}/story/", 12)
    assert second.duplicate
    assert second.records == (AliasRecord(f"{SITE}/?p=12", f"{SITE}/story/"),)


def test_redirect_moves_the_forms_to_the_target() -> None:
    identity = UrlIdentity()
    identity.sight(f"{SITE}/old-path")
    moved = identity.redirected(f"{SITE}/old-path/", f"{SITE}/news/new-path/")
    assert (moved.target, moved.first) == (f"{SITE}/news/new-path/", True)
    assert identity.sight(f"{SITE}/old-path").target == f"{SITE}/news/new-path/"
    fetched = identity.article_fetched(f"{SITE}/news/new-path/", f"{SITE}/news/new-path/", None)
    assert set(fetched.aliases) == {f"{SITE}/old-path", f"{SITE}/old-path/"}


def test_archived_addresses_are_known_in_any_form() -> None:
    story = KnownPage(f"{SITE}/story/", last_seen=T0)
    known = {f"{SITE}/story/": story, f"{SITE}/?p=12": story}
    identity = UrlIdentity(known)
    sighting = identity.sight(f"{SITE}/story?utm_source=rss")
    assert (sighting.known, sighting.canonical) == (story, f"{SITE}/story/")
    assert sighting.aliases == (AliasRecord(f"{SITE}/story?utm_source=rss", f"{SITE}/story/"),)
    assert identity.sight(f"{SITE}/?p=12").known is story


def test_a_remembered_redirect_leads_to_its_target() -> None:
    """A run killed between a redirect and its target: the next run goes on to the target."""
    known = {
        f"{SITE}/?p=30": KnownPage(f"{SITE}/?p=30", kind="redirect", target_url=f"{SITE}/avocados/")
    }
    sighting = UrlIdentity(known).sight(f"{SITE}/?p=30")
    assert (sighting.target, sighting.first, sighting.known) == (f"{SITE}/avocados/", True, None)


def test_a_remembered_redirect_off_the_site_is_not_followed() -> None:
    """A post that now redirects to another site: the next run does not ask for that site's
    page (the origin guard would refuse it, every run); the redirect stays a known page."""
    moved = KnownPage(f"{SITE}/moved/", kind="redirect", target_url="https://example.org/x/")
    sighting = UrlIdentity({f"{SITE}/moved/": moved}).sight(f"{SITE}/moved/")
    assert (sighting.target, sighting.known) == (f"{SITE}/moved/", moved)


def test_redirect_loops_and_huge_post_ids_end() -> None:
    loop = {
        f"{SITE}/a/": KnownPage(f"{SITE}/a/", kind="redirect", target_url=f"{SITE}/b/"),
        f"{SITE}/b/": KnownPage(f"{SITE}/b/", kind="redirect", target_url=f"{SITE}/a/"),
    }
    assert UrlIdentity(loop).sight(f"{SITE}/a/").target in {f"{SITE}/a/", f"{SITE}/b/"}
    assert UrlIdentity().sight(f"{SITE}/?p={'9' * 5000}").canonical is None
