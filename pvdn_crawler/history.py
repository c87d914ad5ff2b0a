"""`pvdn-archive history`: an article's revisions, and what changed between them.

A revision's story is shown as text a person reads and a diff can follow: its metadata one
per line (title, dates, author, categories, paywall), then the body one paragraph per line
with a blank line between paragraphs. An edit in a paragraph therefore shows as that
paragraph removed and added again, and a paragraph inserted or dropped as itself.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterator, Sequence

from storage.records import StoredRevision, Story

__all__ = ["revision_line", "story_diff", "story_lines"]


def story_lines(story: Story) -> list[str]:
    """The story as lines of text (see the module's docstring)."""
    lines = [f"title: {story.title or ''}"]
    for name in ("dateline", "author", "published", "modified"):
        value = getattr(story, name)
        if value:
            lines.append(f"{name}: {value.isoformat() if hasattr(value, 'isoformat') else value}")
    if story.categories:
        lines.append("categories: " + ", ".join(story.categories))
    if story.paywalled:
        lines.append("paywalled: the page showed part of the story")
    if story.empty_reason:
        lines.append(f"no story: {story.empty_reason}")
    for paragraph in story.body.split("\n\n") if story.body else []:
        lines += ["", " ".join(paragraph.split())]
    return lines


def revision_line(revision: StoredRevision) -> str:
    """One revision in one line: number, capture time, short hash, title."""
    captured = revision.captured_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    title = revision.story.title or "(no title)"
    return f"revision {revision.number}  {captured}  {revision.content_hash[:12]}  {title}"


def story_diff(url: str, revisions: Sequence[StoredRevision]) -> Iterator[str]:
    """A unified diff of the story text between each revision and the next, oldest first."""
    for old, new in itertools.pairwise(revisions):
        yield from difflib.unified_diff(
            story_lines(old.story),
            story_lines(new.story),
            fromfile=f"{url} revision {old.number} ({old.captured_at.isoformat()})",
            tofile=f"{url} revision {new.number} ({new.captured_at.isoformat()})",
            lineterm="",
        )
