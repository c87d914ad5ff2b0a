"""Bad input never raises: it comes back empty with a reason, or cleaned as well as it can be."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaning import CleanArticle, Options, clean_html, clean_text
from tests.saved_cases import FIXTURES

SEED_PAGE = FIXTURES / "pages" / "a01-mid2025-full-repeat" / "page.html"
PVDN_URL = "https://www.vallartadaily.com/some-story/"


def _page(body: str, head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head>{head}<title>Test story - PVDN</title></head><body>"
        f'<article><h1 class="entry-title">Test story</h1><div class="entry-content clear">'
        f"{body}</div></article></body></html>"
    )


def _assert_well_formed(article: CleanArticle) -> None:
    assert isinstance(article, CleanArticle)
    if article.is_empty:
        assert article.empty_reason
    assert article.body == "\n\n".join(b.text for b in article.blocks)
    article.to_dict()


@pytest.mark.parametrize("data", ["", "   \n\t ", b"", b"  \r\n"])
def test_empty_input_is_empty_with_reason(data: str | bytes) -> None:
    for article in (clean_html(data), clean_text(data)):
        assert article.is_empty
        assert article.empty_reason == "empty input"
        assert article.extractor == "none"


def test_binary_bytes_are_refused_with_reason() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    assert clean_html(png).empty_reason == "binary input"
    assert clean_text(png).empty_reason == "binary input"


def test_wrong_type_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="expected str or bytes, got int"):
        clean_html(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("declaration", "codec"),
    [
        ('<meta charset="windows-1252">', "cp1252"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">', "cp1252"),
        ('<meta charset="latin-1">', "latin-1"),
    ],
)
def test_charset_declared_only_in_meta(declaration: str, codec: str) -> None:
    story = "<p>Puerto Vallarta, Jalisco - The café on Olas Altas reopened after the storm.</p>"
    if codec == "cp1252":
        story += "<p>The owner said it’s “the best week” since March.</p>"
    data = _page(story, declaration).encode(codec)
    article = clean_html(data, PVDN_URL)
    assert "The café on Olas Altas reopened" in article.body
    if codec == "cp1252":
        assert "it’s “the best week”" in article.body


def test_mojibake_is_repaired() -> None:
    broken = "<p>Mexico’s café owners — “ready” for the season, said José Peña.</p>"
    broken = broken.encode("utf-8").decode("cp1252", "replace")
    article = clean_html(_page(broken), PVDN_URL)
    assert "Mexico’s café owners — “ready” for the season, said José Peña." in article.body


def test_truncated_html_keeps_what_arrived() -> None:
    full = SEED_PAGE.read_bytes()
    whole = clean_html(full, PVDN_URL)
    cut_at = full.index(b"Work Schedule and Closures")
    article = clean_html(full[:cut_at], PVDN_URL)
    assert article.extractor == "pvdn"
    assert article.blocks
    assert list(article.blocks) == list(whole.blocks[: len(article.blocks)])


def test_five_megabyte_page() -> None:
    sentence = "The council met again on Tuesday to discuss item {} of the budget. "
    count = 5 * 1024 * 1024 // (len(sentence) * 20)
    body = "".join(f"<p>{sentence.format(i) * 20}</p>" for i in range(count))
    article = clean_html(_page(body), PVDN_URL)
    assert article.extractor == "pvdn"
    assert len(article.body) > 4_000_000


def test_ten_thousand_levels_of_nesting() -> None:
    markup = _page("<div>" * 10_000 + "<p>Deep text.</p>" + "</div>" * 10_000)
    _assert_well_formed(clean_html(markup, PVDN_URL))
    _assert_well_formed(clean_html("<div>" * 10_000 + "x" + "</div>" * 10_000))


def test_oversized_input_is_refused() -> None:
    article = clean_html("<p>" + "x" * 2000 + "</p>", options=Options(max_bytes=1000))
    assert article.empty_reason is not None
    assert article.empty_reason.startswith("input too large")


_TAGS = st.sampled_from(
    [
        "p",
        "div",
        "h2",
        "h3",
        "ul",
        "li",
        "blockquote",
        "figure",
        "figcaption",
        "span",
        "a",
        "strong",
        "script",
        "aside",
        "article",
        "section",
        "table",
        "tr",
        "td",
        "br",
        "img",
    ]
)
_WORDS = st.sampled_from(
    [
        "Trending News on PVDN",
        "Related Posts",
        "Follow Us On Google News | Get Our Newsletter",
        "Scroll to Top",
        "Read Full Story",
        " . . .",
        "…",
        "Puerto Vallarta, Mexico —",
        "Already a subscriber? Log in now.",
        "<<",
        ">>",
        "&amp;",
        "&#8217;",
        "Mexico’s",
        "\u00a0",
        "The mayor said the plan would go ahead.",
        "x",
        "",
        "\x00",
        "\ufffd",
    ]
)


@st.composite
def _markup(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 40))):
        tag = draw(_TAGS)
        close = draw(st.booleans())
        cls = draw(
            st.sampled_from(
                [
                    "",
                    ' class="entry-content"',
                    ' class="wpp-list"',
                    ' class="sharedaddy"',
                    ' class="post-excerpt"',
                    ' href="/x"',
                ]
            )
        )
        parts.append(f"<{tag}{cls}>{draw(_WORDS)}" + (f"</{tag}>" if close else ""))
    return "".join(parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(st.text(max_size=2000), st.binary(max_size=2000), _markup()),
    st.sampled_from([None, PVDN_URL, "https://example.org/a", "not a url"]),
)
def test_fuzz_clean_html(data: str | bytes, url: str | None) -> None:
    _assert_well_formed(clean_html(data, url))


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=3000), st.lists(_WORDS, max_size=60).map("\n".join)))
def test_fuzz_clean_text(data: str) -> None:
    _assert_well_formed(clean_text(data))
