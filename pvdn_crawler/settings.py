"""Scrapy settings: polite defaults a site owner would accept.

The project's own settings carry the `PVDN_` prefix; their defaults live in
`pvdn_crawler/defaults.py` (set any of them here, or with `-s NAME=VALUE`).
"""

BOT_NAME = "pvdn_crawler"
SPIDER_MODULES = ["pvdn_crawler.spiders"]
NEWSPIDER_MODULE = "pvdn_crawler.spiders"

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

FEED_EXPORT_ENCODING = "utf-8"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# The archive (opened when the spider opens) and the run's judge; the pipeline stores through
# the archive. Feed exports (`-O articles.jsonl`) write the stored articles only, and a feed
# that cannot be written makes the run's verdict "export failed" (pvdn_crawler/feeds.py).
EXTENSIONS = {
    "scrapy.extensions.feedexport.FeedExporter": None,
    "pvdn_crawler.feeds.ArchiveFeedExporter": 0,
    "pvdn_crawler.extensions.RunHealth": 500,
    "pvdn_crawler.archive.CrawlArchive": 510,
}
ITEM_PIPELINES = {"pvdn_crawler.pipelines.ArchivePipeline": 500}
# Every PVDN_ setting's default (pvdn_crawler/defaults.py), for every command of the project.
ADDONS = {"pvdn_crawler.defaults.PvdnDefaults": 0}
# What one response's callback yields is processed by this many tasks, which Scrapy starts for
# every response (its default, 100, cost more than the spider's own work per page: an article
# page yields its record, a few aliases and its new links, and the records wait for their
# batch to be stored while the tasks stay alive). A page with more waiting items than this
# has the rest of its output handled as the first ones are stored.
CONCURRENT_ITEMS = 32
LOG_LEVEL = "INFO"
# One line per dropped item, never the item itself (raw HTML included) at INFO or above.
LOG_FORMATTER = "pvdn_crawler.logformat.QuietLogFormatter"

COMMANDS_MODULE = "pvdn_crawler.commands"

# Faults (pvdn_crawler/middlewares.py): wait out Retry-After before a retry, at most
# PVDN_MAX_RETRY_AFTER seconds; count requests given up on by cause (`failed_*` in the run's
# counts), redirect loops, and feeds or sitemaps that are not well-formed XML.
#
# Scheme, host and port (pvdn_crawler/origin.py): OriginGuardMiddleware refuses every request
# off the site's origin, redirects and meta refreshes included, first in the chain.
# robots.txt (pvdn_crawler/robots.py) replaces Scrapy's RobotsTxtMiddleware, which lets all
# but one of the requests that wait for robots.txt through and reads an unreachable
# robots.txt as allow-all: here every request waits for the same rules, and a robots.txt
# that does not answer within PVDN_ROBOTS_TIMEOUT seconds, or keeps answering 5xx, disallows
# everything (RFC 9309).
DOWNLOADER_MIDDLEWARES = {
    "pvdn_crawler.middlewares.OriginGuardMiddleware": 30,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "pvdn_crawler.robots.RobotsMiddleware": 100,
    "pvdn_crawler.middlewares.FailureStatsMiddleware": 540,
    "pvdn_crawler.middlewares.RetryAfterMiddleware": 560,
    "pvdn_crawler.middlewares.RedirectLoopMiddleware": 650,
}
SPIDER_MIDDLEWARES = {"pvdn_crawler.middlewares.MalformedXmlMiddleware": 60}
# An article page is ~100 KB; anything near these sizes is not one.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
