"""Fixtures shared by every test folder: databases on both backends, a fake clock, a context.

Database fixtures (each test gets its own empty, migrated database; nothing leaks between
tests):

- `db_url` -- parametrised over "sqlite" and "postgresql": a test that uses it (directly or
  through `database` / `ctx`) runs once on each backend. The URL names a database already
  migrated to head and empty. Open more `Database(db_url)` objects on it to play a second
  workstation or to "reopen" the record; dispose what you open.
  Run SQLite only: `pytest -m "not postgres"`.
- `database` -- `db.engine.Database(db_url)`, disposed after the test.
- `sqlite_database` -- the same on SQLite only (for tests that need a file, e.g. pragmas).
- `sqlite_db_url` -- URL of that migrated, empty SQLite file (no Database opened).
- `empty_sqlite_url` -- URL of a SQLite file that does not exist yet (not migrated).
- `pg_url` -- URL of a brand-new, empty, *unmigrated* PostgreSQL database. Tests using it
  (or `postgres_server`) get the `postgres` marker automatically.
- `postgres_server` -- the session's throwaway PostgreSQL server (`.url(dbname)`,
  `.create_database()`, `.admin()` for an autocommit psycopg connection).

Isolation: for the whole session XDG_DATA_HOME points into a temp folder and
CARWARD_DATABASE_URL is unset, so nothing (nor a subprocess) touches a real ward record.

Time and services:

- `fake_clock` -- `tests.fakes.FakeClock`, 2026-03-10 10:00 UTC; `.set(dt)`, `.advance(hours=2)`.
- `ctx` -- `app.context.AppContext(database, clock=fake_clock)`: what a service call needs.

How the databases are made, and why it is fast:
- SQLite: the schema is migrated once per session into a template file; each test gets a
  copy of it in its tmp_path (a few milliseconds; an Alembic upgrade per test would cost
  far more).
- PostgreSQL: one server per test session, started only when a test needs it. initdb and
  postgres refuse to run as root, so as root the cluster lives in a temp folder owned by the
  `postgres` user and runs through `runuser -u postgres --`. It listens on 127.0.0.1 only, on
  a free port, with its unix socket in that folder, trust authentication and fsync off (a
  throwaway). The binaries come from the Debian `postgresql` package
  (/usr/lib/postgresql/<version>/bin; `CARWARD_PG_BIN` overrides): `make test` installs it.
  Missing binaries FAIL the PostgreSQL tests rather than skip them. The database behind
  `db_url` is migrated once per session and emptied before each test (rows deleted,
  sequences restarted: ids start at 1 again); sessions a test left open are ended first.
  The server is stopped and its folder deleted at the end of the session (a watchdog
  process does it if the test run is killed).
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from db.engine import Database
from tests.fakes import FakeClock

# Qt without a display aborts the whole process; plain `pytest` must work like `make test`.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_PG_FIXTURES = {"pg_url", "postgres_server", "_pg_migrated"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that ask for the PostgreSQL server carry the `postgres` marker."""
    for item in items:
        if _PG_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


# --------------------------------------------------------------------------------------------
# Isolation from the machine
# --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True, scope="session")
def _no_real_ward_record(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test reaches the user's real database: the data folder (XDG_DATA_HOME, used by
    platformdirs on Linux) points into the session's temp folder, and CARWARD_DATABASE_URL
    is unset. Subprocesses started by tests inherit both."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
        patch.delenv("CARWARD_DATABASE_URL", raising=False)
        yield


# --------------------------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------------------------


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ctx(database: Database, fake_clock: FakeClock) -> Any:
    from app.context import AppContext

    return AppContext(database, clock=fake_clock)


# --------------------------------------------------------------------------------------------
# PostgreSQL: one throwaway server per test session
# --------------------------------------------------------------------------------------------

PG_SUPERUSER = "postgres"
PG_MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found under "
    "/usr/lib/postgresql/*/bin or on PATH. Run the tests with `make test`, which installs the "
    "Debian `postgresql` package, or set CARWARD_PG_BIN to the folder holding them."
)


