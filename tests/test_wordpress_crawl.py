"""Scheduled runs against a real stock WordPress (no validators on its pages, no `<lastmod>` in
its sitemaps): what a first run stores, what later runs cost, and how soon edits, new posts and
deletions are seen.

One scenario, run once for the module: fill the site with 400 posts; crawl; crawl again
unchanged; publish 3 posts, edit 5 old ones and trash 2 (one linked from other posts, one
linked from none); crawl with the default settings; then four more crawls with
`PVDN_RECHECK_SHARE=0.25`. Requests are read from Apache's own access log.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storage import ArchiveRepository, StoredArticle, open_archive
from tests.crawl_runner import query, run_crawl
from tests.wordpress_site import Changes, LoggedRequest, Manifest, WordPressSite

RECHECK = "PVDN_RECHECK_SHARE=0.25"
# Discovery every run makes whatever it knows: robots.txt, the feeds, the sitemaps and the
# first page of each listing (the spider's START_FEEDS and START_LISTINGS).
_FIXED = re.compile(r"^/robots\.txt$|/feed/$|sitemap[\w-]*\.xml$|^/headlines/$")


@dataclass
class Run:
    result: subprocess.CompletedProcess[str]
    requests: list[LoggedRequest]
    counts: dict[str, int]

    @property
    def fixed(self) -> int:
        return sum(1 for r in self.requests if _FIXED.search(r.target.split("?")[0]))

    @property
    def paths(self) -> list[str]:
        return [r.target for r in self.requests]


@dataclass
class Scenario:
    site: WordPressSite
    database: Path
    manifest: Manifest
    changes: Changes
    first: Run
    after_first: dict[str, StoredArticle]
    unchanged: Run
    after_change: Run
    rechecks: list[Run]

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return query(self.database, sql, *args)


def _crawl(site: WordPressSite, database: Path, *settings: str) -> Run:
    mark = site.log_mark()
    result = run_crawl(site.origin, database, "CONCURRENT_REQUESTS_PER_DOMAIN=16", *settings)
    requests = site.requests(since=mark, user_agent="pvdn-archive")
    (row,) = query(database, "SELECT counts FROM crawl_runs ORDER BY id DESC LIMIT 1")
    return Run(result, requests, json.loads(row[0]))


@pytest.fixture(scope="module")
def scenario(
    wordpress_site: WordPressSite, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenario]:
    database = tmp_path_factory.mktemp("wordpress") / "archive.sqlite3"
    manifest = wordpress_site.fill(posts=400)
    first = _crawl(wordpress_site, database)
    after_first = _read(database)
    unchanged = _crawl(wordpress_site, database)
    changes = wordpress_site.change(manifest)
    after_change = _crawl(wordpress_site, database)
    rechecks = [_crawl(wordpress_site, database, RECHECK) for _ in range(4)]
    yield Scenario(
        wordpress_site,
        database,
        manifest,
        changes,
        first,
        after_first,
        unchanged,
        after_change,
        rechecks,
    )


def _read(database: Path) -> dict[str, StoredArticle]:
    url = f"sqlite:///{database}"
    with open_archive(url, write=False) as archive, archive.sessions() as session:
        return {a.canonical_url: a for a in ArchiveRepository(session).iter_articles()}


def _stored(scenario: Scenario) -> dict[str, StoredArticle]:
    return _read(scenario.database)


def _tokens(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.lower()))


def _f1(got: str, want: str) -> float:
    a, b = _tokens(got), _tokens(want)
    overlap = sum((a & b).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(a.values()), overlap / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def test_first_run_stores_every_published_post_once_and_nothing_else(
    scenario: Scenario,
) -> None:
    assert scenario.first.result.returncode == 0, scenario.first.result.stderr[-3000:]
    stored = scenario.after_first
    assert set(stored) == {post.url for post in scenario.manifest.posts}
    ids = [article.post_id for article in stored.values()]
    assert sorted(ids) == sorted(post.id for post in scenario.manifest.posts)
    not_posts = {o.url for o in scenario.manifest.unpublished} | {
        o.url for o in [*scenario.manifest.pages, *scenario.manifest.attachments]
    }
    assert not_posts.isdisjoint(stored)


def test_first_run_reads_the_story_and_its_metadata(scenario: Scenario) -> None:
    stories = {url: article.story for url, article in scenario.after_first.items()}
    posts = scenario.manifest.posts
    scores = [_f1(stories[post.url].body, post.body_text) for post in posts]
    mean = sum(scores) / len(scores)
    dated = sum(
        1 for post in posts if stories[post.url].published == datetime.fromisoformat(post.published)
    )
    authored = sum(1 for post in posts if stories[post.url].author == post.author)
    categorised = sum(
        1 for post in posts if set(stories[post.url].categories) == set(post.categories)
    )
    print(
        f"wordpress first run: body token F1 {mean:.4f}, published {dated}/{len(posts)},"
        f" author {authored}/{len(posts)}, categories {categorised}/{len(posts)},"
        f" requests {len(scenario.first.requests)}"
    )
    assert mean >= 0.99
    assert dated >= 0.99 * len(posts)
    assert authored >= 0.99 * len(posts)
    assert categorised >= 0.95 * len(posts)


def test_dates_keep_the_sites_offset(scenario: Scenario) -> None:
    offsets = {
        article.story.published.utcoffset()
        for article in _stored(scenario).values()
        if article.story.published is not None
    }
    assert offsets == {timedelta(hours=-6)}  # America/Mexico_City, as the site is set up


def test_an_unchanged_site_costs_almost_nothing(scenario: Scenario) -> None:
    first, again = scenario.first, scenario.unchanged
    assert again.result.returncode == 0, again.result.stderr[-3000:]
    budget = 0.02 * len(first.requests) + again.fixed
    print(
        f"wordpress unchanged run: {len(again.requests)} requests ({again.fixed} fixed)"
        f" against {len(first.requests)} in the first run"
    )
    assert len(again.requests) <= budget, Counter(
        p.split("?")[0].rsplit("/", 2)[0] for p in again.paths
    )
    assert again.counts.get("stored_new", 0) == 0
    assert again.counts.get("stored_changed", 0) == 0
    # WordPress's feeds do send validators: they are asked for conditionally and answer 304.
    feeds = [r for r in again.requests if r.target.split("?")[0].endswith("/feed/")]
    assert feeds and all(r.if_none_match or r.if_modified_since for r in feeds if r.status != 404)
    assert any(r.status == 304 for r in feeds)


def test_known_non_articles_are_not_asked_for_every_run(scenario: Scenario) -> None:
    pages = {o.url.removeprefix(scenario.site.origin) for o in scenario.manifest.attachments}
    shortlinks = {f"/?p={post.id}" for post in scenario.manifest.posts}
    again = set(scenario.unchanged.paths)
    assert len(again & pages) <= 1
    assert len(again & shortlinks) <= 1


def test_new_posts_are_stored_by_the_next_run(scenario: Scenario) -> None:
    run = scenario.after_change
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    stored = _stored(scenario)
    for post in scenario.changes.new:
        assert post.url in stored, post.url
    assert run.counts["stored_new"] == len(scenario.changes.new)


def test_edits_and_deletions_are_seen_within_a_share_of_runs(scenario: Scenario) -> None:
    for run in scenario.rechecks:
        assert run.result.returncode == 0, run.result.stderr[-3000:]
    revisions = dict(
        scenario.rows(
            "SELECT a.canonical_url, count(r.id) FROM articles a"
            " JOIN article_revisions r ON r.article_id = a.id GROUP BY a.id"
        )
    )
    edited = {edit.before.url: edit for edit in scenario.changes.edited}
    for url, edit in edited.items():
        assert revisions[url] == 2, url
        (body,) = scenario.rows(
            "SELECT r.body FROM article_revisions r JOIN articles a ON a.id = r.article_id"
            " WHERE a.canonical_url = ? AND r.number = 2",
            url,
        )[0]
        assert edit.added_sentence in body and edit.added_paragraph in body
    others = {url: n for url, n in revisions.items() if url not in edited and n != 1}
    assert others == {}, "no other post has a new revision"
    stored = _stored(scenario)
    for gone in (scenario.changes.trashed_linked, scenario.changes.trashed_unlinked):
        assert stored[gone.url].gone_at is not None, gone.url
    runs = [scenario.after_change, *scenario.rechecks]
    assert sum(run.counts.get("stored_gone", 0) for run in runs) == 2  # counted once each


def test_no_run_costs_more_than_a_share_of_the_first(scenario: Scenario) -> None:
    first = len(scenario.first.requests)
    for run in [scenario.after_change, *scenario.rechecks]:
        assert len(run.requests) <= 0.3 * first + run.fixed, (len(run.requests), first)
