"""What is known of Puerto Vallarta Daily News (www.vallartadaily.com): every PVDN selector and
phrase lives here, so a template change is an edit to this one module.

The phrases come from text copies of the site taken between about 2020 and 2026 (see
`docs/site-profile.md`, which says which facts were seen and which are assumed); the markup is
assumed to be WordPress with the Astra theme (mid-2025 on), its AMP reader pages, and older
themes, so container selectors list each.
"""

from __future__ import annotations

import re
from typing import Final

from cleaning.phrases import Phrase, holds, opens, opens_with_number, phrase

HOSTS: Final = frozenset({"vallartadaily.com", "www.vallartadaily.com"})
# Names the site gives itself in og:site_name, the logo and the header lines of text copies.
SITE_NAMES: Final = (
    "Puerto Vallarta Daily News",
    "Puerto Vallarta and Mexico News",
    "Puerto Vallarta News",
    "PVDN",
)
SITE_NAME_LINE: Final = re.compile(
    r"^(?:Puerto Vallarta (?:and Mexico |Daily )?News|PVDN|Vallarta Daily)$", re.IGNORECASE
)
# " - PVDN", " | Puerto Vallarta Daily News" and the like at the end of <title> / og:title.
TITLE_SUFFIX: Final = re.compile(
    r"\s+[|\-–—:]\s+(?:Puerto Vallarta (?:and Mexico |Daily )?News|PVDN|Vallarta Daily)\s*$",
    re.IGNORECASE,
)

# The story container, by class word (or itemprop), most specific first. Astra's related-post
# excerpts also carry `entry-content`, so containers inside a related block are skipped.
CONTAINER_CLASSES: Final = (
    "amp-wp-article-content",
    "td-post-content",
    "entry-content",
    "itemprop:articleBody",
    "post-content",
)
# Class words of the article's <h1> in each theme (Astra, AMP reader, tagDiv, older themes).
TITLE_CLASSES: Final = ("entry-title", "amp-wp-title", "post-title", "td-post-title")

# Class words (and words built on them) of the post's date line in the themes' meta rows.
DATE_CLASSES: Final = ("date", "entry-date", "posted-on", "td-post-date", "published")

# Headings that open the teaser lists after a story (any capitalisation).
TRENDING_HEADING: Final = phrase(opens("trending", r"(?: news)?(?: on pvdn| now)?\s*:?$"))
RELATED_HEADING: Final = phrase(
    opens("related ", r"(?:posts|stories|articles|news)\s*:?$"),
    opens("you may also like", r"\s*:?$"),
)
# The label of a teaser's link to the story, on a line of its own in text copies.
READ_MORE_LABEL: Final = phrase(
    opens("read more", r"\s*[»›→.]*$"), opens("continue reading", r"\s*[»›→.]*$")
)
# Class words of list widgets that carry teasers with no heading (popular-posts plugins,
# Astra's related posts, the AMP reader's related list).
TRENDING_LIST_CLASSES: Final = ("wpp-list", "popular-posts", "pvdn-trending", "trending")
RELATED_LIST_CLASSES: Final = ("ast-related-posts", "amp-wp-related-posts", "jp-relatedposts")

# A container holding the excerpt that the mid-2025 template printed again after the body.
EXCERPT_CLASSES: Final = ("post-excerpt", "pvdn-excerpt", "entry-excerpt", "wp-block-post-excerpt")

FOLLOW_US: Final = phrase(
    opens("follow us on google news", r"(?:\s*[|•·-]\s*get our newsletter)?$"),
    opens("get our newsletter", "$"),
)
SCROLL_TO_TOP: Final = phrase(opens("scroll to top", "$"))

# Wall wording of every paywall era: a page showing one of these shows only part of its story.
PAYWALL_WALL: Final = phrase(
    holds("continue reading as a subscriber"),
    opens("this independent news site", r"\b.{0,120}\bsubscri"),
    opens("subscribers support", r"\b"),
    opens("already a subscriber", r"\??\s*(?:log ?in|sign in)"),
    opens("keep reading with a ", r"(?:yearly |monthly )?subscription"),
    *(opens(log_in, r",? or subscribe today") for log_in in ("log in now", "login now")),
    opens("subscribe now", r"\.?$"),
    opens("lost your password", r"\??$"),
    opens("read full story", r"\.?$"),
)
# CSS classes of membership plugins' restriction messages.
PAYWALL_CLASSES: Final = (
    "swpm-post-restricted-msg",
    "swpm-restricted",
    "pmpro_content_message",
    "mepr-unauthorized-message",
    "rcp_restricted",
    "paywall",
)
# "Read Full Story" glued to the end of a teaser's last sentence.
READ_FULL_STORY_TAIL: Final = re.compile(r"\s*\bRead Full Story\.?\s*$", re.IGNORECASE)

# A subscription pitch: asks for a subscription and names a price or the perks.
PITCH_ASK: Final = phrase(holds("subscri", r"(?:be|ption|bers?)\b", before=r"\b"))
PITCH_PRICE_OR_PERK: Final = re.compile(
    r"\$\s?\d|\d+\s?cents|\bper (?:day|month|year)\b|\bfewer ads\b|\bad-free\b"
    r"|\bsupport (?:local|independent) journalism\b|\bemergency alerts\b",
    re.IGNORECASE,
)
# The 2021–2022 notice on video briefs.
SUPPORTERS_NOTICE: Final = phrase(holds("pvdn supporter", r"s?\b", before=r"\b"))
# The 2024 WhatsApp channel call to action, wrapped in >> … <<.
CALL_TO_ACTION: Final = phrase(
    *(opens(mark, r".{3,160}(?:<<|«|&lt;&lt;)$") for mark in (">>", "»", "&gt;&gt;"))
)
CHANNEL_WORDS: Final = phrase(holds("channel", r"\b", before=r"\b(?:whatsapp|telegram) "))
# "14 Responses", "One Comment on …", "Leave a Reply": the comments after a story.
_RESPONSES = r"(?:responses?|comments?|replies|thoughts?)(?: (?:to|on) .+)?$"
COMMENTS_HEADING: Final = phrase(
    opens_with_number(" " + _RESPONSES),
    *(opens(count, _RESPONSES) for count in ("one ", "two ", "no ")),
    opens("leave a ", r"(?:reply|comment)$"),
)
# Citation tokens that AI-assisted 2025 copy left glued after a sentence's full stop.
CITATION_TOKENS: Final = ("Wikipedia", "arXiv", "Britannica", "Reuters", "AP News")
GLUED_CITATION: Final = re.compile(
    r"(?<=[.!?\u201d\"'])(?:" + "|".join(re.escape(t) for t in CITATION_TOKENS) + r")(?=\s|$)"
)
# A visible "September 15, 2023" line under the title (2023 template).
MONTHS: Final = tuple(
    "January February March April May June July August September October November December".split()
)
VISIBLE_DATE: Final = re.compile(
    r"^(?P<month>" + "|".join(MONTHS) + r")\s+(?P<day>\d{1,2}),\s+(?P<year>\d{4})$"
)
SITE_TIMEZONE: Final = "America/Mexico_City"

# Every phrase above, found rather than listed, so that a phrase added here is in the gate
# built from them (`boilerplate.judge`'s pre-check) without anyone keeping a list in step.
PHRASES: Final = tuple(v for v in tuple(globals().values()) if isinstance(v, Phrase))
