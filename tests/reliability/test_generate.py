"""`python -m app generate`: bulk synthetic history that the ward services read correctly."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

import grading
from app.generate import generate_history
from app.services import alerts, ward
from app.services.assessments import inputs_from_row
from db.models import Assessment, AuditEvent, Episode, Patient
from tests.reliability.ward import NURSE


def test_generated_history_is_graded_truly_and_read_by_the_ward_services(ctx: Any) -> None:
    made = generate_history(ctx, patients=40, seed=7)
    assert made == 40
    with ctx.database.read() as s:
        assert s.execute(select(func.count(Patient.id))).scalar_one() == 40
        statuses = dict(
            s.execute(select(Episode.status, func.count()).group_by(Episode.status)).all()
        )
        n_assessments = s.execute(select(func.count(Assessment.id))).scalar_one()
        events = s.execute(
            select(AuditEvent).where(AuditEvent.action == "generate_history")
        ).scalars()
        batches = list(events)
        sample = list(s.execute(select(Assessment).order_by(Assessment.id).limit(3000)).scalars())
        episode_ids = list(
            s.execute(select(Episode.id).where(Episode.status == "active")).scalars()
        )
    # Some patients still on the ward (days 0-28), the rest finished; one audit event per
    # transaction, summing to what was written.
    assert statuses["active"] > 0 and statuses["completed"] > 0
    assert len(batches) == 1 and batches[0].after is not None
    assert batches[0].after["assessments"] == n_assessments
    # Stored grades are the engine's grades of the stored inputs.
    for row in sample:
        result = grading.grade_assessment(inputs_from_row(row))
        assert (row.crs_grade, row.icans_grade, row.news2_total) == (
            None if result.crs is None else result.crs.grade,
            None if result.icans is None else result.icans.grade,
            None if result.news2 is None else result.news2.total,
        ), row.id
    assert {r.crs_grade for r in sample} >= {0, 1, 2}

    board = ward.list_ward(ctx, NURSE)
    assert sorted(r.episode_id for r in board) == sorted(episode_ids)
    assert all(r.last_assessed_at is not None for r in board)
    timeline = ward.patient_timeline(ctx, NURSE, board[0].episode_id)
    graded_days = [d for d in timeline.days if d.assessments]
    assert graded_days and all(len(d.assessments) <= 6 for d in graded_days)
    open_alerts = alerts.list_open_alerts(ctx, NURSE)
    assert all(a.episode_id in episode_ids for a in open_alerts)
