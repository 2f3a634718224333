"""Audit rows cannot be updated or deleted: SQLite triggers; on PostgreSQL grants for the
application role and a trigger that stops even the owner."""

from __future__ import annotations

import itertools
import os
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError

from app.actor import Actor, Role
from app.audit import record_audit
from db.audit_protection import install_audit_protection, postgres_role_sql
from db.engine import Database
from tests.fakes import DEFAULT_NOW

NURSE = Actor(user_id=None, username="nina", role=Role.NURSE, workstation="ws")


def write_event(database: Database) -> None:
    with database.transaction() as s:
        record_audit(s, NURSE, DEFAULT_NOW, "test.write", "patient", 1, after={"x": 1})


def test_sqlite_triggers_refuse_update_and_delete(sqlite_database: Database) -> None:
    with sqlite_database.engine.begin() as conn:
        install_audit_protection(conn)
        install_audit_protection(conn)  # idempotent
    write_event(sqlite_database)
    for statement in (
        "UPDATE audit_event SET username = 'someone else'",
        "DELETE FROM audit_event",
    ):
        with pytest.raises(IntegrityError, match="append-only"), sqlite_database.transaction() as s:
            s.execute(text(statement))
    with sqlite_database.read() as s:
        assert s.execute(text("SELECT username FROM audit_event")).scalar_one() == "nina"
    write_event(sqlite_database)  # inserting still works


def test_role_sql_refuses_odd_names() -> None:
    with pytest.raises(ValueError, match="role name"):
        postgres_role_sql('app"; DROP TABLE x; --', "migrator")
    statements = postgres_role_sql("carward_app", "carward_migrator")
    grants = [st for st in statements if "GRANT" in st and "REVOKE" not in st]
    assert grants and not any("DELETE" in st or "TRUNCATE" in st for st in grants)
    assert any("REVOKE UPDATE, DELETE, TRUNCATE" in st and "audit_event" in st for st in statements)


_names = itertools.count()


@pytest.mark.postgres
def test_postgres_app_role_cannot_change_audit_rows(postgres_server: Any, pg_url: str) -> None:
    from db.migrate import open_database

    suffix = f"{os.getpid()}_{next(_names)}"
    app_role, owner_role = f"carward_app_{suffix}", f"carward_mig_{suffix}"
    dbname = pg_url.rsplit("/", 1)[1]
    with postgres_server.admin() as conn:
        conn.execute(f'CREATE ROLE "{app_role}" LOGIN')
        conn.execute(f'CREATE ROLE "{owner_role}" LOGIN')

    def run_role_sql() -> None:
        with postgres_server.admin(dbname) as conn:
            for statement in postgres_role_sql(app_role, owner_role):
                conn.execute(statement)

    def url_for(role: str) -> str:
        return f"postgresql+psycopg://{role}@127.0.0.1:{postgres_server.port}/{dbname}"

    run_role_sql()  # the migrator owns the schema
    migrator_db = open_database(url_for(owner_role))  # tables owned by the migrator
    run_role_sql()  # grants on the tables that now exist
    with migrator_db.engine.begin() as conn:
        install_audit_protection(conn)
        install_audit_protection(conn)  # idempotent
    app_db = Database(url_for(app_role))
    try:
        write_event(app_db)  # the application may insert
        with app_db.read() as s:
            assert s.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == 1
        for statement in (
            "UPDATE audit_event SET username = 'someone else'",
            "DELETE FROM audit_event",
            "TRUNCATE audit_event",
            "DELETE FROM patient",
            "INSERT INTO alembic_version VALUES ('fake')",
        ):
            with (
                pytest.raises(ProgrammingError, match="permission denied"),
                app_db.transaction() as s,
            ):
                s.execute(text(statement))
        # The trigger stops even the owner of the table (and a superuser).
        for db in (migrator_db, Database(pg_url)):
            for statement in ("UPDATE audit_event SET username = 'x'", "DELETE FROM audit_event"):
                with pytest.raises(DBAPIError, match="append-only"), db.transaction() as s:
                    s.execute(text(statement))
            db.dispose()
        with app_db.read() as s:
            assert s.execute(text("SELECT username FROM audit_event")).scalar_one() == "nina"
    finally:
        app_db.dispose()
        migrator_db.dispose()
