"""Bytes or str to an lxml tree, tolerating what saved pages really look like.

Pages arrive as bytes whose charset is told by a byte-order mark, by the HTTP `Content-Type`
header (which the caller passes on), by a <meta> tag (cp1252, latin-1 on old posts), or by
nothing; as UTF-16 or UTF-32; as UTF-8 that was once decoded as cp1252 (mojibake), truncated,
or nested deeper than libxml2 will go. Nothing here raises for bad content: callers get None
and a reason instead.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import ftfy
from lxml import etree

from cleaning.nesting import flatten_nesting

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# Bytes that never occur in text: more than a few of these means the input is not a page.
_BINARY_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_BINARY_SHARE = 0.05
_SAMPLE = 8192
# Ever shallower flattenings tried on a page libxml2 found too deep.
_FLATTEN_TRIES = 3

# Byte-order marks, UTF-32 before UTF-16: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Markup is mostly ASCII, so UTF-16 and UTF-32 without a mark show as NUL bytes in fixed
# positions: (codec, positions mod 4 that are NUL, positions that are not).
_WIDE_PATTERNS = (
    ("utf-32-le", (1, 2, 3), (0,)),
    ("utf-32-be", (0, 1, 2), (3,)),
    ("utf-16-le", (1, 3), (0, 2)),
    ("utf-16-be", (0, 2), (1, 3)),
)
_WIDE_SNIFF_BYTES = 1024
_WIDE_NUL_SHARE = 0.7
# Labels that mean cp1252 in practice (the HTML standard maps them so too).
_CP1252_LABELS = frozenset({"latin_1", "iso8859-1", "iso8859_1", "ascii", "cp1252"})
# Codecs Python knows that no web page is in (escapes, IDNA, UTF-7, which browsers refuse).
_NOT_PAGE_CODECS = frozenset(
    {"undefined", "unicode-escape", "raw-unicode-escape", "idna", "punycode", "utf-7"}
)
_WIDE_CODECS = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})


@dataclass(frozen=True, slots=True)
class Decoded:
    """Page text, and how it was read: `plain_utf8` when the bytes were UTF-8 as they are (then
    they can be parsed directly), `wide` when they were UTF-16 or UTF-32."""

    text: str
    plain_utf8: bool = False
    wide: bool = False


def looks_binary(data: bytes) -> bool:
    """Whether the bytes hold more control bytes than any text does (an image, an archive).
    Meant for byte-oriented encodings: UTF-16/32 pages are recognised before this is asked."""
    sample = data[:_SAMPLE]
    if not sample:
        return False
    text_only = sample.translate(None, delete=_BINARY_BYTES)
    return len(sample) - len(text_only) > _BINARY_SHARE * len(sample)


def text_looks_binary(text: str) -> bool:
    """`looks_binary` for text decoded from a wide encoding (its bytes are NUL-heavy anyway)."""
    return looks_binary(text[:_SAMPLE].encode("utf-8", "replace"))


def charset_codec(label: str | None) -> str | None:
    """Python's codec for a charset label (`"UTF-8"`, `'"iso-8859-1"'`, or a whole
    `Content-Type` value), or None when the label names no text encoding a page can be in."""
    if not label:
        return None
    label = label.strip()
    if "=" in label:  # "text/html; charset=UTF-8"
        label = label.rpartition("=")[2]
    label = label.split(";")[0].strip().strip("\"'").strip()
    if not label or len(label) > 40:
        return None
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    name = info.name
    if not getattr(info, "_is_text_encoding", True) or name in _NOT_PAGE_CODECS:
        return None
    return "cp1252" if name in _CP1252_LABELS else name


def _declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return charset_codec(m.group(1).decode("ascii", "replace")) if m else None


def _wide_codec(data: bytes) -> str | None:
    """UTF-16 or UTF-32 without a byte-order mark, told by where the NUL bytes fall."""
    sample = data[:_WIDE_SNIFF_BYTES]
    if b"\x00" not in sample:
        return None
    sample = sample[: len(sample) - len(sample) % 4]
    quarter = len(sample) // 4
    if quarter < 4:
        return None
    nuls = [sample[i::4].count(0) for i in range(4)]
    for codec, zero, nonzero in _WIDE_PATTERNS:
        if all(nuls[i] >= _WIDE_NUL_SHARE * quarter for i in zero) and all(
            nuls[i] <= (1 - _WIDE_NUL_SHARE) * quarter for i in nonzero
        ):
            return codec
    return None


def unicode_form(data: bytes) -> tuple[str, int] | None:
    """The Unicode encoding the bytes announce (byte-order mark) or show (UTF-16/32 NUL
    pattern), and how many leading bytes to skip; None for byte-oriented pages."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    wide = _wide_codec(data)
    return (wide, 0) if wide else None


