"""The generic pieces on their own: datelines, repeats, teaser splitting, text folding."""

from __future__ import annotations

import pytest
from lxml import etree

from cleaning.boilerplate import judge, strip_read_full_story
from cleaning.datelines import find_dateline
from cleaning.ledes import repeated_paragraphs, repeated_tail
from cleaning.page_index import PageIndex
from cleaning.teaser_text import split_alt, split_title
from cleaning.textnorm import fold, match_key, strip_trailing_ellipsis
from cleaning.xpaths import boilerplate_reason

LEDE = (
    "Puerto Vallarta, Mexico — The city’s new “Malecón Seguro” plan will rebuild the seawall "
    "before the 2026 hurricane season, officials said on Tuesday."
)


@pytest.mark.parametrize(
    ("paragraph", "dateline"),
    [
        ("PUERTO VALLARTA (PVDN) - The city council met.", "PUERTO VALLARTA (PVDN)"),
        ("MEXICO CITY (AP) — Officials said.", "MEXICO CITY (AP)"),
        ("WASHINGTON, Feb 1 (Reuters) - The U.S. said.", "WASHINGTON, Feb 1 (Reuters)"),
        ("Puerto Vallarta, Jalisco – Crews worked.", "Puerto Vallarta, Jalisco"),
        ("Puerto Vallarta, Mexico * A typo seen once.", "Puerto Vallarta, Mexico"),
        ("The mayor said - nothing more.", None),
        ("Tropical Storm Erick is strengthening.", None),
    ],
)
def test_datelines(paragraph: str, dateline: str | None) -> None:
    assert find_dateline([paragraph]) == dateline


def test_dateline_after_a_dek() -> None:
    dek = "A new seawall is coming to the Malecón."
    assert find_dateline([dek, "Puerto Vallarta News - The plan."]) == "Puerto Vallarta News"
    assert find_dateline([dek, "x", "MEXICO CITY (AP) — Too late."]) is None


def test_match_key_ignores_texturizing() -> None:
    raw = LEDE.replace("’", "'").replace("“", '"').replace("”", '"').replace("—", "-")
    assert match_key(raw) == match_key(LEDE)
    assert match_key("Mexico’s") == match_key("Mexico's") == "mexicos"


def test_fold_handles_nbsp_and_newlines() -> None:
    assert fold(" a\u00a0b\n\t c ") == "a b c"


@pytest.mark.parametrize("cut", [" . . .", "...", "…", " [...]"])
def test_trailing_ellipsis(cut: str) -> None:
    assert strip_trailing_ellipsis("It was cut" + cut) == ("It was cut", True)
    assert strip_trailing_ellipsis("It ended.") == ("It ended.", False)


SECOND = "Second paragraph of the story, which goes on for a while and then a bit more."


def _story(*tail: str) -> tuple[list[str], list[str]]:
    texts = [LEDE, SECOND, "Third one.", *tail]
    return ["paragraph"] * len(texts), texts


def test_repeat_whole_with_straight_quotes() -> None:
    kinds, texts = _story(LEDE.replace("’", "'").replace("—", "-"))
    assert repeated_tail(kinds, texts) == 3


def test_repeat_cut_with_spaced_dots() -> None:
    kinds, texts = _story(LEDE[:150].rstrip() + " . . .")
    assert repeated_tail(kinds, texts) == 3


def test_repeat_spanning_two_paragraphs() -> None:
    kinds, texts = _story(LEDE, "Second paragraph of the story, which goes . . .")
    assert repeated_tail(kinds, texts) == 3


def test_repeat_of_a_lede_opening_with_a_quote() -> None:
    # The story's curly quote and the excerpt's straight one differ in their first character.
    quoted = "“We are not talking about a cosmetic repair,” the director said of the seawall plan."
    texts = [quoted, SECOND, "Third one.", quoted.replace("“", '"').replace("”", '"')]
    assert repeated_tail(["paragraph"] * 4, texts) == 3


def test_echo_of_a_few_lede_words_is_not_a_repeat() -> None:
    kinds, texts = _story("The Malecón Seguro plan, officials said, is the city’s priority.")
    assert repeated_tail(kinds, texts) is None


def test_first_paragraph_is_never_its_own_repeat() -> None:
    assert repeated_tail(["paragraph"], [LEDE]) is None


def test_exact_repeated_paragraph_anywhere() -> None:
    kinds, texts = _story(SECOND, LEDE[::-1])
    assert repeated_paragraphs(kinds, texts) == [3]


@pytest.mark.parametrize(
    ("item", "alt"),
    [
        (
            "tropical-storm-watch-jaliscoStorm Watch Issued for Jalisco Coast",
            "tropical-storm-watch-jalisco",
        ),
        ("puerto vallarta cruisesCruise Season Ends", "puerto vallarta cruises"),
        (
            "A crowd fills the Malecón at night.Pride Parade Draws Record Crowd",
            "A crowd fills the Malecón at night.",
        ),
        ("4-9-quake-jalisco4.9 Quake Shakes Jalisco", "4-9-quake-jalisco"),
        ("Farewell MexicoFarewell Mexico After Ten Years", "Farewell Mexico"),
    ],
)
def test_alt_glued_to_title(item: str, alt: str) -> None:
    assert split_alt(item)[0] == alt


