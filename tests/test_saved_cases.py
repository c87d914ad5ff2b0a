"""Every saved page and dump, cleaned and compared field by field with its expected output."""

from __future__ import annotations

from typing import Any

import pytest

from cleaning import CleanArticle, Options, clean_html, clean_text
from tests.saved_cases import SavedCase, saved_cases

PAGES = saved_cases("pages")
DUMPS = saved_cases("dumps")
SCALAR_FIELDS = (
    "extractor",
    "title",
    "lede",
    "paywalled",
    "published",
    "modified",
    "author",
    "categories",
    "canonical_url",
    "dateline",
    "empty_reason",
)


def _clean(case: SavedCase) -> CleanArticle:
    data = case.read_input()
    if case.folder.joinpath("page.html").exists():
        return clean_html(data, case.url, charset=case.charset)
    return clean_text(data)


def _check_fields(case: SavedCase, got: dict[str, Any]) -> None:
    exp = case.expected
    for name in SCALAR_FIELDS:
        if name in exp:
            assert got[name] == exp[name], f"{case.name}: {name}"


def _check_blocks(case: SavedCase, got: dict[str, Any]) -> None:
    exp = case.expected
    if "blocks" in exp:
        assert [[b["kind"], b["text"]] for b in got["blocks"]] == exp["blocks"], case.name
    for sentence in exp.get("body_contains", []):
        assert sentence in got["body"], f"{case.name}: lost {sentence!r}"
    for boilerplate in exp.get("must_not_contain", []):
        assert boilerplate not in got["body"], f"{case.name}: leaked {boilerplate!r}"


@pytest.mark.parametrize("case", PAGES + DUMPS, ids=lambda c: c.name)
def test_fields(case: SavedCase) -> None:
    _check_fields(case, _clean(case).to_dict())


@pytest.mark.parametrize("case", PAGES + DUMPS, ids=lambda c: c.name)
def test_story_blocks(case: SavedCase) -> None:
    _check_blocks(case, _clean(case).to_dict())


@pytest.mark.parametrize("case", PAGES + DUMPS, ids=lambda c: c.name)
def test_lede_appears_once(case: SavedCase) -> None:
    article = _clean(case)
    if article.lede:
        assert article.body.count(article.lede) == 1


@pytest.mark.parametrize(
    "case", [c for c in PAGES if "teasers" in c.expected], ids=lambda c: c.name
)
def test_teasers(case: SavedCase) -> None:
    got = [t.to_dict() for t in _clean(case).teasers]
    assert got == case.expected["teasers"], case.name


@pytest.mark.parametrize("case", DUMPS, ids=lambda c: c.name)
def test_dump_teasers_lose_no_text(case: SavedCase) -> None:
    """Text mode: kinds and alts exact, and title + summary together are the item's text."""
    got = _clean(case).teasers
    expected = case.expected.get("teasers", [])
    assert [(t.kind, t.image_alt) for t in got] == [(e["kind"], e["image_alt"]) for e in expected]
    assert [" ".join(filter(None, (t.title, t.summary))) for t in got] == [
        " ".join(filter(None, (e["title"], e["summary"]))) for e in expected
    ]


def test_dump_title_summary_splits() -> None:
    """Title/summary boundaries in text dumps: found from word shapes, right on nearly all.

    The seed must be exact (its check script demands 9 of 10); overall at least 95%.
    """
    right = total = 0
    misses = []
    for case in DUMPS:
        got = _clean(case).teasers
        for t, e in zip(got, case.expected.get("teasers", []), strict=False):
            total += 1
            if (t.title, t.summary) == (e["title"], e["summary"]):
                right += 1
            else:
                misses.append(f"{case.name}: {t.title!r}")
        if case.name.startswith("seed"):
            assert [t.title for t in got] == [e["title"] for e in case.expected["teasers"]]
    assert total >= 30
    assert right / total >= 0.95, misses


def test_the_header_charset_is_what_reads_a_header_only_page() -> None:
    """The Latin-9 case read without its header falls back to the cp1252 guess (€ becomes ¤):
    the header's charset, not luck, is what makes its expected output right."""
    case = next(c for c in PAGES if c.charset)
    assert case.charset == "ISO-8859-15"
    guessed = clean_html(case.read_input(), case.url).body
    assert "¤" in guessed
    assert "€" not in guessed
    assert "€" in _clean(case).body


def test_a_mirror_host_is_recognised_only_when_named() -> None:
    """A mirror rewrites the site's origin; `Options.site_hosts` says its pages are PVDN's."""
    case = next(c for c in PAGES if c.name == "b09-2023-weekly-brief")
    mirrored = case.read_input().replace(b"https://www.vallartadaily.com", b"http://127.0.0.1:8000")
    url = "http://127.0.0.1:8000/puerto-vallarta-news-brief-with-felipe-alvarez-for-june-2-2023/"
    assert clean_html(mirrored, url).extractor == "generic"
    named = clean_html(mirrored, url, options=Options(site_hosts=frozenset({"127.0.0.1"})))
    assert named.extractor == "pvdn"
    assert [[b.kind, b.text] for b in named.blocks] == case.expected["blocks"]
