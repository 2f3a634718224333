"""The lock screen's count (usability audit 11): open RULES E1 critical-care alerts of
patients on the ward, waiting for their discussion; nothing else is counted, and nothing
but the number comes back (it is read with nobody signed in)."""

from __future__ import annotations

from app.services import alerts, assessments
from db.models import Episode
from tests.services.conftest import ICANS2, NEWS2_7, NURSE, make_episode, obs


def test_counts_open_critical_care_alerts_of_ward_patients(ctx, episode_id, at):
    assert alerts.count_pending_discussions(ctx) == 0
    assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(), **NEWS2_7))
    assert alerts.count_pending_discussions(ctx) == 0  # a NEWS2 alert is not a discussion
    first = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(minutes=1), **ICANS2),
        confirmations={"ice_score": "rechecked: ICE 5"},
    )  # fmt: skip
    other = make_episode(ctx, nhs="9990000026", bed="4", family="Jones")
    assessments.record_assessment(ctx, NURSE, other, obs(assessed_at=at(minutes=2), **ICANS2))
    gone = make_episode(ctx, nhs="9990000034", bed="5", family="Ng")
    assessments.record_assessment(ctx, NURSE, gone, obs(assessed_at=at(minutes=3), **ICANS2))
    assert alerts.count_pending_discussions(ctx) == 3

    with ctx.database.transaction() as s:  # left the ward with the alert open
        s.get(Episode, gone).status = "discharged"
    assert alerts.count_pending_discussions(ctx) == 2

    alert = next(a for a in first.alerts if a.kind == "critical_care")
    alerts.record_discussion(
        ctx, NURSE, alert.id, clinician="Dr Ito", discussed_at=at(minutes=5),
        outcome="stay_with_plan", detail="neuro obs hourly", expected_version=alert.version,
    )  # fmt: skip
    assert alerts.count_pending_discussions(ctx) == 1
    assert isinstance(alerts.count_pending_discussions(ctx), int)
