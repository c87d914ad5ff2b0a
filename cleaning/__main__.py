"""Command line: print the clean story of saved pages or text dumps.

    python -m cleaning FILE... | -        (the story; --json for the whole result)

HTML or text is told apart by the content, so the same command takes saved pages and dumps.
With --json every input gives one line of JSON (JSON Lines) carrying its file name as
"source". Each input is read only up to the size limit (--max-bytes), so a device that never
ends (/dev/zero, a pipe) is refused with one line instead of filling memory.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import BinaryIO

from cleaning.api import clean_html, clean_text
from cleaning.options import DEFAULT_MAX_BYTES, Options
from cleaning.result import CleanArticle

_HTML_SNIFF = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype|html|head|body|meta|div|article)\b",
    re.IGNORECASE | re.DOTALL,
)


def looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf")
    return bool(_HTML_SNIFF.match(head)) or b"</p>" in data[:65536].lower()


def clean_bytes(data: bytes, url: str | None, options: Options | None = None) -> CleanArticle:
    options = options or Options()
    if looks_like_html(data):
        return clean_html(data, url, options=options)
    return clean_text(data, options=options)


class InputTooLargeError(Exception):
    """An input longer than the size limit (read no further than one byte past it)."""


def read_limited(stream: BinaryIO, limit: int) -> bytes:
    """At most `limit` bytes of `stream`; InputTooLargeError when there is more."""
    chunks: list[bytes] = []
    left = limit + 1
    while left > 0:
        chunk = stream.read(min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    data = b"".join(chunks)
    if len(data) > limit:
        raise InputTooLargeError
    return data


def _read(name: str, limit: int) -> bytes:
    if name == "-":
        return read_limited(sys.stdin.buffer, limit)
    with Path(name).open("rb") as stream:
        return read_limited(stream, limit)


def _render(article: CleanArticle, as_json: bool, source: str) -> str:
    if as_json:
        # One object per line (JSON Lines), whatever the number of inputs.
        return json.dumps({"source": source, **article.to_dict()}, ensure_ascii=False)
    if article.is_empty:
        return f"[no story: {article.empty_reason}]"
    head = f"{article.title}\n\n" if article.title else ""
    return head + article.body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cleaning", description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", help="saved HTML pages or text dumps; - reads stdin")
    parser.add_argument(
        "--json",
        action="store_true",
        help='print each whole result as one line of JSON (JSON Lines), with its file as "source"',
    )
    parser.add_argument("--url", help="the address the page was fetched from")
    parser.add_argument(
        "--max-bytes",
        type=_positive,
        default=DEFAULT_MAX_BYTES,
        help=f"refuse inputs longer than this (default {DEFAULT_MAX_BYTES})",
    )
    args = parser.parse_args(argv)
    options = Options(max_bytes=args.max_bytes)

    status = 0
    for i, name in enumerate(args.files):
        try:
            data = _read(name, args.max_bytes)
        except OSError as exc:
            print(f"python -m cleaning: cannot read {name}: {exc.strerror}", file=sys.stderr)
            status = 2
            continue
        except InputTooLargeError:
            print(
                f"python -m cleaning: {name}: larger than the size limit of {args.max_bytes}"
                " bytes (see --max-bytes); not read further",
                file=sys.stderr,
            )
            status = 2
            continue
        article = clean_bytes(data, args.url, options)
        if len(args.files) > 1 and not args.json:
            print(f"{'' if i == 0 else chr(10)}==> {name} <==")
        print(_render(article, args.json, name))
        if article.is_empty:
            status = status or 1
    return status


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of bytes, got {value!r}")
    return number


if __name__ == "__main__":
    sys.exit(main())
