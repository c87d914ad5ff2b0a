"""The invented news the tests' WordPress is filled with: deterministic, shaped as asked
(statuses, authors, categories, alias links), and written so WordPress displays it unchanged.
No server needed."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime

import pytest

from tests.wordpress_content import (
    LINK_FORMS,
    SITE_OFFSET,
    Existing,
    check_typography,
    plan_changes,
    plan_site,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=SITE_OFFSET)


def test_same_seed_and_moment_give_the_same_site() -> None:
    assert plan_site(now=NOW).to_plan() == plan_site(now=NOW).to_plan()
    assert plan_site(now=NOW).to_plan() != plan_site(now=NOW, seed=1).to_plan()


def test_site_has_what_the_crawl_tests_need() -> None:
    plan = plan_site(posts=400, now=NOW)
    posts = [p for p in plan.posts if p.type == "post"]
    statuses = Counter(p.status for p in posts)
    assert statuses == {"publish": 400, "draft": 8, "pending": 2, "private": 5, "future": 5}
    assert all(p.date > NOW for p in posts if p.status == "future")
    assert all(p.date < NOW for p in posts if p.status != "future")
    published = [p for p in posts if p.status == "publish"]
    assert len({p.author for p in published}) == 6
    assert len({c for p in published for c in p.categories}) == 9
    assert sum(1 for p in published if p.image) == 20
    assert sum(1 for p in published if (NOW - p.date).days < 2) == 2
    forms = Counter(link.form for p in published for link in p.links)
    assert all(forms[form] >= 20 for form in LINK_FORMS), forms
    assert forms["broken"] == 2
    kinds = Counter(block.kind for p in published for block in p.blocks)
    assert kinds["h2"] > 50
    assert kinds["li"] > 50
    assert kinds["quote"] > 50
    assert {len(p.blocks) for p in published} >= {3, 12}


def test_posts_link_only_to_older_published_posts() -> None:
    plan = plan_site(now=NOW)
    order = {p.key: i for i, p in enumerate(plan.posts) if p.status == "publish"}
    for index, post in enumerate(plan.posts):
        for link in post.links:
            if link.target.startswith("post-"):
                assert order[link.target] < index


def test_no_slug_starts_another() -> None:
    slugs = sorted(p.slug for p in plan_site(now=NOW).posts)
    assert len(set(slugs)) == len(slugs)
    assert not any(b.startswith(a) for a, b in itertools.pairwise(slugs))


@pytest.mark.parametrize(
    "text", ["The city's plan", 'a "quote"', "wait...", "one -- two", "a - b", "3x4", "ok :)"]
)
def test_text_wordpress_would_rewrite_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="WordPress would rewrite"):
        check_typography(text)


def test_plain_text_passes() -> None:
    assert check_typography("The city’s plan: “ready” – 12 to 5.") == (
        "The city’s plan: “ready” – 12 to 5."
    )


def test_change_plan_picks_a_linked_and_an_unlinked_old_post() -> None:
    site = plan_site(posts=100, now=NOW)
    published = [p for p in site.posts if p.type == "post" and p.status == "publish"]
    inbound = Counter(link.target for p in published for link in p.links)
    existing = [
        Existing(p.key, p.slug, p.title, inbound[p.key], p.image is not None) for p in published
    ]
    slugs = {p.slug for p in site.posts}
    plan = plan_changes(existing, slugs, NOW)
    by_key = {p.key: p for p in existing}
    newest = {p.key for p in existing[-40:]}
    linked, unlinked = by_key[plan.trash_linked], by_key[plan.trash_unlinked]
    assert linked.linked_from > 0
    assert unlinked.linked_from == 0
    assert len(plan.edited) == 5
    touched = {*plan.edited, plan.trash_linked, plan.trash_unlinked}
    assert len(touched) == 7
    assert not touched & newest
    assert not any(by_key[key].has_image for key in touched)
    assert len(plan.new) == 3
    assert all(p.date < NOW for p in plan.new)
    assert sum(1 for p in plan.new if p.links) == 2
    assert not any(link.target in touched for p in plan.new for link in p.links)
    for new in plan.new:
        assert not any(new.slug.startswith(s) or s.startswith(new.slug) for s in slugs)
