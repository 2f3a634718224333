"""Re-audit findings 1 and 2: a tenfold weight slip (95 -> 9.5 kg) and a thousands comma
("1,000" mg stored as 1 mg) are caught by the services, with what to do in ward words.

Each test runs on SQLite and on PostgreSQL (the `ctx` fixture)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.context import AppContext
from app.errors import ConfirmationRequired, ValidationFailed
from app.services import administrations, patients
from db.models import Administration, AuditEvent
from tests.services.conftest import NURSE, audit_count, make_episode

At = Callable[..., datetime]


def _weigh(ctx: AppContext, episode_id: int, kg: float, **kwargs: Any) -> Any:
    version = patients.get_episode(ctx, NURSE, episode_id).version
    return patients.update_weight(ctx, NURSE, episode_id, kg, expected_version=version,
                                  **kwargs)


def test_a_tenfold_weight_slip_needs_a_reason_kept_in_the_audit(
    ctx: AppContext, episode_id: int
) -> None:
    before = audit_count(ctx)
    with pytest.raises(ConfirmationRequired) as asked:
        _weigh(ctx, episode_id, 7.0)  # 70 kg stored
    message = asked.value.problems[0].message
    assert asked.value.problems[0].field == "reason"
    assert message.startswith("70 kg \u2192 7 kg (\u221290 %)")
    assert "12 mg/kg" in message  # the adult would move to the paediatric rate
    assert audit_count(ctx) == before  # nothing stored
    assert patients.get_episode(ctx, NURSE, episode_id).weight_kg == 70.0

    _weigh(ctx, episode_id, 7.0, reason="weighed twice on the ward scales")
    assert patients.get_episode(ctx, NURSE, episode_id).weight_kg == 7.0
    with ctx.database.read() as s:
        event = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
        assert event is not None and event.action == "update_weight"
        assert event.reason == "weighed twice on the ward scales"


def test_a_blank_reason_is_no_reason(ctx: AppContext, episode_id: int) -> None:
    with pytest.raises(ConfirmationRequired):
        _weigh(ctx, episode_id, 95.0, reason="   ")  # +36 %


def test_an_ordinary_reweigh_needs_no_reason(ctx: AppContext, episode_id: int) -> None:
    assert _weigh(ctx, episode_id, 66.5).weight_kg == 66.5  # -5 %
    assert _weigh(ctx, episode_id, 78.0).weight_kg == 78.0  # +17 %


def test_an_adult_falling_under_30_kg_needs_a_reason_even_for_a_small_change(
    ctx: AppContext, episode_id: int
) -> None:
    _weigh(ctx, episode_id, 33.0, reason="cachexia, re-weighed")
    with pytest.raises(ConfirmationRequired) as asked:
        _weigh(ctx, episode_id, 29.0)  # -12 %, but the dose rate switches to 12 mg/kg
    assert "under 30 kg an adult's tocilizumab dose moves to the 12 mg/kg rate" in (
        asked.value.problems[0].message)
    assert "20 % change" not in asked.value.problems[0].message


def test_a_child_under_30_kg_is_reweighed_without_a_question(ctx: AppContext) -> None:
    child = make_episode(ctx, dob=date(2018, 1, 1), nhs="9990000026")
    _weigh(ctx, child, 60.0, reason="registration weight was a guess")  # 70 -> 60 ok
    _weigh(ctx, child, 55.0)
    with pytest.raises(ConfirmationRequired):
        _weigh(ctx, child, 25.0)  # still more than a 20 % change
    _weigh(ctx, child, 25.0, reason="the 55 was the parent's weight")
    assert _weigh(ctx, child, 24.0).weight_kg == 24.0  # a child under 30 kg: no question


def test_a_date_older_than_the_stored_weight_needs_a_reason(
    ctx: AppContext, episode_id: int
) -> None:
    """Correcting a weight mistyped at registration may give the day it was measured,
    before the stored date: asked, not refused; without a reason nothing changes."""
    stored_on = patients.get_episode(ctx, NURSE, episode_id).weight_recorded_on
    with pytest.raises(ConfirmationRequired) as asked:
        _weigh(ctx, episode_id, 69.0, recorded_on=date(2020, 1, 1))
    assert f"weighed before the weight it replaces ({stored_on:%d %b %Y})" in (
        asked.value.problems[0].message)
    assert patients.get_episode(ctx, NURSE, episode_id).weight_kg == 70.0
    stored = _weigh(ctx, episode_id, 69.0, recorded_on=date(2020, 1, 1),
                    reason="registration weight was mistyped; clinic weight 01/01")
    assert (stored.weight_kg, stored.weight_recorded_on) == (69.0, date(2020, 1, 1))


@pytest.mark.parametrize(
    "case",
    [
        ("1,000", "mg", "'1,000': type 1000 without a comma (or 1.5 with a point)"),
        ("2,500 mg", "mg", "'2,500 mg': type 2500 without a comma (or 1.5 with a point)"),
        ("1 g", "mg", "You typed g but Unit is mg — change Unit to g, or type 1000"),
        ("500 mg", "g", "You typed mg but Unit is g — change Unit to mg, or type 0.5"),
        ("8 mg/kg", "mg", "You typed mg/kg but Unit is mg — change Unit to mg/kg, or type "
                          "the dose in mg"),
    ],
)
def test_a_thousands_comma_or_another_unit_is_refused_saying_what_to_type(
    ctx: AppContext, episode_id: int, at: At, case: tuple[str, str, str]
) -> None:
    typed, unit, message = case
    before = audit_count(ctx)
    with pytest.raises(ValidationFailed) as refused:
        administrations.record_administration(
            ctx, NURSE, episode_id, drug="paracetamol", dose=typed, dose_unit=unit,
            route="oral", given_at=at(minutes=-10))
    assert [p.message for p in refused.value.problems if p.field == "dose"] == [message]
    assert audit_count(ctx) == before


@pytest.mark.parametrize(("typed", "stored"), [("1,5", 1.5), ("1000 mg", 1000.0),
                                               ("1000", 1000.0)])
def test_a_decimal_comma_and_the_unit_of_the_box_are_still_read(
    ctx: AppContext, episode_id: int, at: At, typed: str, stored: float
) -> None:
    administrations.record_administration(
        ctx, NURSE, episode_id, drug="paracetamol", dose=typed, dose_unit="mg",
        route="oral", given_at=at(minutes=-10))
    with ctx.database.read() as s:
        given = s.execute(select(Administration)).scalars().one()
        assert given.dose == stored
