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

# No question asks for these by class (containers, headings, date lines and teaser lists are
# other elements), and links, images and list items are a third of a page's classed elements.
_UNCLASSED = frozenset(
    {
        "a",
        "img",
        "li",
        "svg",
        "path",
        "use",
        "i",
        "input",
        "button",
        "option",
        "source",
        "picture",
        "meta",
        "link",
        "script",
        "style",
    }
)


class PageIndex:
    """The page's elements by tag (document order within a tag) and by class word."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self._by_tag: defaultdict[str, list[etree._Element]] = defaultdict(list)
        self._by_class: defaultdict[str, list[etree._Element]] = defaultdict(list)
        for el in root.iter():
            tag = el.tag
            if not isinstance(tag, str):
                continue
            self._by_tag[tag].append(el)
            if tag in _UNCLASSED:
                continue
            class_attr = el.get("class")
            if class_attr:
                for word in class_attr.split():
                    self._by_class[word].append(el)

    @cached_property
    def position(self) -> dict[etree._Element, int]:
        """Document position of every element (line numbers repeat on minified pages)."""
        return {el: i for i, el in enumerate(self.root.iter())}

    def tag(self, name: str) -> list[etree._Element]:
        return self._by_tag.get(name, [])

    def tags(
        self, *names: str, where: Callable[[etree._Element], bool] | None = None
    ) -> list[etree._Element]:
        """Elements of any of these tags (that pass `where`), in document order."""
        found = [
            el for name in names for el in self._by_tag.get(name, []) if where is None or where(el)
        ]
        if len(names) > 1 and len(found) > 1:
            found.sort(key=self.position.__getitem__)
        return found

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
