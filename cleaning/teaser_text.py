"""Splitting a teaser item of a text dump into image alt, title and summary.

In text copies of PVDN's trending list the thumbnail's alt text runs straight into the title
("…-june-2025New Tropical Cyclone…") and the title runs into the excerpt with one space. No
markup survives, so the boundaries are found from the shape of the words: where a lowercase
character meets a capital with no space (the alt), and where a headline ends and a sentence
begins (the summary). Nothing here knows any particular story.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate, pairwise
from typing import Any

from cleaning.datelines import DATELINE

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
LOWER_PHRASE = re.compile(r"^[a-z0-9][a-z0-9 \-'’.,&]*[a-z0-9]$")
# A glue point: lowercase letter or digit (or closing punctuation) then a capital, no space.
_GLUE = re.compile(
    r"(?<=[a-z0-9áéíóúñ)\]’'.])(?=[A-ZÁÉÍÓÚÑ¿“‘\"])"
    # a slug alt ending in a letter, then a title opening with a number ("…-coast4.9 Magnitude")
    r"|(?<=[a-z])(?=\d+[.,:%]?\d*\s)"
)
# Words that brand names split in two; a glue point inside one is not an alt boundary.
_CAMEL_PREFIX = re.compile(r"(?:^|\s)(?:Mc|Mac|O’|O'|[A-Z][a-z]{0,3})$")
_CAMEL_WORDS = frozenset(
    "tiktok whatsapp youtube iphone ipad paypal linkedin fedex jetblue openai spacex gofundme"
    " airbnb volaris vivaaerobus pemex ebay mcdonald’s mcdonald's mcdonalds".split()
)
_FUNCTION_WORDS = frozenset(
    "a an the of in on at to for and or but as by with from into onto over under after before"
    " about against between during off up out via vs than that which who whose its their his"
    " her our your my is are was were be been will would can could may might must shall should"
    " has have had do does did not no nor so if while amid per".split()
)
# Capitalised words that begin sentences; seen mid-"sentence" after a lowercase word they
# betray a sentence boundary that the split missed.
_SENTENCE_STARTERS = frozenset(
    "A An The In On At After As With This These Those Its It For From By During When While"
    " Authorities Officials".split()
)
_OPEN_QUOTE = '“‘"¿'
# An image's alt text is a short description; a glue point further in is inside the title.
MAX_ALT_CHARS = 200
_FIRST_WORD = re.compile(r"\S*")
# How far into the summary a dateline is looked for, and what it can open and end with.
_DATELINE_WORDS = 12
_DATELINE_INITIALS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZÁÉÍÓÚÑ")
_DASHES = ("—", "–", "-", "*")
_MAX_GRAM = 4
_QUOTE_MARKS = ("“", "”", '"', "‘", "’")
# Word keys are made from the joined words: everything but word characters and the joins goes.
_KEY_DROP = re.compile(r"[^\w ]+")
_WORD_CHARS = re.compile(r"[^\w]+")


@dataclass(frozen=True, slots=True)
class TeaserText:
    image_alt: str | None
    title: str
    summary: str | None


def split_teaser(item: str, *, has_alt: bool = True) -> TeaserText:
    """Alt text (when `has_alt`), title and summary of one flattened teaser item."""
    alt, rest = split_alt(item) if has_alt else (None, item)
    title, summary = split_title(rest)
    return TeaserText(alt, title, summary)


def split_alt(item: str) -> tuple[str | None, str]:
    """Separate an image alt glued in front of the title; (None, item) when there is none.

    Only glue points within `MAX_ALT_CHARS` of the start are tried: an alt is a short
    description, and past that the glue point lies inside the title or the excerpt.
    """
    lead = len(item) - len(item.lstrip())
    for m in _GLUE.finditer(item, lead, lead + MAX_ALT_CHARS + 1):
        start = m.start()
        # The glue point follows a non-space character, so the alt needs no right strip.
        alt = item[lead:start]
        if len(alt) >= 2 and _plausible_alt(alt, item, start):
            return alt, item[start:]
    return None, item


def _plausible_alt(alt: str, item: str, start: int) -> bool:
    """Whether `alt`, glued to the rest of `item` at `start`, reads as an image's alt text."""
    first = _FIRST_WORD.match(item, start)
    rest_word = first.group(0) if first else ""
    alt_words = alt.split()
    glued_word = (alt_words[-1] + rest_word).lower() if alt_words and rest_word else ""
    if glued_word.strip(".,:;!?") in _CAMEL_WORDS:
        return False
    if item[start : start + 1].isdigit():
        return bool(SLUG.match(alt))
    if SLUG.match(alt) or LOWER_PHRASE.match(alt):
        return True
    if item.startswith(alt, start):
        return True  # the alt repeats the title
    if _CAMEL_PREFIX.search(alt):
        return False
    return len(alt_words) >= 3


