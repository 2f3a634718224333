"""Alembic environment for the ward record.

Alembic is configured in code (`db.migrate.alembic_config`), never from an alembic.ini, so
this works from an installed package. The caller hands over an open SQLAlchemy connection
in `config.attributes["connection"]`; `db.migrate` opens it from a `db.engine.Database`
(so the SQLite pragmas apply) inside one transaction, and does the version checks and the
backup before calling Alembic. Without a connection (a developer running plain `alembic`
with a URL) an engine is made from `sqlalchemy.url`.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import JSON, create_engine, text
from sqlalchemy.types import TypeDecorator

from db.models import Base

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write a column type as the plain SQL type it stores (e.g. UtcDateTime -> DateTime).

    Migrations then never import project code that may change later; the Python-side
    behaviour (aware UTC in and out) lives in db.types and applies at run time.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    if type_ == "type" and type(obj) is JSON:
        return "sa.JSON()"  # none_as_null and the like act in Python only: not schema
    return False


def _configure_kwargs(dialect_name: str) -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        # SQLite cannot ALTER most things: "batch" mode recreates the table instead.
        "render_as_batch": dialect_name == "sqlite",
        "compare_type": True,
        "compare_server_default": True,
        "render_item": render_item,
    }


def _check_sqlite_foreign_keys(connection: Any) -> None:
    """Foreign keys are off while SQLite tables are rebuilt: prove nothing dangles after."""
    problems = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
    if problems:
        raise RuntimeError(f"migration left rows whose foreign keys point nowhere: {problems[:10]}")


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    dialect_name = (url or "sqlite").split(":", 1)[0].split("+", 1)[0]
    context.configure(url=url, literal_binds=True, **_configure_kwargs(dialect_name))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url given to the migrations")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            _run_on(conn)
            conn.commit()
    finally:
        engine.dispose()


def _run_on(connection: Any) -> None:
    dialect_name = connection.dialect.name
    context.configure(connection=connection, **_configure_kwargs(dialect_name))
    with context.begin_transaction():
        context.run_migrations()
        if dialect_name == "sqlite":
            _check_sqlite_foreign_keys(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
