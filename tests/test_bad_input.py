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


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        # é right before a closing quote, read by a strict cp1252 decoder (0x9D became U+FFFD).
        ("“Olé” said José”.".encode().decode("cp1252", "replace"), "“Olé” said José”."),
        # Encoded twice: UTF-8 read as cp1252, saved as UTF-8, read as cp1252 again.
        (
            "Niño – señor".encode().decode("cp1252").encode().decode("cp1252"),
            "Niño – señor",
        ),
        # Emoji (four-byte sequences) and their lead byte ð.
        ("Sunset 🌅 at Los Muertos 🌴".encode().decode("cp1252", "replace"), None),
        ("Sunset 🌅 at Los Muertos 🌴".encode().decode("latin-1"), "Sunset 🌅 at Los Muertos 🌴"),
    ],
)
def test_mojibake_of_every_kind(broken: str, fixed: str | None) -> None:
    article = clean_html(_page(f"<p>{broken} The pier reopened on Friday.</p>"), PVDN_URL)
    if fixed is None:  # a strict decoder dropped bytes of the emoji: only the rest can come back
        assert "Sunset" in article.body
        assert "Ã" not in article.body
    else:
        assert article.body == f"{fixed} The pier reopened on Friday."


def test_correct_text_is_left_alone_by_the_repair() -> None:
    text = "Crêpes at Café Tâché, São Paulo’s “Ñandú” and Łódź — naïve 😀 • 50 °C"
    assert clean_html(_page(f"<p>{text}</p>"), PVDN_URL).body == text


_STORY = (
    "<p>Puerto Vallarta, Jalisco – The Pitillal bridge reopened to traffic on Monday.</p>"
    "<p>Crews finished the railings over the weekend, the city said.</p>"
)
_STORY_BLOCKS = [
    "Puerto Vallarta, Jalisco – The Pitillal bridge reopened to traffic on Monday.",
    "Crews finished the railings over the weekend, the city said.",
]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("with_bom", [True, False])
def test_utf16_and_utf32_pages(encoding: str, with_bom: bool) -> None:
    """Half or three quarters of such bytes are NUL: read by their mark or their NUL pattern,
    never refused as binary."""
    bom = {
        "utf-16-le": b"\xff\xfe",
        "utf-16-be": b"\xfe\xff",
        "utf-32-le": b"\xff\xfe\x00\x00",
        "utf-32-be": b"\x00\x00\xfe\xff",
    }[encoding]
    data = (bom if with_bom else b"") + _page(_STORY).encode(encoding)
    article = clean_html(data, PVDN_URL)
    assert [b.text for b in article.blocks] == _STORY_BLOCKS


def test_header_charset_comes_before_meta_and_detection() -> None:
    expected = "Puerto Vallarta, Jalisco - Tickets cost 45 € for the Šibenik choir's show."
    story = f"<p>{expected}</p>"
    data = _page(story).encode("iso-8859-15")
    assert clean_html(data, PVDN_URL, charset="ISO-8859-15").body == expected
    assert clean_html(data, PVDN_URL, charset="text/html; charset=iso-8859-15").body == expected
    # Without the header the bytes read as cp1252 (the detection's Western guess).
    assert "¤" in clean_html(data, PVDN_URL).body
    # The header wins over a wrong <meta>.
    wrong_meta = _page(story, '<meta charset="windows-1250">').encode("iso-8859-15")
    assert clean_html(wrong_meta, PVDN_URL, charset="iso-8859-15").body == expected


@pytest.mark.parametrize("bogus", ["no-such-charset", "base64", "utf-7", "", ";", "x" * 500])
def test_a_bogus_header_charset_is_ignored(bogus: str) -> None:
    data = _page(_STORY).encode("utf-8")
    assert [b.text for b in clean_html(data, PVDN_URL, charset=bogus).blocks] == _STORY_BLOCKS
    cp1252 = _page(_STORY).encode("cp1252")
    assert [b.text for b in clean_html(cp1252, PVDN_URL, charset=bogus).blocks] == _STORY_BLOCKS


def test_a_byte_order_mark_wins_over_the_header() -> None:
    data = b"\xff\xfe" + _page(_STORY).encode("utf-16-le")
    assert [b.text for b in clean_html(data, PVDN_URL, charset="utf-8").blocks] == _STORY_BLOCKS


@pytest.mark.parametrize("depth", [250, 255, 300, 1000, 5000])
def test_no_story_is_lost_to_nesting(depth: int) -> None:
    """libxml2 stops at 256 levels and drops the rest of the page; the page is read again with
    the excess wrappers flattened, so the story and what follows it come through."""
    markup = _page("<div>" * depth + _STORY + "</div>" * depth + "<p>Scroll to Top</p>")
    article = clean_html(markup, PVDN_URL)
    assert [b.text for b in article.blocks] == _STORY_BLOCKS
    classed = _page('<div class="wp-block-group">' * depth + _STORY + "</div>" * depth)
    assert [b.text for b in clean_html(classed, PVDN_URL).blocks] == _STORY_BLOCKS


def test_deep_inline_nesting_keeps_the_text() -> None:
    markup = _page("<p>" + "<span>" * 3000 + _STORY_BLOCKS[0] + "</span>" * 3000 + "</p>")
    assert [b.text for b in clean_html(markup, PVDN_URL).blocks] == _STORY_BLOCKS[:1]


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
