"""The public functions: orchestration only, each step lives in its own module."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cleaning.generic import clean_generic
from cleaning.metadata import read_meta
from cleaning.options import DEFAULT_OPTIONS, Options
from cleaning.page_index import PageIndex
from cleaning.parsing import (
    decode,
    looks_binary,
    parse_html,
    repair_mojibake,
    text_looks_binary,
    unicode_form,
)
from cleaning.result import CleanArticle, empty_article
from cleaning.site_path import clean_pvdn_page, clean_storyless_post, find_container, is_pvdn
from cleaning.text_dump import clean_dump

logger = logging.getLogger("cleaning")
# Tags every page's metadata and title are looked up by: read in one walk of the tree.
_TAGS_ASKED = ("meta", "link", "script", "time", "h1")


@dataclass(frozen=True, slots=True)
class _Input:
    """Decoded, repaired input; `utf8` keeps the original bytes when they are that text."""

    text: str
    utf8: bytes | None = None


def _prepare(
    data: str | bytes, options: Options, charset: str | None = None
) -> _Input | CleanArticle:
    """The input as text, or an empty result saying why there is none."""
    if not isinstance(data, str | bytes | bytearray):
        raise TypeError(f"expected str or bytes, got {type(data).__name__}")
    if len(data) > options.max_bytes:
        return empty_article(f"input too large ({len(data)} > {options.max_bytes} bytes)")
    raw: bytes | None = None
    if isinstance(data, bytes | bytearray):
        given = bytes(data)
        # UTF-16/32 bytes are half NULs: told apart before the control-byte count refuses them.
        wide = unicode_form(given) is not None
        if not wide and looks_binary(given):
            return empty_article("binary input")
        decoded = decode(given, charset)
        if decoded.wide and text_looks_binary(decoded.text):
            return empty_article("binary input")
        data = decoded.text
        # NUL looked for in the bytes: in the decoded text the search runs many times slower.
        has_nul = "\x00" in data if decoded.wide else b"\x00" in given
        raw = given if decoded.plain_utf8 else None
    else:
        has_nul = "\x00" in data
    if not data or data.isspace():
        return empty_article("empty input")
    text = repair_mojibake(data.replace("\x00", "") if has_nul else data)
    # The original bytes stand for the text only if nothing was repaired or removed.
    return _Input(text, raw if text is data else None)


def clean_html(
    html: str | bytes,
    url: str | None = None,
    *,
    options: Options = DEFAULT_OPTIONS,
    charset: str | None = None,
) -> CleanArticle:
    """Clean one page's HTML. `url` is where it was fetched (makes links absolute and helps
    recognise PVDN); `charset` is the one the HTTP `Content-Type` header named, if any (a
    byte-order mark still wins over it, and it wins over the page's <meta>; an unknown name is
    ignored). Never raises for bad content: an empty result carries `empty_reason`."""
    given = _prepare(html, options, charset)
    if isinstance(given, CleanArticle):
        return given
    try:
        return _clean_markup(given, url, options)
    except (RecursionError, MemoryError, ValueError) as exc:
        logger.warning("cleaning %s failed: %r", url or "<html>", exc)
        return empty_article(f"extraction failed: {type(exc).__name__}")


def _clean_markup(given: _Input, url: str | None, options: Options) -> CleanArticle:
    root = parse_html(given.text, given.utf8)
    if root is None:
        return empty_article("unparseable HTML")
    index = PageIndex(root)
    index.read_tags(*_TAGS_ASKED)
    meta = read_meta(index, url, options.zone)
    site_page = is_pvdn(meta, url, options.site_hosts)
    container = find_container(index) if site_page else None
    if container is not None:
        return clean_pvdn_page(index, container, meta, url, options.zone)
    if site_page:
        storyless = clean_storyless_post(index, meta, url, options.zone)
        if storyless is not None:
            return storyless
    if not options.generic_fallback:
        return empty_article("layout not recognised", canonical_url=meta.canonical_url)
    return clean_generic(given.text, index, meta, url, options.zone, site_page=site_page)


def clean_text(text: str | bytes, *, options: Options = DEFAULT_OPTIONS) -> CleanArticle:
    """Clean a text dump of a PVDN page (its visible text, scraped without cleaning)."""
    given = _prepare(text, options)
    if isinstance(given, CleanArticle):
        return given
    return clean_dump(given.text, options.zone)
