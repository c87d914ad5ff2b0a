"""String normalisation shared by the HTML and text paths.

Two different needs: `fold` gives the text as a reader sees it (one space between words);
`match_key` gives a form for comparing two renderings of the same sentence, since WordPress
"texturizes" quotes and dashes in the post body but not in raw excerpts, so the same paragraph
can come back with ’ in one place and ' in another.
"""

from __future__ import annotations

import re

# Apostrophes of every rendering: dropped inside words, so "Mexico’s" and "Mexico's" give one key.
# The other characters that texturizing changes (curly double quotes, dashes, ellipses,
# non-breaking spaces) are not word characters, so `_KEY_DROP` already turns them into spaces.
_APOSTROPHES = "'\u2018\u2019\u201a\u201b\u2032"
_KEY_APOSTROPHE = re.compile(f"[{_APOSTROPHES}]")
_KEY_DROP = re.compile(r"[^\w]+")
# A truncation marker at the end of a cut excerpt: " . . .", "...", "…", "[…]".
TRAILING_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:\u2026|\.\.\.)\s*\]|(?:\s?\.){3,}|\u2026)\s*$")
# Markers are a few characters long; the pattern only ever looks at this many at the end (on a
# long run of dots, searching the whole text backtracks at every start: quadratic).
_MARKER_WINDOW = 64


def fold(text: str) -> str:
    """Collapse every run of white space (non-breaking spaces and newlines too) to one space."""
    return " ".join(text.split())


def match_key(text: str) -> str:
    """A comparison form: quotes and dashes unified, punctuation and case ignored.

    Only word characters survive, separated by single spaces, so "Mexico’s — ongoing" and
    "Mexico's - ongoing" compare equal.
    """
    text = text.lower()
    # Single-character probes are far cheaper than a regex pass over the whole paragraph.
    if any(mark in text for mark in _APOSTROPHES):
        text = _KEY_APOSTROPHE.sub("", text)
    return _KEY_DROP.sub(" ", text).strip()


def strip_trailing_ellipsis(text: str) -> tuple[str, bool]:
    """Remove a truncation marker from the end; say whether there was one.

    Read backwards from the end, so the time depends on the marker's length only: what
    `TRAILING_ELLIPSIS.sub` removes, without its scan from every position of a long text.
    """
    start = _marker_start(text)
    if start is None:
        return text, False
    return text[:start], True


def _marker_start(text: str) -> int | None:
    """Where the trailing marker (with the white space around it) begins, or None."""
    end = len(text.rstrip())
    if end == 0:
        return None
    last = text[end - 1]
    if last == "\u2026":
        start = end - 1
    elif last == "]":
        # "[…]" or "[...]", white space allowed inside the brackets.
        pos = len(text[: end - 1].rstrip())
        if text[:pos].endswith("\u2026"):
            pos -= 1
        elif text[:pos].endswith("..."):
            pos -= 3
        else:
            return None
        pos = len(text[:pos].rstrip())
        if not text[:pos].endswith("["):
            return None
        start = pos - 1
    elif last == ".":
        # Three or more dots, each with at most one white-space character before it.
        dots, pos = 0, end
        while pos > 0 and text[pos - 1] == ".":
            dots += 1
            pos -= 1
            if pos > 1 and text[pos - 1].isspace() and text[pos - 2] == ".":
                pos -= 1
        if dots < 3:
            return None
        start = pos
    else:
        return None
    return len(text[:start].rstrip())


def ends_with_ellipsis(text: str) -> bool:
    return strip_trailing_ellipsis(text)[1]
