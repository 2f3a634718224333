"""Open the ward record, creating or migrating its schema first (SAFETY.md, ARCHITECTURE.md).

`open_database(url)`:
- a new or empty database is created and brought to the newest schema (head);
- a database written by a newer version of the program (its Alembic revision is unknown
  to this code) is refused with `DatabaseTooNew`, and nothing is changed: on SQLite the
  revision is read through a read-only connection before anything else touches the file;
- an older SQLite database is first copied with SQLite's online backup API to
  `<file>.backup-<UTC time>-<from revision>.sqlite3` beside it (checked with
  `PRAGMA quick_check`), then migrated in one transaction; if anything fails the
  transaction rolls back and the backup stays;
- PostgreSQL is migrated the same way in one transaction (its DDL is transactional) under
  an advisory lock so two workstations starting together do not both migrate; back it
  up with `pg_dump` before installing a new version (docs/readme/database.md).

Alembic is configured in code: the scripts are found beside this module, so this works
from an installed package with no alembic.ini.

Start-up fast path: a database already at `HEAD_REVISION` needs nothing, so its recorded
revision is read with one SQL query and Alembic (about a tenth of a second of imports and
script parsing) is not even imported. Anything else (new, older, newer, foreign) takes the
full Alembic path below. tests/perf_paths checks that `HEAD_REVISION` is Alembic's head.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

import db
from db.engine import Database
from db.url import describe, sqlite_file

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(db.__file__).parent / "migrations"
# The newest revision of the scripts shipped in MIGRATIONS_DIR. Update it with every new
# migration script; tests/perf_paths/test_alembic_head.py fails until it equals Alembic's
# head, so a stale value cannot ship.
HEAD_REVISION = "0002"
_SHIPPED_MIGRATIONS_DIR = MIGRATIONS_DIR
VERSION_TABLE = "alembic_version"
# Any constant: taken by `pg_advisory_xact_lock` while a PostgreSQL database is migrated.
_PG_MIGRATION_LOCK_KEY = 0x63617277  # "carw"


class DatabaseError(Exception):
    """A database this version cannot open; str() is a message for the user."""


class DatabaseTooNew(DatabaseError):
    def __init__(self, revision: str, url: str) -> None:
        self.revision = revision
        super().__init__(
            f"This database was written by a newer version of the ward monitor "
            f"(revision {revision}); install the newer version; nothing was changed. "
            f"Database: {describe(url)}"
        )


class DatabaseNotRecognised(DatabaseError):
    def __init__(self, url: str, tables: list[str]) -> None:
        super().__init__(
            f"{describe(url)} holds tables ({', '.join(sorted(tables)[:8])}) but no ward "
            "monitor schema version; it is not a ward monitor database or was made by hand. "
            "Nothing was changed."
        )


class DatabaseUnavailable(DatabaseError):
    def __init__(self, url: str, reason: object) -> None:
        super().__init__(
            f"Cannot open the database {describe(url)}: {reason}".strip()
            + " Check the --database / CARWARD_DATABASE_URL setting, that the server is"
            " running and reachable, and the user name and password."
        )


@dataclass(frozen=True)
class MigrationOutcome:
    from_revision: str | None  # None: the database was new (empty)
    to_revision: str
    backup: Path | None  # the SQLite backup made before migrating, if any

    @property
    def migrated(self) -> bool:
        return self.from_revision != self.to_revision


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic Config built in code; `connection` is used by env.py when given."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest schema revision this code knows."""
    head = script_directory().get_current_head()
    if head is None:
        raise RuntimeError(f"no migration scripts found in {MIGRATIONS_DIR}")
    return head


def _known(script: ScriptDirectory, revision: str) -> bool:
    from alembic.util import CommandError

    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def _unknown_revisions(revisions: tuple[str, ...] | list[str]) -> list[str]:
    script = script_directory()
    return [rev for rev in revisions if not _known(script, rev)]


def current_revision(url: str) -> str | None:
    """The schema revision recorded in the database; None for a new or empty one."""
    path = sqlite_file(url)
    if path is not None:
        revisions, _tables = _sqlite_peek(path)
        return revisions[0] if revisions else None
    from alembic.runtime.migration import MigrationContext

    database = Database(url)
    try:
        with database.engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
            conn.rollback()
        return heads[0] if heads else None
    finally:
        database.dispose()


# --- SQLite: look before touching, and back up ---------------------------------------------


