"""The audit trail cannot be changed, even by the table's owner (SAFETY.md, Part 11:
"changes shall not obscure previously recorded information").

Two independent defences on PostgreSQL:
- grants (`postgres_role_sql`): the application role may only SELECT and INSERT audit rows,
  and may DELETE nothing; a separate migration role owns the schema;
- a trigger (`install_audit_protection`) that raises on UPDATE, DELETE or TRUNCATE of
  `audit_event`, which also stops the owner and anyone granted more than they should be.
On SQLite (single user, no roles) BEFORE UPDATE/DELETE triggers abort the statement.

Note for migrations: SQLite "batch" table rebuilds drop triggers; call
`install_audit_protection` again at the end of any revision that rebuilds `audit_event`.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

AUDIT_TABLE = "audit_event"
MESSAGE = "audit_event rows are append-only: they cannot be updated or deleted"

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION carward_audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""

_PG_STATEMENTS = [
    _PG_FUNCTION,
    f"DROP TRIGGER IF EXISTS audit_event_append_only ON {AUDIT_TABLE}",
    f"""CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON {AUDIT_TABLE}
        FOR EACH ROW EXECUTE FUNCTION carward_audit_event_append_only()""",
    f"DROP TRIGGER IF EXISTS audit_event_no_truncate ON {AUDIT_TABLE}",
    f"""CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON {AUDIT_TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION carward_audit_event_append_only()""",
]

_SQLITE_STATEMENTS = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON {AUDIT_TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON {AUDIT_TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]


def install_audit_protection(connection: Connection) -> None:
    """Create the append-only triggers for this dialect; safe to run again (idempotent)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        statements = _PG_STATEMENTS
    elif dialect == "sqlite":
        statements = _SQLITE_STATEMENTS
    else:
        raise ValueError(f"audit protection is not written for the {dialect} dialect")
    for statement in statements:
        connection.execute(text(statement))


def remove_audit_protection(connection: Connection) -> None:
    """For a downgrade only."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"DROP TRIGGER IF EXISTS audit_event_append_only ON {AUDIT_TABLE}"))
        connection.execute(text(f"DROP TRIGGER IF EXISTS audit_event_no_truncate ON {AUDIT_TABLE}"))
        connection.execute(text("DROP FUNCTION IF EXISTS carward_audit_event_append_only()"))
    else:
        connection.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
        connection.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))


_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ident(name: str) -> str:
    if not _ROLE_NAME.match(name):
        raise ValueError(
            f"role name {name!r}: use lower-case letters, digits and '_' (e.g. carward_app)"
        )
    return f'"{name}"'


def _if_table_exists(schema: str, table: str, statement: str) -> str:
    """Guarded, so the same list also runs before the first migration created the table."""
    return (
        f"DO $$ BEGIN IF to_regclass('{schema}.{table}') IS NOT NULL THEN "
        f"EXECUTE '{statement}'; END IF; END $$"
    )


def postgres_role_sql(app_role: str, migrator_role: str, schema: str = "public") -> list[str]:
    """GRANTs for a PostgreSQL deployment with two roles (both must already exist):

    - `migrator_role` owns the schema and runs the migrations (CREATE/ALTER tables);
    - `app_role` is what the ward workstations log in as: SELECT/INSERT/UPDATE on the
      record, only SELECT/INSERT on `audit_event`, read-only `alembic_version`, and no
      DELETE or TRUNCATE anywhere (nothing clinical is ever deleted).

    Run as a superuser (or the database owner) after the first migration, and again after
    any migration that adds tables. Default privileges cover tables the migrator creates
    later, except audit_event's restriction, which the trigger still enforces.
    """
    app, owner, sch = _ident(app_role), _ident(migrator_role), _ident(schema)
    return [
        f"ALTER SCHEMA {sch} OWNER TO {owner}",
        f"REVOKE ALL ON SCHEMA {sch} FROM PUBLIC",
        f"GRANT USAGE, CREATE ON SCHEMA {sch} TO {owner}",
        f"GRANT USAGE ON SCHEMA {sch} TO {app}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {sch} FROM {app}",
        f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA {sch} TO {app}",
        _if_table_exists(
            schema,
            AUDIT_TABLE,
            f"REVOKE UPDATE, DELETE, TRUNCATE ON {sch}.{AUDIT_TABLE} FROM {app}",
        ),
        # The app may not fake a schema version.
        _if_table_exists(
            schema,
            "alembic_version",
            f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {sch}.alembic_version FROM {app}",
        ),
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {sch} "
        f"GRANT SELECT, INSERT, UPDATE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {sch} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]
