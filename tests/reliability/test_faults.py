"""Fault injection: the n-th SQL statement of a write use case fails, for every n.

Each use case is run once counting the statements it sends (BEGIN IMMEDIATE, SAVEPOINTs
and the COMMIT included); then, for every n, the n-th one raises sqlite3.OperationalError
("disk I/O error") as the driver would. The caller must get an exception, the record must
hold exactly the rows it held before (every table and the audit trail), and the same call
without the fault must then succeed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from app.context import AppContext
from app.services import administrations, alerts, patients, tocilizumab
from app.services.assessments import amend_assessment, record_assessment
from db.engine import Database
from db.url import sqlite_file, sqlite_url
from tests.reliability.ward import (
    HAEM,
    INFUSED_AT,
    NURSE,
    PHARM,
    Clock,
    observation,
    record_confirmed,
    seed_ward,
    table_counts,
)


class InjectedFault(sqlite3.OperationalError):
    """What the driver raises when the disk fails mid-transaction."""


@dataclass
class Injector:
    """Counts statements; raises at statement `fail_at` (1-based) when set."""

    fail_at: int | None = None
    seen: int = 0

    def tick(self) -> None:
        self.seen += 1
        if self.fail_at is not None and self.seen == self.fail_at:
            raise InjectedFault(f"disk I/O error (injected at statement {self.seen})")


@contextmanager
def injected(database: Database, injector: Injector) -> Iterator[None]:
    engine = database.engine

    def on_statement(*_args: Any, **_kw: Any) -> None:
        injector.tick()

    def on_commit(_conn: Any) -> None:
        injector.tick()  # the COMMIT is not a cursor statement: count it too

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_commit)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_commit)


def _ctx(database: Database) -> tuple[AppContext, Clock]:
    clock = Clock(INFUSED_AT + timedelta(days=2))
    return AppContext(database, clock=clock), clock


def _prepared(database: Database) -> tuple[AppContext, dict[str, int]]:
    """An episode with an assessment, an open critical-care alert and vials in stock."""
    seed_ward(database, episodes=1, vials=4)
    ctx, clock = _ctx(database)
    first = record_confirmed(ctx, 1, {**observation(1), "assessed_at": clock.now})
    clock.now += timedelta(minutes=30)
    icans = record_confirmed(ctx, 1, {**observation(2, icans2=True), "assessed_at": clock.now})
    alert = next(a for a in icans.alerts if a.kind == "critical_care")
    clock.now += timedelta(minutes=10)
    return ctx, {"assessment": first.id, "alert": alert.id, "alert_version": alert.version}


UseCase = Callable[[AppContext, dict[str, int]], object]

USE_CASES: dict[str, UseCase] = {
    "record_assessment": lambda ctx, ids: record_assessment(
        ctx, NURSE, 1, {**observation(5), "assessed_at": ctx.clock()},
        confirmations={"ice_items": "confirmed"},
    ),
    "amend_assessment": lambda ctx, ids: amend_assessment(
        ctx, NURSE, ids["assessment"], observation(7), reason="wrong patient's pulse"
    ),
    "record_administration_tocilizumab": lambda ctx, ids: administrations.record_administration(
        ctx, NURSE, 1, drug="tocilizumab", dose=400.0, given_at=ctx.clock(),
        override_reason="fault injection",
    ),
    "acknowledge_alert": lambda ctx, ids: alerts.acknowledge_alert(
        ctx, NURSE, ids["alert"], expected_version=ids["alert_version"]
    ),
    "record_discussion": lambda ctx, ids: alerts.record_discussion(
        ctx, HAEM, ids["alert"], clinician="ICU registrar", discussed_at=ctx.clock(),
        outcome="stay_with_plan", detail="neuro obs 2-hourly",
        expected_version=ids["alert_version"],
    ),
    "receive_vials": lambda ctx, ids: tocilizumab.receive_vials(
        ctx, PHARM, strength_mg=200, batch="FAULT-1", expiry_date=date(2027, 6, 30),
        location="pharmacy", count=3,
    ),
    "register_patient": lambda ctx, ids: patients.register_patient(
        ctx, NURSE, nhs_number=None, hospital_number="FAULT-1", family_name="Fault",
        given_name="Injected", date_of_birth=date(1980, 5, 17), sex="male",
    ),
}  # fmt: skip


def _copy(database: Database, target: Path) -> Database:
    """A byte-identical second record (SQLite backup API), to count statements on."""
    source = sqlite_file(database.url)
    assert source is not None
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return Database(sqlite_url(target))


def _count_statements(database: Database, use_case: UseCase, ids: dict[str, int]) -> int:
    ctx, _clock = _ctx(database)
    counter = Injector()
    with injected(database, counter):
        use_case(ctx, ids)
    return counter.seen


@pytest.mark.parametrize("name", sorted(USE_CASES))
def test_a_failing_statement_leaves_no_partial_write(
    name: str, sqlite_database: Database, tmp_path: Path
) -> None:
    use_case = USE_CASES[name]
    _ctx0, ids = _prepared(sqlite_database)
    twin = _copy(sqlite_database, tmp_path / "twin.sqlite3")
    try:
        statements = _count_statements(twin, use_case, ids)  # commits on the twin only
    finally:
        twin.dispose()
    assert statements >= 3, f"{name} sent only {statements} statements"

    before = table_counts(sqlite_database)
    for n in range(1, statements + 1):
        ctx, _clock = _ctx(sqlite_database)
        with injected(sqlite_database, Injector(fail_at=n)), pytest.raises(Exception) as caught:
            use_case(ctx, ids)
        # A clear error naming the failure reaches the caller, never a silent half write.
        assert "disk I/O error (injected" in str(caught.value), (n, caught.value)
        assert table_counts(sqlite_database) == before, f"{name}: partial write at statement {n}"

    ctx, _clock = _ctx(sqlite_database)
    use_case(ctx, ids)  # the retry, without the fault, succeeds and writes
    after = table_counts(sqlite_database)
    assert after["audit_event"] == before["audit_event"] + 1
    from tests.reliability.conftest import report

    report(
        f"Fault injection: {name}",
        f"failed at each of its {statements} statements "
        "(incl. BEGIN and COMMIT): 0 partial writes; retry succeeded",
    )
