"""Persistence of the PVDN archive (SQLAlchemy models, engine, repository, migrations)."""
