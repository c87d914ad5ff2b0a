"""The public functions: orchestration only, each step lives in its own module."""

from __future__ import annotations

import logging

from cleaning.generic import clean_generic
from cleaning.metadata import read_meta
from cleaning.options import DEFAULT_OPTIONS, Options
from cleaning.page_index import PageIndex
from cleaning.parsing import decode, looks_binary, parse_html, repair_mojibake
from cleaning.result import CleanArticle, empty_article
from cleaning.site_path import clean_pvdn_page, find_container, is_pvdn
from cleaning.text_dump import clean_dump

logger = logging.getLogger("cleaning")


def _to_text(data: str | bytes, options: Options) -> str | CleanArticle:
    """Decoded, repaired input, or an empty result saying why there is none."""
    if not isinstance(data, str | bytes | bytearray):
        raise TypeError(f"expected str or bytes, got {type(data).__name__}")
    if len(data) > options.max_bytes:
        return empty_article(f"input too large ({len(data)} > {options.max_bytes} bytes)")
    if isinstance(data, bytes | bytearray):
        if looks_binary(bytes(data)):
            return empty_article("binary input")
        data = decode(bytes(data))
    if not data.strip():
        return empty_article("empty input")
    return repair_mojibake(data.replace("\x00", ""))


def clean_html(
    html: str | bytes, url: str | None = None, *, options: Options = DEFAULT_OPTIONS
) -> CleanArticle:
    """Clean one page's HTML. `url` is where it was fetched (makes links absolute and helps
    recognise PVDN). Never raises for bad content: an empty result carries `empty_reason`."""
    text = _to_text(html, options)
    if isinstance(text, CleanArticle):
        return text
    try:
        return _clean_markup(text, url, options)
    except (RecursionError, MemoryError, ValueError) as exc:
        logger.warning("cleaning %s failed: %r", url or "<html>", exc)
        return empty_article(f"extraction failed: {type(exc).__name__}")


def _clean_markup(markup: str, url: str | None, options: Options) -> CleanArticle:
    root = parse_html(markup)
    if root is None:
        return empty_article("unparseable HTML")
    index = PageIndex(root)
    meta = read_meta(index, url, options.zone)
    site_page = is_pvdn(meta, url)
    container = find_container(index) if site_page else None
    if container is not None:
        return clean_pvdn_page(index, container, meta, url, options.zone)
    if not options.generic_fallback:
        return empty_article("layout not recognised", canonical_url=meta.canonical_url)
    return clean_generic(markup, index, meta, url, options.zone, site_page=site_page)


def clean_text(text: str | bytes, *, options: Options = DEFAULT_OPTIONS) -> CleanArticle:
    """Clean a text dump of a PVDN page (its visible text, scraped without cleaning)."""
    decoded = _to_text(text, options)
    if isinstance(decoded, CleanArticle):
        return decoded
    return clean_dump(decoded, options.zone)
