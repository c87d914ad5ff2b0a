"""Markup nested deeper than libxml2 reads, made shallow enough to parse.

libxml2's HTML parser gives up at 256 levels of nesting and drops the rest of the page, so a
story behind a few hundred wrappers (a page builder's, or `<div>`s an editor never closed)
would be lost whole. The wrappers past a depth carry nothing a reader sees, so this drops
their tags, keeping every text and every element that is not a nested wrapper: first the
bare ones (no attributes) past a soft depth, then every one past a hard depth; only when that
is not enough are lists, quotes and the like flattened too.

One linear pass over the tags, with a stack of the open containers: no tree is built, and
comments and raw-text elements (scripts, styles) are skipped whole.
"""

from __future__ import annotations

import re

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)|<!--")
# Elements whose content is not markup: their text is skipped to their end tag.
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "plaintext"})
_RAW_END = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in _RAW_TEXT}
# Elements that never nest: void ones, and ones the parser closes by itself when a sibling
# opens (an unclosed <p> or <li> makes no depth), plus the document's own frame.
_NOT_NESTING = frozenset(
    {
        *"area base br col embed hr img input keygen link meta param source track wbr".split(),
        *"frame basefont isindex p li dt dd option optgroup rb rt rtc rp html head body".split(),
    }
)
# Containers that only group or style their content: their tags can go without changing what
# a reader sees as a block (a heading, a list, a quote, a link keep theirs unless nothing else
# helps, on the last attempt).
_WRAPPERS = frozenset(
    "div span section article main aside header footer font center b i em strong u small big"
    " mark nobr tt s strike ins".split()
)
# (soft, hard) depth per attempt: past soft, bare wrappers go; past hard, every wrapper goes
# (on the last attempt every container). Table rows and list items add levels these do not
# count, hence the margin below 256.
_LIMITS = {1: (48, 100), 2: (16, 50), 3: (4, 16)}


class _Open:
    """The containers open at a point of the markup, as the parser would see them."""

    def __init__(self) -> None:
        self.stack: list[tuple[str, bool]] = []  # name, kept
        self.count: dict[str, int] = {}
        self.depth = 0  # kept containers open

    def push(self, name: str, kept: bool) -> None:
        self.stack.append((name, kept))
        self.count[name] = self.count.get(name, 0) + 1
        self.depth += kept

    def close(self, name: str) -> bool | None:
        """Close `name` and whatever was left open inside it; whether it had been kept, or
        None for an end tag that closes nothing (the parser ignores those)."""
        if not self.count.get(name):
            return None
        while True:
            top, kept = self.stack.pop()
            self.count[top] -= 1
            self.depth -= kept
            if top == name:
                return kept


def flatten_nesting(markup: str, attempt: int = 1) -> str:
    """`markup` with the tags of containers nested past the attempt's limits removed (their
    content stays in place). Later attempts flatten harder."""
    soft, hard = _LIMITS.get(attempt, _LIMITS[max(_LIMITS)])
    any_container = attempt >= max(_LIMITS)
    opened = _Open()
    cuts: list[tuple[int, int]] = []
    pos = 0
    while (m := _TAG.search(markup, pos)) is not None:
        if m.group(2) is None:  # a comment: skip to its end
            end = markup.find("-->", m.end())
            if end < 0:
                break
            pos = end + 3
            continue
        end = markup.find(">", m.end())
        if end < 0:
            break
        pos = end + 1
        name = m.group(2).lower()
        if m.group(1):  # an end tag
            if opened.close(name) is False:
                cuts.append((m.start(), pos))
        elif name in _RAW_TEXT:
            close = _RAW_END[name].search(markup, pos)
            if close is None:
                break
            pos = close.end()
        elif name not in _NOT_NESTING:
            bare = not markup[m.end() : end].strip(" \t\r\n/")
            kept = (
                (name not in _WRAPPERS and not any_container)
                or opened.depth < soft
                or (opened.depth < hard and not bare)
            )
            if not kept:
                cuts.append((m.start(), pos))
            opened.push(name, kept)
    return _without(markup, cuts)


def _without(markup: str, cuts: list[tuple[int, int]]) -> str:
    """`markup` less the (start, stop) spans, which are in order and do not overlap."""
    if not cuts:
        return markup
    pieces = []
    last = 0
    for start, stop in cuts:
        pieces.append(markup[last:start])
        last = stop
    pieces.append(markup[last:])
    return "".join(pieces)
