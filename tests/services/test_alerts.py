"""Alerts of RULES E1-E4: raised with their cause, latched, re-raised on a rise, resolved
only by a discussion or a haematologist; overdue from stored times (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.context import AppContext
from app.errors import PermissionDenied, StaleEdit, ValidationFailed
from app.services import alerts, assessments, ward
from db.engine import Database
from db.models import Alert, AuditEvent, Episode
from tests.services.conftest import (
    CRS2,
    CRS3,
    HAEM,
    ICANS1,
    ICANS2,
    ICANS3,
    NEWS2_5,
    NEWS2_7,
    NURSE,
    NURSE2,
    PHARMACIST,
    audit_actions,
    obs,
)

ICE_DROP = {"ice_score": "ICE rechecked by a second nurse"}


def _open(ctx, episode_id, kind=None):
    rows = alerts.list_open_alerts(ctx, NURSE, episode_id)
    return [a for a in rows if kind is None or a.kind == kind]


def test_icans_2_raises_exactly_one_open_alert_that_survives_reopening(
    ctx, episode_id, at, db_url, fake_clock
):
    row = assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS2))
    assert [a.kind for a in row.alerts] == ["critical_care"]
    alert = row.alerts[0]
    assert alert.message == "ICANS grade 2 at 10:00 — discuss with critical care"
    assert alert.status == "raised" and alert.trigger_grade == 2
    assert alert.due_at == alert.raised_at + timedelta(minutes=30)
    # Same grade again: still one open alert, not a second one.
    assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(minutes=1), **ICANS2, heart_rate=85)
    )
    assert len(_open(ctx, episode_id, "critical_care")) == 1
    # A new Database on the same URL (a restart, or another workstation) sees it.
    reopened = Database(db_url)
    try:
        other = AppContext(reopened, clock=fake_clock)
        board = ward.list_ward(other, NURSE2)
        assert [a.kind for a in board[0].open_alerts] == ["critical_care"]
        assert ward.episode_header(other, NURSE2, episode_id).open_alerts[0].id == alert.id
    finally:
        reopened.dispose()


def test_acknowledging_does_not_resolve(ctx, episode_id, at):
    alert = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS2)).alerts[0]  # fmt: skip
    acked = alerts.acknowledge_alert(ctx, NURSE, alert.id, expected_version=alert.version)
    assert acked.status == "acknowledged" and acked.is_open
    assert (acked.acknowledged_by, acked.acknowledged_role) == ("nurse.jones", "nurse")
    assert [a.id for a in _open(ctx, episode_id)] == [alert.id]
    with pytest.raises(ValidationFailed, match="already acknowledged"):
        alerts.acknowledge_alert(ctx, NURSE2, alert.id, expected_version=acked.version)


def test_rise_reraises_the_open_alert(ctx, episode_id, at, fake_clock):
    first = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS2)).alerts[0]  # fmt: skip
    alerts.acknowledge_alert(ctx, NURSE, first.id, expected_version=first.version)
    fake_clock.advance(minutes=20)
    # Lower or equal grade: no change, stays acknowledged.
    same = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS2, heart_rate=88))  # fmt: skip
    assert same.alerts == ()
    fake_clock.advance(minutes=20)
    rise = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS3), confirmations=ICE_DROP
    )
    assert [(a.id, a.status, a.trigger_grade) for a in rise.alerts] == [(first.id, "raised", 3)]
    assert rise.alerts[0].message.startswith("ICANS grade 3 at 10:40")
    assert rise.alerts[0].acknowledged_by is None
    # A second syndrome qualifying (CRS 3 while ICANS stays 3) is a rise too.
    fake_clock.advance(minutes=5)
    both = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS3, **CRS3))  # fmt: skip
    cc = [a for a in both.alerts if a.kind == "critical_care"]
    assert cc and "ICANS grade 3 and CRS grade 3" in cc[0].message
    assert len(_open(ctx, episode_id, "critical_care")) == 1
    # Every transition is in the audit trail.
    with ctx.database.read() as s:
        events = (
            s.execute(select(AuditEvent).where(AuditEvent.action == "record_assessment"))
            .scalars()
            .all()
        )
        transitions = [a["transition"] for e in events for a in (e.after or {}).get("alerts", [])]
    assert transitions.count("raised") >= 1 and transitions.count("re-raised") == 2


def test_discussion_resolves_and_is_audited(ctx, episode_id, at, fake_clock):
    alert = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS2)).alerts[0]  # fmt: skip
    with pytest.raises(ValidationFailed) as err:
        alerts.record_discussion(
            ctx, NURSE, alert.id, clinician="", discussed_at=at(), outcome="stay_with_plan",
            detail="", expected_version=alert.version,
        )  # fmt: skip
    assert {p.field for p in err.value.problems} == {"clinician", "detail"}
    fake_clock.advance(minutes=15)
    done = alerts.record_discussion(
        ctx, NURSE, alert.id, clinician="Dr Ito (ICU registrar)", discussed_at=at(minutes=-2),
        outcome="transfer", detail="", expected_version=alert.version,
    )  # fmt: skip
    assert done.status == "resolved" and done.discussion_outcome == "transfer"
    assert done.discussion_recorded_by == "nurse.jones"
    assert _open(ctx, episode_id) == []
    with ctx.database.read() as s:
        assert s.get(Episode, episode_id).icu_transfer_at == at(minutes=-2)
        event = s.execute(
            select(AuditEvent).where(AuditEvent.action == "record_discussion")
        ).scalar_one()
        assert event.after["discussion_clinician"] == "Dr Ito (ICU registrar)"
        assert event.before["status"] == "raised" and event.after["status"] == "resolved"
    # After the resolution, a later rise raises a new alert.
    fake_clock.advance(minutes=30)
    again = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS3), confirmations=ICE_DROP
    )
    assert again.alerts[0].id != alert.id and again.alerts[0].status == "raised"


def test_a_critical_care_alert_cannot_be_resolved_without_the_discussion(ctx, episode_id, at):
    alert = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS2)).alerts[0]  # fmt: skip
    assert alert.kind == "critical_care"
    with pytest.raises(ValidationFailed, match="Record discussion"):
        alerts.resolve_alert(ctx, HAEM, alert.id, reason="seen", expected_version=alert.version)
    assert [a.id for a in _open(ctx, episode_id)] == [alert.id]  # still open, unchanged


def test_new_icans_after_a_handled_crs_alert_raises_again(ctx, episode_id, at, fake_clock):
    """RULES E1/E2 per syndrome: a handled CRS 4 does not cover a new ICANS 2, then 3."""
    crs4 = {"temperature_c": 39.0, "hypotension": True,
            "vasopressors": ["norepinephrine", "epinephrine"]}  # fmt: skip
    first = assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(), **crs4))
    cc = next(a for a in first.alerts if a.kind == "critical_care")
    _discuss(ctx, cc, at())
    fake_clock.advance(minutes=30)
    same = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **crs4, heart_rate=101))  # fmt: skip
    assert _open(ctx, episode_id, "critical_care") == []  # the handled condition persists
    assert not any(a.kind == "critical_care" for a in same.alerts)
    fake_clock.advance(minutes=30)
    icans = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **crs4, **ICANS2),
        confirmations=ICE_DROP)  # fmt: skip
    new = [a for a in icans.alerts if a.kind == "critical_care"]
    assert len(new) == 1 and new[0].id != cc.id and "ICANS grade 2" in new[0].message


def test_only_a_haematologist_resolves_with_reason(ctx, episode_id, at):
    alert = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **CRS2)).alerts[0]  # fmt: skip
    assert alert.kind == "tocilizumab_prompt"
    assert alert.message == "CRS grade 2 at 10:00 — consider tocilizumab per local SOP"
    with pytest.raises(PermissionDenied):
        alerts.resolve_alert(ctx, NURSE, alert.id, reason="given", expected_version=1)
    with pytest.raises(PermissionDenied):
        alerts.acknowledge_alert(ctx, PHARMACIST, alert.id, expected_version=1)
    with pytest.raises(ValidationFailed, match="reason"):
        alerts.resolve_alert(ctx, HAEM, alert.id, reason="", expected_version=1)
    done = alerts.resolve_alert(ctx, HAEM, alert.id, reason="tocilizumab given 10:20",
                                expected_version=1)  # fmt: skip
    assert (done.status, done.resolved_by) == ("resolved", "dr.okafor")


def test_crs_3_raises_prompt_and_critical_care(ctx, episode_id, at):
    row = assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(), **CRS3))
    assert sorted(a.kind for a in row.alerts) == ["critical_care", "tocilizumab_prompt"]
    cc = next(a for a in row.alerts if a.kind == "critical_care")
    assert cc.message.startswith("CRS grade 3 at 10:00")


def test_grade_1_raises_nothing(ctx, episode_id, at):
    row = assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS1))
    assert row.alerts == () and _open(ctx, episode_id) == []


def test_news2_urgent_and_emergency(ctx, episode_id, at, fake_clock):
    five = assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(), **NEWS2_5))
    assert five.news2_total == 5
    assert [a.kind for a in five.alerts] == ["news2_urgent"]
    assert "urgent response" in five.alerts[0].message
    fake_clock.advance(minutes=10)
    seven = assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(), **NEWS2_7))
    assert seven.news2_total == 7
    assert [a.kind for a in seven.alerts] == ["news2_emergency"]
    assert "emergency response" in seven.alerts[0].message
    kinds = {a.kind for a in _open(ctx, episode_id)}
    assert kinds == {"news2_urgent", "news2_emergency"}


def test_stale_alert_edit_names_who_changed_it(ctx, episode_id, at):
    alert = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS2)).alerts[0]  # fmt: skip
    alerts.acknowledge_alert(ctx, NURSE2, alert.id, expected_version=alert.version)
    with pytest.raises(StaleEdit, match=r"nurse\.patel") as err:
        alerts.record_discussion(
            ctx, NURSE, alert.id, clinician="Dr Ito", discussed_at=at(), outcome="declined",
            detail="no bed; reviewed, stays", expected_version=alert.version,
        )  # fmt: skip
    assert err.value.changed_by == "nurse.patel"


# --- overdue (E4) ---------------------------------------------------------------------------


def test_overdue_from_stored_times(ctx, episode_id, at, fake_clock):
    # Infused 8 Mar 09:00 (day 2 now); a normal set now -> next due in 12 h, ICE too.
    assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at()))
    assert alerts.refresh_overdue_alerts(ctx) == 0
    row = ward.list_ward(ctx, NURSE)[0]
    assert row.next_due_at == at(hours=12) and not row.overdue
    fake_clock.advance(hours=12, minutes=1)
    assert alerts.refresh_overdue_alerts(ctx) == 1
    assert alerts.refresh_overdue_alerts(ctx) == 0  # latched: one open alert
    (overdue,) = _open(ctx, episode_id, "overdue")
    assert "overdue" in overdue.message
    assert ward.list_ward(ctx, NURSE)[0].overdue
    # The next assessment resolves it in its own transaction.
    row = assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at()))
    assert [(a.kind, a.status) for a in row.alerts] == [("overdue", "resolved")]
    assert _open(ctx, episode_id, "overdue") == []
    assert "alert_raised" in audit_actions(ctx)


def test_interval_is_4_hours_while_graded_positive(ctx, episode_id, at, fake_clock):
    assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS1))
    fake_clock.advance(hours=4, minutes=1)
    assert ward.list_ward(ctx, NURSE)[0].overdue
    assert alerts.refresh_overdue_alerts(ctx) == 1


def test_episode_interval_override(ctx, episode_id, at, fake_clock):
    from app.services import patients

    version = patients.get_episode(ctx, NURSE, episode_id).version
    patients.update_episode_settings(
        ctx, HAEM, episode_id, assessment_interval_hours=1, expected_version=version
    )
    assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at()))
    fake_clock.advance(minutes=61)
    assert ward.list_ward(ctx, NURSE)[0].overdue


def test_ice_twice_daily_on_days_0_to_10(ctx, episode_id, at, fake_clock):
    # Observations without ICE every 3 h keep obs up to date, but ICE falls due at 12 h.
    no_ice = {k: v for k, v in obs().items() if k != "ice_score"}
    assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at()))
    for step in range(4):
        fake_clock.advance(hours=3, minutes=1)
        assessments.record_assessment(
            ctx, NURSE, episode_id, {**no_ice, "assessed_at": at(), "heart_rate": 70 + step}
        )
    row = ward.list_ward(ctx, NURSE)[0]
    assert row.overdue
    # The last set (without ICE) was recorded after ICE fell due: it raised the alert itself.
    assert alerts.refresh_overdue_alerts(ctx) == 0
    assert "ICE" in _open(ctx, episode_id, "overdue")[0].message


def test_discussion_deadline_reraises_an_acknowledged_alert(ctx, episode_id, at, fake_clock):
    alert = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS2)).alerts[0]  # fmt: skip
    alerts.acknowledge_alert(ctx, NURSE, alert.id, expected_version=alert.version)
    fake_clock.advance(minutes=31)
    alerts.refresh_overdue_alerts(ctx)
    (cc,) = _open(ctx, episode_id, "critical_care")
    assert cc.status == "raised" and cc.deadline_passed
    assert cc.message.endswith("discussion not recorded within 30 min")
    # Acknowledged again after the deadline: not re-raised in a loop.
    alerts.acknowledge_alert(ctx, NURSE, cc.id, expected_version=cc.version)
    alerts.refresh_overdue_alerts(ctx)
    assert _open(ctx, episode_id, "critical_care")[0].status == "acknowledged"


def test_one_open_alert_per_kind_is_enforced_by_the_database(ctx, episode_id, at):
    assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS2))
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), ctx.database.transaction() as s:
        s.add(Alert(episode_id=episode_id, kind="critical_care", status="raised",
                    message="dup", raised_at=at(), version=1))  # fmt: skip
        s.flush()


def test_a_child_screened_with_capd_items_is_not_overdue_for_ice(ctx, at, fake_clock):
    """CAPD entered item by item counts as the encephalopathy screen (RULES E4, I1)."""
    from datetime import date

    from tests.services.conftest import make_episode

    child = make_episode(ctx, nhs="9990000026", dob=date(2019, 3, 1), bed="B1")
    capd = {
        "eye_contact": "always", "purposeful_actions": "always",
        "aware_of_surroundings": "always", "communicates_needs": "always",
        "restless": "never", "inconsolable": "never", "underactive": "never",
        "slow_to_respond": "never",
    }  # fmt: skip
    child_obs = {k: v for k, v in obs().items() if k != "ice_score"}
    child_obs.update(heart_rate=110, respiratory_rate=24, capd_items=capd)
    for _ in range(5):
        assessments.record_assessment(ctx, NURSE, child, {**child_obs, "assessed_at": at()})
        fake_clock.advance(hours=3, minutes=59)
    (row,) = [r for r in ward.list_ward(ctx, NURSE) if r.episode_id == child]
    assert not row.overdue, "the CAPD screen was done every 4 h"
    assert not _open(ctx, child, "overdue")


def _discuss(ctx, alert, at):
    return alerts.record_discussion(
        ctx, NURSE, alert.id, clinician="Dr ICU", discussed_at=at, outcome="stay_with_plan",
        detail="neuro obs hourly", expected_version=alert.version,
    )  # fmt: skip


def test_after_the_discussion_the_same_grade_does_not_raise_a_new_alert(
    ctx, episode_id, at, fake_clock
):
    """RULES E1: the alert re-raises only if the grade rises again, not on every set."""
    alert = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS2)).alerts[0]  # fmt: skip
    _discuss(ctx, alert, at())
    fake_clock.advance(hours=1)
    again = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS2, heart_rate=84)
    )
    assert [a.kind for a in again.alerts] == []
    assert _open(ctx, episode_id, "critical_care") == []


def test_after_the_discussion_a_rise_raises_a_new_alert(ctx, episode_id, at, fake_clock):
    alert = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS2)).alerts[0]  # fmt: skip
    _discuss(ctx, alert, at())
    fake_clock.advance(hours=1)
    assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS3), confirmations=ICE_DROP
    )
    (cc,) = _open(ctx, episode_id, "critical_care")
    assert cc.trigger_grade == 3 and cc.status == "raised"


def test_a_new_event_after_recovery_raises_a_new_alert(ctx, episode_id, at, fake_clock):
    alert = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS2)).alerts[0]  # fmt: skip
    _discuss(ctx, alert, at())
    fake_clock.advance(hours=4)
    assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at()))  # ICE 10
    fake_clock.advance(hours=4)
    assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **ICANS2), confirmations=ICE_DROP
    )
    (cc,) = _open(ctx, episode_id, "critical_care")
    assert cc.id != alert.id and cc.trigger_grade == 2


def test_giving_tocilizumab_settles_the_consider_tocilizumab_prompt(
    ctx, episode_id, at, fake_clock
):
    from app.services import administrations

    assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(), **CRS2))
    assert _open(ctx, episode_id, "tocilizumab_prompt")
    fake_clock.advance(minutes=20)
    administrations.record_administration(
        ctx, NURSE, episode_id, drug="tocilizumab", dose=560, given_at=at(),
        override_reason="dose as prescribed",
    )  # fmt: skip
    assert _open(ctx, episode_id, "tocilizumab_prompt") == []
    with ctx.database.read() as s:
        prompt = s.execute(select(Alert).where(Alert.kind == "tocilizumab_prompt")).scalar_one()
        event = s.execute(
            select(AuditEvent).where(AuditEvent.action == "record_administration")
        ).scalar_one()
    assert prompt.status == "resolved" and "tocilizumab given" in (prompt.resolved_reason or "")
    assert event.after is not None and event.after["alert_resolved"] == prompt.id
    # CRS 2 persisting after the dose does not prompt again; CRS 3 would.
    fake_clock.advance(hours=2)
    assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), **CRS2, heart_rate=90)
    )
    assert _open(ctx, episode_id, "tocilizumab_prompt") == []
