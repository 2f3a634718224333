"""Create, migrate, back up and refuse: db.migrate on both backends, and the migration checks."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, Table, func, select, text
from sqlalchemy.exc import IntegrityError

import db.migrate
from db.engine import Database
from db.migrate import (
    DatabaseNotRecognised,
    DatabaseTooNew,
    current_revision,
    head_revision,
    open_database,
)
from db.models import Base, Episode, Patient
from db.url import sqlite_file
from tests.db.rows import add_episode

REPO = Path(__file__).resolve().parents[2]
# The revision a future version of the program would add next.
LATER = f"{int(head_revision()) + 1:04d}"

# A later schema revision, as a future version of the program would ship it. On SQLite the
# patient table (referenced by episode) is rebuilt by batch mode, as real changes often are.
LATER_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("extra_thing", sa.Column("id", sa.Integer(), primary_key=True))
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("patient", recreate="always" if sqlite else "auto") as batch:
        batch.add_column(sa.Column("extra_note", sa.Text(), nullable=True))
    {fail}


def downgrade():
    with op.batch_alter_table("patient") as batch:
        batch.drop_column("extra_note")
    op.drop_table("extra_thing")
"""


@pytest.fixture
def later_scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Switch db.migrate to a copy of the scripts plus one later revision.

    `later_scripts()` returns the new revision id: the next number after today's head.
    """

    def use(*, fail: bool = False) -> str:
        folder = tmp_path / f"migrations-{'fail' if fail else 'ok'}"
        if not folder.exists():
            shutil.copytree(
                db.migrate.MIGRATIONS_DIR.resolve(),
                folder,
                ignore=shutil.ignore_patterns("__pycache__"),
            )
            (folder / "versions" / f"{LATER}_later.py").write_text(
                LATER_REVISION.format(
                    rev=LATER,
                    down=head_revision(),
                    fail='raise RuntimeError("migration failed half way")' if fail else "",
                )
            )
        monkeypatch.setattr(db.migrate, "MIGRATIONS_DIR", folder)
        return LATER

    return use


def _fresh_url(request: pytest.FixtureRequest, backend: str) -> str:
    fixture = "empty_sqlite_url" if backend == "sqlite" else "pg_url"
    return str(request.getfixturevalue(fixture))


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _backups(url: str) -> list[Path]:
    path = sqlite_file(url)
    return sorted(path.parent.glob(f"{path.name}.backup-*")) if path else []


def _seed(database: Database) -> int:
    with database.transaction() as s:
        return add_episode(s).id


# --- Creating --------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_fresh_database_is_created_at_head(request: pytest.FixtureRequest, backend: str):
    url = _fresh_url(request, backend)
    assert current_revision(url) is None
    database = open_database(url)
    try:
        assert database.migration.from_revision is None
        assert database.migration.to_revision == head_revision()
        assert database.migration.backup is None
        with database.read() as s:
            recorded = s.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            assert recorded == [head_revision()]
            assert s.scalar(select(func.count()).select_from(Patient)) == 0
        _seed(database)
    finally:
        database.dispose()
    assert current_revision(url) == head_revision()
    assert _backups(url) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_reopening_at_head_changes_nothing(request: pytest.FixtureRequest, backend: str):
    url = _fresh_url(request, backend)
    open_database(url).dispose()
    database = open_database(url)
    try:
        _seed(database)
    finally:
        database.dispose()
    database = open_database(url)
    try:
        assert database.migration.from_revision == head_revision()
        assert not database.migration.migrated
        with database.read() as s:
            assert s.scalar(select(func.count()).select_from(Episode)) == 1
    finally:
        database.dispose()
    assert _backups(url) == []


def test_the_sqlite_folder_is_created(tmp_path: Path):
    path = tmp_path / "a" / "b" / "ward.sqlite3"
    open_database(f"sqlite:///{path}").dispose()
    assert path.exists()


# --- Migrating an older database ----------------------------------------------------------


def test_older_sqlite_is_backed_up_with_the_backup_api_then_migrated(
    empty_sqlite_url: str, later_scripts: Callable[..., str]
):
    old_head = head_revision()
    database = open_database(empty_sqlite_url)
    episode_id = _seed(database)
    database.dispose()

    later_scripts()
    database = open_database(empty_sqlite_url)
    try:
        outcome = database.migration
        assert (outcome.from_revision, outcome.to_revision) == (old_head, LATER)
        with database.read() as s:
            assert s.scalar(text("SELECT count(*) FROM extra_thing")) == 0
            assert s.scalar(text("SELECT count(*) FROM patient WHERE extra_note IS NULL")) == 1
            assert s.get(Episode, episode_id) is not None
        with pytest.raises(IntegrityError), database.transaction() as s:  # FKs are back on
            s.execute(text("DELETE FROM patient"))
    finally:
        database.dispose()
    assert current_revision(empty_sqlite_url) == LATER

    [backup] = _backups(empty_sqlite_url)
    assert backup == outcome.backup
    assert backup.name.startswith("carward.sqlite3.backup-")
    assert backup.name.endswith(f"-{old_head}.sqlite3")
    assert not backup.with_name(backup.name + ".partial").exists()
    with closing(sqlite3.connect(f"{backup.as_uri()}?mode=ro", uri=True)) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(old_head,)]
        assert conn.execute("SELECT count(*) FROM episode").fetchone() == (1,)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file
    # The backup opens as a ward record of the old version.
    assert current_revision(f"sqlite:///{backup}") == old_head


@pytest.mark.postgres
def test_older_postgresql_is_migrated(pg_url: str, later_scripts: Callable[..., str]):
    old_head = head_revision()
    database = open_database(pg_url)
    episode_id = _seed(database)
    database.dispose()

    later_scripts()
    database = open_database(pg_url)
    try:
        assert database.migration.from_revision == old_head
        assert database.migration.backup is None  # pg_dump is the operator's job
        with database.read() as s:
            assert s.scalar(text("SELECT count(*) FROM extra_thing")) == 0
            assert s.get(Episode, episode_id) is not None
    finally:
        database.dispose()
    assert current_revision(pg_url) == LATER


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failed_migration_changes_nothing(
    request: pytest.FixtureRequest, backend: str, later_scripts: Callable[..., str]
):
    url = _fresh_url(request, backend)
    old_head = head_revision()
    database = open_database(url)
    _seed(database)
    database.dispose()

    later_scripts(fail=True)
    with pytest.raises(RuntimeError, match="half way"):
        open_database(url)
    assert current_revision(url) == old_head
    check = Database(url)
    try:
        with check.read() as s:
            assert s.scalar(select(func.count()).select_from(Episode)) == 1
            tables = s.connection().dialect.get_table_names(s.connection())
            assert "extra_thing" not in tables
    finally:
        check.dispose()
    if backend == "sqlite":
        assert len(_backups(url)) == 1  # kept: it is the way back


# --- Refusing ----------------------------------------------------------------------------------


def test_newer_sqlite_is_refused_and_left_untouched(
    empty_sqlite_url: str, later_scripts: Callable[..., str], monkeypatch: pytest.MonkeyPatch
):
    real_scripts = db.migrate.MIGRATIONS_DIR
    later_scripts()
    database = open_database(empty_sqlite_url)
    _seed(database)
    database.dispose()
    path = sqlite_file(empty_sqlite_url)
    assert path is not None
    before = (_sha256(path), path.stat().st_mtime_ns, sorted(p.name for p in path.parent.iterdir()))

    monkeypatch.setattr(db.migrate, "MIGRATIONS_DIR", real_scripts)  # this (older) version
    with pytest.raises(DatabaseTooNew) as caught:
        open_database(empty_sqlite_url)
    message = str(caught.value)
    assert f"newer version of the ward monitor (revision {LATER})" in message
    assert "install the newer version" in message
    assert "nothing was changed" in message
    after = (_sha256(path), path.stat().st_mtime_ns, sorted(p.name for p in path.parent.iterdir()))
    assert after == before
    assert _backups(empty_sqlite_url) == []


@pytest.mark.postgres
def test_newer_postgresql_is_refused(
    pg_url: str, later_scripts: Callable[..., str], monkeypatch: pytest.MonkeyPatch
):
    real_scripts = db.migrate.MIGRATIONS_DIR
    later_scripts()
    database = open_database(pg_url)
    _seed(database)
    database.dispose()

    monkeypatch.setattr(db.migrate, "MIGRATIONS_DIR", real_scripts)
    with pytest.raises(DatabaseTooNew, match=rf"revision {LATER}\); install the newer version"):
        open_database(pg_url)
    assert current_revision(pg_url) == LATER


def test_a_foreign_sqlite_file_is_refused(tmp_path: Path):
    path = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY)")
        conn.commit()
    digest = _sha256(path)
    with pytest.raises(DatabaseNotRecognised, match="recipes"):
        open_database(f"sqlite:///{path}")
    assert _sha256(path) == digest


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path):
    path = tmp_path / "notes.sqlite3"
    path.write_text("not a database, just some text " * 100)
    digest = _sha256(path)
    with pytest.raises(db.migrate.DatabaseError, match="cannot be opened as a SQLite database"):
        open_database(f"sqlite:///{path}")
    assert _sha256(path) == digest


# --- The developer checks --------------------------------------------------------------------


def test_check_migrations_passes():
    result = subprocess.run(
        [sys.executable, "-m", "db.check_migrations"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "migrations match the models" in result.stdout


def test_check_migrations_reports_a_model_change():
    from db.check_migrations import compare_with_models

    extra = Table("not_migrated_yet", Base.metadata, Column("id", Integer, primary_key=True))
    try:
        differences = compare_with_models()
    finally:
        Base.metadata.remove(extra)
    assert any("not_migrated_yet" in str(diff) for diff in differences)
    assert compare_with_models() == []


HAND_WRITTEN = """\"\"\"Hand-written: a view autogenerate cannot see.

