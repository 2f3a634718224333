"""Every write service produces exactly one audit event in its transaction; every service
checks its permission first (SAFETY.md "Evidence": audit, role × action)."""

from __future__ import annotations

from datetime import date

import pytest

from app.errors import PermissionDenied
from app.services import administrations, alerts, assessments, patients, ward
from tests.services.conftest import (
    ADMIN,
    CRS2,
    HAEM,
    ICANS2,
    NURSE,
    PHARMACIST,
    audit_actions,
    audit_count,
    infuse,
    obs,
)


def test_every_write_service_writes_exactly_one_audit_event(ctx, fake_clock):
    def once(action, call):
        before = audit_count(ctx)
        result = call()
        assert audit_count(ctx) == before + 1, action
        assert audit_actions(ctx)[-1] == action
        return result

    p = once("register_patient", lambda: patients.register_patient(
        ctx, NURSE, nhs_number="9990000018", hospital_number=None, family_name="Smith",
        given_name="Anna", date_of_birth=date(1970, 5, 1), sex="female"))  # fmt: skip
    e = once("register_episode", lambda: patients.register_episode(
        ctx, NURSE, p.id, product_code="axicabtagene_ciloleucel", planned_infusion_date=None,
        weight_kg=70, consultant="Dr B", ward="Haematology"))  # fmt: skip
    infuse(ctx, e.id, fake_clock())
    fake_clock.advance(minutes=30)
    v = patients.get_episode(ctx, NURSE, e.id).version
    e2 = once("update_nursing_note", lambda: patients.update_nursing_note(
        ctx, NURSE, e.id, "note", expected_version=v))  # fmt: skip
    e2 = once("update_weight", lambda: patients.update_weight(
        ctx, NURSE, e.id, 71, expected_version=e2.version))  # fmt: skip
    e2 = once("update_episode_settings", lambda: patients.update_episode_settings(
        ctx, HAEM, e.id, bed="4", expected_version=e2.version))  # fmt: skip
    a = once("record_assessment", lambda: assessments.record_assessment(
        ctx, NURSE, e.id, obs(**ICANS2)))  # with its alert: still one event  # fmt: skip
    assert a.alerts
    a2 = once("amend_assessment", lambda: assessments.amend_assessment(
        ctx, NURSE, a.id, obs(**ICANS2, heart_rate=90), reason="typo"))  # fmt: skip
    fake_clock.advance(minutes=6)
    a3 = assessments.record_assessment(ctx, NURSE, e.id, obs(heart_rate=95))
    once("mark_entered_in_error", lambda: assessments.mark_entered_in_error(
        ctx, NURSE, a3.id, reason="wrong patient"))  # fmt: skip
    d = once("record_administration", lambda: administrations.record_administration(
        ctx, NURSE, e.id, drug="paracetamol", dose=1000, route="oral",
        given_at=fake_clock()))  # fmt: skip
    once("mark_administration_in_error", lambda: administrations.mark_administration_in_error(
        ctx, NURSE, d.id, reason="not given"))  # fmt: skip
    cc = a2.alerts[0] if a2.alerts else alerts.list_open_alerts(ctx, NURSE, e.id)[0]
    cc = once("acknowledge_alert", lambda: alerts.acknowledge_alert(
        ctx, NURSE, cc.id, expected_version=cc.version))  # fmt: skip
    once(
        "record_discussion",
        lambda: alerts.record_discussion(
            ctx,
            NURSE,
            cc.id,
            clinician="Dr Ito",
            discussed_at=fake_clock(),
            outcome="stay_with_plan",
            detail="hourly neuro obs",
            expected_version=cc.version,
        ),
    )
    fake_clock.advance(minutes=10)
    r = assessments.record_assessment(ctx, NURSE, e.id, obs(temperature_c=38.6, hypotension=True))
    prompt = next(x for x in r.alerts if x.kind == "tocilizumab_prompt")
    once("resolve_alert", lambda: alerts.resolve_alert(
        ctx, HAEM, prompt.id, reason="reviewed", expected_version=prompt.version))  # fmt: skip
    fake_clock.advance(hours=13)
    once("alert_raised", lambda: alerts.refresh_overdue_alerts(ctx))  # one change, one event
    e3 = patients.get_episode(ctx, NURSE, e.id)
    e3 = once("record_icu_transfer", lambda: patients.record_icu_transfer(
        ctx, NURSE, e.id, at=fake_clock(), expected_version=e3.version))  # fmt: skip
    once("record_discharge", lambda: patients.record_discharge(
        ctx, NURSE, e.id, at=fake_clock(), expected_version=e3.version))  # fmt: skip


def test_reads_write_no_audit(ctx, episode_id):
    before = audit_count(ctx)
    ward.list_ward(ctx, NURSE)
    ward.episode_header(ctx, NURSE, episode_id)
    ward.patient_timeline(ctx, NURSE, episode_id)
    ward.course_summary(ctx, NURSE, episode_id)
    ward.trend_grid(ctx, NURSE)
    alerts.list_open_alerts(ctx, NURSE)
    assert audit_count(ctx) == before


@pytest.mark.parametrize("who", [PHARMACIST, ADMIN], ids=lambda a: a.role.value)
def test_roles_without_clinical_write_access_are_denied(ctx, episode_id, fake_clock, who):
    before = audit_count(ctx)
    calls = [
        lambda: assessments.record_assessment(ctx, who, episode_id, obs()),
        lambda: administrations.record_administration(
            ctx, who, episode_id, drug="paracetamol", dose=1, given_at=fake_clock()),
        lambda: patients.register_patient(
            ctx, who, nhs_number="9990000026", hospital_number=None, family_name="X",
            given_name="Y", date_of_birth=date(1990, 1, 1), sex="male"),
        lambda: patients.update_nursing_note(ctx, who, episode_id, "x", expected_version=1),
        lambda: alerts.acknowledge_alert(ctx, who, 1, expected_version=1),
        lambda: alerts.record_discussion(
            ctx, who, 1, clinician="x", discussed_at=fake_clock(), outcome="transfer",
            detail="", expected_version=1),
        lambda: alerts.resolve_alert(ctx, who, 1, reason="x", expected_version=1),
        lambda: ward.list_ward(ctx, who),
        lambda: ward.patient_timeline(ctx, who, episode_id),
    ]  # fmt: skip
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert audit_count(ctx) == before


def test_nurse_may_not_resolve_but_haematologist_may(ctx, episode_id, fake_clock):
    row = assessments.record_assessment(ctx, NURSE, episode_id, obs(**CRS2))
    alert = row.alerts[0]
    assert alert.kind == "tocilizumab_prompt"  # critical-care alerts close by discussion
    with pytest.raises(PermissionDenied, match="may not resolve alert"):
        alerts.resolve_alert(ctx, NURSE, alert.id, reason="x", expected_version=alert.version)
    alerts.resolve_alert(ctx, HAEM, alert.id, reason="seen, ICE improving",
                         expected_version=alert.version)  # fmt: skip
