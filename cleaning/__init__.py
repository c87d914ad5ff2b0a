"""Separate a Puerto Vallarta Daily News story from the site's boilerplate.

    >>> from cleaning import clean_html, clean_text
    >>> article = clean_html(page_bytes, url="https://www.vallartadaily.com/some-story/")
    >>> article.title, article.body, article.teasers, article.extractor

No Scrapy, no I/O: pure functions over strings and lxml trees.
"""

from __future__ import annotations

import logging

from cleaning.api import clean_html, clean_text
from cleaning.options import Options
from cleaning.result import Block, CleanArticle, Removed, Teaser

__all__ = ["Block", "CleanArticle", "Options", "Removed", "Teaser", "clean_html", "clean_text"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
