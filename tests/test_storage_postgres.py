"""The backend-neutral storage tests again, on PostgreSQL, when a server is given.

Set PVDN_TEST_POSTGRES_URL (e.g. postgresql+psycopg://pvdn:pvdn@127.0.0.1/pvdn_test) to run
them. Each test gets a schema of its own, created and dropped around it, so the database's
other contents are never touched; the session time zone is set far from UTC so the tests also
show that datetimes come back as UTC whatever the server says.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.engine import make_engine, session_factory, upgrade_schema
from tests import test_storage as suite

POSTGRES_URL = os.environ.get("PVDN_TEST_POSTGRES_URL", "")

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL,
    reason="PostgreSQL storage tests need PVDN_TEST_POSTGRES_URL "
    "(e.g. postgresql+psycopg://user:password@127.0.0.1/dbname)",
)


@pytest.fixture
def blank_engine() -> Iterator[Engine]:
    """A fresh, empty schema of the given database, not migrated, dropped afterwards."""
    schema = f"pvdn_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = make_url(POSTGRES_URL).update_query_dict(
            {"options": f"-csearch_path={schema} -cTimeZone=America/Mexico_City"}
        )
        engine = make_engine(url.render_as_string(hide_password=False))
        try:
            yield engine
        finally:
            engine.dispose()
            with admin.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        admin.dispose()


@pytest.fixture
def engine(blank_engine: Engine) -> Engine:
    """A migrated archive in a fresh schema of the given database, dropped afterwards."""
    upgrade_schema(blank_engine)
    return blank_engine


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the test schema."""
    return session_factory(engine)


# The same tests as on SQLite; they take `engine` / `factory` / `blank_engine` from this module.
test_migrations_create_the_schema_at_head = suite.test_migrations_create_the_schema_at_head
test_second_upgrade_is_a_no_op = suite.test_second_upgrade_is_a_no_op
test_migrated_schema_matches_the_models = suite.test_migrated_schema_matches_the_models
test_deleting_an_article_cascades = suite.test_deleting_an_article_cascades
test_migration_0002_upgrades_an_archive_of_0001 = (
    suite.test_migration_0002_upgrades_an_archive_of_0001
)
test_naive_datetimes_are_refused = suite.test_naive_datetimes_are_refused
test_save_reports_new_unchanged_changed = suite.test_save_reports_new_unchanged_changed
test_reads_in_one_session_see_the_latest_save = suite.test_reads_in_one_session_see_the_latest_save
test_raw_html_is_stored_compressed = suite.test_raw_html_is_stored_compressed
test_aliases_are_deduplicated_and_repointed = suite.test_aliases_are_deduplicated_and_repointed
test_add_alias_points_a_later_url_at_a_stored_article = (
    suite.test_add_alias_points_a_later_url_at_a_stored_article
)
test_teasers_seen_again_update_one_row = suite.test_teasers_seen_again_update_one_row
test_same_teaser_on_two_pages_is_two_rows = suite.test_same_teaser_on_two_pages_is_two_rows
test_find_article_by_canonical_url_or_alias = suite.test_find_article_by_canonical_url_or_alias
test_iter_articles_streams_in_id_order = suite.test_iter_articles_streams_in_id_order
test_stats_counts_what_is_stored = suite.test_stats_counts_what_is_stored
test_crawl_runs_start_and_finish = suite.test_crawl_runs_start_and_finish
test_finishing_an_unknown_run_is_an_error = suite.test_finishing_an_unknown_run_is_an_error
test_repository_never_commits = suite.test_repository_never_commits
test_failure_inside_a_transaction_leaves_nothing_behind = (
    suite.test_failure_inside_a_transaction_leaves_nothing_behind
)
test_revisions_are_numbered_per_change = suite.test_revisions_are_numbered_per_change
test_validators_are_stored_on_every_outcome = suite.test_validators_are_stored_on_every_outcome
test_known_pages_cover_canonical_urls_and_aliases = (
    suite.test_known_pages_cover_canonical_urls_and_aliases
)
test_touch_records_a_not_modified_answer = suite.test_touch_records_a_not_modified_answer
test_mark_gone_keeps_the_first_time_and_a_save_clears_it = (
    suite.test_mark_gone_keeps_the_first_time_and_a_save_clears_it
)
test_naive_times_are_refused_by_touch_and_mark_gone = (
    suite.test_naive_times_are_refused_by_touch_and_mark_gone
)
# The advisory lock is per database, so these would collide with a crawl writing to the same
# database at the time; the test database is meant for tests only.
test_writer_lock_excludes_other_processes_until_sigkill = (
    suite.test_writer_lock_excludes_other_processes_until_sigkill
)
test_writer_lock_is_released_when_the_block_ends = (
    suite.test_writer_lock_is_released_when_the_block_ends
)
