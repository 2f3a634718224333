"""Patients awaiting infusion (ward.list_planned), registration of patient and episode in
one transaction (patients.register_patient_with_episode), and what a discharge, death or
ICU transfer does to the episode's open alerts (RULES E1). SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from app.context import AppContext
from app.errors import ConfirmationRequired, PermissionDenied, ValidationFailed
from app.rows import Registration
from app.services import alerts, assessments, patients, ward
from app.services import tocilizumab as toci
from app.services.patients import AlreadyRegistered
from db.models import AuditEvent, Episode, Patient
from tests.services.conftest import (
    CRS2,
    HAEM,
    ICANS2,
    NURSE,
    PHARMACIST,
    audit_actions,
    audit_count,
    make_episode,
    obs,
)

PERSON: dict[str, Any] = {
    "nhs_number": "999 000 1308", "hospital_number": None, "family_name": "Morgan",
    "given_name": "Rhys", "date_of_birth": date(1970, 5, 1), "sex": "male",
}  # fmt: skip
EPISODE: dict[str, Any] = {
    "product_code": "axicabtagene_ciloleucel", "planned_infusion_date": date(2026, 3, 12),
    "weight_kg": 50.0, "consultant": "Dr Brown", "ward": "Haematology", "bed": "4",
}  # fmt: skip


def _count(ctx: AppContext, model: Any) -> int:
    with ctx.database.read() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def _register(ctx: AppContext, **changes: Any) -> Registration:
    return patients.register_patient_with_episode(ctx, NURSE, **{**PERSON, **EPISODE, **changes})


def _reserve_one_dose(ctx: AppContext, episode_id: int) -> None:
    """50 kg: one dose is 400 mg, one 400 mg vial."""
    toci.receive_vials(ctx, PHARMACIST, strength_mg=400, batch="B1",
                       expiry_date=date(2026, 12, 31), location="pharmacy", count=1)
    toci.reserve_for_episode(ctx, PHARMACIST, episode_id, doses=1)


# --- awaiting infusion ------------------------------------------------------------------


def test_planned_episodes_are_listed_with_the_readiness_the_gate_uses(ctx: AppContext) -> None:
    later = _register(ctx, nhs_number="9990000026", family_name="Young",
                      planned_infusion_date=date(2026, 3, 14), bed="10").episode.id
    soon = _register(ctx).episode.id
    make_episode(ctx, nhs="9990000034")  # infused: on the board, not awaiting infusion

    rows = ward.list_planned(ctx, NURSE)
    assert [r.episode_id for r in rows] == [soon, later]  # soonest planned date first
    row = rows[0]
    assert (row.patient_name, row.nhs_number, row.age_years, row.bed) == (
        "MORGAN, Rhys", "999 000 1308", 55, "4")  # fmt: skip
    assert row.product_label == "Yescarta (axicabtagene ciloleucel)"
    assert (row.planned_infusion_date, row.days_to_infusion) == (date(2026, 3, 12), 2)
    assert (row.weight_kg, row.weight_recorded_on) == (50.0, date(2026, 3, 10))
    assert not row.readiness_met
    assert row.readiness_text == "Short by 1 dose — ask pharmacy"
    assert row.readiness_detail == "needs 1 dose of 400 mg; reserved 0 mg"

    _reserve_one_dose(ctx, soon)
    row = ward.list_planned(ctx, NURSE)[0]
    assert row.readiness_met and row.readiness_text == "Ready: 1 dose reserved"
    # The same answer as the infusion gate itself.
    assert toci.check_readiness(ctx, NURSE, soon).met is row.readiness_met


def test_planned_list_leaves_out_infused_and_ended_episodes_and_filters_by_ward(
    ctx: AppContext,
) -> None:
    kept = _register(ctx).episode
    gone = _register(ctx, nhs_number="9990000026", ward="Ward 9").episode
    assert {r.episode_id for r in ward.list_planned(ctx, NURSE)} == {kept.id, gone.id}
    assert [r.episode_id for r in ward.list_planned(ctx, NURSE, "Haematology")] == [kept.id]
    patients.record_discharge(ctx, NURSE, gone.id, at=ctx.clock(), expected_version=1)
    toci.record_infusion(ctx, HAEM, kept.id, infused_at=ctx.clock(), override_reason="test")
    assert ward.list_planned(ctx, NURSE) == []


def test_planned_list_needs_the_ward_permission(ctx: AppContext) -> None:
    with pytest.raises(PermissionDenied):
        ward.list_planned(ctx, PHARMACIST)


# --- registration in one transaction ----------------------------------------------------


def test_every_problem_of_both_halves_at_once_and_nothing_stored(ctx: AppContext) -> None:
    with pytest.raises(ValidationFailed) as err:
        patients.register_patient_with_episode(
            ctx, NURSE, nhs_number="", hospital_number="", family_name="", given_name="",
            date_of_birth=None, sex="", product_code="", planned_infusion_date=None,
            weight_kg=0.0, consultant="", ward="Haematology",
        )  # fmt: skip
    by_field = {p.field: p.message for p in err.value.problems}
    assert set(by_field) == {"nhs_number", "family_name", "given_name", "date_of_birth", "sex",
                             "product_code", "weight_kg", "consultant"}
    # The words on the screen, never internal codes.
    assert by_field["sex"] == "choose the sex: Female, Male, Other or Not known"
    assert by_field["product_code"] == "choose the CAR-T product"
    assert (_count(ctx, Patient), _count(ctx, Episode), audit_count(ctx)) == (0, 0, 0)
    # The dialog's pre-check gives the same problems, reading and storing nothing.
    problems = patients.registration_problems(
        ctx, NURSE, **{**PERSON, "family_name": "", "date_of_birth": None},
        **{**EPISODE, "product_code": "kymriah"},
    )
    assert [p.field for p in problems] == ["family_name", "date_of_birth", "product_code"]
    assert problems[0] == err.value.problems[1]  # family name: the same words
    assert (_count(ctx, Patient), audit_count(ctx)) == (0, 0)


def test_unknown_product_is_named_by_the_labels_in_the_list(ctx: AppContext) -> None:
    with pytest.raises(ValidationFailed) as err:
        _register(ctx, product_code="kymriah")
    [problem] = err.value.problems
    assert "Yescarta (axicabtagene ciloleucel)" in problem.message
    assert "axicabtagene_ciloleucel" not in problem.message


def test_patient_and_episode_stored_together_with_one_audit_event(ctx: AppContext) -> None:
    result = _register(ctx)
    assert result.new_patient
    assert (result.patient.name, result.episode.status) == ("MORGAN, Rhys", "planned")
    assert result.episode.patient_id == result.patient.id
    assert audit_actions(ctx) == ["register_patient_with_episode"]
    with ctx.database.read() as s:
        event = s.execute(select(AuditEvent)).scalar_one()
        assert event.episode_id == result.episode.id
        assert event.after is not None
        assert event.after["patient"]["family_name"] == "Morgan"
        assert event.after["episode"]["product_code"] == "axicabtagene_ciloleucel"


def test_a_failure_while_storing_the_episode_leaves_no_patient(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(patients, "_add_episode", fail)
    with pytest.raises(RuntimeError):
        _register(ctx)
    assert (_count(ctx, Patient), _count(ctx, Episode), audit_count(ctx)) == (0, 0, 0)


def test_known_number_names_the_patient_and_a_new_episode_can_be_added(
    ctx: AppContext,
) -> None:
    first = _register(ctx)
    patients.record_discharge(ctx, NURSE, first.episode.id, at=ctx.clock(), expected_version=1)

    with pytest.raises(AlreadyRegistered) as err:
        _register(ctx, given_name="Rees")
    assert err.value.patient.id == first.patient.id and err.value.open_episode is None
    message = str(err.value.problems[0].message)
    assert message.startswith("NHS number 999 000 1308 belongs to MORGAN, Rhys (born 01 May 1970)")
    assert f"patient {first.patient.id}" not in message and "open that patient" not in message

    second = _register(ctx, given_name="Rees", existing_patient_id=first.patient.id)
    assert not second.new_patient
    assert second.patient == first.patient  # the stored identity is kept, not what was typed
    assert second.episode.status == "planned" and second.episode.id != first.episode.id
    assert _count(ctx, Patient) == 1
    assert audit_actions(ctx)[-1] == "register_episode"


def test_no_second_episode_while_one_is_planned_or_active(ctx: AppContext) -> None:
    first = _register(ctx)
    with pytest.raises(AlreadyRegistered) as err:
        _register(ctx)
    assert err.value.open_episode is not None
    assert "awaiting infusion" in str(err.value) and "Yescarta" in str(err.value)
    with pytest.raises(ValidationFailed, match="MORGAN, Rhys already has an open episode"):
        _register(ctx, existing_patient_id=first.patient.id)
    assert _count(ctx, Episode) == 1


def test_existing_register_functions_still_work(ctx: AppContext) -> None:
    p = patients.register_patient(ctx, NURSE, **PERSON)
    e = patients.register_episode(ctx, NURSE, p.id, **EPISODE)
    assert e.patient_id == p.id
    assert audit_actions(ctx) == ["register_patient", "register_episode"]


# --- discharge, death, ICU transfer with open alerts (RULES E1) --------------------------


def _with_critical_care_alert(ctx: AppContext) -> tuple[int, int]:
    """An active episode with an open critical-care alert (ICANS 2) and a CRS-2 prompt."""
    episode_id = make_episode(ctx)
    assessments.record_assessment(ctx, NURSE, episode_id, obs(**ICANS2, **CRS2))
    kinds = {a.kind for a in alerts.list_open_alerts(ctx, NURSE, episode_id)}
    assert {"critical_care", "tocilizumab_prompt"} <= kinds
    return episode_id, patients.get_episode(ctx, NURSE, episode_id).version


def test_discharge_with_a_critical_care_alert_open_needs_a_reason(ctx: AppContext) -> None:
    episode_id, version = _with_critical_care_alert(ctx)
    before = audit_count(ctx)
    with pytest.raises(ConfirmationRequired) as err:
        patients.record_discharge(ctx, NURSE, episode_id, at=ctx.clock(),
                                  expected_version=version)
    [problem] = err.value.problems
    assert problem.field == "reason"
    assert "ICANS grade 2" in problem.message and "RULES E1" in problem.message
    assert patients.get_episode(ctx, NURSE, episode_id).status == "active"
    assert audit_count(ctx) == before

    patients.record_discharge(ctx, NURSE, episode_id, at=ctx.clock(), expected_version=version,
                              reason="transferred to the hospice; family informed")
    assert patients.get_episode(ctx, NURSE, episode_id).status == "discharged"
    assert alerts.list_open_alerts(ctx, NURSE, episode_id) == []
    closed = {a.kind: a for a in alerts.list_alerts(ctx, NURSE, episode_id)}
    assert closed["critical_care"].resolved_by == "system"
    assert closed["critical_care"].resolved_reason == (
        "patient discharged with the critical-care discussion not recorded: transferred to "
        "the hospice; family informed")
    assert closed["tocilizumab_prompt"].resolved_reason == "patient discharged"
    assert audit_count(ctx) == before + 1  # one event lists the alerts it closed
    with ctx.database.read() as s:
        event = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
        assert event is not None and event.action == "record_discharge"
        assert event.reason == "transferred to the hospice; family informed"
        assert event.after is not None
        assert {a["kind"] for a in event.after["alerts"]} >= {"critical_care",
                                                              "tocilizumab_prompt"}


def test_discharge_closes_other_open_alerts_without_asking(ctx: AppContext) -> None:
    episode_id = make_episode(ctx)
    assessments.record_assessment(ctx, NURSE, episode_id, obs(**CRS2))
    version = patients.get_episode(ctx, NURSE, episode_id).version
    patients.record_discharge(ctx, NURSE, episode_id, at=ctx.clock(), expected_version=version)
    [prompt] = alerts.list_alerts(ctx, NURSE, episode_id)
    assert (prompt.kind, prompt.status, prompt.resolved_reason) == (
        "tocilizumab_prompt", "resolved", "patient discharged")  # fmt: skip


def test_death_closes_every_open_alert_without_a_reason(ctx: AppContext) -> None:
    episode_id, version = _with_critical_care_alert(ctx)
    patients.record_death(ctx, HAEM, episode_id, at=ctx.clock(), cause="icans",
                          expected_version=version)
    assert alerts.list_open_alerts(ctx, NURSE, episode_id) == []
    assert {a.resolved_reason for a in alerts.list_alerts(ctx, NURSE, episode_id)} == {
        "patient died"}


def test_icu_transfer_keeps_the_alerts_open(ctx: AppContext) -> None:
    episode_id, version = _with_critical_care_alert(ctx)
    patients.record_icu_transfer(ctx, NURSE, episode_id, at=ctx.clock(),
                                 expected_version=version)
    episode = patients.get_episode(ctx, NURSE, episode_id)
    assert (episode.status, episode.icu_transfer_at) == ("active", ctx.clock())
    # RULES E1: only the recorded discussion closes the critical-care alert.
    assert "critical_care" in {a.kind for a in alerts.list_open_alerts(ctx, NURSE, episode_id)}
    assert any(r.episode_id == episode_id for r in ward.list_ward(ctx, NURSE))
