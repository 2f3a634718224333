"""Alembic migrations of the ward record (configured in code by `db.migrate`, no alembic.ini)."""
