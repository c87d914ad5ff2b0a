"""The settings of the Scrapy commands that only look at the site: they must not write.

`scrapy parse`, `check`, `fetch`, `shell` and `view` open the spider, and with it the crawl's
archive component; left to Scrapy's defaults they would record a run in `crawl_runs` (a
"run" of one page) and store what a callback yields. Each is overridden in this package only
to add `READ_ONLY` to its settings: the archive is read for what it knows, never written.
"""

from __future__ import annotations

from typing import Any

READ_ONLY: dict[str, Any] = {"PVDN_ARCHIVE_WRITE": False}
