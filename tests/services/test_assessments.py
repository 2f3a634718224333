"""record_assessment, amend_assessment, mark_entered_in_error (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.errors import ConfirmationRequired, PermissionDenied, StaleEdit, ValidationFailed
from app.services import administrations, alerts, assessments, ward
from db.models import Assessment, AuditEvent
from tests.services.conftest import (
    CRS1,
    CRS2,
    HAEM,
    ICANS2,
    NURSE,
    NURSE2,
    PHARMACIST,
    audit_actions,
    make_episode,
    obs,
)


def _count(ctx) -> int:
    with ctx.database.read() as s:
        return int(s.execute(select(func.count()).select_from(Assessment)).scalar_one())


def test_record_grades_and_persists_every_input(ctx, episode_id, at):
    row = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(minutes=-10), **CRS2, **ICANS2)
    )
    assert (row.crs_grade, row.icans_grade, row.icans_tool) == (2, 2, "ICE")
    assert row.day == 2 and row.status == "current" and not row.late_entry
    assert row.rules_version.startswith("ASTCT2019")
    assert row.crs_reasons and row.icans_reasons
    assert row.version_ids == (row.id,)

    again = assessments.get_assessment(ctx, NURSE, row.id)
    assert again.inputs["temperature_c"] == 38.6
    assert again.inputs["hypotension"] is True
    assert (again.crs_grade, again.icans_grade, again.news2_total) == (
        row.crs_grade, row.icans_grade, row.news2_total)  # fmt: skip
    assert again.entered_by == "nurse.jones"
    assert audit_actions(ctx)[-1] == "record_assessment"


def test_age_tool_and_scale_are_derived_not_typed(ctx, at):
    child = make_episode(ctx, nhs="9990000026", dob=date(2016, 3, 10))  # turns 10 today
    row = assessments.record_assessment(
        ctx, NURSE, child,
        {"assessed_at": at(), "capd_score": 0, "age_years": 40, "crs_previously_diagnosed": True},
    )  # fmt: skip
    with ctx.database.read() as s:
        stored = s.get(Assessment, row.id)
        assert stored.age_years == pytest.approx(10.0)
        assert stored.crs_previously_diagnosed is False
    assert row.icans_tool == "CAPD"
    assert row.news2_total is None and row.news2_null_reason  # RULES N1: under 16


def test_the_wrong_encephalopathy_tool_is_refused_naming_the_right_one(ctx, episode_id, at):
    """RULES I1: stored, a child's ICE graded nothing yet counted as the screen done (E4)."""
    child = make_episode(ctx, nhs="9990000026", dob=date(2019, 3, 10))  # 7 today
    with pytest.raises(ValidationFailed) as refused:
        assessments.record_assessment(ctx, NURSE, child, {"assessed_at": at(), "ice_score": 2})
    [problem] = refused.value.problems
    assert problem.field == "ice_score"
    assert "age 7, under 12" in problem.message and "enter the CAPD items" in problem.message
    with pytest.raises(ValidationFailed) as refused:
        assessments.record_assessment(ctx, NURSE, episode_id,
                                      {"assessed_at": at(), "capd_score": 12})
    assert "screened with ICE" in refused.value.problems[0].message
    assert _count(ctx) == 0


def test_missing_icans_domains_show_at_least(ctx, episode_id, at):
    row = assessments.record_assessment(
        ctx, NURSE, episode_id, {"assessed_at": at(), "ice_score": 5}
    )
    assert row.icans_grade == 2 and row.icans_at_least and row.icans_display == "≥ 2"


def test_impossible_values_store_nothing_and_name_every_problem(ctx, episode_id, at):
    with pytest.raises(ValidationFailed) as err:
        assessments.record_assessment(
            ctx, NURSE, episode_id,
            obs(assessed_at=at(), temperature_c=101.3, heart_rate=400),
        )  # fmt: skip
    fields = {p.field for p in err.value.problems}
    assert {"temperature_c", "heart_rate"} <= fields
    assert any(p.suggestion == 38.5 for p in err.value.problems)
    assert _count(ctx) == 0


