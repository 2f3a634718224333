"""Drugs given (usability audit findings 6 and 7): plausible single doses per drug and unit,
the dose as typed text, an "Other" drug's name, and messages in ward words.

Each test runs on SQLite and on PostgreSQL (the `ctx` fixture)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.context import AppContext
from app.errors import ConfirmationRequired, ValidationFailed
from app.services import administrations, assessments, patients
from app.services.administrations import DOSE_RANGES, weight_age_warning
from db.models import Administration, AuditEvent
from tests.services.conftest import CRS2, NURSE, audit_count, make_episode, obs

At = Callable[..., datetime]


def _give(ctx: AppContext, episode_id: int, at: At, **values: Any) -> Any:
    values.setdefault("given_at", at(minutes=-10))
    return administrations.record_administration(ctx, NURSE, episode_id, **values)


def _stored(ctx: AppContext) -> list[Administration]:
    with ctx.database.read() as s:
        return list(s.execute(select(Administration).order_by(Administration.id)).scalars())


def _problem(error: pytest.ExceptionInfo[Any], field: str) -> str:
    return " | ".join(p.message for p in error.value.problems if p.field == field)


def _set_weight(ctx: AppContext, episode_id: int, kg: float) -> None:
    version = patients.get_episode(ctx, NURSE, episode_id).version
    patients.update_weight(ctx, NURSE, episode_id, kg, expected_version=version,
                           reason="test: re-weighed")


def test_a_thousandfold_unit_slip_is_refused_saying_what_to_type(
    ctx: AppContext, episode_id: int, at: At
) -> None:
    before = audit_count(ctx)
    with pytest.raises(ValidationFailed) as refused:
        _give(ctx, episode_id, at, drug="paracetamol", dose=1000, dose_unit="g")
    message = _problem(refused, "dose")
    assert "Paracetamol 1000 g is not a possible dose" in message
    assert "did you mean 1000 mg?" in message
    assert _stored(ctx) == [] and audit_count(ctx) == before


def test_above_the_usual_dose_needs_a_reason_which_is_stored(
    ctx: AppContext, episode_id: int, at: At
) -> None:
    with pytest.raises(ConfirmationRequired) as asked:
        _give(ctx, episode_id, at, drug="paracetamol", dose=2, dose_unit="g", route="oral")
    message = _problem(asked, "dose")
    assert "Paracetamol 2 g is more than the usual largest single dose of 1 g" in message
    assert "BNF" in message  # the source, so the nurse can judge it
    assert _stored(ctx) == []

    row = _give(
        ctx,
        episode_id,
        at,
        drug="paracetamol",
        dose=2,
        dose_unit="g",
        route="oral",
        override_reason="prescribed by Dr Brown, checked",
    )
    assert (row.dose, row.dose_unit, row.override_reason) == (
        2.0,
        "g",
        "prescribed by Dr Brown, checked",
    )
    assert row.limit_warnings and "more than the usual" in row.limit_warnings[0]
    with ctx.database.read() as s:
        event = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
        assert event is not None and event.reason == "prescribed by Dr Brown, checked"


@pytest.mark.parametrize(
    "case",
    [
        ("paracetamol", 1000, 1100),
        ("dexamethasone", 20, 40),
        ("methylprednisolone", 1000, 2000),
        ("anakinra", 200, 400),
        ("hydrocortisone", 200, 300),
    ],
)
def test_usual_adult_doses_store_at_once_and_larger_ones_ask(
    ctx: AppContext, episode_id: int, at: At, case: tuple[str, float, float]
) -> None:
    drug, usual, asked = case
    _give(ctx, episode_id, at, drug=drug, dose=usual)  # 70 kg adult: no question
    with pytest.raises(ConfirmationRequired):
        _give(ctx, episode_id, at, drug=drug, dose=asked)
    assert [r.dose for r in _stored(ctx)] == [usual]


def test_a_child_is_asked_about_an_adult_dose(ctx: AppContext, episode_id: int, at: At) -> None:
    _set_weight(ctx, episode_id, 20.0)
    _give(ctx, episode_id, at, drug="paracetamol", dose=300, route="oral")  # 15 mg/kg
    with pytest.raises(ConfirmationRequired) as asked:
        _give(ctx, episode_id, at, drug="paracetamol", dose=1000, route="oral")
    assert "20 mg/kg, about 400 mg at 20 kg" in _problem(asked, "dose")


def test_doses_typed_per_kg_are_checked_per_kg(ctx: AppContext, episode_id: int, at: At) -> None:
    _give(ctx, episode_id, at, drug="siltuximab", dose=11, dose_unit="mg/kg")
    with pytest.raises(ConfirmationRequired):
        _give(ctx, episode_id, at, drug="siltuximab", dose=15, dose_unit="mg/kg")
    with pytest.raises(ValidationFailed) as refused:
        _give(ctx, episode_id, at, drug="siltuximab", dose=200, dose_unit="mg/kg")
    assert "not a possible dose" in _problem(refused, "dose")


def test_a_unit_the_drug_is_never_given_in_is_refused(
    ctx: AppContext, episode_id: int, at: At
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _give(ctx, episode_id, at, drug="dexamethasone", dose=10, dose_unit="mcg")
    assert _problem(refused, "dose_unit") == (
        "Dexamethasone is not given in micrograms — choose mg and type the dose, e.g. 10 mg"
    )


@pytest.mark.parametrize(
    ("typed", "stored"), [("7,5", 7.5), (" 10 ", 10.0), ("8 mg", 8.0), (4, 4.0)]
)
def test_the_dose_is_parsed_from_what_was_typed(
    ctx: AppContext, episode_id: int, at: At, typed: Any, stored: float
) -> None:
    row = _give(ctx, episode_id, at, drug="dexamethasone", dose=typed)
    assert row.dose == stored


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", "Type the dose given, e.g. 10 mg"),
        ("abc", "'abc' is not a number — type the dose as a number, e.g. 10 mg"),
        ("0", "The dose must be more than 0 — type the dose given, e.g. 10 mg"),
        ("25000", "25000 is far more than any dose — check the dose and the unit"),
    ],
)
def test_a_dose_that_is_no_dose_is_refused_next_to_the_field(
    ctx: AppContext, episode_id: int, at: At, typed: str, expected: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _give(ctx, episode_id, at, drug="dexamethasone", dose=typed)
    assert _problem(refused, "dose") == expected


def test_messages_are_in_ward_words(ctx: AppContext, episode_id: int, at: At) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _give(
            ctx, episode_id, at, drug="", dose="", dose_unit="ml", route="iv", given_at=at(hours=2)
        )
    problems = {p.field: p.message for p in refused.value.problems}
    assert problems["drug"] == "Choose the drug from the list"
    assert problems["dose"] == "Type the dose given, e.g. 10 mg"
    assert problems["dose_unit"] == "Choose the unit: mg, g, mg/kg, mcg"
    assert problems["given_at"] == "The time given is in the future — check the date and time"
    text = " ".join(problems.values())
    assert "methylprednisolone" not in text and "unknown" not in text and "''" not in text

    with pytest.raises(ValidationFailed) as unlisted:
        _give(ctx, episode_id, at, drug="beer", dose=1)
    assert _problem(unlisted, "drug") == (
        "'beer' is not on the drug list — choose it from the list, or choose Other and type "
        "its name"
    )


def test_an_other_drug_needs_its_name_and_is_stored_under_it(
    ctx: AppContext, episode_id: int, at: At
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _give(ctx, episode_id, at, drug="other", dose=4)
    assert _problem(refused, "drug_name").startswith("Type the name of the drug given")
    row = _give(ctx, episode_id, at, drug="other", drug_name="  Ondansetron ", dose=4)
    assert (row.drug, row.category, row.dose) == ("Ondansetron", "other", 4.0)
    assert [r.drug for r in administrations.list_administrations(ctx, NURSE, episode_id)] == [
        "Ondansetron"
    ]


@pytest.mark.parametrize(
    ("name", "listed"),
    [
        ("paracetamol", "Paracetamol"),
        ("Acetaminophen 1 g", "Paracetamol"),
        ("RoActemra", "Tocilizumab"),
        ("Solu-Medrol", "Methylprednisolone"),
    ],
)
def test_a_listed_drug_typed_as_other_is_sent_to_the_list(
    ctx: AppContext, episode_id: int, at: At, name: str, listed: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _give(ctx, episode_id, at, drug="other", drug_name=name, dose=1)
    message = _problem(refused, "drug_name")
    assert message.startswith(f"{listed} is on the drug list: choose it in Drug")
    assert "fever waiver" in message


def test_an_other_drug_never_waives_fever(ctx: AppContext, episode_id: int, at: At) -> None:
    """RULES C2: only listed antipyretic/anti-cytokine drugs waive fever once CRS is
    diagnosed; the same hypotensive afebrile set is CRS 0 after an Other drug."""
    assessments.record_assessment(ctx, NURSE, episode_id, obs(assessed_at=at(hours=-1), **CRS2))
    _give(
        ctx, episode_id, at, drug="other", drug_name="Ondansetron", dose=4, given_at=at(minutes=-30)
    )
    later = assessments.record_assessment(
        ctx, NURSE, episode_id, obs(assessed_at=at(), temperature_c=37.1, hypotension=True)
    )
    assert later.crs_grade == 0


def test_every_listed_drug_but_tocilizumab_has_a_range_and_a_source() -> None:
    # Tocilizumab's limits are RULES E5 (checked by the tocilizumab module).
    listed = set(administrations.DRUGS) - {"other", "tocilizumab"}
    assert set(DOSE_RANGES) == listed
    for found in DOSE_RANGES.values():
        assert found.why and found.per_kg > 0


def test_a_weight_over_a_week_old_is_flagged() -> None:
    assert weight_age_warning(date(2026, 3, 3), date(2026, 3, 10)) is None  # 7 days
    assert weight_age_warning(date(2026, 2, 26), date(2026, 3, 10)) == (
        "weighed 12 days ago — re-weigh before dosing?"
    )


def test_a_small_child_is_asked_about_an_adult_steroid_dose(ctx: AppContext, at: At) -> None:
    # 20 mg of dexamethasone is an adult's dose; 0.5 mg/kg is a child's (about 8 mg here).
    small = make_episode(ctx, nhs="9990000026", dob=date(2018, 1, 1), bed="5")
    _set_weight(ctx, small, 15.0)
    with pytest.raises(ConfirmationRequired):
        _give(ctx, small, at, drug="dexamethasone", dose=20)
