"""Engine and transaction factory for SQLite (default) and PostgreSQL.

SQLite (SAFETY.md "Records that cannot lose or hide data"):
- WAL journal, `synchronous=FULL` (a committed clinical write survives a power cut),
  foreign keys on, and a busy timeout so a writer waits for another instead of failing.
- Every write transaction starts with `BEGIN IMMEDIATE`: it takes the write lock up front,
  so it waits (busy timeout) for another writer rather than failing later with
  "database is locked" when a deferred read transaction tries to become a write.
  To make that possible the pysqlite driver's own transaction handling is switched off
  (`isolation_level = None`) and SQLAlchemy's "begin" event emits our BEGIN.
- `Database.read()` uses a plain deferred BEGIN with `PRAGMA query_only`: in WAL mode
  readers never block the writer and see one consistent snapshot, and a write attempted
  there fails (as it does on PostgreSQL) rather than vanishing in the rollback.

PostgreSQL (`postgresql+psycopg://user:password@host:port/dbname`): a small connection pool
with pre-ping; `read()` runs READ ONLY at REPEATABLE READ (one snapshot for a whole screen).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000

# Execution option carried by connections of `Database.read()` sessions.
_READ_ONLY_OPTION = "carward_read_only"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions so BEGIN IMMEDIATE is ours
        # (the driver would otherwise send its own deferred BEGIN before the first write).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            # busy_timeout first: switching to WAL needs a lock another process may hold.
            cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            mode = cur.execute("PRAGMA journal_mode = WAL").fetchone()
            # An in-memory database (tests, tools) has no journal file: "memory" is right.
            if mode is None or str(mode[0]).lower() not in ("wal", "memory"):
                raise RuntimeError(
                    f"SQLite refused WAL mode (journal_mode={mode and mode[0]}); "
                    "is the database on a network share or read-only medium?"
                )
            cur.execute("PRAGMA synchronous = FULL")
            cur.execute("PRAGMA foreign_keys = ON")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = bool(conn.get_execution_options().get(_READ_ONLY_OPTION))
        # query_only makes a write inside read() fail loudly, as PostgreSQL's READ ONLY
        # does, instead of being silently rolled back. Only sent when it changes.
        info = conn.connection.info
        if info.get("carward_query_only", False) != read_only:
            conn.exec_driver_sql(f"PRAGMA query_only = {'ON' if read_only else 'OFF'}")
            info["carward_query_only"] = read_only
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class Database:
    """One per process: `with db.transaction() as s:` is one unit of work.

    - `transaction()`: commits when the block ends normally, rolls back on any exception
      (never a partial write). On SQLite it holds the write lock from its first statement.
    - `read()`: a read-only unit, always rolled back at the end; a write in it raises.
    Rows loaded in either stay usable after the block (`expire_on_commit=False`).
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        parsed = make_url(url)
        if parsed.drivername in ("postgresql", "postgres"):
            # A bare postgresql:// would pick psycopg2, which is not installed: use psycopg 3.
            parsed = parsed.set(drivername="postgresql+psycopg")
            url = parsed.render_as_string(hide_password=False)
        self.url = url
        # What `db.migrate.open_database` did to the schema (a MigrationOutcome), if it ran.
        self.migration: Any = None
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.is_postgresql = parsed.get_backend_name() == "postgresql"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            # Wait in Python too (the driver's timeout, seconds) in case the pragma is lost.
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        else:
            kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=10)
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        read_options: dict[str, Any] = {_READ_ONLY_OPTION: True}
        if self.is_postgresql:
            read_options.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        self._read_engine = self.engine.execution_options(**read_options)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit on success, roll back on any exception (never a partial write)."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit (rolled back at the end); writing in it raises an error."""
        # close() (not rollback()) ends it: the transaction is rolled back all the same, but
        # the rows loaded keep their values instead of being expired.
        with self._read_sessions() as session:
            yield session

    def dispose(self) -> None:
        """Close every pooled connection (on SQLite this also checkpoints the WAL)."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"
