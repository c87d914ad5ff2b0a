"""`scrapy crawl`, exiting with the run's verdict (see `pvdn_crawler.extensions`).

Scrapy's own command exits 0 whenever the process started; a scheduled run needs to fail
loudly when the site was unreachable, the disk was full, the layout drifted, errors piled up
or another crawl held the archive. Bad spider arguments are a one-line usage error.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from pvdn_crawler.extensions import RunHealth
from pvdn_crawler.spiders.pvdn import PvdnSpider, SpiderArguments


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("run one spider: scrapy crawl <spider>")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        if issubclass(crawler.spidercls, PvdnSpider):
            # Other arguments (Scrapyd's `_job`, say) are the spider's business, as in Scrapy.
            known = {k: v for k, v in opts.spargs.items() if k in SpiderArguments.NAMES}
            try:
                SpiderArguments.parse(**known)
            except (TypeError, ValueError) as exc:
                raise UsageError(str(exc), print_help=False) from None
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        health = crawler.get_extension(RunHealth) if crawler.engine is not None else None
        status = health.exit_status if health is not None else None
        self.exitcode = int(status) if status is not None else 1
