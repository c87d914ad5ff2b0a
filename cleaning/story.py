"""From candidate blocks to the story: the steps both input forms share.

The HTML walker and the text-dump reader each produce candidate blocks in page order; this
module applies the phrase verdicts, stops at the first block that ends the story, repairs
glued labels, and removes text printed twice. Keeping it in one place means a page and its
text dump are cleaned by the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from cleaning.boilerplate import judge, strip_citation_tokens, strip_read_full_story
from cleaning.ledes import repeated_paragraphs, repeated_tail
from cleaning.result import Block, BlockKind, Removed
from cleaning.textnorm import fold

# The spaced " . . ." marks a WordPress excerpt cut (teaser, duplicated excerpt); it is not
# how story paragraphs end.
_EXCERPT_CUT = " . . ."
_MIN_PARAGRAPHS_FOR_EXCERPT = 3


class Candidate(NamedTuple):
    """A block that may be story. Its text is folded (`textnorm.fold`) by whoever makes it.
    A named tuple: pages make dozens, and a frozen dataclass costs several times more to build.
    """

    kind: BlockKind
    text: str
    wrapper: str | None = None


@dataclass(slots=True)
class Story:
    blocks: list[Block] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    paywalled: bool = False
    ended_by: str | None = None
    end_index: int | None = None


def assemble(
    candidates: Sequence[Candidate], *, after_body_block: bool = False, site_phrases: bool = True
) -> Story:
    """Apply the boilerplate rules to candidates in page order.

    With `site_phrases` off (pages of other sites) only the generic repeat detection runs.

    `after_body_block` says the page carries the mid-2025 after-body block (Follow-Us line or
    trending list) even if it lies outside the candidates, which is when a last paragraph cut
    with " . . ." is the duplicated excerpt rather than a teaser.
    """
    story = Story()
    for index, cand in enumerate(candidates):
        if cand.wrapper is not None:
            story.removed.append(Removed(cand.text, cand.wrapper))
            continue
        if not site_phrases:
            story.blocks.append(Block(cand.kind, cand.text))
            continue
        verdict = judge(cand.text)
        if verdict is not None:
            story.removed.append(Removed(cand.text, verdict.reason))
            story.paywalled |= verdict.wall
            if verdict.ends_story:
                story.ended_by, story.end_index = verdict.reason, index
                story.removed.extend(
                    Removed(c.text, f"after {verdict.reason}") for c in candidates[index + 1 :]
                )
                break
            continue
        text, had_label = strip_read_full_story(cand.text)
        if had_label:
            story.paywalled = True
            story.removed.append(Removed("Read Full Story", "read-full-story link"))
        cleaned = strip_citation_tokens(text)
        if cleaned is not text:
            cleaned = fold(cleaned)
            story.removed.append(Removed(text, "citation token"))
        if cleaned:
            story.blocks.append(Block(cand.kind, cleaned))

    _drop_repeats(
        story, after_body_block or story.ended_by in {"follow-us line", "trending teasers"}
    )
    return story


def _drop_repeats(story: Story, after_body_block: bool) -> None:
    kinds = [b.kind for b in story.blocks]
    texts = [b.text for b in story.blocks]
    drop: dict[int, str] = dict.fromkeys(repeated_paragraphs(kinds, texts), "repeated paragraph")
    tail = repeated_tail(kinds, texts)
    if tail is not None:
        drop.update(dict.fromkeys(range(tail, len(kinds)), "repeated lede"))
    elif (
        after_body_block
        and not story.paywalled
        and kinds
        and kinds[-1] == "paragraph"
        and texts[-1].endswith(_EXCERPT_CUT)
        and kinds.count("paragraph") >= _MIN_PARAGRAPHS_FOR_EXCERPT
    ):
        drop[len(kinds) - 1] = "repeated excerpt"
    if not drop:
        return
    story.removed.extend(Removed(texts[i], reason) for i, reason in sorted(drop.items()))
    story.blocks = [b for i, b in enumerate(story.blocks) if i not in drop]
