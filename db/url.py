"""Which database to open: `--database URL` beats `CARWARD_DATABASE_URL` beats the default.

The default is one SQLite file in the user's data directory (platformdirs), created on first
use. Keep that file on a local disk: SQLite's locking is unreliable on a network share, so a
ward that shares one record between workstations uses PostgreSQL
(`postgresql+psycopg://user:password@host/dbname`) instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from sqlalchemy.engine import make_url

APP_NAME = "carward"
ENV_VAR = "CARWARD_DATABASE_URL"
DEFAULT_FILE_NAME = "carward.sqlite3"


def default_database_path() -> Path:
    """The default SQLite file; its folder is created if missing."""
    folder = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / DEFAULT_FILE_NAME


def sqlite_url(path: Path | str) -> str:
    """A SQLAlchemy URL for a SQLite file (absolute path, so the working folder never matters)."""
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def default_database_url() -> str:
    """`CARWARD_DATABASE_URL` if set (and not blank), else the SQLite file in the data folder."""
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return from_env
    return sqlite_url(default_database_path())


def resolve_database_url(cli_value: str | None) -> str:
    """The command-line `--database` value wins, then the environment, then the default."""
    if cli_value is not None and cli_value.strip():
        return cli_value.strip()
    return default_database_url()


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL, or None (PostgreSQL, or an in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def describe(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)
