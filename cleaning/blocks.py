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
from cleaning.story import Candidate
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

    def skip_reason(self, el: etree._Element, classes: list[str]) -> str | None:
        """Why this subtree is not story (a teaser list, a paywall box), or None. `classes`
        are the element's class words."""

    def wrapper_reason(self, el: etree._Element) -> str | None:
        """A name for a wrapper whose blocks are judged together (an excerpt box), or None."""

    def removed_text(self, el: etree._Element) -> str | None:
        """The text to record for a skipped subtree the rules have already read ("" for none),
        or None to have the walker read it."""


@dataclass(slots=True)
class Walk:
    blocks: list[Candidate] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Place:
    """Where the walker is: inside a named wrapper, inside a quote, how deep."""

    wrapper: str | None = None
    in_quote: bool = False
    depth: int = 0

    def inner(self, *, wrapper: str | None = None, in_quote: bool = False) -> _Place:
        return _Place(wrapper or self.wrapper, in_quote or self.in_quote, self.depth + 1)


def walk_container(container: etree._Element, rules: ElementRules, title: str | None) -> Walk:
    """Blocks of the container in page order, with the subtrees dropped and why."""
    walker = _Walker(rules, title)
    walker.children(container, _Place())
    return walker.walk


class _Walker:
    def __init__(self, rules: ElementRules, title: str | None) -> None:
        self.rules = rules
        self.title = fold(title) if title else None
        self.walk = Walk()

    def emit(self, kind: BlockKind, text: str, place: _Place) -> None:
        if text:
            self.walk.blocks.append(Candidate(kind, text, place.wrapper))

    def drop(self, el: etree._Element, tag: str, reason: str) -> None:
        """Record a skipped subtree's text; invisible content (scripts, styles) is not text and
        is not recorded."""
        if tag in _INVISIBLE_TAGS:
            return
        text = self.rules.removed_text(el)
        if text is None:
            text = element_text(el)
        if text:
            self.walk.removed.append(Removed(text, reason))

    def subtree_reason(self, el: etree._Element, tag: str) -> str | None:
        if tag in SKIP_TAGS:
            return "embed" if tag in {"iframe", "object", "embed", "video", "audio"} else "non-text"
        keys = el.keys()
        if not keys:  # most paragraphs carry no attribute at all
            return self.rules.skip_reason(el, [])
        if "hidden" in keys or ("style" in keys and HIDDEN_STYLE.search(el.get("style") or "")):
            return "hidden"
        class_attr = el.get("class") or ""
        return self.rules.skip_reason(el, class_attr.split()) or boilerplate_reason(
            class_attr, el.get("id") or ""
        )

    def children(self, el: etree._Element, place: _Place) -> None:
        """Emit the blocks of `el`'s children; loose inline text between them makes
        paragraphs."""
        pending: list[str] = [el.text or ""]
        loose_kind: BlockKind = "quote" if place.in_quote else "paragraph"
        deep = place.depth > MAX_DEPTH
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                pending.append(child.tail or "")
                continue
            tag = tag.lower()
            reason = None if deep else self.subtree_reason(child, tag)
            if reason is None and tag in INLINE_TAGS:
                pending.append(" " if tag == "br" else element_text(child))
            else:
                # Loose text before a block makes a paragraph of its own (mostly it is only
                # the white space between blocks).
                loose = "".join(pending)
                pending.clear()
                if loose and not loose.isspace():
                    self.emit(loose_kind, fold(loose), place)
                if reason is not None:
                    self.drop(child, tag, reason)
                else:
                    self.block(child, tag, place)
            pending.append(child.tail or "")
        loose = "".join(pending)
        if loose and not loose.isspace():
            self.emit(loose_kind, fold(loose), place)

    def block(self, el: etree._Element, tag: str, place: _Place) -> None:
        if tag in HEADING_TAGS:
            text = element_text(el)
            if tag == "h1" and text == self.title:
                self.walk.removed.append(Removed(text, "title"))
            else:
                self.emit("heading", text, place)
        elif tag in PARAGRAPH_TAGS:
            if len(el) and any(isinstance(c.tag, str) and c.tag.lower() in _BLOCKISH for c in el):
                # Invalid but common: a <p> wrapping divs or lists; walk it like a container.
                self.children(el, place.inner())
            elif "wp-caption-text" in el.get("class", ""):
                self.emit("caption", element_text(el), place)
            else:
                self.emit("quote" if place.in_quote else "paragraph", element_text(el), place)
        elif tag == "li" and next(el.iter("figure"), None) is not None:
            # Gallery items: an image and its caption, not a list of points.
            self.children(el, place.inner())
        elif tag == "li":
            self.emit("list_item", element_text(el, skip_lists=True), place)
            for nested in el:
                if isinstance(nested.tag, str) and nested.tag.lower() in LIST_TAGS:
                    self.children(nested, place.inner())
        elif tag in CAPTION_TAGS:
            self.emit("caption", element_text(el), place)
        elif tag == "blockquote":
            self.children(el, place.inner(in_quote=True))
        else:
            # Containers (div, section, figure, lists, tables…): recurse; the profile may name
            # the wrapper (an excerpt box) so its blocks can be judged together.
            self.children(el, place.inner(wrapper=self.rules.wrapper_reason(el)))


# Skipped subtrees whose content is never shown as text.
_INVISIBLE_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "canvas", "map"})
_BLOCKISH = frozenset(
    {"div", "ul", "ol", "table", "blockquote", "figure", "section", *HEADING_TAGS}
)
