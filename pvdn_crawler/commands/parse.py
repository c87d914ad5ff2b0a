"""`scrapy parse`, which never writes into the archive (see `pvdn_crawler.commands.readonly`)."""

from __future__ import annotations

from typing import Any, ClassVar

from scrapy.commands.parse import Command as ScrapyCommand

from pvdn_crawler.commands.readonly import READ_ONLY


class Command(ScrapyCommand):
    default_settings: ClassVar[dict[str, Any]] = {**ScrapyCommand.default_settings, **READ_ONLY}
