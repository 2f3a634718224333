"""RULES E1 discussion time (usability audit 9): a discussion timed before the alert was
raised is refused in ward words, allowing an hour for a call started while the set was
being taken; a set saved late counts from the time it describes."""

from __future__ import annotations

import pytest

from app.errors import ValidationFailed
from app.services import alerts, assessments
from tests.services.conftest import ICANS2, NURSE, audit_actions, obs


def _alert(ctx, episode_id, assessed_at):
    row = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=assessed_at, **ICANS2),
        confirmations={"assessed_at": "observations from the round, typed later"},
    )  # fmt: skip
    return next(a for a in row.alerts if a.kind == "critical_care")


def _discuss(ctx, alert, discussed_at):
    return alerts.record_discussion(
        ctx, NURSE, alert.id, clinician="Dr Ito (ICU registrar)", discussed_at=discussed_at,
        outcome="stay_with_plan", detail="neuro obs hourly", expected_version=alert.version,
    )  # fmt: skip


def test_a_discussion_days_before_the_alert_is_refused(ctx, episode_id, at):
    alert = _alert(ctx, episode_id, at())  # raised 10 Mar 10:00 GMT
    with pytest.raises(ValidationFailed) as err:
        _discuss(ctx, alert, at(days=-3, minutes=-40))  # the day typed wrongly
    (problem,) = err.value.problems
    assert problem.field == "discussed_at"
    assert problem.message == ("the discussion time is before the alert was raised "
                               "(10 Mar 2026 10:00) — check the date and time")
    # Nothing stored: the alert stays open, no discussion audit event.
    assert [a.status for a in alerts.list_open_alerts(ctx, NURSE, episode_id)] == ["raised"]
    assert "record_discussion" not in audit_actions(ctx)
    assert _discuss(ctx, alert, at(minutes=5)).status == "resolved"  # once put right


def test_other_problems_come_back_in_the_same_round(ctx, episode_id, at):
    alert = _alert(ctx, episode_id, at())
    with pytest.raises(ValidationFailed) as err:
        alerts.record_discussion(
            ctx, NURSE, alert.id, clinician="", discussed_at=at(days=-1), outcome="transfer",
            detail="", expected_version=alert.version,
        )  # fmt: skip
    assert {p.field for p in err.value.problems} == {"clinician", "discussed_at"}


def test_a_call_made_while_the_set_was_taken_is_accepted(ctx, episode_id, at):
    alert = _alert(ctx, episode_id, at())
    done = _discuss(ctx, alert, at(minutes=-59))
    assert done.status == "resolved" and done.discussion_at == at(minutes=-59)


def test_an_hour_and_more_before_is_refused(ctx, episode_id, at):
    alert = _alert(ctx, episode_id, at())
    with pytest.raises(ValidationFailed, match="before the alert was raised"):
        _discuss(ctx, alert, at(minutes=-61))


def test_a_set_saved_late_counts_from_the_time_it_describes(ctx, episode_id, at):
    # Observations taken 3 h ago, saved now: the alert is raised now, but critical care
    # may have been called 2 h ago, after the patient was seen.
    alert = _alert(ctx, episode_id, at(hours=-3))
    assert alert.raised_at == at()
    assert _discuss(ctx, alert, at(hours=-2)).status == "resolved"


def test_a_set_saved_late_still_refuses_a_time_before_it(ctx, episode_id, at):
    alert = _alert(ctx, episode_id, at(hours=-3))
    with pytest.raises(ValidationFailed, match="before the alert was raised"):
        _discuss(ctx, alert, at(hours=-4, minutes=-1))
