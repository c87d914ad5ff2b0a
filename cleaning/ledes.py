"""Finding story text printed twice: the lede (or excerpt) repeated after the body.

WordPress renders the post excerpt from raw post content, so the repeat can differ from the
story in punctuation (straight quotes, hyphens), be cut at ~150 characters with " . . .", or run
over into the second paragraph. Comparison therefore uses `match_key` and prefix matching
against the story's opening, and never removes the first paragraph itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from cleaning.textnorm import match_key, strip_trailing_ellipsis

# A tail shorter than this is an echo of a few words, not a repeat.
MIN_REPEAT_CHARS = 60
# How many opening paragraphs a repeat may span.
LEAD_PARAGRAPHS = 3
# How many paragraphs such a repeat can be printed as (the excerpt may break lines anew). It
# also bounds the walk back from the end, which builds the tail's key paragraph by paragraph:
# unbounded, a long lede followed by many short paragraphs made that quadratic.
MAX_TAIL_PARAGRAPHS = 2 * LEAD_PARAGRAPHS


def _key(text: str) -> str:
    return match_key(strip_trailing_ellipsis(text)[0])


def repeated_tail(kinds: Sequence[str], texts: Sequence[str]) -> int | None:
    """Index where a trailing run of paragraphs repeats the story's opening, or None.

    The run must be paragraphs only (at most `MAX_TAIL_PARAGRAPHS`), end at the last block,
    start after the first paragraph, and match the opening (first paragraphs joined) as a
    prefix of at least `MIN_REPEAT_CHARS` characters, or the whole first paragraph when that
    is shorter.
    """
    paragraphs = [i for i, k in enumerate(kinds) if k == "paragraph"]
    if len(paragraphs) < 2:
        return None
    # Cheap exit for most pages: a repeat starts with the opening's first words.
    if not _same_start(texts[paragraphs[0]], [texts[i] for i in paragraphs[1:]]):
        return None
    keys: dict[int, str] = {}  # keys of whole paragraphs are costly: each is made once

    def key(i: int) -> str:
        found = keys.get(i)
        if found is None:
            found = keys[i] = _key(texts[i])
        return found

    lead_key = " ".join(key(i) for i in paragraphs[:LEAD_PARAGRAPHS])
    needed = min(MIN_REPEAT_CHARS, len(key(paragraphs[0])))
    # Walk back from the last block; a tail longer than the opening cannot be its prefix.
    found = None
    tail_key = ""
    last = len(kinds) - 1
    for start in range(last, max(paragraphs[0], last - MAX_TAIL_PARAGRAPHS), -1):
        if kinds[start] != "paragraph":
            break
        tail_key = f"{key(start)} {tail_key}".strip()
        if len(tail_key) > len(lead_key):
            break
        if len(tail_key) >= needed and lead_key.startswith(tail_key):
            found = start
    return found


_START_WORDS = 3


def _same_start(first: str, others: list[str]) -> bool:
    """Whether any later paragraph opens with the first paragraph's first words."""
    opening = _opening_key(first)
    # The first word character decides most comparisons without building a key.
    initial = _initial(first)
    return any(_initial(t) == initial and _opening_key(t) == opening for t in others)


def _opening_key(text: str) -> str:
    return match_key(" ".join(text.split(None, _START_WORDS)[:_START_WORDS]))


def _initial(text: str) -> str:
    """The first word character, lowercased: the first character of the text's `match_key`."""
    for char in text:
        if char.isalnum() or char == "_":
            return char.lower()[:1]
    return ""


def repeated_paragraphs(kinds: Sequence[str], texts: Sequence[str]) -> list[int]:
    """Indexes of paragraphs that say exactly what an earlier paragraph said."""
    seen: set[str] = set()
    repeats: list[int] = []
    for i, (kind, text) in enumerate(zip(kinds, texts, strict=True)):
        if kind != "paragraph":
            continue
        # Exact repeats only (the lede repeat with other punctuation is `repeated_tail`'s job),
        # so a cheap key serves on long pages.
        key = text.lower()
        if len(key) >= MIN_REPEAT_CHARS and key in seen:
            repeats.append(i)
        seen.add(key)
    return repeats
