"""Items: the storage records themselves, built from `cleaning`'s result, and the export row.

The spider yields `storage` records (`ArticleRecord`, `AliasRecord`, `NotModifiedRecord`,
`GoneRecord`, `PageRecord`): what the archive stores is what the crawl produced, with no
copy in between. `article_record` is the one conversion from `cleaning` to `storage` (the two
packages do not know each other); it also keeps out values no archive should hold (a year 1
date, a post id past 64 bits), counting them instead. What leaves the item pipeline for
Scrapy's feed exports is an `ArchivedArticle`: the stored story and how it was stored,
flat, without the raw HTML.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cleaning import CleanArticle
from pvdn_crawler.urls import request_url
from storage.records import (
    STORY_FIELDS,
    ArticleRecord,
    Story,
    Teaser,
    TeaserListRecord,
    sane_datetime,
    sane_post_id,
)
from storage.warc import Capture, WarcLocation

__all__ = ["ArchivedArticle", "FeedHints", "article_record", "teaser_list_record"]


@dataclass(frozen=True, slots=True)
class FeedHints:
    """What a feed item or sitemap entry said about an article, for the fields its page does
    not state (stock WordPress themes print no author or categories in machine-readable form;
    the feed's `pubDate`, `dc:creator` and `category`, and a sitemap's `<lastmod>`, do)."""

    published: datetime | None = None
    modified: datetime | None = None
    author: str | None = None
    categories: tuple[str, ...] = ()

    def merged(self, other: FeedHints | None) -> FeedHints:
        """These hints, with gaps filled from `other` (two feeds may list one article)."""
        if other is None:
            return self
        return FeedHints(
            self.published or other.published,
            self.modified or other.modified,
            self.author or other.author,
            self.categories or other.categories,
        )


def article_record(
    article: CleanArticle,
    *,
    canonical_url: str,
    fetched_url: str,
    aliases: Iterable[str] = (),
    capture: Capture | None = None,
    warc: WarcLocation | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    hints: FeedHints | None = None,
) -> tuple[ArticleRecord, list[str]]:
    """The record to store for a cleaned page, and the names of the values left out as
    impossible (dates outside the archive's range, a post id that is not one)."""
    dropped: list[str] = []
    values = {name: getattr(article, name) for name in STORY_FIELDS}
    values["blocks"] = tuple(block.to_dict() for block in article.blocks)
    values["categories"] = tuple(article.categories)
    for name in ("published", "modified"):
        if values[name] is not None and sane_datetime(values[name]) is None:
            dropped.append(name)
            values[name] = None
    if hints is not None:
        values["published"] = values["published"] or sane_datetime(hints.published)
        values["modified"] = values["modified"] or sane_datetime(hints.modified)
        values["author"] = values["author"] or hints.author
        values["categories"] = values["categories"] or hints.categories
    post_id = sane_post_id(article.post_id)
    if article.post_id is not None and post_id is None:
        dropped.append("post_id")
    record = ArticleRecord(
        canonical_url=canonical_url,
        story=Story(**values),
        fetched_url=fetched_url,
        post_id=post_id,
        aliases=tuple(aliases),
        teasers=_teasers(article),
        capture=capture,
        warc=warc,
        etag=etag,
        last_modified=last_modified,
    )
    return record, dropped


def teaser_list_record(article: CleanArticle, page_url: str) -> TeaserListRecord:
    """The teaser lists of a cleaned page that is not an article (a listing)."""
    return TeaserListRecord(page_url, _teasers(article))


def _teasers(article: CleanArticle) -> tuple[Teaser, ...]:
    """The page's teasers with an address, numbered from 0 within each list kind.

    Each target is kept as the one address of what it links to (`request_url`: `?amp=1`,
    tracking parameters and the fragment dropped, a post's trailing slash added), so the
    same story linked two ways is one target in the teaser history.
    """
    positions: dict[str, int] = {}
    teasers = []
    for teaser in article.teasers:
        if not teaser.url:
            continue
        position = positions.get(teaser.kind, 0)
        positions[teaser.kind] = position + 1
        teasers.append(
            Teaser(
                teaser.kind,
                position,
                request_url(teaser.url),
                teaser.title,
                teaser.summary,
                teaser.image_alt,
            )
        )
    return tuple(teasers)


class ArchivedArticle(dict[str, Any]):
    """An article as the run stored it, for feed exports (`scrapy crawl pvdn -O out.jsonl`):
    one flat row per article stored new or changed, raw HTML and blocks left out (they stay
    in the archive). Its keys: `outcome`, `canonical_url`, `fetched_url`, `post_id`, the
    story's fields (dates as ISO 8601 text with their offset), `aliases` and `teaser_urls`.
    Lists hold strings, so the row fits CSV as well as JSON."""

    @classmethod
    def of(cls, record: ArticleRecord, outcome: str) -> ArchivedArticle:
        row = cls(
            outcome=outcome,
            canonical_url=record.canonical_url,
            fetched_url=record.fetched_url,
            post_id=record.post_id,
        )
        for name in STORY_FIELDS:
            value = getattr(record.story, name)
            if name != "blocks":
                row[name] = _plain(value)
        row["aliases"] = list(record.aliases)
        row["teaser_urls"] = [teaser.target_url for teaser in record.teasers]
        return row


def _plain(value: Any) -> Any:
    """A value as JSON and CSV take it."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value
