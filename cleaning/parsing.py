"""Bytes or str to an lxml tree, tolerating what saved pages really look like.

Pages arrive as bytes with a charset declared only in a <meta> tag (cp1252, latin-1 on old
posts), as UTF-8 that was once decoded as cp1252 (mojibake), truncated, or deeply nested.
Nothing here raises for bad content: callers get None and a reason instead.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# UTF-8 bytes of common characters read as cp1252: "â€™" for ’, "Ã©" for é, "Â " for nbsp.
_MOJIBAKE = re.compile("(?:â€[\u0080-\u203a™œ\u009d]|Ã[\u0080-\u00bf]|Â[\u00a0-\u00bf])")
# Bytes that never occur in text: more than a few of these means the input is not a page.
_BINARY_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_BINARY_SHARE = 0.05


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if not sample:
        return False
    text_only = sample.translate(None, delete=_BINARY_BYTES)
    return len(sample) - len(text_only) > _BINARY_SHARE * len(sample)


def _declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    if not m:
        return None
    try:
        return codecs.lookup(m.group(1).decode("ascii", "replace")).name
    except LookupError:
        return None


def decode(data: bytes) -> tuple[str, bool]:
    """Decode page bytes: BOM, then strict UTF-8, then the <meta> charset, then cp1252.
    Also says whether the bytes were plain UTF-8 (then they can be parsed as they are).

    UTF-8 is tried before the declared charset because pages often declare latin-1 while
    serving UTF-8; a strict UTF-8 decode of real cp1252 text almost always fails.
    """
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, "replace"), False
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(data)
    if declared and declared not in {"utf-8", "utf_8"}:
        # latin-1 declarations mean cp1252 in practice (the HTML standard says so too).
        codec = "cp1252" if declared in {"latin_1", "iso8859-1", "iso8859_1", "ascii"} else declared
        try:
            return data.decode(codec), False
        except (UnicodeDecodeError, LookupError):
            pass
    return data.decode("cp1252", "replace"), False


def _cp1252_bytes(run: str) -> bytes:
    """Encode as cp1252, passing the five bytes cp1252 leaves undefined (0x81, 0x8d, …) through
    as browsers do when they decode them."""
    out = bytearray()
    for char in run:
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            if ord(char) > 0xFF:
                raise
            out.append(ord(char))
    return bytes(out)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 read as cp1252, run by run, leaving correct text untouched."""
    # Single-character probes first: they run at memchr speed, a two-character one does not.
    if not ("Ã" in text or "â" in text or "Â" in text) or not _MOJIBAKE.search(text):
        return text
    # ” is E2 80 9D; 0x9D has no cp1252 character, so a strict decoder left U+FFFD behind.
    text = text.replace("â€\ufffd", "”")

    def fix(match: re.Match[str]) -> str:
        run = match.group(0)
        try:
            return _cp1252_bytes(run).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return run

    # Runs of characters in the mojibake range, fixed as a whole so multi-byte sequences join.
    return re.sub("[\u00c2-\u00f4][\u0080-\u00bf\u0152-\u2122]{1,3}", fix, text)


def parse_html(markup: str, utf8: bytes | None = None) -> etree._Element | None:
    """Parse markup into an lxml tree; None when nothing parseable is left.

    `utf8`, when given, is the same document as the UTF-8 bytes it arrived as: libxml2 reads
    those directly, which saves converting the string back (about a tenth of the parse).
    """
    # Plain etree elements, not lxml.html's: its per-element class lookup runs in Python and
    # cost more than the whole PVDN extraction. A parser per call, as lxml parsers are not
    # meant to be shared between threads.
    try:
        if utf8 is not None:
            return etree.fromstring(utf8, parser=_parser("utf-8"))
        markup = _XML_DECL.sub("", markup)
        if not markup or markup.isspace():
            return None
        return etree.fromstring(markup, parser=_parser(None))
    except (etree.XMLSyntaxError, ValueError):
        return None


def _parser(encoding: str | None) -> etree.HTMLParser:
    return etree.HTMLParser(
        encoding=encoding, recover=True, remove_comments=True, remove_pis=True, collect_ids=False
    )
