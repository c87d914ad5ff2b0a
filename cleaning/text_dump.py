"""The text-dump path: a page's visible text, scraped without cleaning, back to its story.

A dump keeps one paragraph per line and nothing of the markup, so structure is read from line
shapes: header lines and an image-alt line before the headline, a visible date under it,
headline-shaped lines as sub-headings, bullets as list items, and the site's phrases marking
where the story ends and the teaser lists begin.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from cleaning import profile
from cleaning.datelines import find_dateline
from cleaning.result import BlockKind, CleanArticle, Removed, Teaser, TeaserKind, empty_article
from cleaning.story import Candidate, assemble
from cleaning.teaser_text import LOWER_PHRASE, SLUG, split_teaser
from cleaning.textnorm import ends_with_ellipsis, fold

_BULLET = re.compile(r"^(?:[•·▪◦*\-–]|\d{1,2}[.)])\s+")
_TERMINAL = '.!…:;"”’)'
_MAX_HEADING_WORDS = 16
_MAX_HEADLINE_CHARS = 220


def looks_like_headline(line: str) -> bool:
    """A line shaped like a headline or sub-heading: short, capitalised, no closing stop."""
    words = line.split()
    if not words or len(line) > _MAX_HEADLINE_CHARS or _BULLET.match(line):
        return False
    if not (line[0].isupper() or line[0].isdigit() or line[0] in '“‘"¿¡'):
        return False
    if line.endswith("?"):
        return len(words) <= 12
    return line[-1] not in _TERMINAL and len(words) <= _MAX_HEADING_WORDS


def _alt_like(line: str, title: str) -> bool:
    return bool(
        SLUG.match(line)
        or LOWER_PHRASE.match(line)
        or title.startswith(line)
        or line.lower() == title.lower()
    )


def visible_date(line: str, tz: ZoneInfo) -> datetime | None:
    m = profile.VISIBLE_DATE.match(line)
    if not m:
        return None
    month = profile.MONTHS.index(m.group("month")) + 1
    try:
        return datetime(int(m.group("year")), month, int(m.group("day")), tzinfo=tz)
    except ValueError:
        return None


def clean_dump(text: str, tz: ZoneInfo) -> CleanArticle:
    lines = [fold(line) for line in text.splitlines()]
    lines = [line for line in lines if line]
    removed: list[Removed] = []
    if not lines:
        return empty_article("empty input")

    # Header: site-name lines, then an optional image-alt line, then the headline.
    pos = 0
    while pos < len(lines) and profile.SITE_NAME_LINE.match(lines[pos]):
        removed.append(Removed(lines[pos], "site name"))
        pos += 1
    if (
        pos + 1 < len(lines)
        and looks_like_headline(lines[pos + 1])
        and _alt_like(lines[pos], lines[pos + 1])
    ):
        removed.append(Removed(lines[pos], "image alt"))
        pos += 1
    if pos >= len(lines):
        return empty_article("no article text", removed=tuple(removed))
    title = lines[pos]
    pos += 1
    published = visible_date(lines[pos], tz) if pos < len(lines) else None
    if published is not None:
        removed.append(Removed(lines[pos], "date line"))
        pos += 1

    candidates = [Candidate(_kind(line), _BULLET.sub("", line)) for line in lines[pos:]]
    story = assemble(candidates)
    removed.extend(story.removed)
    teasers: list[Teaser] = []
    if story.end_index is not None:
        teasers = _teasers(lines[pos + story.end_index :])

    blocks = tuple(story.blocks)
    paragraphs = [b.text for b in blocks if b.kind == "paragraph"]
    return CleanArticle(
        title=title,
        blocks=blocks,
        teasers=tuple(teasers),
        paywalled=story.paywalled,
        published=published,
        dateline=find_dateline(paragraphs),
        extractor="pvdn",
        removed=tuple(removed),
        empty_reason=None if blocks else "no article text",
    )


def _kind(line: str) -> BlockKind:
    if _BULLET.match(line) and not line.startswith("***"):
        return "list_item"
    return "heading" if looks_like_headline(line) else "paragraph"


def _teasers(tail: list[str]) -> list[Teaser]:
    """Teasers of every list section in the lines after the story, in order."""
    teasers: list[Teaser] = []
    kind: TeaserKind | None = None
    group: list[str] = []
    for line in tail:
        if profile.TRENDING_HEADING.match(line):
            kind, group = "trending", []
            continue
        if profile.RELATED_HEADING.match(line):
            kind, group = "related", []
            continue
        if kind is None or profile.READ_MORE_LABEL.match(line) or profile.SCROLL_TO_TOP.match(line):
            continue
        if _BULLET.match(line):
            # One line per item: alt glued to title, title then summary.
            split = split_teaser(_BULLET.sub("", line))
            teasers.append(Teaser(kind, split.title, None, split.summary, split.image_alt))
        elif kind == "related" or ends_with_ellipsis(line) or group:
            # Related posts: alt line (optional), title line, excerpt line ending "...".
            group.append(line)
            if ends_with_ellipsis(line) or len(group) == 3:
                teasers.append(_related_item(group, kind))
                group = []
    if group and kind is not None:
        teasers.append(_related_item(group, kind))
    return teasers


def _related_item(group: list[str], kind: TeaserKind) -> Teaser:
    if len(group) == 1:
        return Teaser(kind, group[0])
    *head, summary = group
    if not ends_with_ellipsis(summary) and len(group) == 2:
        return Teaser(kind, group[1], None, None, group[0])
    title = head[-1]
    alt = head[-2] if len(head) >= 2 else None
    return Teaser(kind, title, None, summary, alt)
