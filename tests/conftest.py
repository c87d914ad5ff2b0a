"""Fixtures shared by several test modules."""

from __future__ import annotations

import pytest

from tests.wordpress_site import WordPressSite, site_from_environment


@pytest.fixture(scope="session")
def wordpress_site() -> WordPressSite:
    """The stock WordPress `.ci/run` starts (PVDN_TEST_WORDPRESS_URL); the test skips, saying
    why, when there is none. Tests fill it themselves (`wordpress_site.fill()`): each fill
    starts from an empty site."""
    site, reason = site_from_environment()
    if site is None:
        pytest.skip(reason)
    return site
