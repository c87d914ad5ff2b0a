"""The phrase gate (`boilerplate.judge`'s pre-check) lets through every text a phrase matches.

The gate is built from the phrases' cues; these tests check it against the compiled patterns
themselves: texts that each pattern matches are generated from the pattern's parse tree
(Python's own regex parser), and the gate must admit every one of them. A phrase whose cues
disagree with its pattern, or a phrase left out of the gate, fails here.
"""

from __future__ import annotations

import inspect
import itertools
import re
from re import _parser  # the regex parser the `re` module itself uses
from typing import Any

import pytest

from cleaning import boilerplate, profile, xpaths
from cleaning.boilerplate import LONG_BLOCK_GATE, PHRASE_GATE, judge
from cleaning.phrases import Phrase, PhraseGate, holds, opens, phrase

_MAX_EXAMPLES = 256
_PER_BRANCH = 6
# One character standing for each class a pattern may ask for.
_CATEGORY_CHARS = {"DIGIT": "7", "SPACE": " ", "WORD": "w", "NOT_DIGIT": "x", "NOT_SPACE": "x"}


def _category_char(category: Any) -> str:
    name = str(category).removeprefix("CATEGORY_").removeprefix("UNI_")
    return _CATEGORY_CHARS.get(name, "x")


def _one_of(items: list[tuple[Any, Any]]) -> str:
    """A character an `IN` set accepts."""
    if items and str(items[0][0]) == "NEGATE":
        excluded = {chr(v) for op, v in items[1:] if str(op) == "LITERAL"}
        return next(c for c in " x7-" if c not in excluded)
    op, value = items[0]
    name = str(op)
    if name == "LITERAL":
        return chr(value)
    if name == "RANGE":
        return chr(value[0])
    if name == "CATEGORY":
        return _category_char(value)
    raise AssertionError(f"unexpected set item {name}")


def _texts(items: Any) -> list[str]:
    """Texts a parsed (sub)pattern can produce, ignoring anchors and boundaries; a few per
    branch and per repeat count, so patterns with choices give several."""
    results = [""]
    for op, value in items:
        name = str(op)
        if name == "LITERAL":
            options = [chr(value)]
        elif name == "NOT_LITERAL":
            options = [" " if chr(value) != " " else "x"]
        elif name == "ANY":
            options = [" "]
        elif name == "IN":
            options = [_one_of(value)]
        elif name == "CATEGORY":
            options = [_category_char(value)]
        elif name == "AT":
            options = [""]
        elif name == "SUBPATTERN":
            options = _texts(value[-1])
        elif name == "BRANCH":
            # A few texts of each branch, so that no branch is crowded out by the cap.
            options = [t for branch in value[1] for t in _texts(branch)[:_PER_BRANCH]]
        elif name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
            low, _high, sub = value
            inner = _texts(sub)
            options = [t * low for t in inner] + [t * (low + 1) for t in inner]
        else:
            raise AssertionError(f"unexpected pattern item {name}")
        results = [a + b for a, b in itertools.product(results, options)][:_MAX_EXAMPLES]
    return results


def matching_texts(item: Phrase) -> list[str]:
    """Texts the phrase's compiled pattern really matches (as judge asks it), from its parse."""
    pattern = item.pattern
    candidates = _texts(_parser.parse(pattern.pattern, pattern.flags))
    # Searched phrases are found inside a block: try each text inside a sentence as well.
    candidates += [f"The city said {t} on Monday" for t in candidates]
    return sorted({t for t in candidates if pattern.search(t)})


def uncovered(phrases: tuple[Phrase, ...], gate: PhraseGate) -> dict[str, list[str]]:
    """Texts that a phrase matches and the gate turns away, by phrase pattern."""
    missed: dict[str, list[str]] = {}
    for item in phrases:
        for text in matching_texts(item):
            if not gate.admits(text.lower()):
                missed.setdefault(item.pattern.pattern, []).append(text)
    return missed


