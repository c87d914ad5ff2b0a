"""`scrapy crawl`, exiting with the run's verdict (see `pvdn_crawler.extensions`).

Scrapy's own command exits 0 whenever the process started; a scheduled run needs to fail
loudly when the site was unreachable, the layout drifted, errors piled up or another crawl
held the archive.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("run one spider: scrapy crawl <spider>")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        status = crawler.stats.get_value("pvdn/exit_status") if crawler.stats else None
        self.exitcode = int(status) if status is not None else 0
