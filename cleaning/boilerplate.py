"""Judging a block of text by the site's recurring phrases.

Shared by the HTML and the text-dump paths: both reduce a page to a sequence of blocks, and
the same words mean the same thing in either. A verdict says why the block goes, whether the
story ends there (everything after a paywall or the Follow-Us line is boilerplate), and whether
it shows a subscriber wall.
"""

from __future__ import annotations

from dataclasses import dataclass

from cleaning import profile
from cleaning.textnorm import ends_with_ellipsis
from cleaning.xpaths import AD_LABEL, BARE_URL

# Pitches are paragraphs, not essays: a long paragraph that mentions prices is story.
_MAX_PITCH_CHARS = 900
_MAX_NOTICE_CHARS = 400
_MAX_CTA_CHARS = 160
# Headings, labels and wall lines are short; longer blocks can only be pitches or notices.
_MAX_LINE_CHARS = 200
# The site's name on a line of its own ("Puerto Vallarta and Mexico News").
_MAX_NAME_CHARS = 40


@dataclass(frozen=True, slots=True)
class Verdict:
    reason: str
    ends_story: bool = False
    wall: bool = False


FOLLOW_US = Verdict("follow-us line", ends_story=True)
TRENDING = Verdict("trending teasers", ends_story=True)
RELATED = Verdict("related teasers", ends_story=True)


def judge(text: str) -> Verdict | None:
    """Why this block is boilerplate, or None when it may be story."""
    if len(text) > _MAX_PITCH_CHARS:
        return None  # every boilerplate block of the site is shorter than a pitch
    if len(text) > _MAX_LINE_CHARS:
        # Only pitches and notices run this long; both name the subscription.
        lowered = text.lower()
        if "subscri" not in lowered and "supporter" not in lowered:
            return None
    elif len(text) <= _MAX_NAME_CHARS and profile.SITE_NAME_LINE.match(text):
        return Verdict("site name")
    elif not _may_be_phrase(text):
        return None
    if profile.FOLLOW_US.match(text):
        return FOLLOW_US
    if profile.TRENDING_HEADING.match(text):
        return TRENDING
    if profile.RELATED_HEADING.match(text):
        return RELATED
    if profile.PAYWALL_WALL.search(text):
        return Verdict("subscriber wall", ends_story=True, wall=True)
    if profile.COMMENTS_HEADING.match(text):
        return Verdict("comments", ends_story=True)
    if profile.SCROLL_TO_TOP.match(text):
        return Verdict("scroll to top")
    if len(text) <= _MAX_NOTICE_CHARS and profile.SUPPORTERS_NOTICE.search(text):
        return Verdict("supporters notice")
    if len(text) <= _MAX_CTA_CHARS and (
        profile.CALL_TO_ACTION.match(text)
        or (profile.CHANNEL_WORDS.search(text) and text.upper() == text)
    ):
        return Verdict("call to action")
    if profile.PITCH_ASK.search(text) and profile.PITCH_PRICE_OR_PERK.search(text):
        return Verdict("subscriber pitch")
    if BARE_URL.match(text):
        return Verdict("embed")
    if AD_LABEL.match(text):
        return Verdict("advertisement")
    return None


def _may_be_phrase(text: str) -> bool:
    """Whether a block opens like, or holds a word of, one of the profile's phrases (so the
    patterns must run): one prefix test and a few substring tests instead of every pattern."""
    lowered = text.lower()
    if lowered.startswith(profile.PHRASE_OPENINGS) or lowered[:1].isdigit():
        return True
    return any(word in lowered for word in profile.PHRASE_WORDS)


def strip_read_full_story(text: str) -> tuple[str, bool]:
    """Drop a "Read Full Story" label ending a cut teaser; say whether there was one.

    Only a label after a cut ("… were Read Full Story", ". . . Read Full Story") is the paywall
    link: after a finished sentence it is a news brief's own link to the story and stays.
    """
    if not text[-6:].lower().endswith(("story", "story.")):
        return text, False
    m = profile.READ_FULL_STORY_TAIL.search(text)
    if not m:
        return text, False
    before = text[: m.start()].rstrip()
    if before and before[-1] in '.!?”"' and not ends_with_ellipsis(before):
        return text, False
    return before, True


def strip_citation_tokens(text: str) -> str:
    """Drop citation tokens ("Wikipedia") glued right after a sentence's end; `text` itself
    when there are none."""
    for token in profile.CITATION_TOKENS:
        if token in text:
            stripped = profile.GLUED_CITATION.sub("", text)
            return text if stripped == text else stripped
    return text
