"""Alembic migrations of the archive schema; the only way the schema changes.

`storage.engine.upgrade_schema(engine)` applies them. To add one, change `storage/models.py`,
then write `versions/NNNN_what.py` by hand (or start from
`alembic.command.revision(storage.engine.alembic_config(), "what", autogenerate=True)`, which
reads `$PVDN_DATABASE_URL`) and keep it in step with the models: a test compares the migrated
schema with the models. Use `op.batch_alter_table` for any ALTER, so SQLite can follow.
"""
