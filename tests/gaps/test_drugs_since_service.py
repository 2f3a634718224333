"""drugs_since_last_assessment: the doses the assessment form lists (RULES C2/C5).

Both run on SQLite and PostgreSQL (`ctx`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.context import AppContext
from app.errors import PermissionDenied
from app.services import administrations, assessments
from tests.fakes import FakeClock
from tests.services.conftest import ADMIN, NURSE, make_episode, obs
from tests.tocilizumab.helpers import give_dose

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # the fake clock's start


def _give(ctx: AppContext, episode_id: int, drug: str, at: datetime, *, dose: float = 1000.0,
          route: str = "oral") -> int:
    row = administrations.record_administration(
        ctx, NURSE, episode_id, drug=drug, dose=dose, route=route, given_at=at)
    return row.id


def _drugs(ctx: AppContext, episode_id: int) -> list[str]:
    return [r.drug for r in administrations.drugs_since_last_assessment(ctx, NURSE, episode_id)]


def test_drugs_since_last_assessment(ctx: AppContext, fake_clock: FakeClock) -> None:
    episode_id = make_episode(ctx)
    other = make_episode(ctx, nhs="9990000026", bed="4", family="Jones")
    # No set yet: every current dose counts, oldest first.
    _give(ctx, episode_id, "ibuprofen", NOW - timedelta(minutes=20), dose=400.0)
    _give(ctx, other, "paracetamol", NOW - timedelta(minutes=15))  # another patient's
    assert _drugs(ctx, episode_id) == ["ibuprofen"]

    assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=(NOW - timedelta(minutes=10)).isoformat()))
    assert _drugs(ctx, episode_id) == []  # the ibuprofen was before that set

    fake_clock.advance(hours=1)  # 11:00
    paracetamol = _give(ctx, episode_id, "paracetamol", NOW + timedelta(minutes=10))
    dexa = _give(ctx, episode_id, "dexamethasone", NOW + timedelta(minutes=20), dose=10.0,
                 route="IV")
    wrong = _give(ctx, episode_id, "anakinra", NOW + timedelta(minutes=30), dose=100.0,
                  route="SC")
    administrations.mark_administration_in_error(ctx, NURSE, wrong, reason="wrong patient")
    rows = administrations.drugs_since_last_assessment(ctx, NURSE, episode_id)
    assert [(r.id, r.drug, r.dose, r.route, r.entered_by) for r in rows] == [
        (paracetamol, "paracetamol", 1000.0, "oral", "nurse.jones"),
        (dexa, "dexamethasone", 10.0, "IV", "nurse.jones"),
    ]
    assert rows[0].category == "antipyretic"
    assert rows[0].day == 2

    # A new set at 11:00 accounts for everything given before it.
    latest = assessments.record_assessment(ctx, NURSE, episode_id, obs(
        assessed_at=fake_clock().isoformat(), heart_rate=85))
    assert _drugs(ctx, episode_id) == []
    # A set marked entered in error no longer counts: the boundary goes back to 09:50.
    assessments.mark_entered_in_error(ctx, NURSE, latest.id, reason="wrong patient")
    assert _drugs(ctx, episode_id) == ["paracetamol", "dexamethasone"]


def test_drugs_since_last_assessment_is_clinical_data(ctx: AppContext) -> None:
    episode_id = make_episode(ctx)
    with pytest.raises(PermissionDenied):
        administrations.drugs_since_last_assessment(ctx, ADMIN, episode_id)


def test_tocilizumab_dose_shows_as_given(ctx: AppContext) -> None:
    """A tocilizumab dose recorded through the hook counts like any other drug."""
    episode_id = make_episode(ctx)
    give_dose(ctx, NURSE, episode_id, 560.0, given_at=NOW - timedelta(minutes=5),
              override_reason="test: no stock")
    assert _drugs(ctx, episode_id) == ["tocilizumab"]