@pytest.mark.parametrize(
    "item",
    [
        "New TikTok Rules Worry Vallarta Creators as Ban Looms",
        "McDonald’s Opens Its First Drive-Thru in Bucerías",
        "YouTube Star Films Whale Sharks Near Los Arcos",
    ],
)
def test_brand_camel_case_is_not_an_alt(item: str) -> None:
    assert split_alt(item) == (None, item)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (
            "Street Market Returns to Olas Altas Every Saturday Vendors set up along the street "
            "from 9 a.m. until…",
            "Street Market Returns to Olas Altas Every Saturday",
        ),
        (
            "Fishermen rescued after boat capsizes near Yelapa Two fishermen spent the night "
            "clinging to their boat…",
            "Fishermen rescued after boat capsizes near Yelapa",
        ),
        (
            "Hurricane Season Outlook for 2025 PUERTO VALLARTA (PVDN) – Forecasters expect an "
            "active season…",
            "Hurricane Season Outlook for 2025",
        ),
    ],
)
def test_title_summary_boundary(text: str, title: str) -> None:
    got_title, summary = split_title(text)
    assert got_title == title
    assert summary == text[len(title) + 1 :]


@pytest.mark.parametrize(
    ("text", "reason", "ends", "wall"),
    [
        ("Follow Us On Google News | Get Our Newsletter", "follow-us line", True, False),
        ("Trending news on PVDN", "trending teasers", True, False),
        ("Related Posts", "related teasers", True, False),
        ("**** CONTINUE READING AS A SUBSCRIBER****", "subscriber wall", True, True),
        ("Already a Subscriber? Login Here", "subscriber wall", True, True),
        ("Keep reading with a yearly subscription", "subscriber wall", True, True),
        ("Scroll to Top", "scroll to top", False, False),
        (">> JOIN OUR WHATSAPP CHANNEL FOR BREAKING NEWS <<", "call to action", False, False),
        ("14 Responses", "comments", True, False),
        ("- Advertisement -", "advertisement", False, False),
        (
            "Subscribe for as little as 8 cents per day ($29.99 per year) and get fewer ads.",
            "subscriber pitch",
            False,
            False,
        ),
    ],
)
def test_site_phrases(text: str, reason: str, ends: bool, wall: bool) -> None:
    verdict = judge(text)
    assert verdict is not None
    assert (verdict.reason, verdict.ends_story, verdict.wall) == (reason, ends, wall)


@pytest.mark.parametrize(
    "text",
    [
        "He declined to comment.",
        "Update: The storm weakened overnight.",
        "Why It Matters",
        "The city said subscriptions to the water service will rise to $120 per year, a long "
        "paragraph of real news about municipal fees that happens to mention the word. " * 8,
    ],
)
def test_story_text_is_not_boilerplate(text: str) -> None:
    assert judge(text) is None


def test_read_full_story_only_after_a_cut() -> None:
    assert strip_read_full_story("Officials said the roads were Read Full Story") == (
        "Officials said the roads were",
        True,
    )
    assert strip_read_full_story("It closed at noon. . . . Read Full Story")[1]
    kept = "The council approved the budget. Read full story"
    assert strip_read_full_story(kept) == (kept, False)


@pytest.mark.parametrize(
    ("class_attr", "reason"),
    [
        ("sharedaddy sd-sharing-enabled", "share bar"),
        ("mc4wp-form mc4wp-form-123", "newsletter form"),
        ("code-block code-block-2", "advertisement"),
        ("comments-area", "comments"),
        ("wp-block-embed is-type-video", "embed"),
        ("entry-content clear", None),
        ("post-1 post type-post tag-advertising category-news", None),
        ("wp-block-heading", None),
        ("Social_Icons", "share bar"),
        ("header-AD-unit", "advertisement"),
        ("shadow reading-time", None),
    ],
)
def test_boilerplate_classes(class_attr: str, reason: str | None) -> None:
    assert boilerplate_reason(class_attr, "") == reason


def test_boilerplate_ids() -> None:
    assert boilerplate_reason("", "respond") == "comments"
    assert boilerplate_reason("wp-block-group", "main-content") is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Puerto Vallarta Daily News", "site name"),
        ("PVDN", "site name"),
        ("Puerto Vallarta police said the road would reopen on Friday.", None),
        ("The Puerto Vallarta and Mexico News team was not involved.", None),
    ],
)
def test_site_name_line_but_not_the_city(text: str, reason: str | None) -> None:
    verdict = judge(text)
    assert (verdict.reason if verdict else None) == reason


def test_page_index_class_questions() -> None:
    root = etree.fromstring(
        '<html><body><div class="popular-posts-b">B</div><ul class="wpp-list">'
        '<li>x</li></ul><div class="entry-content"><p class="posted-on">May 1, 2024</p>'
        '<span class="date-line">Now</span></div></body></html>',
        etree.HTMLParser(),
    )
    index = PageIndex(root)
    assert [el.text for el in index.with_class("entry-content")] == [None]
    # Words built on a class word count with `derived`, merged in document order.
    derived = index.with_class("wpp-list", "popular-posts", derived=True)
    assert [el.tag for el in derived] == ["div", "ul"]
    # Text-level elements answer only when asked for.
    assert index.with_class("posted-on", "date", derived=True) == []
    dated = index.with_class("posted-on", "date", derived=True, text_level=True)
    assert [el.text for el in dated] == ["May 1, 2024", "Now"]
