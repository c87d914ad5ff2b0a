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
    walker.run(container)
    return walker.walk


class _Frame:
    """A container being walked: its remaining children, where it is, and the loose inline
    text gathered since its last block."""

    __slots__ = ("children", "loose_kind", "pending", "place")

    def __init__(self, el: etree._Element, place: _Place) -> None:
        self.children = iter(el)
        self.place = place
        self.pending: list[str] = [el.text or ""]
        self.loose_kind: BlockKind = "quote" if place.in_quote else "paragraph"


class _Walker:
    """Walks with a stack of frames, not recursion, so no nesting depth can exhaust Python's
    stack: a frame is a container whose children are being read, and a child container is
    read to its end before its parent goes on (page order)."""

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

    def flush(self, frame: _Frame) -> None:
        """Loose text before a block (or at a container's end) makes a paragraph of its own;
        mostly it is only the white space between blocks."""
        loose = "".join(frame.pending)
        frame.pending.clear()
        if loose and not loose.isspace():
            self.emit(frame.loose_kind, fold(loose), frame.place)

    def run(self, container: etree._Element) -> None:
        """Emit the blocks of the container's children, in page order."""
        stack = [_Frame(container, _Place())]
        while stack:
            frame = stack[-1]
            child = next(frame.children, None)
            if child is None:
                self.flush(frame)
                stack.pop()
                continue
            tag = child.tag
            if not isinstance(tag, str):
                frame.pending.append(child.tail or "")
                continue
            tag = tag.lower()
            reason = None if frame.place.depth > MAX_DEPTH else self.subtree_reason(child, tag)
            if reason is None and tag in INLINE_TAGS:
                frame.pending.append(" " if tag == "br" else element_text(child))
            else:
                self.flush(frame)
                if reason is not None:
                    self.drop(child, tag, reason)
                else:
                    # The child's blocks come before its tail, which waits in `pending`.
                    stack.extend(reversed(self.block(child, tag, frame.place)))
            frame.pending.append(child.tail or "")

    def block(self, el: etree._Element, tag: str, place: _Place) -> list[_Frame]:
        """Emit a block element, or return the frames of the containers to walk inside it."""
        if tag in HEADING_TAGS:
            text = element_text(el)
            if tag == "h1" and text == self.title:
                self.walk.removed.append(Removed(text, "title"))
            else:
                self.emit("heading", text, place)
        elif tag in PARAGRAPH_TAGS:
            if len(el) and any(isinstance(c.tag, str) and c.tag.lower() in _BLOCKISH for c in el):
                # Invalid but common: a <p> wrapping divs or lists; walk it like a container.
                return [_Frame(el, place.inner())]
            if "wp-caption-text" in el.get("class", ""):
                self.emit("caption", element_text(el), place)
            else:
                self.emit("quote" if place.in_quote else "paragraph", element_text(el), place)
        elif tag == "li" and next(el.iter("figure"), None) is not None:
            # Gallery items: an image and its caption, not a list of points.
            return [_Frame(el, place.inner())]
        elif tag == "li":
            self.emit("list_item", element_text(el, skip_lists=True), place)
            return [
                _Frame(nested, place.inner())
                for nested in el
                if isinstance(nested.tag, str) and nested.tag.lower() in LIST_TAGS
            ]
        elif tag in CAPTION_TAGS:
            self.emit("caption", element_text(el), place)
        elif tag == "blockquote":
            return [_Frame(el, place.inner(in_quote=True))]
        else:
            # Containers (div, section, figure, lists, tables…): walk inside; the profile may
            # name the wrapper (an excerpt box) so its blocks can be judged together.
            return [_Frame(el, place.inner(wrapper=self.rules.wrapper_reason(el)))]
        return []


# Skipped subtrees whose content is never shown as text.
_INVISIBLE_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "canvas", "map"})
_BLOCKISH = frozenset(
    {"div", "ul", "ol", "table", "blockquote", "figure", "section", *HEADING_TAGS}
)
