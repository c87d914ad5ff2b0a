"""Walk a story container and cut it into typed blocks, dropping boilerplate subtrees.

The walker knows HTML structure only (which tags make blocks, which class words mean share
bars or ads); what the words of a block mean is decided later by the profile's phrases. It
keeps each block's source element so later rules can look at links and wrappers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from lxml import etree

from cleaning.nodes import MAX_DEPTH, element_text
from cleaning.result import BlockKind, Removed
from cleaning.textnorm import fold
from cleaning.xpaths import (
    CAPTION_TAGS,
    HEADING_TAGS,
    HIDDEN_STYLE,
    INLINE_TAGS,
    LIST_TAGS,
    PARAGRAPH_TAGS,
    SKIP_TAGS,
    boilerplate_reason,
)


class ElementRules(Protocol):
    """Site knowledge the walker consults for each element."""

    def skip_reason(self, el: etree._Element) -> str | None:
        """Why this subtree is not story (a teaser list, a paywall box), or None."""

    def wrapper_reason(self, el: etree._Element) -> str | None:
        """A name for a wrapper whose blocks are judged together (an excerpt box), or None."""


@dataclass(slots=True)
class RawBlock:
    """A block before the phrase rules run: its kind, text, source element and wrapper."""

    kind: BlockKind
    text: str
    element: etree._Element
    wrapper_reason: str | None = None


@dataclass(slots=True)
class Walk:
    blocks: list[RawBlock] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    reasons_seen: set[str] = field(default_factory=set)


def is_hidden(el: etree._Element) -> bool:
    return el.get("hidden") is not None or bool(HIDDEN_STYLE.search(el.get("style", "")))


def walk_container(container: etree._Element, rules: ElementRules, title: str | None) -> Walk:
    """Blocks of the container in page order, with the subtrees dropped and why."""
    walk = Walk()
    _walk(container, walk, rules, title, wrapper=None, in_quote=False, depth=0)
    return walk


def _drop(el: etree._Element, reason: str, walk: Walk) -> None:
    walk.reasons_seen.add(reason)
    text = element_text(el)
    if text:
        walk.removed.append(Removed(text, reason))


def _emit(walk: Walk, kind: BlockKind, text: str, el: etree._Element, wrapper: str | None) -> None:
    if text:
        walk.blocks.append(RawBlock(kind, text, el, wrapper))


def _walk(
    el: etree._Element,
    walk: Walk,
    rules: ElementRules,
    title: str | None,
    *,
    wrapper: str | None,
    in_quote: bool,
    depth: int,
) -> None:
    """Emit the blocks of `el`'s children; loose inline text between them makes paragraphs."""
    pending: list[str] = [el.text or ""]
    pending_el = el

    def flush() -> None:
        text = fold("".join(pending))
        pending.clear()
        _emit(walk, "quote" if in_quote else "paragraph", text, pending_el, wrapper)

    for child in el:
        if not isinstance(child.tag, str):
            pending.append(child.tail or "")
            continue
        tag = child.tag.lower()
        reason = None if depth > MAX_DEPTH else _subtree_reason(child, tag, rules)
        if reason is not None:
            flush()
            _drop(child, reason, walk)
        elif tag in INLINE_TAGS:
            if tag == "br":
                pending.append(" ")
            else:
                pending.append(element_text(child))
            pending.append(child.tail or "")
            continue
        else:
            flush()
            _block(child, tag, walk, rules, title, wrapper=wrapper, in_quote=in_quote, depth=depth)
        pending.append(child.tail or "")
    flush()


def _subtree_reason(el: etree._Element, tag: str, rules: ElementRules) -> str | None:
    if tag in SKIP_TAGS:
        return "embed" if tag in {"iframe", "object", "embed", "video", "audio"} else "non-text"
    if is_hidden(el):
        return "hidden"
    return rules.skip_reason(el) or boilerplate_reason(el.get("class", ""), el.get("id", ""))


def _block(
    el: etree._Element,
    tag: str,
    walk: Walk,
    rules: ElementRules,
    title: str | None,
    *,
    wrapper: str | None,
    in_quote: bool,
    depth: int,
) -> None:
    kind: BlockKind
    if tag in HEADING_TAGS:
        text = element_text(el)
        if tag == "h1" and title and fold(text) == fold(title):
            walk.removed.append(Removed(text, "title"))
            return
        _emit(walk, "heading", text, el, wrapper)
    elif tag in PARAGRAPH_TAGS:
        if el.get("class") and "wp-caption-text" in el.get("class", ""):
            kind = "caption"
        else:
            kind = "quote" if in_quote else "paragraph"
        if any(isinstance(c.tag, str) and c.tag.lower() in _BLOCKISH for c in el):
            # Invalid but common: a <p> wrapping divs or lists; walk it like a container.
            _walk(el, walk, rules, title, wrapper=wrapper, in_quote=in_quote, depth=depth + 1)
        else:
            _emit(walk, kind, element_text(el), el, wrapper)
    elif tag == "li" and el.find(".//figure") is not None:
        # Gallery items: an image and its caption, not a list of points.
        _walk(el, walk, rules, title, wrapper=wrapper, in_quote=in_quote, depth=depth + 1)
    elif tag == "li":
        _emit(walk, "list_item", element_text(el, skip_lists=True), el, wrapper)
        for nested in el:
            if isinstance(nested.tag, str) and nested.tag.lower() in LIST_TAGS:
                _walk(
                    nested, walk, rules, title, wrapper=wrapper, in_quote=in_quote, depth=depth + 1
                )
    elif tag in CAPTION_TAGS:
        _emit(walk, "caption", element_text(el), el, wrapper)
    elif tag == "blockquote":
        _walk(el, walk, rules, title, wrapper=wrapper, in_quote=True, depth=depth + 1)
    else:
        # Containers (div, section, figure, lists, tables…): recurse; the profile may name the
        # wrapper (an excerpt box) so its blocks can be judged together.
        inner = rules.wrapper_reason(el)
        _walk(el, walk, rules, title, wrapper=inner or wrapper, in_quote=in_quote, depth=depth + 1)


_BLOCKISH = frozenset(
    {"div", "ul", "ol", "table", "blockquote", "figure", "section", *HEADING_TAGS}
)
