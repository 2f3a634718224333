"""The throwaway PostgreSQL server of tests/conftest.py: found, really running, never skipped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PostgresServer, find_pg_bin

REPO = Path(__file__).resolve().parents[2]


def test_missing_binaries_fail_with_a_hint_not_a_skip(tmp_path: Path):
    env = {**os.environ, "CARWARD_PG_BIN": str(tmp_path / "nowhere")}
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--no-header",
            "tests/db/test_fixtures.py::test_ctx_carries_database_and_clock",
        ],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "1 passed, 1 error" in output, output  # the SQLite half runs; PostgreSQL errors
    assert "skipped" not in output
    assert "make test" in output


def test_find_pg_bin_honours_the_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CARWARD_PG_BIN", str(tmp_path))
    assert find_pg_bin() is None
    (tmp_path / "pg_ctl").touch()
    assert find_pg_bin() == tmp_path


@pytest.mark.postgres
def test_the_server_is_local_and_throwaway(postgres_server: PostgresServer):
    with postgres_server.admin() as conn:
        settings = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('listen_addresses', 'fsync', 'unix_socket_directories', 'port')"
            ).fetchall()
        )
    assert settings["listen_addresses"] == "127.0.0.1"
    assert settings["fsync"] == "off"
    assert settings["unix_socket_directories"] == str(postgres_server.root)
    assert int(settings["port"]) == postgres_server.port
    assert postgres_server.root.exists()