ALL_PHRASES = (*profile.PHRASES, *xpaths.PHRASES)


@pytest.mark.parametrize("item", ALL_PHRASES, ids=lambda p: p.pattern.pattern[:40])
def test_every_alternative_has_texts_it_matches(item: Phrase) -> None:
    """The generator reaches every alternative, so the gate test below is not vacuous."""
    texts = matching_texts(item)
    for alternative in item.alternatives:
        own = re.compile(alternative.regex, re.IGNORECASE)
        assert any(own.search(t) for t in texts), alternative


def test_the_gate_admits_whatever_a_phrase_matches() -> None:
    assert uncovered(ALL_PHRASES, PHRASE_GATE) == {}


def test_long_blocks_are_judged_only_as_pitches_or_notices() -> None:
    assert uncovered((profile.PITCH_ASK, profile.SUPPORTERS_NOTICE), LONG_BLOCK_GATE) == {}


# Patterns judge asks outside the gate: the site's name (checked before it) and the price
# or perk of a pitch (asked only once the gated ask has matched).
_UNGATED = {"SITE_NAME_LINE", "PITCH_PRICE_OR_PERK"}


def test_judge_asks_only_phrases_the_gate_was_built_from() -> None:
    """A pattern judge consults that the gate was not built from would never match."""
    source = inspect.getsource(boilerplate.judge)
    names = set(re.findall(r"\bprofile\.([A-Z_]+)\b", source))
    assert {"FOLLOW_US", "PAYWALL_WALL", "SITE_NAME_LINE"} <= names
    for name in sorted(names):
        value = getattr(profile, name)
        if isinstance(value, Phrase):
            assert value in profile.PHRASES, name
        else:
            assert name in _UNGATED, f"judge asks {name}, which is not a phrase of the gate"
    generic = set(re.findall(r"(?<![.\w])([A-Z][A-Z_]+)\.(?:match|search)\b", source))
    assert generic == {"AD_LABEL", "BARE_URL"}
    assert {getattr(xpaths, n) for n in generic} <= set(xpaths.PHRASES)


def test_a_phrase_whose_cue_is_not_its_opening_is_caught() -> None:
    """What the tests above would report if a phrase were declared with the wrong cue."""
    wrong = Phrase(re.compile(r"^keep scrolling$", re.IGNORECASE), (opens("scroll"),))
    assert uncovered((wrong,), PhraseGate((wrong,))) == {"^keep scrolling$": ["keep scrolling"]}
    left_out = phrase(opens("back to top", "$"))
    assert uncovered((left_out,), PHRASE_GATE) == {left_out.pattern.pattern: ["back to top"]}


def test_a_searched_phrase_is_admitted_anywhere_in_a_block() -> None:
    notice = phrase(holds("members only", r"\b", before=r"\b"))
    gate = PhraseGate((notice,))
    assert gate.admits("this video is for members only, sorry")
    assert not gate.admits("this video is for everyone")


@pytest.mark.parametrize(
    "text",
    [
        "Follow Us On Google News | Get Our Newsletter",
        "Trending News on PVDN",
        "You may also like:",
        "14 Responses to “Farewell Mexico”",
        "No Comments",
        ">> JOIN OUR WHATSAPP CHANNEL FOR BREAKING NEWS <<",
        "- Advertisement -",
        "https://youtu.be/abc123",
        "Already a subscriber? Log in now.Lost your password?",
        "Login now, or subscribe today.",
    ],
)
def test_site_lines_pass_the_gate_and_are_judged(text: str) -> None:
    assert PHRASE_GATE.admits(text.lower())
    assert judge(text) is not None


def test_cues_are_lowercase_literals() -> None:
    with pytest.raises(ValueError, match="lowercase"):
        opens("Trending")
    with pytest.raises(ValueError, match="non-empty"):
        holds("")
