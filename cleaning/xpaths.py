"""Generic boilerplate knowledge: tags and class words that are never story on any WordPress
site (share bars, newsletter forms, ads, comments, screen-reader labels).

PVDN-specific selectors live in `cleaning.profile`; what is here holds for any site, so the
generic path uses it too.
"""

from __future__ import annotations

import re
from typing import Final

from cleaning.phrases import opens, phrase

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

# Class or id words, matched against each hyphen/underscore-separated token of the attribute
# (so the hyphenated names here only matter as whole values, below). Each group maps to the
# reason recorded when a subtree is dropped; a word in two groups takes the first.
_CLASS_WORDS: Final = {
    "share bar": (
        "share sharing sharedaddy addtoany a2a heateor social sociable shareaholic sassy essb"
        " jp-sharing"
    ),
    "newsletter form": (
        "newsletter mailpoet mc4wp mailchimp subscribe subscription optin signup"
        " jetpack_subscription_widget"
    ),
    "advertisement": (
        "ad ads adsbygoogle advert advertisement advertising sponsor sponsored dfp gpt code-block"
        " adslot ad-slot adunit adspot banner promo"
    ),
    "comments": "comments comment respond reply discussion disqus",
    "screen-reader text": (
        "screen-reader-text sr-only visually-hidden skip-link scroll-top ast-scroll-top"
    ),
    "navigation": "breadcrumb breadcrumbs pagination nav-links post-navigation navigation menu",
    "author box": "author-box about-author author-bio saboxplugin",
    "tags line": "tags-links post-tags tag-links entry-tags",
}
# Token to reason: a dictionary lookup per token is the cheapest test there is.
_TOKEN_REASONS: Final = {
    word: reason for reason, words in reversed(_CLASS_WORDS.items()) for word in words.split()
}
# WordPress's post_class() words name the post's own taxonomy ("tag-advertising"), not a widget.
_TAXONOMY_PREFIXES: Final = ("tag-", "category-", "post-", "format-", "status-", "type-", "has-")
# Whole-attribute values (with their hyphens) that name boilerplate, checked before splitting;
# the prefixes gate the pattern.
_WHOLE_PREFIXES: Final = (
    "code-block", "ad-slot", "ast-scroll-top", "screen-reader-text", "sd-sharing-enabled",
    "comment", "wp-block-embed", "jp-relatedposts",
)  # fmt: skip
_WHOLE_VALUES: Final = re.compile(
    r"^(?:code-block(?:-\d+)?|ad-slot|ast-scroll-top|screen-reader-text|sd-sharing-enabled"
    r"|comment-list|comments-area|comment-respond|wp-block-embed.*|jp-relatedposts)$"
)


def boilerplate_reason(class_attr: str, id_attr: str) -> str | None:
    """Why an element with these class and id attributes is boilerplate, or None."""
    for value in (*class_attr.split(), id_attr):
        if not value or value.startswith(_TAXONOMY_PREFIXES):
            continue
        if value.startswith(_WHOLE_PREFIXES) and _WHOLE_VALUES.match(value):
            if value.startswith("wp-block-embed"):
                return "embed"
            return _reason_for_whole(value)
        for token in value.lower().replace("-", " ").replace("_", " ").split():
            reason = _TOKEN_REASONS.get(token)
            if reason is not None:
                return reason
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
# The label ad slots print above themselves ("- Advertisement -"), on a block of its own.
_DASHES = r"[\s\-–—]*"
AD_LABEL: Final = phrase(
    *(
        opens(dash, rf"{_DASHES}(?:advertisement|advertising|sponsored){_DASHES}$")
        for dash in "-–—"
    ),
    opens("advertis", rf"(?:ement|ing){_DASHES}$"),
    opens("sponsored", rf"{_DASHES}$"),
)
# An embed's address alone on its line (WordPress turns it into a player).
BARE_URL: Final = phrase(opens("http", r"s?://\S+$"))
# The generic phrases above: judged on every site's blocks beside the profile's phrases.
PHRASES: Final = (AD_LABEL, BARE_URL)

# The post's own meta line in WordPress themes (read by `post_meta`): the class words of a
# category list (classic themes' "cat-links", Twenty Twenty's "entry-categories", block themes'
# post-terms block for categories) and of block themes' post-author name.
CATEGORY_LIST_CLASSES: Final = (
    "cat-links",
    "entry-categories",
    "entry-categories-inner",
    "taxonomy-category",
    "post-categories",
)
AUTHOR_BLOCK_CLASSES: Final = ("wp-block-post-author", "wp-block-post-author-name")
AUTHOR_NAME_CLASS: Final = "wp-block-post-author__name"
# Class words of the wrapper of a post's date in the themes' meta lines.
POST_DATE_CLASSES: Final = (
    "post-date",
    "posted-on",
    "entry-date",
    "published",
    "wp-block-post-date",
)
# Where a post page shows other posts or readers' words: the story itself, comments, widgets,
# teaser and query lists, navigation. Dates, names and category links there are not the post's.
NOT_POST_META_TAGS: Final = frozenset({"nav", "aside", "form", "blockquote"})
NOT_POST_META_CLASSES: Final = frozenset(
    {
        "entry-content", "wp-block-post-content", "post-content", "td-post-content",
        "amp-wp-article-content", "comments", "respond", "widget", "widget-area", "sidebar",
        "secondary", "related", "related-posts", "jp-relatedposts", "ast-related-posts",
        "navigation", "post-navigation", "nav-links", "author-bio", "wp-block-query",
        "wp-block-post-template", "wp-block-latest-posts", "wpp-list", "popular-posts",
    }
)  # fmt: skip
NOT_POST_META_PREFIXES: Final = ("comment", "wp-block-comment", "wp-block-query", "wp-block-latest")
# WordPress's post content container, in classic themes and in block themes.
POST_CONTENT_CLASSES: Final = ("entry-content", "wp-block-post-content")