def test_improbable_values_need_a_reason_which_is_stored(ctx, episode_id, at):
    values = obs(assessed_at=at(), heart_rate=190)
    with pytest.raises(ConfirmationRequired) as err:
        assessments.record_assessment(ctx, NURSE, episode_id, values)
    assert [p.field for p in err.value.problems] == ["heart_rate"]
    assert _count(ctx) == 0
    row = assessments.record_assessment(
        ctx, NURSE, episode_id, values, confirmations={"heart_rate": "rechecked on monitor"}
    )
    assert row.confirmations == {"heart_rate": "rechecked on monitor"}


def test_time_window_rules_t2(ctx, episode_id, at):
    with pytest.raises(ValidationFailed, match="future"):
        assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(minutes=30)))
    with pytest.raises(ValidationFailed, match="before the infusion"):
        assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(days=-3)))
    with pytest.raises(ConfirmationRequired) as err:
        assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(hours=-3)))
    assert err.value.problems[0].field == "assessed_at"
    row = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(hours=-3)),
        confirmations={"assessed_at": "paper chart during downtime"},
    )  # fmt: skip
    assert row.late_entry


def test_baseline_before_infusion(ctx, fake_clock):
    planned = make_episode(ctx, nhs="9990000034", infused_at=None)
    # fake clock: 10 March; planned infusion date set to 11 March -> today is day -1.
    with ctx.database.transaction() as s:
        from db.models import Episode

        s.get(Episode, planned).planned_infusion_date = date(2026, 3, 11)
    with pytest.raises(ValidationFailed, match="infusion has not been recorded"):
        assessments.record_assessment(ctx, NURSE, planned, obs())
    row = assessments.record_assessment(ctx, NURSE, planned, obs(), is_baseline=True)
    assert row.is_baseline and row.day == -1


def test_idempotency_key_double_submit_stores_one_row(ctx, episode_id, at):
    values = obs(assessed_at=at())
    first = assessments.record_assessment(ctx, NURSE, episode_id, values, idempotency_key="k-1")
    second = assessments.record_assessment(ctx, NURSE, episode_id, values, idempotency_key="k-1")
    assert second.id == first.id and second.already_stored and not first.already_stored
    assert _count(ctx) == 1
    assert audit_actions(ctx).count("record_assessment") == 1


def test_same_values_within_5_minutes_need_confirmation(ctx, episode_id, at):
    assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(minutes=-4)))
    with pytest.raises(ConfirmationRequired) as err:
        assessments.record_assessment(ctx, NURSE2, episode_id, obs(assessed_at=at()))
    assert [p.field for p in err.value.problems] == ["duplicate"]
    assert "nurse.jones" in err.value.problems[0].message
    assessments.record_assessment(
        ctx, NURSE2, episode_id, obs(assessed_at=at()), confirmations={"duplicate": "repeat set"}
    )
    # Different values are not a duplicate.
    assessments.record_assessment(ctx, NURSE2, episode_id, obs(assessed_at=at(), heart_rate=82))
    assert _count(ctx) == 3


def test_pharmacist_and_admin_cannot_record(ctx, episode_id, at):
    from tests.services.conftest import ADMIN

    for who in (PHARMACIST, ADMIN):
        with pytest.raises(PermissionDenied, match="may not record assessment"):
            assessments.record_assessment(ctx, who, episode_id, obs(assessed_at=at()))
    assert _count(ctx) == 0


# --- RULES C2 waiver flags from the episode's own history --------------------------------


def _flags(ctx, row_id):
    with ctx.database.read() as s:
        a = s.get(Assessment, row_id)
        return a.crs_previously_diagnosed, a.antipyretic_or_anticytokine_given