def decode(data: bytes, charset: str | None = None) -> Decoded:
    """Decode page bytes: a byte-order mark (or the UTF-16/32 NUL pattern) first, then the
    declared charset (`charset`, the HTTP header's, before the <meta> one), then cp1252.

    A declaration of a byte-oriented charset is believed only when the bytes are not valid
    UTF-8: pages often declare latin-1 while serving UTF-8, while text in a legacy charset
    that happens to be valid multi-byte UTF-8 is vanishingly rare. A UTF-16/32 declaration
    without the NUL pattern cannot be right (markup is mostly ASCII) and is ignored.
    """
    form = unicode_form(data)
    if form is not None:
        codec, skip = form
        return Decoded(data[skip:].decode(codec, "replace"), wide=codec != "utf-8")
    try:
        return Decoded(data.decode("utf-8"), plain_utf8=True)
    except UnicodeDecodeError:
        pass
    for declared in (charset_codec(charset), _declared_charset(data)):
        if declared is None or declared == "utf-8" or declared in _WIDE_CODECS:
            continue
        try:
            return Decoded(data.decode(declared))
        except (UnicodeDecodeError, LookupError):
            continue
    return Decoded(data.decode("cp1252", "replace"))


# Mojibake: UTF-8 bytes read as cp1252 (or latin-1), once or twice. A UTF-8 lead byte of the
# characters an English and Spanish news site writes (Â Ã: Latin-1 letters and signs; Ä Å Ë:
# Latin Extended, œ, ˆ; â: quotes, dashes, €, ™; ï: a stray BOM; ð: emoji) read as cp1252,
# then a character standing for a continuation byte 0x80–0xBF (cp1252's punctuation for
# 0x80–0x9F, C1 controls where latin-1 was used, U+FFFD where a strict decoder gave up).
_MOJIBAKE_LEADS = "ÂÃÄÅËâïð"
_CONTINUATION = "\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ\ufffd"
_MOJIBAKE = re.compile(f"[{_MOJIBAKE_LEADS}][{_CONTINUATION}]")
# A run of non-blank characters (blank: ASCII white space only, so a mangled no-break space
# stays with its lead byte) holding mojibake; the lookbehind starts it at a run's start, so
# each run is scanned once.
_WORD_WITH_MOJIBAKE = re.compile(
    rf"(?:^|(?<=[ \t\n\r\f\v]))[^ \t\n\r\f\v]*?[{_MOJIBAKE_LEADS}][{_CONTINUATION}]"
    r"[^ \t\n\r\f\v]*"
)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 read as cp1252 (once or twice, emoji too), word by word with ftfy, leaving
    correct text untouched. A few single-character probes come first: most pages hold none of
    the lead characters and pay only those."""
    if not any(lead in text for lead in _MOJIBAKE_LEADS) or not _MOJIBAKE.search(text):
        return text
    # ” is E2 80 9D; 0x9D has no cp1252 character, so a strict decoder left U+FFFD behind,
    # which no repair can read back: the sequence can only have been this quote.
    text = text.replace("â€\ufffd", "”")
    return _WORD_WITH_MOJIBAKE.sub(lambda m: ftfy.fix_encoding(m.group(0)), text)


def parse_html(markup: str, utf8: bytes | None = None) -> etree._Element | None:
    """Parse markup into an lxml tree; None when nothing parseable is left.

    `utf8`, when given, is the same document as the UTF-8 bytes it arrived as: libxml2 reads
    those directly, which saves converting the string back (about a tenth of the parse).
    libxml2 stops reading at 256 levels of nesting (and drops the rest of the page): when it
    says so, the page is parsed again with its excess wrappers flattened (`cleaning.nesting`).
    """
    # Plain etree elements, not lxml.html's: its per-element class lookup runs in Python and
    # cost more than the whole PVDN extraction. A parser per call, as lxml parsers are not
    # meant to be shared between threads.
    try:
        if utf8 is not None:
            parser = _parser("utf-8")
            root = etree.fromstring(utf8, parser=parser)
        else:
            markup = _XML_DECL.sub("", markup)
            if not markup or markup.isspace():
                return None
            parser = _parser(None)
            root = etree.fromstring(markup, parser=parser)
        for level in range(1, _FLATTEN_TRIES + 1):
            if not _too_deep(parser):
                break
            parser = _parser(None)
            flat = flatten_nesting(_XML_DECL.sub("", markup), level)
            root = etree.fromstring(flat, parser=parser)
        return root
    except (etree.XMLSyntaxError, ValueError):
        return None


def _too_deep(parser: etree.HTMLParser) -> bool:
    """Whether libxml2 gave up on the page's nesting depth (it stops parsing there)."""
    error = parser.error_log.last_error
    return error is not None and "depth" in (error.message or "")


def _parser(encoding: str | None) -> etree.HTMLParser:
    return etree.HTMLParser(
        encoding=encoding, recover=True, remove_comments=True, remove_pis=True, collect_ids=False
    )