@contextmanager
def _sqlite_reader(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that only reads an existing file.

    Opened read-write on purpose (`mode=rw` never creates the file): a `mode=ro` reader of a
    WAL database leaves -wal/-shm files behind, whereas the last read-write connection
    removes them on close. It never writes, and `query_only` makes sure of that.
    """
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
    with closing(conn):
        conn.execute("PRAGMA query_only = ON")
        yield conn


def _sqlite_peek(path: Path) -> tuple[list[str], list[str]]:
    """(recorded revisions, table names) read without changing a byte of the file."""
    if not path.exists() or path.stat().st_size == 0:
        return [], []
    try:
        with _sqlite_reader(path) as conn:
            tables = [
                row[0]
                for row in conn.execute(
                    "SELECT name FROM sqlite_master "
                    "WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            revisions: list[str] = []
            if VERSION_TABLE in tables:
                query = f"SELECT version_num FROM {VERSION_TABLE}"
                revisions = [row[0] for row in conn.execute(query)]
    except sqlite3.DatabaseError as error:
        raise DatabaseError(
            f"{path} cannot be opened as a SQLite database ({error}); nothing was changed."
        ) from error
    return revisions, tables


def backup_path_for(path: Path, from_revision: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.backup-{stamp}-{from_revision}.sqlite3")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.backup-{stamp}-{from_revision}-{n}.sqlite3")
    return candidate


def backup_sqlite(path: Path, target: Path) -> Path:
    """Copy a live SQLite database with the online backup API, verify it, then publish it.

    The copy is written under a temporary name, checked with `PRAGMA quick_check`, synced
    to disk and only then renamed, so a backup file that exists is a whole one.
    """
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with _sqlite_reader(path) as source, closing(sqlite3.connect(partial)) as dest:
            source.backup(dest)
            result = dest.execute("PRAGMA quick_check").fetchone()
            if result is None or result[0] != "ok":
                raise DatabaseError(f"the backup of {path} failed its check: {result}")
            # A backup is a single self-contained file: no WAL beside it.
            dest.execute("PRAGMA journal_mode = DELETE")
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


# --- Migrating ----------------------------------------------------------------------------


def _set_sqlite_foreign_keys(conn: Connection, on: bool) -> None:
    # Must run outside a transaction (SQLite ignores it inside one): use the raw driver.
    dbapi_conn: Any = conn.connection.dbapi_connection
    dbapi_conn.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def _user_tables(conn: Connection) -> list[str]:
    return [t for t in inspect(conn).get_table_names() if t != VERSION_TABLE]


def _recorded_revisions(database: Database) -> list[str] | None:
    """The revisions in the version table, by one query; None if it cannot be read (no
    table yet, or anything unusual): the full path then decides what to do."""
    try:
        with database.engine.connect() as conn:
            revisions = list(
                conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
            )
            conn.rollback()
    except SQLAlchemyError:
        return None
    return [str(r) for r in revisions]


def _at_shipped_head(revisions: list[str] | None) -> bool:
    # Only for the scripts this constant describes (tests point MIGRATIONS_DIR elsewhere).
    return revisions == [HEAD_REVISION] and MIGRATIONS_DIR == _SHIPPED_MIGRATIONS_DIR


def migrate_database(database: Database) -> MigrationOutcome:
    """Bring `database` to head (see the module doc); returns what was done."""
    url = database.url
    path = sqlite_file(url) if database.is_sqlite else None
    peeked: tuple[list[str], list[str]] | None = None
    if path is not None:
        peeked = _sqlite_peek(path)  # read-only, before anything else touches the file
        recorded: list[str] | None = peeked[0]
    elif database.is_postgresql:
        recorded = _recorded_revisions(database)
    else:
        recorded = None  # in-memory SQLite: always new
    if _at_shipped_head(recorded):
        # The usual start: nothing to migrate, so Alembic is never imported.
        return MigrationOutcome(from_revision=HEAD_REVISION, to_revision=HEAD_REVISION, backup=None)
    return _migrate_with_alembic(database, peeked)


def _migrate_with_alembic(
    database: Database, peeked: tuple[list[str], list[str]] | None
) -> MigrationOutcome:
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    url = database.url
    head = head_revision()
    backup: Path | None = None

    path = sqlite_file(url) if database.is_sqlite else None
    if path is not None:
        revisions, tables = peeked if peeked is not None else _sqlite_peek(path)
        unknown = _unknown_revisions(revisions)
        if unknown:
            raise DatabaseTooNew(unknown[0], url)
        if not revisions and [t for t in tables if t != VERSION_TABLE]:
            raise DatabaseNotRecognised(url, tables)
        if revisions and revisions != [head]:
            backup = backup_sqlite(path, backup_path_for(path, revisions[0]))
            log.warning("Backed up %s to %s before migrating it", path, backup)

    try:
        connection = database.engine.connect()
    except OperationalError as error:
        raise DatabaseUnavailable(url, str(error.orig).strip()) from error
    with connection as conn:
        if database.is_sqlite:
            _set_sqlite_foreign_keys(conn, on=False)
        try:
            with conn.begin():
                if database.is_postgresql:
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK_KEY}
                    )
                # Checked again under the write lock: another process may have migrated.
                current = MigrationContext.configure(conn).get_current_heads()
                unknown = _unknown_revisions(current)
                if unknown:
                    raise DatabaseTooNew(unknown[0], url)
                if not current and _user_tables(conn):
                    raise DatabaseNotRecognised(url, _user_tables(conn))
                from_revision = current[0] if current else None
                if list(current) != [head]:
                    log.info("Migrating %s from %s to %s", describe(url), from_revision, head)
                    command.upgrade(alembic_config(conn), "head")
        finally:
            if database.is_sqlite:
                try:
                    _set_sqlite_foreign_keys(conn, on=True)
                except Exception:
                    conn.invalidate()  # never hand a connection with FKs off back to the pool
                    raise
    return MigrationOutcome(from_revision=from_revision, to_revision=head, backup=backup)


def open_database(url: str) -> Database:
    """Connect, create or migrate the schema to head, and return the ready Database.

    Raises a DatabaseError: DatabaseTooNew (nothing changed), DatabaseNotRecognised or
    DatabaseUnavailable (cannot connect); the message suits a dialog or the command line.
    `database.migration` tells what was done.
    """
    path = sqlite_file(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DatabaseUnavailable(url, error) from error
    database = Database(url)
    try:
        outcome = migrate_database(database)
    except BaseException:
        database.dispose()
        raise
    database.migration = outcome
    return database