def test_waiver_after_crs_and_tocilizumab(ctx, episode_id, at):
    first = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(hours=-1), **CRS2)
    )
    assert _flags(ctx, first.id) == (False, False)
    administrations.record_administration(
        ctx, NURSE, episode_id, drug="paracetamol", dose=1000, route="oral",
        given_at=at(minutes=-30),
    )  # fmt: skip
    # Afebrile but still hypotensive: waived fever, so CRS 2 (not 0).
    later = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), temperature_c=37.1, hypotension=True)
    )
    assert _flags(ctx, later.id) == (True, True)
    assert later.crs_grade == 2


def test_premedication_before_crs_does_not_waive(ctx, episode_id, at):
    """Case CRS-32: paracetamol premedication before any CRS never waives fever."""
    administrations.record_administration(
        ctx, NURSE, episode_id, drug="paracetamol", dose=1000, route="oral",
        given_at=at(hours=-5),
    )  # fmt: skip
    assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(hours=-1), **CRS1))
    row = assessments.record_assessment(
        ctx, NURSE, episode_id,
        obs(assessed_at=at(), temperature_c=37.5, oxygen_device="nasal_cannula",
            oxygen_flow_l_min=2),
    )  # fmt: skip
    assert _flags(ctx, row.id) == (True, False)
    assert row.crs_grade == 0


def test_masking_note_names_the_drug(ctx, episode_id, at):
    """RULES C5 / case CRS-28: waived, afebrile, nothing else -> 0 with a masking note."""
    assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(minutes=-50), **CRS1))
    administrations.record_administration(
        ctx, NURSE, episode_id, drug="dexamethasone", dose=10, given_at=at(minutes=-40)
    )
    row = assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at()))
    assert row.crs_grade == 0
    assert any("dexamethasone" in n for n in row.crs_notes), row.crs_notes


def test_no_masking_note_once_the_drug_is_over_24_hours_old(ctx, episode_id, at, fake_clock):
    """RULES C5: the note is for a drug given in the last 24 h; the waiver (C2) stays."""
    assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(minutes=-50), **CRS1))
    administrations.record_administration(
        ctx, NURSE, episode_id, drug="paracetamol", dose=1000, given_at=at(minutes=-40)
    )
    fake_clock.advance(hours=25)
    row = assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at()))
    assert _flags(ctx, row.id) == (True, True)  # still waived
    assert row.crs_grade == 0
    assert not any("masked" in n for n in row.crs_notes), row.crs_notes


def test_a_partial_set_under_the_waiver_is_a_lower_bound_on_the_board(ctx, episode_id, at):
    """A temperature alone after CRS and a drug (C2 waiver) grades 0 by C5, but the
    hypotension and oxygen questions are unanswered: the board says "≥ 0", never a clean 0."""
    assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(minutes=-50), **CRS1))
    administrations.record_administration(
        ctx, NURSE, episode_id, drug="paracetamol", dose=1000, given_at=at(minutes=-40)
    )
    row = assessments.record_assessment(
        ctx, NURSE, episode_id, {"assessed_at": at(), "temperature_c": 36.8})
    assert row.crs_grade == 0 and row.crs_missing == ("hypotension", "oxygen device")
    assert row.crs_display == "≥ 0"
    (board,) = [r for r in ward.list_ward(ctx, NURSE) if r.episode_id == episode_id]
    assert board.crs_grade == 0 and board.crs_at_least
    day = next(d for d in ward.patient_timeline(ctx, NURSE, episode_id).days
               if any(a.id == row.id for a in d.assessments))
    assert day.crs_max == 1 and not day.crs_at_least  # the day's max is the complete CRS 1
    full = assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(minutes=1)))
    assert not full.crs_missing
    (board,) = [r for r in ward.list_ward(ctx, NURSE) if r.episode_id == episode_id]
    assert not board.crs_at_least


