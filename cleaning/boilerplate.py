"""Judging a block of text by the site's recurring phrases.

Shared by the HTML and the text-dump paths: both reduce a page to a sequence of blocks, and
the same words mean the same thing in either. A verdict says why the block goes, whether the
story ends there (everything after a paywall or the Follow-Us line is boilerplate), and whether
it shows a subscriber wall.
"""

from __future__ import annotations

from dataclasses import dataclass

from cleaning import profile
from cleaning.phrases import PhraseGate
from cleaning.textnorm import ends_with_ellipsis
from cleaning.xpaths import AD_LABEL, BARE_URL
from cleaning.xpaths import PHRASES as GENERIC_PHRASES

# Pitches are paragraphs, not essays: a long paragraph that mentions prices is story.
_MAX_PITCH_CHARS = 900
_MAX_NOTICE_CHARS = 400
_MAX_CTA_CHARS = 160
# Headings, labels and wall lines are short; longer blocks can only be pitches or notices.
_MAX_LINE_CHARS = 200
# The site's name on a line of its own ("Puerto Vallarta and Mexico News").
_MAX_NAME_CHARS = 40
# Where the phrases can match at all, built from the phrases' own cues: most blocks (story)
# are told apart with one prefix test and a few substring tests instead of every pattern.
# Blocks longer than a line can only be pitches or notices: their gate has only those cues.
PHRASE_GATE = PhraseGate((*profile.PHRASES, *GENERIC_PHRASES))
LONG_BLOCK_GATE = PhraseGate((profile.PITCH_ASK, profile.SUPPORTERS_NOTICE))


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
        if not LONG_BLOCK_GATE.admits(text.lower()):
            return None
    elif len(text) <= _MAX_NAME_CHARS and profile.SITE_NAME_LINE.match(text):
        return Verdict("site name")
    elif not PHRASE_GATE.admits(text.lower()):
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
