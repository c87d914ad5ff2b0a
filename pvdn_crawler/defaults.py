"""Every `PVDN_` setting and its default, defined here once.

The project's add-on (`PvdnDefaults`, in settings.py's `ADDONS`) applies them for every
command, `scrapy fetch URL` and `shell` included, which run Scrapy's own DefaultSpider; the
spider applies them too (`PvdnSpider.update_settings`), for a crawl started with other project
settings. Both use Scrapy's lowest priority, so a command's own settings, `settings.py`,
`-s NAME=VALUE` or a Scrapyd job's settings override any of them, and components read them
with plain `settings.getint(name)` and no second default.
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import BaseSettings

PVDN_SETTINGS: dict[str, Any] = {
    # Contact address put into the User-Agent ("pvdn-archive/<version> (+<url>)") so the site
    # owner can reach whoever runs the crawl: set it to your own page or mailbox.
    "PVDN_CONTACT_URL": "https://github.com/pvdn-archive/pvdn-archive",
    # The archive: an SQLAlchemy URL; None means the PVDN_DATABASE_URL environment variable,
    # else sqlite:///pvdn.sqlite3.
    "PVDN_DATABASE_URL": None,
    # Every capture (request and response, headers and all) kept as WARC files, in this
    # folder; None: beside an SQLite archive (pvdn.sqlite3 -> pvdn-warc/), required for a
    # PostgreSQL one. Files are rotated past PVDN_WARC_MAX_FILE_BYTES.
    "PVDN_WARC_ENABLED": True,
    "PVDN_WARC_DIR": None,
    "PVDN_WARC_MAX_FILE_BYTES": 1_000_000_000,
    # Whether this process may write to the archive (a run in `crawl_runs`, the pages it
    # stores). `scrapy parse`, `check`, `fetch`, `shell` and `view` set it false: they read
    # what the archive knows and record nothing.
    "PVDN_ARCHIVE_WRITE": True,
    # Changes per database transaction, and the longest a change waits for its batch (s).
    "PVDN_COMMIT_EVERY": 50,
    "PVDN_COMMIT_LATENCY": 2.0,
    # Use what the archive knows (conditional requests, skipping pages not due, listing
    # stops); `-a full=1` ignores it for one run.
    "PVDN_INCREMENTAL": True,
    # Revisits: articles published within this many days are checked every run; beyond that,
    # each run re-checks this share of the archive (at least one page), stalest first.
    "PVDN_RECENT_DAYS": 2.0,
    "PVDN_RECHECK_SHARE": 0.01,
    # Bounds on discovery, each counted when it bites: listing pages walked per archive,
    # sitemap-index depth, article addresses never seen before requested per run.
    "PVDN_MAX_LISTING_PAGES": 500,
    "PVDN_MAX_SITEMAP_DEPTH": 3,
    "PVDN_MAX_NEW_PER_RUN": 5000,
    # Pages are cleaned in this many worker processes (0: in the crawl's own thread, with no
    # time limit); one slower than PVDN_CLEAN_TIMEOUT seconds is recorded as a failure.
    "PVDN_CLEAN_WORKERS": 1,
    "PVDN_CLEAN_TIMEOUT": 30.0,
    # The run's verdict: layout drift when more than this share of article pages fell back to
    # the generic extractor, or lack a title, a body or a published date; too many errors
    # when more requests than this failed.
    "PVDN_MAX_GENERIC_SHARE": 0.3,
    "PVDN_MAX_MISSING_SHARE": 0.1,
    "PVDN_MAX_ERRORS": 25,
    # Retry-After answers are waited out, at most this many seconds.
    "PVDN_MAX_RETRY_AFTER": 120,
    # robots.txt that gives no answer within this many seconds (all attempts together), or
    # keeps answering 5xx, means disallow-all (RFC 9309 2.3.1.4).
    "PVDN_ROBOTS_TIMEOUT": 10,
}


class PvdnDefaults:
    """A Scrapy add-on: the `PVDN_` defaults whatever the spider, at Scrapy's lowest
    priority (not the add-on one), so that what a command sets (`scrapy parse` turning
    `PVDN_ARCHIVE_WRITE` off) still wins."""

    def update_settings(self, settings: BaseSettings) -> None:
        for name, value in PVDN_SETTINGS.items():
            settings.set(name, value, priority="default")