# --- RULES C2 history changed behind later sets (assessments.regrade_later) ------------

HYPOXIC_AFEBRILE = {"temperature_c": 37.0, "oxygen_device": "nasal_cannula",
                    "oxygen_flow_l_min": 2}  # fmt: skip
LATE = {"assessed_at": "paper chart, entered late"}


def _current_crs(ctx, episode_id, assessed_at):
    day = ward.patient_timeline(ctx, NURSE, episode_id).days
    return [(a.crs_grade, a.amend_reason) for d in day for a in d.current_assessments
            if a.assessed_at == assessed_at]


def test_a_late_dose_regrades_the_sets_after_it(ctx, episode_id, at, fake_clock):
    """CRS 1 at 08:00; 12:00 afebrile on 2 L nasal cannula = CRS 0 (no drug known yet); the
    09:00 paracetamol recorded at 13:10 makes 12:00 CRS 2 (C2 waiver + C4): re-graded, with
    the reason, and the "consider tocilizumab" prompt is raised."""
    first, noon = at(hours=-4), at()
    assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=first, **CRS1),
                                  confirmations=LATE)  # fmt: skip
    row = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=noon, **HYPOXIC_AFEBRILE))
    assert row.crs_grade == 0
    fake_clock.advance(hours=1, minutes=10)
    administrations.record_administration(
        ctx, NURSE, episode_id, drug="paracetamol", dose=1000, given_at=at(hours=-4, minutes=-10)
    )
    ((grade, reason),) = _current_crs(ctx, episode_id, noon)
    assert grade == 2
    assert "re-graded by the system: paracetamol given" in reason and "RULES C2" in reason
    kinds = [a.kind for a in alerts.list_open_alerts(ctx, NURSE, episode_id)]
    assert "tocilizumab_prompt" in kinds
    with ctx.database.read() as s:
        event = s.execute(select(AuditEvent).where(
            AuditEvent.action == "record_administration")).scalar_one()  # fmt: skip
        assert event.after["regraded"][0]["crs_grade"] == [0, 2]


def test_entering_the_crs_set_in_error_regrades_what_rested_on_it(ctx, episode_id, at,
                                                                  fake_clock):
    first, noon = at(hours=-4), at()
    crs1 = assessments.record_assessment(ctx, NURSE, episode_id,
                                         obs(assessed_at=first, **CRS1), confirmations=LATE)
    administrations.record_administration(
        ctx, NURSE, episode_id, drug="paracetamol", dose=1000, given_at=at(hours=-3))
    row = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=noon, **HYPOXIC_AFEBRILE))
    assert row.crs_grade == 2
    assessments.mark_entered_in_error(ctx, NURSE, crs1.id, reason="wrong patient")
    ((grade, reason),) = _current_crs(ctx, episode_id, noon)
    assert grade == 0, "no CRS diagnosed any more: fever is required again (C2)"
    assert "entered in error" in reason


def test_nothing_is_regraded_when_the_grade_does_not_change(ctx, episode_id, at, fake_clock):
    row = assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(), **CRS2))
    fake_clock.advance(minutes=20)
    administrations.record_administration(
        ctx, NURSE, episode_id, drug="paracetamol", dose=1000, given_at=at(minutes=-10))
    assert assessments.get_assessment(ctx, NURSE, row.id).status == "current"


# --- amendments and entered in error -----------------------------------------------------


