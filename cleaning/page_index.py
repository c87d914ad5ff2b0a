"""One pass over a parsed page, grouping its elements by tag and by class attribute.

libxml2's XPath scans the whole tree for every `//x[contains(@class, …)]`, and each of the
profile's questions (which container, which headings, which meta tags) would be another scan.
Reading the tree once into lists and answering every question from them is what keeps the
PVDN path several times faster than a general extractor.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from functools import cached_property

from lxml import etree

from cleaning.nodes import in_document_order

# Elements whose class words are indexed when the page is read: the ones the usual questions ask
# about (story containers, teaser lists and their wrappers, the title). Links, images, list
# items and text-level elements, most of a page's classed elements, are left out.
_CLASSED_TAGS = ("div", "section", "article", "main", "aside", "ul", "ol", "h1")
# Text-level elements, indexed only when a question needs them (a date line in the theme's meta
# row, asked only when the page's metadata has no date).
_TEXT_CLASSED_TAGS = (
    "span", "time", "p", "header", "h2", "h3", "h4", "h5", "h6", "figure", "nav", "footer",
    "form",
)  # fmt: skip


def _class_index(elements: Iterator[etree._Element]) -> defaultdict[str, list[etree._Element]]:
    by_class: defaultdict[str, list[etree._Element]] = defaultdict(list)
    for el in elements:
        class_attr = el.get("class")
        if class_attr:
            for word in class_attr.split():
                by_class[word].append(el)
    return by_class


class PageIndex:
    """The page's elements by tag (document order within a tag) and by class word.

    Tag lists are read on first use with lxml's C-level tag filter; class words are indexed
    in one pass over the block-level elements, and over text-level ones only when asked.
    """

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self._by_tag: dict[str, list[etree._Element]] = {}
        self._by_class = _class_index(root.iter(*_CLASSED_TAGS))

    @cached_property
    def _text_by_class(self) -> defaultdict[str, list[etree._Element]]:
        return _class_index(self.root.iter(*_TEXT_CLASSED_TAGS))

    def read_tags(self, *names: str) -> None:
        """Read the lists of several tags in one walk (each `tag` question is a walk of its own
        otherwise); for the tags every page is asked about."""
        found: dict[str, list[etree._Element]] = {name: [] for name in names}
        for el in self.root.iter(*names):
            found[str(el.tag)].append(el)
        self._by_tag.update(found)

    def tag(self, name: str) -> list[etree._Element]:
        found = self._by_tag.get(name)
        if found is None:
            found = self._by_tag[name] = list(self.root.iter(name))
        return found

    def tags(self, *names: str) -> list[etree._Element]:
        """Elements of any of these tags, in document order (one C-filtered walk)."""
        return list(self.root.iter(*names))

    def tags_whose_text(self, pattern: re.Pattern[str], *names: str) -> list[etree._Element]:
        """Elements of these tags whose own text (before any child) matches `pattern`."""
        return [el for el in self.root.iter(*names) if (text := el.text) and pattern.match(text)]

    def with_class(
        self, *words: str, derived: bool = False, text_level: bool = False
    ) -> list[etree._Element]:
        """Elements carrying one of these class words, in document order. With `derived`,
        words built on them count too ("trending" also finds "trending-item"). Only
        block-level elements are asked about unless `text_level` (spans, links, paragraphs…)."""
        lists = _lists(self._by_class, self._block_words, words, derived)
        if text_level:
            lists += _lists(self._text_by_class, self._text_words, words, derived)
        if len(lists) <= 1:
            return list(lists[0]) if lists else []  # one word's list is in document order
        # Several words (often on one element): merge in document order.
        merged = list(dict.fromkeys(el for found in lists for el in found))
        return merged if len(merged) == 1 else in_document_order(merged)

    @cached_property
    def _block_words(self) -> list[str]:
        return sorted(self._by_class)  # for prefix lookups

    @cached_property
    def _text_words(self) -> list[str]:
        return sorted(self._text_by_class)


def _lists(
    index: dict[str, list[etree._Element]],
    sorted_words: list[str],
    words: tuple[str, ...],
    derived: bool,
) -> list[list[etree._Element]]:
    """The element lists of these class words (and, if `derived`, of words built on them)."""
    lists = [found for word in words if (found := index.get(word))]
    if derived:
        for prefix in (f"{w}-" for w in words):
            i = bisect_left(sorted_words, prefix)
            while i < len(sorted_words) and sorted_words[i].startswith(prefix):
                lists.append(index[sorted_words[i]])
                i += 1
    return lists
