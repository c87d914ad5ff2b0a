"""Metadata is best effort: a JSON-LD block nested hundreds or thousands of levels deep costs
at most the metadata it holds, never the story or the page's other metadata."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from cleaning import clean_html
from tests.saved_cases import FIXTURES

CASE = FIXTURES / "pages" / "a01-mid2025-full-repeat"
URL = "https://www.vallartadaily.com/puerto-vallarta-malecon-seawall-reconstruction-plan/"
EXPECTED = json.loads((CASE / "expected.json").read_text(encoding="utf-8"))


def _nested(depth: int, inner: str, *, as_object: bool = False) -> str:
    """`inner` wrapped in `depth` JSON arrays (or objects)."""
    if as_object:
        return '{"x":' * depth + inner + "}" * depth
    return "[" * depth + inner + "]" * depth


def _with_json_ld(page: bytes, block: str) -> bytes:
    script = f'<script type="application/ld+json">{block}</script></head>'
    return page.replace(b"</head>", script.encode(), 1)


SHAPES = {
    "nested lists": lambda depth: _nested(depth, "1"),
    "nested objects": lambda depth: _nested(depth, "1", as_object=True),
    "deep author": lambda depth: (
        '{"@type": "NewsArticle", "author": ' + _nested(depth, '{"name": "Rosa Ibarra"}') + "}"
    ),
    "deep graph": lambda depth: (
        '{"@graph": '
        + _nested(depth, '{"@type": "ImageObject", "url": "https://example.com/a.jpg"}')
        + "}"
    ),
    "deep property": lambda depth: (
        '{"@type": "NewsArticle", "mentions": ' + _nested(depth, "{}", as_object=True) + "}"
    ),
}


@pytest.mark.parametrize("depth", [900, 5000])
@pytest.mark.parametrize("shape", SHAPES)
def test_a_deep_json_ld_block_never_costs_the_story(shape: str, depth: int) -> None:
    page = _with_json_ld((CASE / "page.html").read_bytes(), SHAPES[shape](depth))
    article = clean_html(page, URL)
    assert article.empty_reason is None
    assert [[b.kind, b.text] for b in article.blocks] == EXPECTED["blocks"]
    assert len(article.teasers) == len(EXPECTED["teasers"])
    # The page's own <head> metadata is untouched by the bad block beside it.
    assert article.published is not None
    assert article.published.isoformat() == EXPECTED["published"]
    assert list(article.categories) == EXPECTED["categories"]


def _json_ld_only_page(block: str) -> bytes:
    """A PVDN article whose only metadata is the given JSON-LD block."""
    return (
        "<!DOCTYPE html><html><head><title>Storm closes the port - PVDN</title>"
        f'<script type="application/ld+json">{block}</script></head><body><article>'
        '<h1 class="entry-title">Storm closes the port</h1><div class="entry-content">'
        "<p>Puerto Vallarta, Mexico – The Port Captain closed the port to small boats on Sunday "
        "as the storm approached the coast.</p><p>Fishermen were asked to stay ashore.</p>"
        "</div></article></body></html>"
    ).encode()


def test_metadata_nested_900_deep_is_still_read() -> None:
    """An author list 900 deep is read without recursion; its siblings' fields too."""
    block = (
        '{"@type": "NewsArticle", "datePublished": "2025-06-16T09:12:00-06:00", "author": '
        + _nested(900, '{"name": "Rosa Ibarra"}')
        + ', "articleSection": "Weather"}'
    )
    article = clean_html(_json_ld_only_page(block), URL)
    assert article.empty_reason is None
    assert article.author == "Rosa Ibarra"
    assert article.categories == ("Weather",)
    assert article.published == datetime(2025, 6, 16, 9, 12, tzinfo=timezone(timedelta(hours=-6)))


def test_json_ld_too_deep_to_parse_costs_only_its_own_metadata() -> None:
    block = (
        '{"@type": "NewsArticle", "datePublished": "2025-06-16T09:12:00-06:00", "author": '
        + _nested(5000, '"Rosa Ibarra"')
        + "}"
    )
    article = clean_html(_json_ld_only_page(block), URL)
    assert [b.text for b in article.blocks][1] == "Fishermen were asked to stay ashore."
    assert article.title == "Storm closes the port"
    assert article.dateline == "Puerto Vallarta, Mexico"
