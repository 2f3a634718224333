"""Alembic revision scripts (Alembic skips this file). Regenerate: python -m db.regenerate_initial."""
