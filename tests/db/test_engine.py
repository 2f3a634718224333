"""The engine on both backends: pragmas, transactions, UTC, JSON, the open-alert index."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from db.engine import SQLITE_BUSY_TIMEOUT_MS, Database
from db.models import Alert, Assessment, AuditEvent, Episode
from db.url import sqlite_file
from tests.db.rows import T0, add_episode, add_patient

# --- SQLite settings ------------------------------------------------------------------------


def _pragmas(session) -> dict[str, object]:
    return {
        name: session.execute(text(f"PRAGMA {name}")).scalar()
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    }


EXPECTED_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL
    "foreign_keys": 1,
    "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
}


def test_sqlite_pragmas_in_force_on_every_connection(sqlite_database: Database):
    with sqlite_database.transaction() as s:
        assert _pragmas(s) == EXPECTED_PRAGMAS
    with sqlite_database.read() as s:
        assert _pragmas(s) == EXPECTED_PRAGMAS
    sqlite_database.dispose()  # a brand-new connection gets them too
    with sqlite_database.read() as s:
        assert _pragmas(s) == EXPECTED_PRAGMAS


def test_sqlite_foreign_keys_are_enforced(sqlite_database: Database):
    with pytest.raises(IntegrityError), sqlite_database.transaction() as s:
        s.add(Alert(episode_id=999, kind="overdue", message="x", raised_at=T0))
        s.flush()


def test_sqlite_write_transaction_takes_the_write_lock_at_begin(sqlite_database: Database):
    """BEGIN IMMEDIATE: even a transaction that has only read holds the write lock."""
    path = sqlite_file(sqlite_database.url)
    assert path is not None
    with sqlite_database.transaction() as s:
        s.execute(select(func.count()).select_from(Episode)).scalar()
        assert s.connection().connection.dbapi_connection.in_transaction
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            # ...while a WAL reader is never blocked.
            assert other.execute("SELECT count(*) FROM episode").fetchone() == (0,)
        finally:
            other.close()


def test_sqlite_read_does_not_take_the_write_lock(sqlite_database: Database):
    path = sqlite_file(sqlite_database.url)
    assert path is not None
    with sqlite_database.read() as s:
        s.execute(select(func.count()).select_from(Episode)).scalar()
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        finally:
            other.close()


# --- Transactions on both backends -----------------------------------------------------------


def test_transaction_commits_on_success_and_rolls_back_on_error(database: Database):
    with database.transaction() as s:
        add_patient(s)
    with pytest.raises(RuntimeError), database.transaction() as s:
        add_patient(s)
        raise RuntimeError("boom")
    with database.read() as s:
        assert s.scalar(select(func.count()).select_from(Episode)) == 0
        assert s.scalar(text("SELECT count(*) FROM patient")) == 1


def test_read_refuses_writes_and_leaves_the_connection_writable(database: Database):
    # SQLite: PRAGMA query_only; PostgreSQL: READ ONLY transaction. Either way it is loud.
    with pytest.raises(DBAPIError, match=r"read-only|readonly"), database.read() as s:
        add_patient(s)
    for _ in range(3):  # pooled connections alternate between read and write use
        with database.transaction() as s:
            add_patient(s)
        with database.read() as s:
            s.scalar(text("SELECT count(*) FROM patient"))
    with database.read() as s:
        assert s.scalar(text("SELECT count(*) FROM patient")) == 3
    if database.is_postgresql:  # read()'s isolation does not leak into writes
        with database.read() as s:
            assert s.scalar(text("SHOW transaction_isolation")) == "repeatable read"
            assert s.scalar(text("SHOW transaction_read_only")) == "on"
        with database.transaction() as s:
            assert s.scalar(text("SHOW transaction_isolation")) == "read committed"
            assert s.scalar(text("SHOW transaction_read_only")) == "off"


def test_rows_stay_usable_after_the_block(database: Database):
    with database.transaction() as s:
        episode = add_episode(s)
    assert episode.id >= 1
    assert episode.infused_at == T0
    with database.read() as s:
        again = s.get(Episode, episode.id)
    assert again is not None
    assert again.infused_at == T0
    assert again.ward == "Haematology"


# --- UTC ------------------------------------------------------------------------------------


def test_aware_times_round_trip_as_utc(database: Database):
    london = ZoneInfo("Europe/London")
    summer = datetime(2026, 7, 1, 9, 30, tzinfo=london)  # BST, 08:30 UTC
    odd = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=-5, minutes=-30)))
    with database.transaction() as s:
        episode = add_episode(s)
        episode.discharged_at = summer
        episode.died_at = odd
        episode_id = episode.id
    with database.read() as s:
        if not database.is_sqlite:  # the server's session zone must not matter
            s.execute(text("SET TIME ZONE 'Pacific/Auckland'"))
        row = s.get(Episode, episode_id)
        assert row is not None
        assert row.discharged_at == summer
        assert row.discharged_at.tzinfo is UTC
        assert row.discharged_at.hour == 8
        assert row.died_at == odd
        assert row.died_at.tzinfo is UTC
        # Comparisons in SQL work in UTC too.
        found = s.scalar(
            select(func.count())
            .select_from(Episode)
            .where(Episode.discharged_at > datetime(2026, 7, 1, 8, 29, tzinfo=UTC))
            .where(Episode.discharged_at < datetime(2026, 7, 1, 8, 31, tzinfo=UTC))
        )
        assert found == 1


def test_naive_times_are_refused(database: Database):
    with pytest.raises(StatementError, match="naive datetime"), database.transaction() as s:
        episode = add_episode(s)
        episode.discharged_at = datetime(2026, 3, 10, 10, 0)
        s.flush()


# --- JSON -----------------------------------------------------------------------------------


def test_json_columns_round_trip(database: Database):
    items = {"orientation": 4, "naming": 3, "nested": {"list": [1, 2.5, None, "é"]}}
    with database.transaction() as s:
        episode = add_episode(s)
        s.add(
            Assessment(
                episode_id=episode.id,
                assessed_at=T0,
                entered_at=T0,
                entered_by="nurse",
                ice_items=items,
                vasopressors=[{"drug": "noradrenaline", "dose": 0.1}],
                crs_reasons=["temperature ≥ 38 °C"],
                confirmations={"temperature_c": "rechecked"},
                rules_version="test",
            )
        )
        s.add(
            AuditEvent(
                at=T0, username="u", role="nurse", workstation="w", action="test",
                entity="episode", after={"a": [1, {"b": True}]},
            )
        )  # fmt: skip
    with database.read() as s:
        row = s.scalars(select(Assessment)).one()
        assert row.ice_items == items
        assert row.vasopressors == [{"drug": "noradrenaline", "dose": 0.1}]
        assert row.crs_reasons == ["temperature ≥ 38 °C"]
        assert row.confirmations == {"temperature_c": "rechecked"}
        assert row.capd_items is None
        event = s.scalars(select(AuditEvent)).one()
        assert event.after == {"a": [1, {"b": True}]}


def test_json_none_is_sql_null(database: Database):
    """None given explicitly and a value never given are the same SQL NULL."""
    with database.transaction() as s:
        for before in (None, "omitted"):
            event = AuditEvent(
                at=T0, username="u", role="nurse", workstation="w", action="create",
                entity="patient", after={"id": 1},
            )  # fmt: skip
            if before is None:
                event.before = None
            s.add(event)
    with database.read() as s:
        assert s.scalar(select(func.count()).where(AuditEvent.before.is_(None))) == 2
        assert s.scalar(text("SELECT count(*) FROM audit_event WHERE before IS NULL")) == 2


# --- One open alert per episode and kind ------------------------------------------------------


def _alert(episode_id: int, kind: str = "critical_care", status: str = "raised") -> Alert:
    return Alert(episode_id=episode_id, kind=kind, status=status, message="m", raised_at=T0)


def test_only_one_open_alert_per_episode_and_kind(database: Database):
    with database.transaction() as s:
        episode_id = add_episode(s).id
        s.add(_alert(episode_id))
        s.add(_alert(episode_id, kind="overdue"))  # another condition: allowed
        s.add(_alert(episode_id, status="resolved"))  # closed ones never count
        s.add(_alert(episode_id, status="resolved"))
    with pytest.raises(IntegrityError), database.transaction() as s:
        s.add(_alert(episode_id))
        s.flush()
    with pytest.raises(IntegrityError), database.transaction() as s:
        s.add(_alert(episode_id, status="acknowledged"))  # acknowledged is still open
        s.flush()
    with database.transaction() as s:
        open_alert = s.scalars(
            select(Alert).where(Alert.kind == "critical_care", Alert.status == "raised")
        ).one()
        open_alert.status = "resolved"
    with database.transaction() as s:  # once resolved, the condition may be raised again
        s.add(_alert(episode_id))
    with database.read() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 5


# --- Other URLs and threads --------------------------------------------------------------------


def test_threads_share_one_sqlite_database(sqlite_database: Database):
    """The app's worker thread writes while the GUI thread reads (ARCHITECTURE.md Threads)."""
    import threading

    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(20):
                with sqlite_database.transaction() as s:
                    add_patient(s)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(3)]
    for thread in threads:
        thread.start()
    for _ in range(20):
        with sqlite_database.read() as s:
            s.scalar(text("SELECT count(*) FROM patient"))
    for thread in threads:
        thread.join(60)
    assert errors == []
    with sqlite_database.read() as s:
        assert s.scalar(text("SELECT count(*) FROM patient")) == 60


def test_in_memory_sqlite_works():
    from db.models import Base

    database = Database("sqlite://")
    try:
        Base.metadata.create_all(database.engine)
        with database.transaction() as s:
            add_episode(s)
        with database.read() as s:
            assert s.scalar(select(func.count()).select_from(Episode)) == 1
    finally:
        database.dispose()


def test_a_bare_postgresql_url_uses_psycopg_3():
    database = Database("postgresql://ward:p%40ss@localhost:5432/carward")
    try:
        assert database.url == "postgresql+psycopg://ward:p%40ss@localhost:5432/carward"
        assert database.engine.dialect.driver == "psycopg"
        assert database.is_postgresql and not database.is_sqlite
        assert "p%40ss" not in repr(database)
    finally:
        database.dispose()
