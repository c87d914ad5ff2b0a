"""`pvdn-archive export`: the archive as JSON Lines or CSV, articles or every revision.

JSON Lines holds each article as `show` prints it (the story nested, aliases and teasers as
lists); a revision is its article's canonical URL, its number, capture time, content hash and
story. CSV has one flat row per article or revision: the story's fields as columns (blocks
left out: the body is their text), lists as JSON arrays in one cell, times in ISO 8601. The
pages themselves are not part of these exports: `export --warc` copies their captures.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from typing import IO, Any

from storage.records import STORY_FIELDS, StoredArticle, StoredRevision, Story

__all__ = [
    "ARTICLE_COLUMNS",
    "REVISION_COLUMNS",
    "article_row",
    "json_default",
    "revision_object",
    "revision_row",
    "write_csv",
    "write_json",
    "write_json_lines",
]

_FLAT_STORY = tuple(name for name in STORY_FIELDS if name != "blocks")
ARTICLE_COLUMNS = (
    "canonical_url",
    "post_id",
    *_FLAT_STORY,
    "first_seen",
    "last_seen",
    "gone_at",
    "gone_status",
    "revision_count",
    "aliases",
    "teaser_urls",
)
REVISION_COLUMNS = ("canonical_url", "revision", "captured_at", "content_hash", *_FLAT_STORY)


def json_default(value: Any) -> Any:
    """JSON for the archive's values: times in ISO 8601, dataclasses as objects, no bytes."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, bytes):
        return None
    raise TypeError(f"cannot serialise {type(value).__name__}")


def write_json(value: Any, out: IO[str], *, indent: int | None = None) -> None:
    """One JSON value and a newline (the archive's values as `json_default` writes them)."""
    out.write(json.dumps(value, default=json_default, ensure_ascii=False, indent=indent))
    out.write("\n")


def write_json_lines(values: Iterable[Any], out: IO[str]) -> None:
    """One JSON object per line."""
    for value in values:
        write_json(value, out)


def write_csv(rows: Iterable[dict[str, Any]], columns: tuple[str, ...], out: IO[str]) -> None:
    """A header, then one line per row."""
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="raise", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def article_row(article: StoredArticle) -> dict[str, Any]:
    """An article as one flat CSV row."""
    return {
        "canonical_url": article.canonical_url,
        "post_id": article.post_id,
        **_story_cells(article.story),
        "first_seen": _cell(article.first_seen),
        "last_seen": _cell(article.last_seen),
        "gone_at": _cell(article.gone_at),
        "gone_status": article.gone_status,
        "revision_count": article.revision_count,
        "aliases": _cell(list(article.aliases)),
        "teaser_urls": _cell([teaser.target_url for teaser in article.teasers]),
    }


def revision_row(canonical_url: str, revision: StoredRevision) -> dict[str, Any]:
    """A revision as one flat CSV row."""
    return {
        "canonical_url": canonical_url,
        "revision": revision.number,
        "captured_at": _cell(revision.captured_at),
        "content_hash": revision.content_hash,
        **_story_cells(revision.story),
    }


def revision_object(canonical_url: str, revision: StoredRevision) -> dict[str, Any]:
    """A revision as one JSON Lines object (the story nested, as `show` nests it)."""
    return {
        "canonical_url": canonical_url,
        "revision": revision.number,
        "captured_at": revision.captured_at,
        "content_hash": revision.content_hash,
        "story": revision.story,
    }


def _story_cells(story: Story) -> dict[str, Any]:
    return {name: _cell(getattr(story, name)) for name in _FLAT_STORY}


def _cell(value: Any) -> Any:
    """A value as one CSV cell: times as ISO 8601, lists as a JSON array, None empty."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return json.dumps(list(value), ensure_ascii=False)
    return value