def find_pg_bin() -> Path | None:
    """The folder with initdb and pg_ctl: CARWARD_PG_BIN, Debian's newest, or PATH."""
    override = os.environ.get("CARWARD_PG_BIN")
    if override:
        return Path(override) if (Path(override) / "pg_ctl").exists() else None

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=version)
    if debian:
        return Path(debian[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """A throwaway PostgreSQL cluster in a temp folder, reachable on 127.0.0.1:port."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.as_root = os.geteuid() == 0
        # Short and world-traversable: the unix socket path has a ~100-byte limit, and as
        # root the `postgres` user must reach the folder (a private TMPDIR would not do).
        base = tempfile.gettempdir()
        if self.as_root or len(base) > 40:
            base = "/tmp"
        self.root = Path(tempfile.mkdtemp(prefix="carward-pg-", dir=base))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self.running = False
        self._counter = 0
        self._reset_connections: dict[str, Any] = {}
        self._watchdog: subprocess.Popen[bytes] | None = None
        if self.as_root:
            try:
                account = pwd.getpwnam(PG_SUPERUSER)
            except KeyError:
                pytest.fail(
                    "Running as root, the throwaway PostgreSQL server needs the `postgres` "
                    "user (created by the Debian `postgresql` package): run `make test`."
                )
            os.chown(self.root, account.pw_uid, account.pw_gid)

    # -- process control --------------------------------------------------------------------

    def _cmd(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bin_dir / tool), *args]
        return ["runuser", "-u", PG_SUPERUSER, "--", *command] if self.as_root else command

    def _run(self, tool: str, *args: str, timeout: float = 120) -> None:
        result = subprocess.run(
            self._cmd(tool, *args),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{tool} {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}\n{log}"
            )

    def start(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", PG_SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.root}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            "shared_buffers": "128MB",
            "log_min_messages": "warning",
        }
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# carward test server\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        last_error: Exception | None = None
        for _attempt in range(5):  # a free port can be taken between finding and binding
            self.port = _free_port()
            try:
                self._run(
                    "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                    "-o", f"-p {self.port}", "start",
                )  # fmt: skip
            except RuntimeError as error:
                last_error = error
                time.sleep(0.2)
                continue
            self.running = True
            self._start_watchdog()
            return
        raise RuntimeError(f"the throwaway PostgreSQL server did not start: {last_error}")

    def _start_watchdog(self) -> None:
        """A detached helper that stops the server if this test process dies (SIGKILL, a
        session time limit): nothing is left running on a machine that is kept."""
        stop = self._cmd("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(self.root), *stop],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self) -> None:
        for conn in self._reset_connections.values():
            with contextlib.suppress(Exception):
                conn.close()
        self._reset_connections.clear()
        if self.running:
            with contextlib.suppress(Exception):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.running = False
        shutil.rmtree(self.root, ignore_errors=True)
        if self._watchdog is not None:  # no longer needed: the server is gone
            self._watchdog.kill()
            self._watchdog.wait(10)
            self._watchdog = None

    # -- databases --------------------------------------------------------------------------

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{PG_SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def admin(self, dbname: str = "postgres") -> Any:
        """An autocommit psycopg connection (use as a context manager)."""
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=PG_SUPERUSER, dbname=dbname, autocommit=True
        )

    def reset_connection(self, dbname: str) -> Any:
        """One autocommit connection per database, kept for the session (saves a connect)."""
        conn = self._reset_connections.get(dbname)
        if conn is None or conn.closed:
            conn = self.admin(dbname)
            conn.execute("SET lock_timeout = '5s'")
            self._reset_connections[dbname] = conn
        return conn

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        self._counter += 1
        name = f"{prefix}_{os.getpid()}_{self._counter}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


_WATCHDOG = """
import os, shutil, subprocess, sys, time
parent, root, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
while True:
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        break
    except PermissionError:
        pass
    if not os.path.isdir(root):
        sys.exit(0)  # stopped and removed normally
    time.sleep(1)
if os.path.isdir(root):
    subprocess.run(stop, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(root, ignore_errors=True)
"""


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.fail(PG_MISSING, pytrace=False)
    server = PostgresServer(bin_dir)
    atexit.register(server.stop)  # also on an interrupted session
    try:
        server.start()
    except Exception as error:
        server.stop()
        pytest.fail(f"could not start the throwaway PostgreSQL server: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> str:
    """A brand-new, empty, unmigrated PostgreSQL database for this test."""
    return postgres_server.create_database("fresh")


# Empties every table of the session's migrated database (not alembic_version) and restarts
# every sequence, so ids start at 1 in each test. A few rows are deleted (much cheaper than a
# TRUNCATE, which makes new files); only big tables are truncated.
_PG_RESET_FUNCTION = """
CREATE OR REPLACE FUNCTION carward_test_reset() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    tbl text;
    n integer;
    big text[] := '{}';
    seq regclass;
BEGIN
    -- Foreign keys are triggers: off for this transaction, so any delete order works.
    SET LOCAL session_replication_role = replica;
    FOR tbl IN SELECT quote_ident(tablename) FROM pg_tables
               WHERE schemaname = 'public' AND tablename <> 'alembic_version' LOOP
        EXECUTE 'SELECT count(*) FROM (SELECT 1 FROM ' || tbl || ' LIMIT 2001) AS x' INTO n;
        IF n > 2000 THEN
            big := big || tbl;
        ELSIF n > 0 THEN
            EXECUTE 'DELETE FROM ' || tbl;
        END IF;
    END LOOP;
    IF cardinality(big) > 0 THEN
        EXECUTE 'TRUNCATE ' || array_to_string(big, ', ') || ' CASCADE';
    END IF;
    FOR seq IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace ns
               ON ns.oid = c.relnamespace WHERE c.relkind = 'S' AND ns.nspname = 'public' LOOP
        PERFORM setval(seq, 1, false);
    END LOOP;
END $$;
"""


@pytest.fixture(scope="session")
def _pg_migrated(postgres_server: PostgresServer) -> str:
    from db.migrate import open_database

    url = postgres_server.create_database("carward")
    open_database(url).dispose()
    with postgres_server.admin(url.rsplit("/", 1)[1]) as conn:
        conn.execute(_PG_RESET_FUNCTION)
    return url


def _reset_pg(server: PostgresServer, url: str) -> None:
    conn = server.reset_connection(url.rsplit("/", 1)[1])
    try:
        conn.execute("SELECT carward_test_reset()")
    except Exception:
        # A previous test left a transaction open (a Database it never disposed) holding
        # locks: end those sessions and try again.
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        conn.execute("SELECT carward_test_reset()")


# --------------------------------------------------------------------------------------------
# SQLite: migrate once into a template, copy per test
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from db.migrate import open_database
    from db.url import sqlite_url

    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    open_database(sqlite_url(path)).dispose()
    # One self-contained file (no -wal beside it), so a plain copy is a whole database.
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    return path


@pytest.fixture
def sqlite_db_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """URL of a migrated, empty SQLite file in this test's tmp_path."""
    from db.url import sqlite_url

    target = tmp_path / "carward.sqlite3"
    shutil.copyfile(_sqlite_template, target)
    return sqlite_url(target)


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    """URL of a SQLite file that does not exist yet."""
    from db.url import sqlite_url

    return sqlite_url(tmp_path / "new" / "carward.sqlite3")


# --------------------------------------------------------------------------------------------
# Both backends
# --------------------------------------------------------------------------------------------


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database on each backend in turn (see the module doc)."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_db_url"))
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url: str = request.getfixturevalue("_pg_migrated")
    _reset_pg(server, url)
    return url


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database(db_url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def sqlite_database(sqlite_db_url: str) -> Iterator[Database]:
    db = Database(sqlite_db_url)
    try:
        yield db
    finally:
        db.dispose()
