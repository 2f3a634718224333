"""Course summary, timeline and trend grid against hand-worked timelines.

Each chart below is worked by hand from the definitions in README.md ("Services"):
a day's grade is the maximum of its current assessments (RULES T3); onset is the first
day ≥ 1; the maximum's day is the first day it was reached; an episode resolves on the
first later assessed day whose assessments are all a complete 0; a positive day after a
resolution is a recurrence (a new episode).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.services import administrations, assessments, patients, ward
from tests.services.conftest import INFUSED_AT, NURSE, obs

CRS_INPUTS = {
    0: {"temperature_c": 37.0},
    1: {"temperature_c": 38.4},
    2: {"temperature_c": 38.6, "hypotension": True},
    3: {"temperature_c": 38.9, "hypotension": True, "vasopressors": ["norepinephrine"]},
}
ICANS_INPUTS = {0: {"ice_score": 10}, 1: {"ice_score": 8}, 2: {"ice_score": 5},
                3: {"ice_score": 2}}  # fmt: skip
ANY_REASON = {"ice_score": "checked", "duplicate": "checked"}


def chart(ctx, clock, episode_id, entries):
    """entries: (day, "HH:MM" GMT, crs grade, icans grade); recorded as they happen."""
    for n, (day, hhmm, crs, icans) in enumerate(entries):
        hour, minute = map(int, hhmm.split(":"))
        moment = datetime.combine(
            INFUSED_AT.date() + timedelta(days=day), datetime.min.time(), UTC
        ).replace(hour=hour, minute=minute)
        clock.set(moment)
        row = assessments.record_assessment(
            ctx, NURSE, episode_id,
            obs(**CRS_INPUTS[crs], **ICANS_INPUTS[icans], heart_rate=70 + n % 20),
            confirmations=ANY_REASON,
        )  # fmt: skip
        assert (row.crs_grade, row.icans_grade) == (crs, icans), (day, hhmm)


def test_single_crs_episode_resolved(ctx, fake_clock, episode_id):
    chart(ctx, fake_clock, episode_id, [
        (0, "12:00", 0, 0),
        (1, "08:00", 1, 0), (1, "20:00", 2, 0),
        (2, "08:00", 3, 0), (2, "20:00", 2, 0),
        (3, "08:00", 1, 0), (3, "20:00", 0, 0),  # mixed day: still positive (max 1)
        (4, "08:00", 0, 0), (4, "20:00", 0, 0),  # first all-zero day: resolved on day 4
        (6, "08:00", 0, 0),
    ])  # fmt: skip
    s = ward.course_summary(ctx, NURSE, episode_id)
    assert s.crs.occurred and s.crs.episodes == 1 and not s.crs.ongoing
    assert (s.crs.onset_day, s.crs.onset_date) == (1, date(2026, 3, 9))
    assert (s.crs.max_grade, s.crs.max_day, s.crs.max_date) == (3, 2, date(2026, 3, 10))
    assert (s.crs.resolution_day, s.crs.resolution_date) == (4, date(2026, 3, 12))
    assert not s.icans.occurred and s.icans.max_grade == 0 and s.icans.onset_day is None
    assert s.alive_at_day_28 is None  # day 28 not over yet

    t = ward.patient_timeline(ctx, NURSE, episode_id)
    assert [d.crs_max for d in t.days[:7]] == [0, 2, 3, 1, 0, None, 0]
    assert len(t.days) == 29 and t.days[0].date == date(2026, 3, 8)

    (trend,) = ward.trend_grid(ctx, NURSE)
    assert trend.crs_by_day[:7] == (0, 2, 3, 1, 0, None, 0)
    assert (trend.crs_onset_day, trend.crs_resolution_day) == (1, 4)

    board = ward.list_ward(ctx, NURSE)[0]
    assert (board.max_crs_grade, board.max_crs_day, board.crs_grade) == (3, 2, 0)


def test_icans_recurrence_counts_two_episodes(ctx, fake_clock, episode_id):
    chart(ctx, fake_clock, episode_id, [
        (1, "09:00", 0, 1),
        (2, "09:00", 0, 2),
        (3, "09:00", 0, 0),           # resolved day 3
        (5, "09:00", 0, 1),           # recurrence: second episode
        (6, "09:00", 0, 0),           # resolved again day 6
    ])  # fmt: skip
    s = ward.course_summary(ctx, NURSE, episode_id)
    assert s.icans.episodes == 2 and not s.icans.ongoing
    assert (s.icans.onset_day, s.icans.max_grade, s.icans.max_day) == (1, 2, 2)
    assert s.icans.resolution_day == 6
    assert not s.crs.occurred


def test_unresolved_and_gap_days(ctx, fake_clock, episode_id):
    chart(ctx, fake_clock, episode_id, [
        (1, "09:00", 1, 0),
        (3, "09:00", 2, 0),           # day 2 not assessed: neither continues nor ends it
        (4, "07:00", 0, 0), (4, "15:00", 1, 0),  # a 0 on a positive day does not resolve
    ])  # fmt: skip
    s = ward.course_summary(ctx, NURSE, episode_id)
    assert s.crs.episodes == 1 and s.crs.ongoing
    assert s.crs.resolution_day is None and s.crs.resolution_date is None
    assert (s.crs.max_grade, s.crs.max_day) == (2, 3)


def test_icans_at_least_does_not_confirm_resolution(ctx, fake_clock, episode_id):
    chart(ctx, fake_clock, episode_id, [(1, "09:00", 0, 1)])
    fake_clock.set(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))  # day 2: ICE only, domains missing
    row = assessments.record_assessment(ctx, NURSE, episode_id, {"ice_score": 10})
    assert row.icans_grade == 0 and row.icans_at_least
    s = ward.course_summary(ctx, NURSE, episode_id)
    assert s.icans.ongoing and s.icans.resolution_day is None


def test_doses_icu_death_and_alive_at_day_28(ctx, fake_clock, episode_id):
    chart(ctx, fake_clock, episode_id, [(1, "09:00", 2, 0)])
    fake_clock.set(datetime(2026, 3, 9, 9, 30, tzinfo=UTC))
    given = fake_clock()
    administrations.record_administration(
        ctx, NURSE, episode_id, drug="tocilizumab", dose=560, given_at=given,
        override_reason="stock issued from pharmacy",
    )  # fmt: skip
    for drug in ("dexamethasone", "dexamethasone", "methylprednisolone", "paracetamol"):
        administrations.record_administration(ctx, NURSE, episode_id, drug=drug, dose=10,
                                              given_at=given)  # fmt: skip
    s = ward.course_summary(ctx, NURSE, episode_id)
    assert (s.tocilizumab_doses, s.steroid_doses) == (1, 3)
    assert not s.icu_transfer and s.alive_at_day_28 is None

    fake_clock.set(datetime(2026, 4, 6, 12, 0, tzinfo=UTC))  # day 29: day 28 is over
    assert ward.course_summary(ctx, NURSE, episode_id).alive_at_day_28 is True

    fake_clock.set(datetime(2026, 3, 20, 12, 0, tzinfo=UTC))
    episode = patients.get_episode(ctx, NURSE, episode_id)
    patients.record_icu_transfer(ctx, NURSE, episode_id, at=datetime(2026, 3, 19, 8, 0, tzinfo=UTC),
                                 expected_version=episode.version)  # fmt: skip
    episode = patients.get_episode(ctx, NURSE, episode_id)
    patients.record_death(ctx, NURSE, episode_id, at=datetime(2026, 3, 20, 3, 0, tzinfo=UTC),
                          cause="crs", expected_version=episode.version)  # fmt: skip
    s = ward.course_summary(ctx, NURSE, episode_id)
    assert s.icu_transfer and s.alive_at_day_28 is False
    assert (s.death_date, s.death_cause) == (date(2026, 3, 20), "crs")
    # RULES C6: grade 5 only from a death attributed to CRS.
    assert (s.crs.max_grade, s.crs.max_day, s.crs.onset_day) == (5, 12, 1)
    assert s.icans.max_grade != 5


def test_timeline_marks_versions_and_baseline(ctx, fake_clock):
    from tests.services.conftest import make_episode

    planned = make_episode(ctx, nhs="9990000069", infused_at=None)
    with ctx.database.transaction() as s:
        from db.models import Episode

        s.get(Episode, planned).planned_infusion_date = date(2026, 3, 11)
    base = assessments.record_assessment(ctx, NURSE, planned, obs(), is_baseline=True)
    from tests.services.conftest import infuse

    infuse(ctx, planned, datetime(2026, 3, 11, 10, 0, tzinfo=UTC))
    fake_clock.set(datetime(2026, 3, 11, 14, 0, tzinfo=UTC))
    row = assessments.record_assessment(
        ctx, NURSE, planned, obs(**ICANS_INPUTS[2]), confirmations=ANY_REASON
    )
    assessments.amend_assessment(ctx, NURSE, row.id, obs(**ICANS_INPUTS[1]), reason="re-scored")
    t = ward.patient_timeline(ctx, NURSE, planned)
    assert t.days[0].day == -1 and t.days[0].is_baseline
    assert [a.id for a in t.days[0].assessments] == [base.id]
    day0 = t.days[1]
    assert [a.status for a in day0.assessments] == ["amended", "current"]
    assert day0.icans_max == 1  # over current assessments only
    assert day0.assessments[0].version_ids == day0.assessments[1].version_ids
    assert [a.kind for a in day0.alerts] == ["critical_care"]  # raised by the original
