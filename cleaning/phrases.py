"""Phrases: the site's recurring lines as patterns that carry their own cheap pre-check.

Most blocks of a page are story, and running every boilerplate pattern over every block costs
more than the rest of the judging. So each phrase is written as alternatives that name the
literal text every match must hold, either at the block's start (`opens`) or anywhere in it
(`holds`), and the pattern is compiled from those same parts. A `PhraseGate` made from
phrases then answers "could any of them match?" with a prefix test and a few substring tests;
it is built from the phrases, never written beside them, so the two cannot drift apart.

Phrases are matched case-insensitively; their literal parts are written in lowercase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Alternative:
    """One way a phrase can read: a literal `cue` with patterns before and after it.

    `at_start` alternatives begin the block with the cue; the others hold it anywhere.
    A `number` alternative opens with digits instead of a literal cue ("14 Responses").
    """

    cue: str
    after: str = ""
    before: str = ""
    at_start: bool = True
    number: bool = False

    @property
    def regex(self) -> str:
        if self.number:
            return rf"^\d+{self.after}"
        head = "^" if self.at_start else self.before
        return f"{head}{re.escape(self.cue)}{self.after}"


def opens(cue: str, after: str = "") -> Alternative:
    """The block begins with `cue` (literal, lowercase), then matches `after`."""
    _check_cue(cue)
    return Alternative(cue, after)


def opens_with_number(after: str) -> Alternative:
    """The block begins with a number, then matches `after`."""
    return Alternative("", after, number=True)


def holds(cue: str, after: str = "", *, before: str = "") -> Alternative:
    """The block holds `cue` (literal, lowercase) anywhere, between `before` and `after`."""
    _check_cue(cue)
    return Alternative(cue, after, before, at_start=False)


def _check_cue(cue: str) -> None:
    if not cue or cue != cue.lower():
        raise ValueError(f"a phrase's cue is non-empty lowercase literal text: {cue!r}")


@dataclass(frozen=True, slots=True)
class Phrase:
    """A recurring line of the site: its compiled pattern and the cues it was built from."""

    pattern: re.Pattern[str]
    alternatives: tuple[Alternative, ...]

    def match(self, text: str) -> re.Match[str] | None:
        return self.pattern.match(text)

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text)

    @property
    def openings(self) -> tuple[str, ...]:
        return tuple(a.cue for a in self.alternatives if a.at_start and not a.number)

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(a.cue for a in self.alternatives if not a.at_start)

    @property
    def opens_with_number(self) -> bool:
        return any(a.number for a in self.alternatives)


def phrase(*alternatives: Alternative) -> Phrase:
    """A phrase matching any of `alternatives` (case-insensitively)."""
    if not alternatives:
        raise ValueError("a phrase needs at least one alternative")
    pattern = re.compile("|".join(f"(?:{a.regex})" for a in alternatives), re.IGNORECASE)
    return Phrase(pattern, alternatives)


class PhraseGate:
    """Whether a block could match any of some phrases: false means none of them can.

    Asked with the block's lowercased text. Built from the phrases' own cues.
    """

    __slots__ = ("number", "openings", "words")

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        phrases = tuple(phrases)
        self.openings = tuple(dict.fromkeys(o for p in phrases for o in p.openings))
        self.words = tuple(dict.fromkeys(w for p in phrases for w in p.words))
        self.number = any(p.opens_with_number for p in phrases)

    def admits(self, lowered: str) -> bool:
        if lowered.startswith(self.openings) or (self.number and lowered[:1].isdigit()):
            return True
        return any(word in lowered for word in self.words)
