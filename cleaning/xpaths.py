"""Generic boilerplate knowledge: tags and class words that are never story on any WordPress
site (share bars, newsletter forms, ads, comments, screen-reader labels).

PVDN-specific selectors live in `cleaning.profile`; what is here holds for any site, so the
generic path uses it too.
"""

from __future__ import annotations

import re
from typing import Final

# Elements whose whole subtree is never story text.
SKIP_TAGS: Final = frozenset(
    {
        "script",
        "style",
        "noscript",
        "iframe",
        "form",
        "button",
        "svg",
        "nav",
        "aside",
        "footer",
        "select",
        "input",
        "textarea",
        "template",
        "object",
        "embed",
        "video",
        "audio",
        "canvas",
        "map",
        "amp-analytics",
        "amp-ad",
        "amp-embed",
        "amp-iframe",
        "amp-youtube",
        "amp-social-share",
        "ins",
        "label",
        "dialog",
        "head",
        "title",
        "meta",
        "link",
    }
)
# Elements that make their own block.
HEADING_TAGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
PARAGRAPH_TAGS: Final = frozenset({"p", "pre", "dd", "dt", "address", "summary", "tr"})
LIST_TAGS: Final = frozenset({"ul", "ol", "dl", "menu"})
CAPTION_TAGS: Final = frozenset({"figcaption"})
# Inline elements: their text joins the surrounding paragraph.
INLINE_TAGS: Final = frozenset(
    {
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "big",
        "cite",
        "code",
        "data",
        "del",
        "dfn",
        "em",
        "font",
        "i",
        "img",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
        "var",
        "wbr",
        "br",
        "amp-img",
        "picture",
        "source",
    }
)

# Class or id words, matched against each hyphen/underscore-separated token of the attribute.
# Each group maps to the reason recorded when a subtree is dropped.
_CLASS_WORDS: Final = {
    "share bar": r"share|sharing|sharedaddy|addtoany|a2a|heateor|social|sociable|shareaholic"
    r"|sassy|essb|jp-sharing",
    "newsletter form": r"newsletter|mailpoet|mc4wp|mailchimp|subscribe|subscription|optin"
    r"|signup|jetpack_subscription_widget",
    "advertisement": r"ad|ads|adsbygoogle|advert|advertisement|advertising|sponsor|sponsored"
    r"|dfp|gpt|code-block|adslot|ad-slot|adunit|adspot|banner|promo",
    "comments": r"comments|comment|respond|reply|discussion|disqus",
    "screen-reader text": r"screen-reader-text|sr-only|visually-hidden|skip-link|scroll-top"
    r"|ast-scroll-top",
    "navigation": r"breadcrumb|breadcrumbs|pagination|nav-links|post-navigation|navigation"
    r"|menu",
    "author box": r"author-box|about-author|author-bio|saboxplugin",
    "tags line": r"tags-links|post-tags|tag-links|entry-tags",
}
_CLASS_PATTERN: Final = re.compile(
    "|".join(f"(?P<g{i}>^(?:{words})$)" for i, words in enumerate(_CLASS_WORDS.values()))
)
_REASONS: Final = tuple(_CLASS_WORDS)
# WordPress's post_class() words name the post's own taxonomy ("tag-advertising"), not a widget.
_TAXONOMY_PREFIXES: Final = ("tag-", "category-", "post-", "format-", "status-", "type-", "has-")
_TOKEN_SPLIT: Final = re.compile(r"[\s_]+")
# Whole-attribute values (with their hyphens) that name boilerplate, checked before splitting.
_WHOLE_VALUE_NAMES: Final = (
    r"code-block(?:-\d+)?|ad-slot|ast-scroll-top|screen-reader-text|sd-sharing-enabled"
    r"|comment-list|comments-area|comment-respond|wp-block-embed.*|jp-relatedposts"
)
_WHOLE_VALUES: Final = re.compile(f"^(?:{_WHOLE_VALUE_NAMES})$")
# One search that finds every attribute the rules above could match (and a few more): most
# elements of a story have none, and for them one search replaces a match per token.
_MAY_MATCH: Final = re.compile(
    r"(?:^|[\s_-])(?:" + "|".join(_CLASS_WORDS.values()) + r")(?=$|[\s_-])"
    rf"|(?:^|\s)(?:{_WHOLE_VALUE_NAMES})",
    re.IGNORECASE,
)


def boilerplate_reason(class_attr: str, id_attr: str) -> str | None:
    """Why an element with these class and id attributes is boilerplate, or None."""
    if not _MAY_MATCH.search(class_attr) and not (id_attr and _MAY_MATCH.search(id_attr)):
        return None
    for value in (*class_attr.split(), id_attr):
        if not value or value.startswith(_TAXONOMY_PREFIXES):
            continue
        if _WHOLE_VALUES.match(value):
            if value.startswith("wp-block-embed"):
                return "embed"
            return _reason_for_whole(value)
        for token in _TOKEN_SPLIT.split(value.replace("-", " ")):
            m = _CLASS_PATTERN.match(token.lower())
            if m and m.lastgroup:
                return _REASONS[int(m.lastgroup[1:])]
    return None


def _reason_for_whole(value: str) -> str:
    if value.startswith(("code-block", "ad-slot")):
        return "advertisement"
    if value.startswith(("ast-scroll-top", "screen-reader-text")):
        return "screen-reader text"
    if value.startswith("sd-sharing"):
        return "share bar"
    if value.startswith("comment"):
        return "comments"
    return "related posts"


HIDDEN_STYLE: Final = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# The label ad slots print above themselves ("- Advertisement -").
AD_LABEL: Final = re.compile(r"^[\s\-–—]*(?:advertisement|advertising|sponsored)[\s\-–—]*$", re.I)
BARE_URL: Final = re.compile(r"^https?://\S+$")