def _key(word: str) -> str:
    word = word.lower().replace("’s", "").replace("'s", "")
    return _WORD_CHARS.sub("", word)


def _starts_upper(word: str) -> bool:
    word = word.lstrip(_OPEN_QUOTE)
    return bool(word) and word[0].isupper()


def split_title(text: str) -> tuple[str, str | None]:
    """Split "Headline Words Summary sentence…" where the headline ends; (text, None) if none.

    Every split before a capitalised word is scored (`_Words.score`) and the best one wins;
    each score is read from tables made once over the words, so an item of any length is
    split in time linear in its words.
    """
    words = text.split()
    best: tuple[float, int] | None = None
    if len(words) > 3:
        item = _Words(words)
        upper = item.upper
        for k in range(1, len(words) - 2):
            if upper[k]:
                score = item.score(k)
                if best is None or score > best[0]:
                    best = (score, k)
    if best is None or best[0] < -1:
        return text.strip(), None
    k = best[1]
    return " ".join(words[:k]), " ".join(words[k:])


def _keys(words: list[str]) -> list[str]:
    """`_key` of every word, made in one pass over the joined words."""
    joined = " ".join(words).lower().replace("’s", "").replace("'s", "")
    return _KEY_DROP.sub("", joined).split(" ")


def _counts(flags: Iterable[int]) -> list[int]:
    """counts[i] = the sum of the first i flags."""
    return list(accumulate(flags, initial=0))


