"""Logs fit for cron: an item is never written into the log at INFO or above.

Scrapy's default formatter logs a dropped item whole, at WARNING, raw HTML included (1.3 MB
of a 1.34 MB run log, in one run against a stock WordPress), and a scraped item whole at
DEBUG. Here a dropped item is one line naming its address and the reason, and a scraped one
is one DEBUG line naming its type and address.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure

__all__ = ["QuietLogFormatter", "describe"]


def describe(item: Any) -> str:
    """An item in a few words: its type and the address it is about."""
    for name in ("canonical_url", "alias_url", "url"):
        value = item.get(name) if isinstance(item, dict) else getattr(item, name, None)
        if value:
            return f"{type(item).__name__} {value}"
    return type(item).__name__


class QuietLogFormatter(LogFormatter):
    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        return {
            "level": result["level"],
            "msg": "dropped %(item)s: %(reason)s",
            "args": {"item": describe(item), "reason": str(exception)[:300]},
        }

    def scraped(
        self, item: Any, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        return {
            "level": logging.DEBUG,
            "msg": "stored %(item)s",
            "args": {"item": describe(item)},
        }

    def item_error(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        return {
            "level": logging.ERROR,
            "msg": "error storing %(item)s: %(error)s",
            "args": {"item": describe(item), "error": str(exception)[:300]},
        }