# --- Teaser lists of WordPress plugins and widgets -------------------------------------------
# What any WordPress site renders alike, wherever the theme puts it (in the content, after it,
# in a sidebar or footer widget area, on an AMP page). Default markup of each plugin:
# WordPress Popular Posts: widget `<aside class="widget popular-posts">` or block
#   `<div class="popular-posts">`, list `<ul class="wpp-list">`, items with `a.wpp-post-title`,
#   `span.wpp-excerpt` and `span.wpp-meta.post-stats` (views, date);
# Jetpack Top Posts & Pages: widget `<aside class="widget widget_top-posts">` with
#   `ul.widgets-list-layout` (or a plain `ul`), links `a.bump-view`; block `div.jetpack-top-posts`
#   with `div.jetpack-top-posts-item`, `span.jetpack-top-posts-date` / `-author` / `-context`;
# Top 10: `div.tptn_posts` with `span.tptn_title`, `span.tptn_excerpt`, `span.tptn_date`.
POPULAR_LIST_CLASSES: Final = (
    "popular-posts",
    "wpp-list",
    "widget_top-posts",
    "jetpack-top-posts",
    "tptn_posts",
)
# Jetpack Related Posts: `div.jp-relatedposts` (`div.jp-relatedposts-post`, `h4 …-post-title`,
#   `p …-post-excerpt`, `p …-post-date`, `p …-post-context`), or as a block and on AMP pages
#   `nav.jp-relatedposts-i2` > `div.jp-related-posts-i2__row` > `ul.jp-related-posts-i2__post`
#   (one `li` each for the link, the image, the date and the context);
# YARPP: `div.yarpp.yarpp-related` with an `ol`/`ul` list or `a.yarpp-thumbnail` links;
# Contextual Related Posts: `div.crp_related` > `ul` > `li` > `a.crp_link` (`span.crp_title`),
#   `span.crp_excerpt`, `span.crp_date`;
# Related Posts for WP: `div.rp4wp-related-posts` > `ul.rp4wp-posts-list`;
# themes' own blocks: `div.related-posts`.
RELATED_PLUGIN_CLASSES: Final = (
    "jp-relatedposts",
    "jp-related-posts-i2__row",
    "yarpp-related",
    "crp_related",
    "rp4wp-related-posts",
    "related-posts",
)
# A <nav> is menus and pagination, except these related-posts blocks, which are rendered as one.
TEASER_NAV_CLASSES: Final = frozenset({"jp-relatedposts-i2", "wp-block-jetpack-related-posts"})
# Widgets that list links but never the article's teasers, whatever their heading says: recent
# posts, categories, archives, search, tag cloud, calendar, RSS, text and custom HTML, pages,
# menus, comments (classic widgets' `widget_*` classes and the block editor's `wp-block-*`).
NON_TEASER_WIDGET_CLASSES: Final = frozenset(
    {
        *(
            "widget_recent_entries widget_recent_comments widget_categories widget_archive"
            " widget_search widget_tag_cloud widget_calendar widget_rss widget_text"
            " widget_custom_html widget_meta widget_pages widget_nav_menu widget_media_image"
            " widget_media_gallery widget_media_video widget_media_audio"
        ).split(),
        *(
            "wp-block-latest-posts wp-block-latest-comments wp-block-categories"
            " wp-block-archives wp-block-search wp-block-tag-cloud wp-block-calendar wp-block-rss"
            " wp-block-page-list wp-block-navigation tagcloud calendar_wrap"
        ).split(),
        *"menu sub-menu nav-menu main-navigation".split(),
    }
)
# Where a theme puts its widgets: a sidebar or a footer widget area.
WIDGET_AREA_TAGS: Final = frozenset({"aside", "footer"})
WIDGET_AREA_CLASSES: Final = frozenset(
    {"widget", "widget-area", "sidebar", "secondary", "footer-widgets", "footer-widget-area"}
)
WIDGET_AREA_IDS: Final = frozenset({"secondary", "sidebar", "footer-widgets"})
# Class tokens (split on "-" and "_") of the parts of a teaser item that are not its summary:
# views and dates (`wpp-meta post-stats`, `jetpack-top-posts-date`, `crp_date`), authors,
# Jetpack's "In <category>" context.
TEASER_META_TOKENS: Final = frozenset(
    {"meta", "stats", "views", "date", "author", "context", "byline", "count"}
)
