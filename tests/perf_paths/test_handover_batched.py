"""The handover reads the 72-hour grades and the last critical-care discussions of the
whole ward in one query each; it must print exactly what a timeline per patient gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.context import AppContext
from app.reports.handover import (
    TREND_HOURS,
    HandoverPatient,
    gather_handover,
    layout_handover,
)
from app.rows import Timeline, WardRow
from app.services.ward import list_ward, patient_timeline, recent_grades
from db.engine import Database
from tests.fakes import FakeClock
from tests.reports.conftest import CRS1, CRS2, ICANS2, ICANS3, NURSE, Ward

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


@pytest.fixture
def ward(sqlite_database: Database) -> Ward:
    clock = FakeClock(NOW)
    return Ward(AppContext(sqlite_database, clock=clock), clock)


def _from_timeline(row: WardRow, timeline: Timeline, now: datetime) -> HandoverPatient:
    """What the sheet printed when it read one timeline per patient (the reference)."""
    since = now - timedelta(hours=TREND_HOURS)
    recent = sorted(
        (a for day in timeline.days for a in day.assessments
         if a.is_current and not a.is_baseline and since <= a.assessed_at <= now),
        key=lambda a: a.assessed_at)
    discussed = sorted(
        (a for a in timeline.alerts
         if a.kind == "critical_care" and a.discussion_outcome is not None),
        key=lambda a: (a.discussion_at or a.raised_at, a.id))
    return HandoverPatient(
        row=row,
        recent_grades=tuple((a.assessed_at, a.crs_grade, a.icans_grade) for a in recent),
        last_discussion=discussed[-1] if discussed else None,
    )


def _busy_ward(ward: Ward) -> dict[str, int]:
    """Long and short courses, an amended set, a discussed and a pending critical-care
    alert, and observations on both sides of the 72-hour edge."""
    ids = {
        "long": ward.patient(family="Long", infused_at=NOW - timedelta(days=9), bed="1"),
        "short": ward.patient(family="Short", infused_at=NOW - timedelta(days=1), bed="2"),
        "talked": ward.patient(family="Talked", infused_at=NOW - timedelta(days=4), bed="3"),
        "quiet": ward.patient(family="Quiet", infused_at=NOW - timedelta(hours=3), bed="4"),
        "pending": ward.patient(family="Pending", infused_at=NOW - timedelta(days=2), bed="5"),
    }
    ward.obs(ids["pending"], NOW - timedelta(hours=2), ICANS2)
    for hours in range(2, 9 * 24, 11):
        at = NOW - timedelta(days=9) + timedelta(hours=hours)
        ward.obs(ids["long"], at, CRS1 if 100 < hours < 190 else None)
    ward.obs(ids["long"], NOW - timedelta(hours=TREND_HOURS))  # exactly on the edge
    for hours in (3, 9, 15):
        ward.obs(ids["short"], NOW - timedelta(days=1) + timedelta(hours=hours),
                 CRS2 if hours == 15 else None)
    for hours in (5, 30, 60, 80):
        ward.obs(ids["talked"], NOW - timedelta(days=4) + timedelta(hours=hours),
                 ICANS3 if hours == 60 else (ICANS2 if hours == 80 else None))
    ward.discuss(ids["talked"], NOW - timedelta(days=4) + timedelta(hours=62))
    ward.clock.set(NOW)
    return ids


def test_batched_reads_match_a_timeline_per_patient(ward: Ward) -> None:
    _busy_ward(ward)
    ctx = ward.ctx
    batched = gather_handover(ctx, NURSE, None)
    reference = [_from_timeline(row, patient_timeline(ctx, NURSE, row.episode_id), NOW)
                 for row in list_ward(ctx, NURSE)]
    assert batched == reference
    assert sum(len(p.recent_grades) for p in batched) > 10  # the ward is not trivial
    assert any(p.last_discussion is not None for p in batched)
    assert any(p.critical_care_pending for p in batched)

    def pdf(patients: list[HandoverPatient]) -> bytes:
        return layout_handover(patients, ward_label="Haematology", printed_at=NOW,
                               printed_by="Nurse Jones")

    assert pdf(batched) == pdf(reference)


def test_recent_grades_is_one_query_for_the_whole_list(ward: Ward) -> None:
    ids = _busy_ward(ward)
    statements: list[str] = []
    from sqlalchemy import event

    engine = ward.ctx.database.engine

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        grades = recent_grades(ward.ctx, NURSE, list(ids.values()),
                               since=NOW - timedelta(hours=TREND_HOURS))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert set(grades) == {ids["long"], ids["short"], ids["talked"],
                           ids["pending"]}  # "quiet": no obs yet
