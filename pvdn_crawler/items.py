"""Items the spider yields: plain dataclasses, used through itemadapter by the pipelines.

An `ArticleItem` is built from `cleaning`'s result for one fetched page; an `AliasItem`
records another address of an article that was already stored in this run (a link form seen
after the page itself was fetched).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cleaning import CleanArticle


@dataclass(frozen=True, kw_only=True)
class TeaserLink:
    """A teaser the page showed: `kind` "trending" or "related", `position` from 0 in page
    order within its kind, `target_url` absolute."""

    kind: str
    position: int
    target_url: str
    title: str
    summary: str | None = None
    image_alt: str | None = None


@dataclass(kw_only=True)
class ArticleItem:
    """One fetched article page, cleaned.

    `canonical_url` is the page's own canonical link (or the fetched address, normalised);
    `aliases` every other address that led to it; `raw_html` the bytes as served, kept so the
    archive can be re-cleaned when `cleaning` improves; `empty_reason` why there is no story.
    """

    canonical_url: str
    fetched_url: str
    aliases: list[str] = field(default_factory=list)
    post_id: int | None = None
    title: str | None = None
    lede: str | None = None
    body: str = ""
    blocks: list[dict[str, str]] = field(default_factory=list)
    dateline: str | None = None
    author: str | None = None
    categories: list[str] = field(default_factory=list)
    published: datetime | None = None
    modified: datetime | None = None
    paywalled: bool = False
    extractor: str = "none"
    empty_reason: str | None = None
    teasers: list[TeaserLink] = field(default_factory=list)
    raw_html: bytes = b""
    etag: str | None = None
    last_modified: str | None = None

    @classmethod
    def from_clean(
        cls,
        article: CleanArticle,
        *,
        canonical_url: str,
        fetched_url: str,
        aliases: list[str],
        raw_html: bytes,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> ArticleItem:
        positions: dict[str, int] = {}
        teasers = []
        for teaser in article.teasers:
            if not teaser.url:
                continue
            position = positions.get(teaser.kind, 0)
            positions[teaser.kind] = position + 1
            teasers.append(
                TeaserLink(
                    kind=teaser.kind,
                    position=position,
                    target_url=teaser.url,
                    title=teaser.title,
                    summary=teaser.summary,
                    image_alt=teaser.image_alt,
                )
            )
        return cls(
            canonical_url=canonical_url,
            fetched_url=fetched_url,
            aliases=aliases,
            post_id=article.post_id,
            title=article.title,
            lede=article.lede,
            body=article.body,
            blocks=[b.to_dict() for b in article.blocks],
            dateline=article.dateline,
            author=article.author,
            categories=list(article.categories),
            published=article.published,
            modified=article.modified,
            paywalled=article.paywalled,
            extractor=article.extractor,
            empty_reason=article.empty_reason,
            teasers=teasers,
            raw_html=raw_html,
            etag=etag,
            last_modified=last_modified,
        )


@dataclass(frozen=True, kw_only=True)
class AliasItem:
    """Another address of an article stored earlier in the run."""

    alias_url: str
    canonical_url: str


def describe(item: Any) -> str:
    """A short label for logs and drop messages."""
    return getattr(item, "canonical_url", None) or type(item).__name__


@dataclass(frozen=True, kw_only=True)
class NotModifiedItem:
    """An archived article the site answered 304 Not Modified for: only its last-seen time
    (and validators, if the answer carried new ones) change."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, kw_only=True)
class GoneItem:
    """An archived article the site now answers 404 or 410 for: marked gone, never deleted."""

    url: str
    status: int
