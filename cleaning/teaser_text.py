"""Splitting a teaser item of a text dump into image alt, title and summary.

In text copies of PVDN's trending list the thumbnail's alt text runs straight into the title
("…-june-2025New Tropical Cyclone…") and the title runs into the excerpt with one space. No
markup survives, so the boundaries are found from the shape of the words: where a lowercase
character meets a capital with no space (the alt), and where a headline ends and a sentence
begins (the summary). Nothing here knows any particular story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    " has have had do does did not no nor so if while amid".split()
)
# Capitalised words that begin sentences; seen mid-"sentence" after a lowercase word they
# betray a sentence boundary that the split missed.
_SENTENCE_STARTERS = frozenset(
    "A An The In On At After As With This These Those Its It For From By During When While"
    " Authorities Officials".split()
)
_OPEN_QUOTE = '“‘"¿'
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
    """Separate an image alt glued in front of the title; (None, item) when there is none."""
    for m in _GLUE.finditer(item):
        alt, rest = item[: m.start()].strip(), item[m.start() :]
        if len(alt) >= 2 and _plausible_alt(alt, rest):
            return alt, rest
    return None, item


def _plausible_alt(alt: str, rest: str) -> bool:
    glued_word = (
        (alt.rsplit(maxsplit=1)[-1] + rest.split(maxsplit=1)[0]).lower()
        if alt.split() and rest.split()
        else ""
    )
    if glued_word.strip(".,:;!?") in _CAMEL_WORDS:
        return False
    if rest[:1].isdigit():
        return bool(SLUG.match(alt))
    if SLUG.match(alt) or LOWER_PHRASE.match(alt):
        return True
    if rest.startswith(alt):
        return True  # the alt repeats the title
    if _CAMEL_PREFIX.search(alt):
        return False
    return len(alt.split()) >= 3


def _key(word: str) -> str:
    word = word.lower().replace("’s", "").replace("'s", "")
    return _WORD_CHARS.sub("", word)


def _starts_upper(word: str) -> bool:
    word = word.lstrip(_OPEN_QUOTE)
    return bool(word) and word[0].isupper()


def _balanced(text: str) -> bool:
    if text.count("“") != text.count("”") or text.count('"') % 2:
        return False
    # ’ doubles as an apostrophe, so only an opening ‘ without any closing one is unbalanced.
    return not (text.count("‘") and not text.count("’"))


def split_title(text: str) -> tuple[str, str | None]:
    """Split "Headline Words Summary sentence…" where the headline ends; (text, None) if none."""
    words = text.split()
    best: tuple[float, int] | None = None
    for k in range(1, len(words) - 2):
        if not _starts_upper(words[k]):
            continue
        score = _score(words, k)
        if best is None or score > best[0]:
            best = (score, k)
    if best is None or best[0] < -1:
        return text.strip(), None
    k = best[1]
    return " ".join(words[:k]), " ".join(words[k:])


def _score(words: list[str], k: int) -> float:
    title, summary = words[:k], words[k:]
    last = title[-1]
    score = 0.0
    # A sentence begins: capitalised word then a lowercase one ("Demonstrators in", "A skydiver").
    if len(summary) > 1 and (summary[1][0].islower() or summary[1][0].isdigit()):
        score += 2
    # Or a dateline opens the excerpt ("PUERTO VALLARTA (PVDN) – …"); its words share one
    # case style, so a headline word in front of it ("Cleanup PUERTO …") is not part of it.
    dateline = DATELINE.match(" ".join(summary[:12]))
    if dateline:
        place = dateline.group("dateline").split()
        if len(place) < 2 or place[0].isupper() == place[1].isupper():
            score += 6
    # A headline in Title Case does not end on an all-caps word that a dateline starts with.
    if len(last) > 2 and last.isupper() and sum(not w.isupper() for w in title) >= 2:
        score -= 2
    # Excerpts often open by restating the headline's subject ("Tropical Storm Erick …").
    title_keys = [_key(w) for w in title]
    run = 0
    for n in range(1, min(4, len(summary)) + 1):
        gram = [_key(w) for w in summary[:n]]
        if any(title_keys[i : i + n] == gram for i in range(len(title_keys) - n + 1)):
            run = n
    score += 1.5 * min(run, 3) if run >= 2 else 0.5 * run
    # Headlines run about 6 to 16 words; past 20 the split has swallowed the excerpt.
    if 6 <= len(title) <= 16:
        score += 1
    elif len(title) > 20:
        score -= 5
    elif len(title) > 16 or len(title) < 3:
        score -= 2
    # A headline does not end on a function word, a possessive, or open punctuation.
    if _key(last) in _FUNCTION_WORDS or last.endswith(("’s", "'s", ",", ":", ";", "-", "–")):
        score -= 5
    if not _balanced(" ".join(title)):
        score -= 5
    # Splitting a name that the item spells whole elsewhere ("Puerto | Vallarta").
    pair = (_key(last), _key(summary[0]))
    keys = [_key(w) for w in words]
    if any(
        (keys[i], keys[i + 1]) == pair and words[i][-1:].isalnum()
        for i in range(len(keys) - 1)
        if i != k - 1
    ):
        score -= 4
    # The summary should read as a sentence: few capitalised words right after its first.
    score -= 0.5 * sum(1 for w in summary[1:6] if _starts_upper(w))
    # A sentence starter after a lowercase word, in the headline or the summary's first
    # sentence, means a boundary was missed.
    score -= 1.5 * _title_case_breaks(title)
    if _missed_boundary(title) or _missed_boundary(" ".join(summary).split(". ")[0].split()):
        score -= 3
    return score


def _title_case_breaks(title: list[str]) -> int:
    """Lowercase content words in a headline that opened in Title Case: excerpt text."""
    content = [w for w in title if w[:1].isalpha() and _key(w) not in _FUNCTION_WORDS]
    if len(content) < 3 or not all(_starts_upper(w) for w in content[:3]):
        return 0
    return sum(1 for w in content if w[:1].islower())


def _missed_boundary(words: list[str]) -> bool:
    return any(
        word in _SENTENCE_STARTERS and prev[-1:].islower() and nxt[:1].islower()
        for prev, word, nxt in zip(words, words[1:], words[2:], strict=False)
    )
