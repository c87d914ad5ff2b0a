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
from functools import cached_property

from lxml import etree

from cleaning.nodes import document_order_key

# Elements whose class words are indexed: the ones questions ask about (story containers,
# headings, date lines, teaser lists and their wrappers). Links, images and list items, a third
# of a page's classed elements, are left out; lxml filters by tag in C.
_CLASSED_TAGS = (
    "div", "section", "article", "main", "header", "aside", "ul", "ol", "p", "span", "time",
    "h1", "h2", "h3", "h4", "h5", "h6", "figure", "nav", "footer", "form",
)  # fmt: skip


class PageIndex:
    """The page's elements by tag (document order within a tag) and by class word.

    Tag lists are read on first use with lxml's C-level tag filter; class words are indexed
    in one pass over the elements that can carry the classes asked about.
    """

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self._by_tag: dict[str, list[etree._Element]] = {}
        self._by_class: defaultdict[str, list[etree._Element]] = defaultdict(list)
        by_class = self._by_class
        for el in root.iter(*_CLASSED_TAGS):
            class_attr = el.get("class")
            if class_attr:
                for word in class_attr.split():
                    by_class[word].append(el)

    @cached_property
    def _words(self) -> list[str]:
        """Class words in sorted order, for prefix lookups."""
        return sorted(self._by_class)

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

    def with_class(self, *words: str, derived: bool = False) -> list[etree._Element]:
        """Elements carrying one of these class words, in document order. With `derived`,
        words built on them count too ("trending" also finds "trending-item")."""
        lists = [found for word in words if (found := self._by_class.get(word))]
        if derived:
            sorted_words = self._words
            for prefix in (f"{w}-" for w in words):
                i = bisect_left(sorted_words, prefix)
                while i < len(sorted_words) and sorted_words[i].startswith(prefix):
                    lists.append(self._by_class[sorted_words[i]])
                    i += 1
        if len(lists) <= 1:
            return list(lists[0]) if lists else []  # one word's list is in document order
        # Several words: merge in document order (rare, and only a few elements).
        return sorted(dict.fromkeys(el for found in lists for el in found), key=document_order_key)
