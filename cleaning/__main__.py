"""Command line: print the clean story of saved pages or text dumps.

    python -m cleaning FILE... | -        (the story; --json for the whole result)

HTML or text is told apart by the content, so the same command takes saved pages and dumps.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from cleaning.api import clean_html, clean_text
from cleaning.result import CleanArticle

_HTML_SNIFF = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype|html|head|body|meta|div|article)\b",
    re.IGNORECASE | re.DOTALL,
)


def looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf")
    return bool(_HTML_SNIFF.match(head)) or b"</p>" in data[:65536].lower()


def clean_bytes(data: bytes, url: str | None) -> CleanArticle:
    return clean_html(data, url) if looks_like_html(data) else clean_text(data)


def _render(article: CleanArticle, as_json: bool) -> str:
    if as_json:
        return json.dumps(article.to_dict(), ensure_ascii=False, indent=2)
    if article.is_empty:
        return f"[no story: {article.empty_reason}]"
    head = f"{article.title}\n\n" if article.title else ""
    return head + article.body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cleaning", description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", help="saved HTML pages or text dumps; - reads stdin")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    parser.add_argument("--url", help="the address the page was fetched from")
    args = parser.parse_args(argv)

    status = 0
    for i, name in enumerate(args.files):
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            print(f"python -m cleaning: cannot read {name}: {exc.strerror}", file=sys.stderr)
            status = 2
            continue
        article = clean_bytes(data, args.url)
        if len(args.files) > 1 and not args.json:
            print(f"{'' if i == 0 else chr(10)}==> {name} <==")
        print(_render(article, args.json))
        if article.is_empty:
            status = status or 1
    return status


if __name__ == "__main__":
    sys.exit(main())
