"""One pass over a parsed page, grouping its elements by tag and by class attribute.

libxml2's XPath scans the whole tree for every `//x[contains(@class, …)]`, and each of the
profile's questions (which container, which headings, which meta tags) would be another scan.
Reading the tree once into lists and answering every question from them is what keeps the
PVDN path several times faster than a general extractor.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import cached_property

from lxml import etree

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
        for el in root.iter(*_CLASSED_TAGS):
            class_attr = el.get("class")
            if class_attr:
                for word in class_attr.split():
                    self._by_class[word].append(el)

    @cached_property
    def position(self) -> dict[etree._Element, int]:
        """Document position of every element (line numbers repeat on minified pages)."""
        return {el: i for i, el in enumerate(self.root.iter())}

    def tag(self, name: str) -> list[etree._Element]:
        found = self._by_tag.get(name)
        if found is None:
            found = self._by_tag[name] = list(self.root.iter(name))
        return found

    def tags(
        self, *names: str, where: Callable[[etree._Element], bool] | None = None
    ) -> list[etree._Element]:
        """Elements of any of these tags (that pass `where`), in document order."""
        # One C-filtered walk yields the tags in document order.
        return [el for el in self.root.iter(*names) if where is None or where(el)]

    def with_class(self, *words: str, derived: bool = False) -> list[etree._Element]:
        """Elements carrying one of these class words, in document order. With `derived`,
        words built on them count too ("trending" also finds "trending-item")."""
        found: dict[etree._Element, None] = {}
        for word in words:
            for el in self._by_class.get(word, []):
                found[el] = None
        if derived:
            prefixes = tuple(f"{w}-" for w in words)
            for word, elements in self._by_class.items():
                if word.startswith(prefixes):
                    found.update(dict.fromkeys(elements))
        return sorted(found, key=self.position.__getitem__)
