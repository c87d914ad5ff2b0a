"""Pages in the markup of stock WordPress themes: metadata from what the theme prints, and a
clean body, on the site path (the mirror's host named in `Options.site_hosts`) and on the
generic path (the host not named).

The cases under fixtures/themes/ (see its README) carry no `article:*` meta and no JSON-LD,
as a stock WordPress prints none: the date, author and categories can only come from the
post's own header and footer, and pages show other posts' and readers' dates, names and
category links beside them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cleaning import CleanArticle, Options, clean_html
from tests.saved_cases import FIXTURES

THEMES = FIXTURES / "themes"
CASES = sorted(p.name for p in THEMES.iterdir() if (p / "expected.json").exists())
MIRROR = Options(site_hosts=frozenset({"127.0.0.1"}))
# Block kinds whose text the generic path (trafilatura's boundaries) must keep word for word.
_PROSE = {"paragraph", "heading", "list_item"}


def _case(name: str) -> tuple[bytes, str, dict[str, Any]]:
    folder = THEMES / name
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return (folder / "page.html").read_bytes(), meta["url"], expected


def _metadata(article: CleanArticle) -> dict[str, Any]:
    return {
        "published": article.published.isoformat() if article.published else None,
        "author": article.author,
        "categories": list(article.categories),
    }


def _expected_metadata(expected: dict[str, Any]) -> dict[str, Any]:
    return {key: expected[key] for key in ("published", "author", "categories")}


@pytest.mark.parametrize("name", CASES)
def test_site_path_story_and_metadata(name: str) -> None:
    page, url, expected = _case(name)
    article = clean_html(page, url, options=MIRROR)
    assert article.extractor == "pvdn"
    assert article.title == expected["title"]
    assert [[b.kind, b.text] for b in article.blocks] == expected["blocks"]
    assert article.empty_reason == expected["empty_reason"]
    assert _metadata(article) == _expected_metadata(expected)
    for furniture in expected["must_not_contain"]:
        assert furniture not in article.body, f"{name}: {furniture!r} in the body"


@pytest.mark.parametrize("name", CASES)
def test_generic_path_metadata_and_clean_body(name: str) -> None:
    page, url, expected = _case(name)
    article = clean_html(page, url)
    assert article.extractor == "generic"
    assert _metadata(article) == _expected_metadata(expected)
    assert article.empty_reason == expected["empty_reason"]
    for kind, text in expected["blocks"]:
        if kind in _PROSE:
            assert text in article.body, f"{name}: lost {text!r}"
    for furniture in expected["must_not_contain"]:
        assert furniture not in article.body, f"{name}: {furniture!r} in the body"


def test_dates_keep_the_offset_the_page_gave() -> None:
    page, url, _expected = _case("tt3-post-two-categories")
    published = clean_html(page, url, options=MIRROR).published
    assert published is not None
    assert published.utcoffset() is not None
    assert published.isoformat().endswith("-06:00")


def test_every_post_of_the_stock_themes_has_its_metadata() -> None:
    """Fill rate over the posts and the attachment page (Pages have no date or byline)."""
    filled = {"published": 0, "author": 0, "categories": 0}
    posts = [n for n in CASES if n != "tt3-page"]
    for name in posts:
        page, url, expected = _case(name)
        got = _metadata(clean_html(page, url, options=MIRROR))
        for field in filled:
            filled[field] += bool(got[field]) and got[field] == expected[field]
    assert filled["published"] == len(posts)
    assert filled["author"] == len(posts)
    # The attachment page belongs to no category.
    assert filled["categories"] == len(posts) - 1


def _with_meta_line_elsewhere(page: bytes) -> bytes:
    """The stock post with another post's meta line (category terms and a classed <time>, as
    a widget or a classic theme's list prints them) in the site's footer."""
    widget = (
        b'<footer class="wp-block-template-part"><div class="taxonomy-category '
        b'wp-block-post-terms"><a href="http://127.0.0.1:18080/category/weather/" rel="tag">'
        b'Weather</a></div><time class="entry-date published" '
        b'datetime="2020-01-01T00:00:00+00:00">January 1, 2020</time></footer>'
    )
    return page.replace(b"</body>", widget + b"</body>", 1)


def test_meta_outside_the_post_is_not_the_posts() -> None:
    page, url, expected = _case("tt3-post-two-categories")
    article = clean_html(_with_meta_line_elsewhere(page), url, options=MIRROR)
    assert _metadata(article) == _expected_metadata(expected)


def test_category_links_to_another_host_are_not_the_sites_archives() -> None:
    page, url, _expected = _case("tt20-post-visible-date")
    moved = page.replace(
        b'<a href="http://127.0.0.1:8000/category/fishing/" rel="category tag">Fishing</a>',
        b'<a href="http://fishing.example.org/category/fishing/">Fishing</a>',
    )
    assert moved != page
    article = clean_html(moved, url, options=MIRROR)
    assert article.categories == ("Local News",)


def test_fixture_readme_lists_every_case() -> None:
    readme = (THEMES / "README.md").read_text(encoding="utf-8")
    assert [name for name in CASES if f"`{name}`" not in readme] == []


def test_generic_path_leaves_out_the_site_title_above_a_short_page() -> None:
    """trafilatura takes the header's site title for a paragraph above a two-line Page."""
    page, url, expected = _case("tt3-page")
    article = clean_html(page, url)
    assert [b.text for b in article.blocks] == [text for _kind, text in expected["blocks"]]
    assert ("Vallarta Test Daily", "site header, menu or footer text") in {
        (r.text, r.reason) for r in article.removed
    }


def test_generic_path_finds_no_story_on_an_attachment_page() -> None:
    """The post's content holds only the image: the menu and meta line trafilatura would
    return instead are not a story."""
    page, url, _expected = _case("tt3-attachment")
    article = clean_html(page, url)
    assert article.blocks == ()
    assert article.empty_reason == "no article text"
    assert article.title is not None
    assert article.title.startswith("Photo: Fluvial Vallarta on Sunday morning")
