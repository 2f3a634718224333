"""The start-up fast path of db.migrate: a database already at the head revision opens
without importing Alembic, and the constant it compares with cannot drift from the scripts."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from sqlalchemy import text

from db.audit_protection import remove_audit_protection
from db.migrate import HEAD_REVISION, current_revision, open_database, script_directory
from db.url import sqlite_file

REPO = Path(__file__).resolve().parents[2]

OPEN_AND_REPORT = """
import sys
from db.migrate import open_database
database = open_database(sys.argv[1])
with database.read() as s:
    s.execute(__import__("sqlalchemy").text("SELECT count(*) FROM patient")).scalar()
database.dispose()
print(database.migration.from_revision, database.migration.to_revision,
      "alembic" in sys.modules)
"""


def test_head_constant_is_alembics_only_head() -> None:
    # A new migration script without updating HEAD_REVISION fails here, not in a ward:
    # otherwise a database at the old head would be taken as current and never migrated.
    assert script_directory().get_heads() == [HEAD_REVISION]


def _open_in_fresh_process(url: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", OPEN_AND_REPORT, url], capture_output=True, text=True,
        timeout=120, cwd=REPO, check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_a_database_at_head_opens_without_alembic(sqlite_db_url: str) -> None:
    assert current_revision(sqlite_db_url) == HEAD_REVISION
    assert _open_in_fresh_process(sqlite_db_url) == [HEAD_REVISION, HEAD_REVISION, "False"]


def test_a_new_database_still_goes_through_alembic(empty_sqlite_url: str) -> None:
    assert _open_in_fresh_process(empty_sqlite_url) == ["None", HEAD_REVISION, "True"]
    assert current_revision(empty_sqlite_url) == HEAD_REVISION


def _audit_triggers(url: str) -> list[str]:
    path = sqlite_file(url)
    assert path is not None
    with closing(sqlite3.connect(path)) as conn:
        return sorted(r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'"))


def test_an_older_database_is_still_migrated(sqlite_db_url: str) -> None:
    # A file left at revision 0001 by the previous release: the fast path must not take it
    # for current; Alembic backs it up and applies 0002 (the audit triggers come back).
    installed = _audit_triggers(sqlite_db_url)
    assert installed
    database = open_database(sqlite_db_url)
    try:
        with database.engine.begin() as conn:
            remove_audit_protection(conn)
            conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    finally:
        database.dispose()
    assert _audit_triggers(sqlite_db_url) == []
    assert _open_in_fresh_process(sqlite_db_url) == ["0001", HEAD_REVISION, "True"]
    assert _audit_triggers(sqlite_db_url) == installed
    assert current_revision(sqlite_db_url) == HEAD_REVISION


def test_a_postgresql_database_at_head_opens_without_alembic(pg_url: str) -> None:
    assert _open_in_fresh_process(pg_url) == ["None", HEAD_REVISION, "True"]  # created
    assert _open_in_fresh_process(pg_url) == [HEAD_REVISION, HEAD_REVISION, "False"]
