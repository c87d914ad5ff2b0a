"""What is known of Puerto Vallarta Daily News (www.vallartadaily.com): every PVDN selector and
phrase lives here, so a template change is an edit to this one module.

The phrases come from text copies of the site taken between about 2020 and 2026 (see
`../shared/pvdn-site-profile.md`); the markup is assumed to be WordPress with the Astra theme
(mid-2025 on), its AMP reader pages, and older themes, so container selectors list each.
"""

from __future__ import annotations

import re
from typing import Final

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
TRENDING_HEADING: Final = re.compile(r"^trending(?: news)?(?: on pvdn| now)?\s*:?$", re.IGNORECASE)
RELATED_HEADING: Final = re.compile(
    r"^(?:related (?:posts|stories|articles|news)|you may also like)\s*:?$", re.IGNORECASE
)
# Class words of list widgets that carry teasers with no heading (popular-posts plugins,
# Astra's related posts, the AMP reader's related list).
TRENDING_LIST_CLASSES: Final = ("wpp-list", "popular-posts", "pvdn-trending", "trending")
RELATED_LIST_CLASSES: Final = ("ast-related-posts", "amp-wp-related-posts", "jp-relatedposts")

# A container holding the excerpt that the mid-2025 template printed again after the body.
EXCERPT_CLASSES: Final = ("post-excerpt", "pvdn-excerpt", "entry-excerpt", "wp-block-post-excerpt")

FOLLOW_US: Final = re.compile(
    r"^follow us on google news(?:\s*[|•·-]\s*get our newsletter)?$|^get our newsletter$",
    re.IGNORECASE,
)
SCROLL_TO_TOP: Final = re.compile(r"^scroll to top$", re.IGNORECASE)

# Wall wording of every paywall era: a page showing one of these shows only part of its story.
PAYWALL_WALL: Final = re.compile(
    r"continue reading as a subscriber"
    r"|^(?:this independent news site\b.{0,120}\bsubscri|subscribers support\b)"
    r"|^already a subscriber\??\s*(?:log ?in|sign in)"
    r"|^keep reading with a (?:yearly |monthly )?subscription"
    r"|^log ?in now,? or subscribe today"
    r"|^subscribe now\.?$"
    r"|^lost your password\??$"
    r"|^read full story\.?$",
    re.IGNORECASE,
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
PITCH_ASK: Final = re.compile(r"\bsubscri(?:be|ption|bers?)\b", re.IGNORECASE)
PITCH_PRICE_OR_PERK: Final = re.compile(
    r"\$\s?\d|\d+\s?cents|\bper (?:day|month|year)\b|\bfewer ads\b|\bad-free\b"
    r"|\bsupport (?:local|independent) journalism\b|\bemergency alerts\b",
    re.IGNORECASE,
)
# The 2021–2022 notice on video briefs.
SUPPORTERS_NOTICE: Final = re.compile(r"\bPVDN Supporters?\b", re.IGNORECASE)
# The 2024 WhatsApp channel call to action, wrapped in >> … <<.
CALL_TO_ACTION: Final = re.compile(r"^(?:>>|»|&gt;&gt;).{3,160}(?:<<|«|&lt;&lt;)$")
CHANNEL_WORDS: Final = re.compile(r"\b(?:whatsapp|telegram) channel\b", re.IGNORECASE)
COMMENTS_HEADING: Final = re.compile(
    r"^(?:\d+|one|two|no) (?:responses?|comments?|replies|thoughts?)(?: (?:to|on) .+)?$"
    r"|^leave a (?:reply|comment)$",
    re.IGNORECASE,
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

# Where the phrases above can match at all, so that most blocks (story) skip them. The
# anchored phrases open with one of PHRASE_OPENINGS (lowercase) or a digit ("14 Responses");
# the unanchored ones (a wall line, the pitch, the supporters notice, the channel call to
# action) all hold one of PHRASE_WORDS. A phrase added above must be covered by one of the two.
# The site's bare name is checked on its own (stories name the city).
PHRASE_OPENINGS: Final = (
    "follow us", "get our newsletter", "trending", "related ", "you may also like",
    "lost your password", "read full story", "one ", "two ", "no ", "leave a", "scroll to top",
    ">>", "»", "&gt;", "http", "advert", "sponsor", "-", "\u2013", "\u2014",
)  # fmt: skip
PHRASE_WORDS: Final = ("subscri", "supporter", "channel")