class _Words:
    """One teaser item's words with what the split scores ask about them, read once.

    A split at `k` makes words[:k] the headline and words[k:] the summary; `score(k)` weighs
    the signs that a headline ends and a sentence begins there.
    """

    def __init__(self, words: list[str]) -> None:
        self.words = words
        n = len(words)
        self.keys = keys = _keys(words)
        self.upper = [bool(w := x.lstrip(_OPEN_QUOTE)) and w[0].isupper() for x in words]
        self.caps = _counts(map(str.isupper, words))
        # Quote marks in the headline, for `_balanced` (most items have none).
        joined = " ".join(words)
        self.quotes = {
            mark: _counts(w.count(mark) for w in words) if mark in joined else None
            for mark in _QUOTE_MARKS
        }
        # Each word n-gram (1 to 4 words, by key) and where it first occurs: an excerpt that
        # restates the headline opens with an n-gram the headline already holds.
        self.grams: list[list[Any]] = [[]]
        self.first: list[dict[Any, int]] = [{}]
        for size in range(1, _MAX_GRAM + 1):
            grams: list[Any] = (
                keys if size == 1 else list(zip(*(keys[j:] for j in range(size)), strict=False))
            )
            self.grams.append(grams)
            self.first.append(
                dict(zip(reversed(grams), range(len(grams) - 1, -1, -1), strict=False))
            )
        # Adjacent pairs (by key) after a word ending in a letter or digit: a name that the
        # item spells whole somewhere ("Puerto Vallarta").
        self.pairs = Counter(
            pair for pair, w in zip(pairwise(keys), words, strict=False) if w[-1:].isalnum()
        )
        # Content words (not function words), for `_title_case_breaks`.
        content = [
            w[:1].isalpha() and key not in _FUNCTION_WORDS
            for w, key in zip(words, keys, strict=True)
        ]
        self.content = _counts(content)
        self.lower_content = _counts(
            c and w[:1].islower() for c, w in zip(content, words, strict=True)
        )
        first_three = [w for c, w in zip(content, words, strict=True) if c][:3]
        self.title_case_opening = all(w[:1].isupper() for w in first_three)
        # A sentence starter between lowercase words: a missed sentence boundary.
        middles = (
            word in _SENTENCE_STARTERS and prev[-1:].islower() and nxt[:1].islower()
            for prev, word, nxt in zip(words, words[1:], words[2:], strict=False)
        )
        self.boundaries = _counts([False, *middles, False])
        # Words ending a sentence ("." then another word) and words ending in a dash.
        self.stops = [i for i in range(n - 1) if words[i].endswith(".")]
        self.dashes = [i for i, w in enumerate(words) if w.endswith(_DASHES)]

    def score(self, k: int) -> float:
        words, keys, n = self.words, self.keys, len(self.words)
        last = words[k - 1]
        score = 0.0
        # A sentence begins: capitalised word then a lowercase one ("Demonstrators in").
        if words[k + 1][0].islower() or words[k + 1][0].isdigit():
            score += 2
        # Or a dateline opens the excerpt ("PUERTO VALLARTA (PVDN) – …"); its words share one
        # case style, so a headline word in front of it ("Cleanup PUERTO …") is not part of it.
        # A dateline needs a word ending in a dash with a word after it, within its window.
        window_end = min(k + _DATELINE_WORDS, n)
        dash = bisect_left(self.dashes, k)
        if (
            words[k][0] in _DATELINE_INITIALS
            and dash < len(self.dashes)
            and self.dashes[dash] <= window_end - 2
        ):
            dateline = DATELINE.match(" ".join(words[k:window_end]))
            if dateline:
                place = dateline.group("dateline").split()
                if len(place) < 2 or place[0].isupper() == place[1].isupper():
                    score += 6
        # A headline in Title Case does not end on an all-caps word that a dateline starts with.
        if len(last) > 2 and last.isupper() and k - self.caps[k] >= 2:
            score -= 2
        # Excerpts often open by restating the headline's subject ("Tropical Storm Erick …").
        run = 0
        for size in range(1, min(_MAX_GRAM, n - k) + 1):
            if self.first[size][self.grams[size][k]] + size <= k:
                run = size
        score += 1.5 * min(run, 3) if run >= 2 else 0.5 * run
        # Headlines run about 6 to 16 words; past 20 the split has swallowed the excerpt.
        if 6 <= k <= 16:
            score += 1
        elif k > 20:
            score -= 5
        elif k > 16 or k < 3:
            score -= 2
        # A headline does not end on a function word, a possessive, or open punctuation.
        if keys[k - 1] in _FUNCTION_WORDS or last.endswith(("’s", "'s", ",", ":", ";", "-", "–")):
            score -= 5
        if not self._balanced(k):
            score -= 5
        # Splitting a name that the item spells whole elsewhere ("Puerto | Vallarta").
        if self.pairs[keys[k - 1], keys[k]] - last[-1:].isalnum() > 0:
            score -= 4
        # The summary should read as a sentence: few capitalised words right after its first.
        score -= 0.5 * sum(self.upper[k + 1 : k + 6])
        # A sentence starter after a lowercase word, in the headline or the summary's first
        # sentence, means a boundary was missed.
        score -= 1.5 * self._title_case_breaks(k)
        if self._missed_boundary(k):
            score -= 3
        return score

    def _balanced(self, k: int) -> bool:
        count = {mark: counts[k] if counts else 0 for mark, counts in self.quotes.items()}
        if count["“"] != count["”"] or count['"'] % 2:
            return False
        # ’ doubles as an apostrophe, so only an opening ‘ without any closing one is unbalanced.
        return not (count["‘"] and not count["’"])

    def _title_case_breaks(self, k: int) -> int:
        """Lowercase content words in a headline that opened in Title Case: excerpt text."""
        if self.content[k] < 3 or not self.title_case_opening:
            return 0
        return self.lower_content[k]

    def _missed_boundary(self, k: int) -> bool:
        """A boundary inside the headline words[:k] or inside the summary's first sentence
        (up to the first word ending in "." that has a word after it)."""
        boundaries = self.boundaries
        if boundaries[max(k - 1, 1)] - boundaries[1]:
            return True
        stop = bisect_left(self.stops, k)
        sentence_end = self.stops[stop] if stop < len(self.stops) else len(self.words) - 1
        return boundaries[max(sentence_end, k + 1)] - boundaries[k + 1] > 0
