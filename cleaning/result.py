"""Immutable result types of the cleaning library.

Everything a caller gets back is frozen so that a result can be cached, hashed into an item or
shared between threads without anyone editing the story behind the archive's back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

BlockKind = Literal["paragraph", "heading", "list_item", "quote", "caption"]
TeaserKind = Literal["trending", "related"]
Extractor = Literal["pvdn", "generic", "none"]


@dataclass(frozen=True, slots=True)
class Block:
    """One unit of the story: a paragraph, a sub-heading, a list item, a quote or a caption."""

    kind: BlockKind
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}


@dataclass(frozen=True, slots=True)
class Teaser:
    """A link to another article shown on the page (trending or related list), in page order.

    `url` is absolute, or None when the input was a text dump; `summary` is the excerpt as the
    page showed it (its trailing ellipsis kept); `image_alt` is the thumbnail's alt text.
    """

    kind: TeaserKind
    title: str
    url: str | None = None
    summary: str | None = None
    image_alt: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "kind": self.kind,
            "url": self.url,
            "title": self.title,
            "summary": self.summary,
            "image_alt": self.image_alt,
        }


@dataclass(frozen=True, slots=True)
class Removed:
    """A piece of page text that was judged boilerplate, and why (for audits and tuning)."""

    text: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"text": self.text, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class CleanArticle:
    """The story of one page, separated from the site's boilerplate.

    `post_id` is WordPress's post id where the page shows it. `extractor` says which path
    produced it: "pvdn" when the site profile recognised the page,
    "generic" for the trafilatura fallback, "none" when there was nothing to extract (then
    `empty_reason` says why).
    """

    title: str | None = None
    blocks: tuple[Block, ...] = ()
    teasers: tuple[Teaser, ...] = ()
    paywalled: bool = False
    published: datetime | None = None
    modified: datetime | None = None
    author: str | None = None
    categories: tuple[str, ...] = ()
    canonical_url: str | None = None
    post_id: int | None = None
    dateline: str | None = None
    extractor: Extractor = "none"
    removed: tuple[Removed, ...] = ()
    empty_reason: str | None = None
    body: str = field(init=False)
    lede: str | None = field(init=False)

    def __post_init__(self) -> None:
        # Derived once here so the two can never disagree with `blocks`.
        object.__setattr__(self, "body", "\n\n".join(b.text for b in self.blocks))
        lede = next((b.text for b in self.blocks if b.kind == "paragraph"), None)
        object.__setattr__(self, "lede", lede)

    @property
    def is_empty(self) -> bool:
        return not self.blocks

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: datetimes as ISO 8601 strings, tuples as lists."""
        return {
            "title": self.title,
            "lede": self.lede,
            "body": self.body,
            "blocks": [b.to_dict() for b in self.blocks],
            "teasers": [t.to_dict() for t in self.teasers],
            "paywalled": self.paywalled,
            "published": self.published.isoformat() if self.published else None,
            "modified": self.modified.isoformat() if self.modified else None,
            "author": self.author,
            "categories": list(self.categories),
            "canonical_url": self.canonical_url,
            "post_id": self.post_id,
            "dateline": self.dateline,
            "extractor": self.extractor,
            "removed": [r.to_dict() for r in self.removed],
            "empty_reason": self.empty_reason,
        }


def empty_article(reason: str, **known: Any) -> CleanArticle:
    """A result with no story, carrying the reason (and whatever metadata was already known)."""
    return CleanArticle(empty_reason=reason, **known)