Revision ID: {rev}
Revises: {down}
\"\"\"

from alembic import op

revision = "{rev}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE VIEW handwritten_view AS SELECT count(*) AS n FROM brand_new")


def downgrade():
    op.execute("DROP VIEW handwritten_view")
"""


def test_regenerating_folds_autogenerated_revisions_and_keeps_hand_written_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """`python -m db.regenerate_initial`, run on a copy of the migrations folder."""
    import db.regenerate_initial as regen
    from db.check_migrations import compare_with_models

    folder = tmp_path / "migrations"
    shutil.copytree(db.migrate.MIGRATIONS_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(db.migrate, "MIGRATIONS_DIR", folder)
    versions = folder / "versions"
    before = {p.name: p.read_text() for p in versions.glob("0*.py")}
    hand_written_today = {
        name for name, text in before.items() if regen.AUTOGENERATED_MARKER not in text
    }

    extra = Table("brand_new", Base.metadata, Column("id", Integer, primary_key=True))
    try:
        autogenerated = regen.add_revision("add brand new")  # an autogenerated change...
        view_rev = f"{int(autogenerated.name[:4]) + 1:04d}"  # ...then a hand-written one
        (versions / f"{view_rev}_view.py").write_text(
            HAND_WRITTEN.format(rev=view_rev, down=autogenerated.name[:4])
        )
        path = regen.regenerate_initial()

        names = sorted(p.name for p in versions.glob("*.py"))
        assert names == sorted(
            {"__init__.py", "0001_initial.py", f"{view_rev}_view.py", *hand_written_today}
        )
        assert "brand_new" in path.read_text()  # the model change is now in 0001
        chain = [s.revision for s in reversed(list(db.migrate.script_directory().walk_revisions()))]
        assert chain[0] == "0001" and chain[-1] == view_rev and len(chain) == len(names) - 1
        assert f'down_revision = "{chain[-2]}"' in (versions / f"{view_rev}_view.py").read_text()
        assert compare_with_models() == []
        database = open_database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        try:
            with database.read() as s:
                assert s.scalar(text("SELECT n FROM handwritten_view")) == 0
        finally:
            database.dispose()
    finally:
        Base.metadata.remove(extra)

    script = path.read_text()
    assert "db.types" not in script  # migrations never import project code
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout


def test_new_revision_for_a_model_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`python -m db.regenerate_initial --new MESSAGE` (on a copy): numbered, complete."""
    import db.regenerate_initial as regen
    from db.check_migrations import compare_with_models

    folder = tmp_path / "migrations"
    shutil.copytree(db.migrate.MIGRATIONS_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    old_head = head_revision()
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    database = open_database(url)  # a database of the current release, with data
    _seed(database)
    database.dispose()

    monkeypatch.setattr(db.migrate, "MIGRATIONS_DIR", folder)
    extra = Table("brand_new", Base.metadata, Column("id", Integer, primary_key=True))
    try:
        path = regen.add_revision("add brand new")
        new_head = f"{int(old_head) + 1:04d}"
        assert path.name == f"{new_head}_add_brand_new.py"
        assert head_revision() == new_head
        assert compare_with_models() == []
        database = open_database(url)
        try:
            assert database.migration.from_revision == old_head
            assert database.migration.backup is not None
            with database.read() as s:
                assert s.scalar(text("SELECT count(*) FROM brand_new")) == 0
                assert s.scalar(select(func.count()).select_from(Episode)) == 1
        finally:
            database.dispose()
    finally:
        Base.metadata.remove(extra)


def test_backup_is_a_consistent_copy_of_a_live_database(sqlite_db_url: str, tmp_path: Path):
    """What a file copy gets wrong: rows committed but still only in the WAL are included,
    and a writer's uncommitted rows are not; the writer's lock does not block the backup."""
    path = sqlite_file(sqlite_db_url)
    assert path is not None
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("PRAGMA wal_autocheckpoint = 0")  # keep committed pages in the WAL
        writer.execute(
            "INSERT INTO patient (hospital_number, family_name, given_name, date_of_birth, "
            "sex, created_at, version, updated_by) "
            "VALUES ('H1', 'Committed', 'A', '1970-01-01', 'female', '2026-03-10', 1, '')"
        )
        assert (tmp_path / "carward.sqlite3-wal").stat().st_size > 0
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO patient (hospital_number, family_name, given_name, date_of_birth, "
            "sex, created_at, version, updated_by) "
            "VALUES ('H2', 'Uncommitted', 'B', '1970-01-01', 'male', '2026-03-10', 1, '')"
        )
        target = db.migrate.backup_sqlite(path, tmp_path / "copy.sqlite3")
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    with closing(sqlite3.connect(target)) as conn:
        assert conn.execute("SELECT family_name FROM patient").fetchall() == [("Committed",)]


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgresql_too(pg_url: str):
    from db.check_migrations import compare_with_models

    assert compare_with_models(pg_url) == []


@pytest.mark.postgres
def test_an_unreachable_database_is_reported_plainly(postgres_server):
    url = postgres_server.url("no_such_database")
    with pytest.raises(db.migrate.DatabaseUnavailable, match=r"no_such_database.*does not exist"):
        open_database(url)


def test_an_unopenable_sqlite_file_is_reported_plainly(tmp_path: Path):
    folder = tmp_path / "a-file-not-a-folder"
    folder.write_text("")
    with pytest.raises(db.migrate.DatabaseUnavailable, match="Cannot open the database"):
        open_database(f"sqlite:///{folder / 'carward.sqlite3'}")
