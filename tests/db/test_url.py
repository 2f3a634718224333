"""Which database: --database beats CARWARD_DATABASE_URL beats the file in the data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.url import (
    ENV_VAR,
    default_database_path,
    default_database_url,
    describe,
    resolve_database_url,
    sqlite_file,
)

PG = "postgresql+psycopg://ward:secret@db.example:5432/carward"


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(ENV_VAR, raising=False)
    return tmp_path / "xdg"


def test_default_is_a_sqlite_file_in_the_user_data_folder(data_home: Path):
    url = default_database_url()
    path = data_home / "carward" / "carward.sqlite3"
    assert url == f"sqlite:///{path}"
    assert path.parent.is_dir()  # created
    assert not path.exists()  # the database itself is made by open_database
    assert default_database_path() == path
    assert sqlite_file(url) == path


def test_environment_beats_the_default(data_home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(ENV_VAR, PG)
    assert default_database_url() == PG
    assert resolve_database_url(None) == PG
    monkeypatch.setenv(ENV_VAR, "   ")  # blank counts as unset
    assert default_database_url().startswith("sqlite:///")


def test_command_line_beats_the_environment(data_home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(ENV_VAR, PG)
    assert resolve_database_url("sqlite:////tmp/other.sqlite3") == "sqlite:////tmp/other.sqlite3"
    assert resolve_database_url("") == PG
    monkeypatch.delenv(ENV_VAR)
    assert resolve_database_url(None) == default_database_url()


def test_sqlite_file_and_describe():
    assert sqlite_file(PG) is None
    assert sqlite_file("sqlite://") is None
    assert sqlite_file("sqlite:///:memory:") is None
    assert sqlite_file("sqlite:////var/lib/ward.sqlite3") == Path("/var/lib/ward.sqlite3")
    assert "secret" not in describe(PG)
    assert "ward:***@db.example" in describe(PG)


def test_tests_never_see_the_real_data_folder():
    # tests/conftest.py points XDG_DATA_HOME into the session's temp folder.
    assert "pytest" in str(default_database_path())
