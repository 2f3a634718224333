"""The shared fixtures themselves: empty, migrated, isolated, on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, text

from db.engine import Database
from db.migrate import current_revision, head_revision
from db.models import Alert, Base, Patient
from tests.db.rows import T0, add_episode
from tests.fakes import FakeClock


def _add_patient(database: Database, nhs: str = "9990000018") -> int:
    with database.transaction() as s:
        patient = Patient(
            nhs_number=nhs,
            family_name="Test",
            given_name="Pat",
            date_of_birth=date(1980, 1, 1),
            sex="female",
            created_at=datetime(2026, 3, 10, 10, 0, tzinfo=UTC),
        )
        s.add(patient)
        s.flush()
        return patient.id


@pytest.mark.parametrize("round_", [1, 2, 3])
def test_each_test_gets_an_empty_migrated_database(database: Database, db_url: str, round_: int):
    with database.read() as s:
        for table in Base.metadata.sorted_tables:
            assert s.scalar(select(func.count()).select_from(table)) == 0, table.name
    assert current_revision(db_url) == head_revision()
    # Ids restart at 1 in every test on both backends; linked rows go too.
    assert _add_patient(database) == 1
    with database.transaction() as s:
        episode = add_episode(s)
        s.add(Alert(episode_id=episode.id, kind="overdue", message="m", raised_at=T0))
    assert episode.id == 1


def test_a_second_database_object_sees_committed_rows(database: Database, db_url: str):
    _add_patient(database)
    other = Database(db_url)
    try:
        with other.read() as s:
            assert s.scalar(select(func.count()).select_from(Patient)) == 1
    finally:
        other.dispose()


def test_sqlite_database_is_sqlite(sqlite_database: Database):
    assert sqlite_database.is_sqlite
    with sqlite_database.read() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_fake_clock(fake_clock: FakeClock):
    assert fake_clock() == datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    fake_clock.advance(hours=2, minutes=30)
    assert fake_clock() == datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
    fake_clock.set(datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    assert fake_clock().tzinfo is UTC
    with pytest.raises(ValueError):
        fake_clock.set(datetime(2026, 3, 29, 1, 30))


def test_ctx_carries_database_and_clock(ctx, database: Database, fake_clock: FakeClock):
    assert ctx.database is database
    assert ctx.clock() == fake_clock()