def test_amend_keeps_the_original_readable(ctx, episode_id, at):
    original = assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at()))
    with pytest.raises(ValidationFailed, match="reason"):
        assessments.amend_assessment(ctx, NURSE, original.id, obs(**ICANS2), reason=" ")
    amended = assessments.amend_assessment(
        ctx, NURSE, original.id, obs(**ICANS2), reason="ICE mis-scored"
    )
    assert amended.supersedes_id == original.id and amended.icans_grade == 2
    assert amended.assessed_at == original.assessed_at
    assert amended.version_ids == (original.id, amended.id)
    old = assessments.get_assessment(ctx, NURSE, original.id)
    assert old.status == "amended" and old.icans_grade == 0
    assert old.superseded_by_id == amended.id
    assert [a.kind for a in amended.alerts] == ["critical_care"]  # alerts re-evaluated
    # The superseded version cannot be amended again: the conflict names who did it.
    with pytest.raises(StaleEdit, match=r"nurse\.jones"):
        assessments.amend_assessment(ctx, NURSE2, original.id, obs(), reason="x")
    timeline = ward.patient_timeline(ctx, NURSE, episode_id)
    day = next(d for d in timeline.days if d.day == 2)
    assert [a.status for a in day.assessments] == ["amended", "current"]
    assert day.icans_max == 2


def test_amending_anothers_entry_is_allowed_with_reason_and_audited(ctx, episode_id, at):
    original = assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at()))
    amended = assessments.amend_assessment(
        ctx, HAEM, original.id, obs(heart_rate=90), reason="transcription error"
    )
    assert amended.entered_by == "dr.okafor"
    with pytest.raises(PermissionDenied):
        assessments.amend_assessment(ctx, PHARMACIST, amended.id, obs(), reason="x")


def test_entered_in_error_is_a_state_not_a_delete(ctx, episode_id, at):
    row = assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(), **CRS2))
    marked = assessments.mark_entered_in_error(ctx, NURSE, row.id, reason="wrong patient")
    assert marked.status == "entered_in_error" and marked.amend_reason == "wrong patient"
    assert _count(ctx) == 1
    summary = ward.course_summary(ctx, NURSE, episode_id)
    assert not summary.crs.occurred  # no longer counts
    with pytest.raises(StaleEdit):
        assessments.mark_entered_in_error(ctx, NURSE, row.id, reason="again")


def test_day_numbers_across_clock_changes(ctx, fake_clock):
    """RULES T1 across the March (29 Mar 2026) and October (25 Oct 2026) changes."""
    # Infused 23:30 GMT on 28 March; 00:30 BST on 29 March is the next calendar day.
    spring = make_episode(
        ctx, nhs="9990000042", infused_at=datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    )
    fake_clock.set(datetime(2026, 3, 29, 0, 10, tzinfo=UTC))  # 00:10 GMT on 29 March
    row = assessments.record_assessment(ctx, NURSE, spring, obs())
    assert row.day == 1
    fake_clock.set(datetime(2026, 3, 29, 23, 10, tzinfo=UTC))  # 00:10 BST on 30 March
    row = assessments.record_assessment(ctx, NURSE, spring, obs(heart_rate=81))
    assert row.day == 2
    # Autumn: infused 23:30 BST on 24 Oct (22:30 UTC); 23:30 GMT on 25 Oct is still day 1.
    autumn = make_episode(
        ctx, nhs="9990000050", infused_at=datetime(2026, 10, 24, 22, 30, tzinfo=UTC)
    )
    fake_clock.set(datetime(2026, 10, 25, 23, 30, tzinfo=UTC))
    row = assessments.record_assessment(ctx, NURSE, autumn, obs())
    assert row.day == 1
    fake_clock.set(datetime(2026, 10, 26, 0, 5, tzinfo=UTC))
    row = assessments.record_assessment(ctx, NURSE, autumn, obs(heart_rate=81))
    assert row.day == 2
    timeline = ward.patient_timeline(ctx, NURSE, autumn)
    assert [len(d.assessments) for d in timeline.days[:3]] == [0, 1, 1]
    assert timeline.days[1].date == date(2026, 10, 25)


def test_preview_grades_without_writing(ctx, episode_id, at):
    result = assessments.preview_assessment(ctx, episode_id, obs(assessed_at=at(), **CRS2)).result
    assert result.crs is not None and result.crs.grade == 2
    assert _count(ctx) == 0
