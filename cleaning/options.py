"""Options of the cleaning library, passed explicitly (no module-level state)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from cleaning import profile

# Larger inputs are refused with a reason: no real article page comes near this.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Options:
    """How to clean.

    `timezone` reads dates that carry no offset (a visible "May 16, 2023" line, naive meta
    values); `generic_fallback` lets pages the profile does not recognise go to trafilatura
    (off, they come back empty with a reason); `max_bytes` bounds the input; `site_hosts`
    names more hosts that serve PVDN pages (a local mirror of the site).
    """

    timezone: str = profile.SITE_TIMEZONE
    generic_fallback: bool = True
    max_bytes: int = DEFAULT_MAX_BYTES
    site_hosts: frozenset[str] = frozenset()

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


DEFAULT_OPTIONS = Options()
