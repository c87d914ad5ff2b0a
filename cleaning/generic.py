"""The generic path: trafilatura for layouts the PVDN profile does not recognise.

trafilatura finds the main text of any page; on top of it this path applies what holds on
any site (paragraphs printed twice, teaser lists under a "Related Posts"-style heading) and, on
PVDN's own pages in an unknown layout, the site's phrases too.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import trafilatura
from lxml import etree

from cleaning import profile
from cleaning.datelines import find_dateline
from cleaning.metadata import PageMeta, parse_datetime
from cleaning.nodes import element_text
from cleaning.page_index import PageIndex
from cleaning.result import BlockKind, CleanArticle, Removed, Teaser
from cleaning.story import Candidate, assemble
from cleaning.teasers import find_sections
from cleaning.textnorm import fold
from cleaning.xpaths import POPULAR_LIST_CLASSES, POST_CONTENT_CLASSES, RELATED_PLUGIN_CLASSES

_KINDS: dict[str, BlockKind] = {"head": "heading", "p": "paragraph", "quote": "quote"}
# The page-level furniture, and the elements that hold the page's own content instead.
_FURNITURE_TAGS = ("header", "nav", "footer")
_CONTENT_TAGS = frozenset({"article", "main"})
_MAX_FURNITURE_CHARS = 200


def _text(el: etree._Element, sep: str = "") -> str:
    return fold(sep.join(str(t) for t in el.itertext()))


def _candidates(body: etree._Element) -> list[Candidate]:
    """trafilatura's output tree (head, p, list/item, quote, table) as candidate blocks."""
    out: list[Candidate] = []
    for lb in body.iter("lb"):
        lb.tail = " " + (lb.tail or "")
    if fold(body.text or ""):
        out.append(Candidate("paragraph", fold(body.text or "")))
    for el in body:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "list":
            items = (_text(item) for item in el.iter("item"))
            out.extend(Candidate("list_item", text) for text in items if text)
        elif tag == "table":
            rows = (_text(row, " ") for row in el.iter("row"))
            out.extend(Candidate("paragraph", text) for text in rows if text)
        else:
            text = _text(el)
            if text:
                out.append(Candidate(_KINDS.get(tag, "paragraph"), text))
        # trafilatura leaves loose text as the tail of the element before it.
        tail = fold(el.tail or "")
        if tail:
            out.append(Candidate("paragraph", tail))
    return out


def clean_generic(
    markup: str,
    index: PageIndex,
    meta: PageMeta,
    url: str | None,
    tz: ZoneInfo,
    *,
    site_page: bool,
) -> CleanArticle:
    """Extract with trafilatura, then apply the generic rules (and the site's, on PVDN)."""
    known = {
        "canonical_url": meta.canonical_url,
        "extractor": "generic",
    }
    sections = find_sections(
        index,
        url or meta.canonical_url,
        headings=(
            ("trending", profile.TRENDING_HEADING.pattern),
            ("related", profile.RELATED_HEADING.pattern),
        ),
        list_classes=(
            ("trending", POPULAR_LIST_CLASSES),
            ("related", profile.RELATED_LIST_CLASSES + RELATED_PLUGIN_CLASSES),
        ),
    )
    teasers: tuple[Teaser, ...] = tuple(t for s in sections for t in s.teasers)
    # Metadata comes from our own reading of <head>; trafilatura's (htmldate) triples the time.
    # trafilatura wants lxml.html elements (and prunes what it is given): it parses its own.
    doc: Any = trafilatura.bare_extraction(
        markup, url=url, include_comments=False, with_metadata=False, include_tables=True
    )
    body = getattr(doc, "body", None)
    if doc is None or body is None:
        return CleanArticle(
            teasers=teasers,
            empty_reason="no article text",
            **known,  # type: ignore[arg-type]
        )
    teaser_titles = {fold(t.title).lower() for t in teasers}
    candidates = []
    removed: list[Removed] = []
    furniture = _FurnitureTexts(index)
    empty_post = _post_content_is_empty(index)
    for cand in _candidates(body):
        if cand.text.lower() in teaser_titles:
            removed.append(Removed(cand.text, f"{cand.kind} is a teaser title"))
        elif empty_post:
            removed.append(Removed(cand.text, "outside the post's empty content"))
        elif cand.text in furniture:
            removed.append(Removed(cand.text, "site header, menu or footer text"))
        else:
            candidates.append(cand)
    story = assemble(candidates, site_phrases=site_page)
    removed.extend(story.removed)
    blocks = tuple(story.blocks)
    published = meta.published or _doc_date(getattr(doc, "date", None), tz)
    title = (
        profile.TITLE_SUFFIX.sub("", doc.title).strip() if site_page and doc.title else doc.title
    ) or meta.title
    return CleanArticle(
        title=title,
        blocks=blocks,
        teasers=teasers,
        paywalled=story.paywalled,
        published=published,
        modified=meta.modified,
        author=meta.author or getattr(doc, "author", None),
        categories=meta.categories or tuple(getattr(doc, "categories", None) or ()),
        canonical_url=meta.canonical_url,
        post_id=meta.post_id,
        dateline=find_dateline([b.text for b in blocks if b.kind == "paragraph"]),
        extractor="generic",
        removed=tuple(removed),
        empty_reason=None if blocks else "no article text",
    )


class _FurnitureTexts:
    """Texts the page's own header, menus and footer show (outside its article and main
    content): trafilatura sometimes takes one as a paragraph (a site title above a short page).
    Read on first use."""

    def __init__(self, index: PageIndex) -> None:
        self._index = index

    def __contains__(self, text: str) -> bool:
        return len(text) <= _MAX_FURNITURE_CHARS and text in self._texts

    @cached_property
    def _texts(self) -> set[str]:
        texts: set[str] = set()
        for el in self._index.tags(*_FURNITURE_TAGS):
            if any(isinstance(a.tag, str) and a.tag in _CONTENT_TAGS for a in el.iterancestors()):
                continue
            texts.update(
                text
                for part in el.iter()
                if isinstance(part.tag, str)
                and (text := element_text(part))
                and len(text) <= _MAX_FURNITURE_CHARS
            )
        return texts


def _post_content_is_empty(index: PageIndex) -> bool:
    """A WordPress post whose content holds no text (an attachment page shows only the image):
    whatever a general extractor finds elsewhere on the page is furniture, not story."""
    containers = index.with_class(*POST_CONTENT_CLASSES)
    return bool(containers) and not any(element_text(el) for el in containers)


def _doc_date(value: str | None, tz: ZoneInfo) -> datetime | None:
    return parse_datetime(value, tz) if value else None
