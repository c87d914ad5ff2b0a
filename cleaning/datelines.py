"""Datelines: the place (and wire agency) that opens a news story.

PVDN's datelines vary by era ("PUERTO VALLARTA (PVDN) -", "Puerto Vallarta, Mexico —",
"Puerto Vallarta, Jalisco –", "Puerto Vallarta News - ") and wire copy brings "MEXICO CITY (AP) —"
or "WASHINGTON, Feb 1 (Reuters) -". The shape is generic: a few capitalised place words, an
optional date, an optional agency in parentheses, then a dash (or the one "*" typo seen).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = r"[A-ZÁÉÍÓÚÑ][\w.'’]*"
_DATE = r"(?:[A-Z][a-z]{2,8}\.? \d{1,2})"
_AGENCY = r"(?: \([A-Za-z][\w .]{0,20}\))"
DATELINE = re.compile(
    rf"^(?P<dateline>{_WORD}(?:(?:,? | ){_WORD}){{0,5}}(?:, {_DATE})?{_AGENCY}?)"
    r"\s*[—–\-*]\s+(?=\S)"
)
_MAX_DATELINE = 60


def find_dateline(paragraphs: Iterable[str], look_at: int = 2) -> str | None:
    """The dateline opening one of the first `look_at` paragraphs (a 2025 dek comes first)."""
    for i, text in enumerate(paragraphs):
        if i >= look_at:
            break
        m = DATELINE.match(text)
        if m and len(m.group("dateline")) <= _MAX_DATELINE:
            return m.group("dateline")
    return None
