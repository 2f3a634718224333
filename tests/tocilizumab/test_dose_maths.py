"""RULES E5 dose maths: weight bands, the 800 mg cap, vial plans and the dose limits."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grading.tocilizumab import (
    check_dose_limits,
    dose_mg,
    pick_vials,
    vial_combination,
    whole_doses,
)

T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        (25, 300.0),
        (29, 348.0),
        (29.9, 358.8),  # 12 mg/kg just under the band
        (30, 240.0),  # 8 mg/kg from 30 kg: the band steps the dose DOWN
        (100, 800.0),
        (100.1, 800.0),  # cap
        (120, 800.0),  # 960 mg calculated -> capped at 800 mg
        (66.7, 533.6),
    ],
)
def test_dose_by_weight_band_and_cap(weight: float, expected: float) -> None:
    assert dose_mg(weight) == expected


@pytest.mark.parametrize("weight", [0, -5, 0.1, 400, float("nan"), float("inf")])
def test_implausible_weight_is_refused_with_the_range(weight: float) -> None:
    with pytest.raises(ValueError, match="kg"):
        dose_mg(weight)


@pytest.mark.parametrize(
    ("dose", "vials", "waste"),
    [
        (800, (400, 400), 0),
        (240, (80, 80, 80), 0),  # exact with 3 small vials beats 1 × 400 (160 mg waste)
        (300, (80, 80, 80, 80), 20),
        (358.8, (200, 80, 80), 1.2),
        (400, (400,), 0),  # fewest vials when waste ties (not 200 + 200 or 5 × 80)
        (480, (400, 80), 0),
        (640, (400, 80, 80, 80), 0),
        (560, (400, 80, 80), 0),
        (80, (80,), 0),
        (1, (80,), 79),
        (600, (400, 200), 0),
    ],
)
def test_vial_combination_least_waste_then_fewest_vials(
    dose: float, vials: tuple[int, ...], waste: float
) -> None:
    plan = vial_combination(dose)
    assert plan.vials == vials
    assert plan.waste_mg == waste


def test_vial_plan_text_for_the_dialog() -> None:
    assert vial_combination(640).text == "1 × 400 mg + 3 × 80 mg (640 mg; 0 mg waste)"


@given(st.floats(min_value=1, max_value=1000, allow_nan=False))
def test_no_cheaper_combination_exists(dose: float) -> None:
    plan = vial_combination(dose)
    assert plan.total_mg >= dose
    # Independent brute force over small counts: nothing covers the dose with less total,
    # or with the same total and fewer vials.
    for a, b, c in itertools.product(range(4), range(6), range(14)):
        total = 400 * a + 200 * b + 80 * c
        if total >= dose:
            assert (total, a + b + c) >= (plan.total_mg, len(plan.vials))


def test_pick_vials_uses_only_what_is_on_hand() -> None:
    assert pick_vials(640, [400, 200, 200]) is not None
    assert pick_vials(640, [400, 200, 200]).vials == (400, 200, 200)  # type: ignore[union-attr]
    assert pick_vials(640, [400, 200]) is None
    assert pick_vials(240, []) is None


def test_whole_doses_counts_only_complete_doses() -> None:
    assert len(whole_doses(640, [400, 400])) == 1  # 800 mg is one 640 mg dose, not 1.25
    assert len(whole_doses(240, [80, 80, 80, 200, 200])) == 2
    assert whole_doses(800, [400]) == ()


def codes(breaches: list) -> list[str]:  # type: ignore[type-arg]
    return [b.code for b in breaches]


def test_a_dose_within_limits_breaks_nothing() -> None:
    assert check_dose_limits([T0], T0 + timedelta(hours=8), 640, 640) == []
    assert check_dose_limits([], T0, 700, 640) == []  # +9 % is within 10 %


def test_under_8_hours_since_the_last_dose() -> None:
    breaches = check_dose_limits([T0], T0 + timedelta(hours=7, minutes=59), 640, 640)
    assert codes(breaches) == ["interval"]
    assert "7 h 59 min" in breaches[0].message


def test_a_late_entry_between_two_doses_is_checked_both_ways() -> None:
    later = T0 + timedelta(hours=12)
    assert codes(check_dose_limits([T0, later], T0 + timedelta(hours=9), 640, 640)) == ["interval"]


def test_fourth_dose_in_24_hours() -> None:
    # Earlier doses 6 h apart (given with a reason); the new one is 8 h after the last.
    doses = [T0, T0 + timedelta(hours=6), T0 + timedelta(hours=12)]
    breaches = check_dose_limits(doses, T0 + timedelta(hours=20), 640, 640)
    assert codes(breaches) == ["per_24h"]
    assert "dose 4 within 24 h" in breaches[0].message
    # The first dose is 24 h old: only 3 in the window, no warning.
    assert check_dose_limits(doses, T0 + timedelta(hours=24), 640, 640) == []


LONDON = ZoneInfo("Europe/London")


def _london(utc: datetime) -> datetime:
    return utc.astimezone(LONDON)  # as the service passes them: ward-local times


def test_interval_is_real_time_across_the_spring_clock_change() -> None:
    # 00:30 GMT and 09:00 BST on 29 Mar 2026 are 7 h 30 min apart, not 8 h 30 min.
    first = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    breaches = check_dose_limits(
        [_london(first)], _london(first + timedelta(hours=7, minutes=30)), 640, 640)
    assert codes(breaches) == ["interval"]
    assert "only 7 h 30 min" in breaches[0].message


def test_no_false_interval_warning_across_the_autumn_clock_change() -> None:
    # 00:30 BST and 08:15 GMT on 25 Oct 2026 are 8 h 45 min apart, not 7 h 45 min.
    first = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)
    later = first + timedelta(hours=8, minutes=45)
    assert check_dose_limits([_london(first)], _london(later), 640, 640) == []


def test_24_hour_limit_is_real_time_across_the_spring_clock_change() -> None:
    # Four doses within 23 h 30 min of real time although the wall clock shows 24 h 30 min.
    first = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    doses = [_london(first + timedelta(hours=h)) for h in (0, 8, 16)]
    fourth = _london(first + timedelta(hours=23, minutes=30))
    assert "per_24h" in codes(check_dose_limits(doses, fourth, 640, 640))


def test_fifth_dose_overall() -> None:
    doses = [T0 + timedelta(hours=12 * i) for i in range(4)]
    breaches = check_dose_limits(doses, T0 + timedelta(hours=60), 640, 640)
    assert codes(breaches) == ["total"]
    assert "dose 5" in breaches[0].message


def test_above_800_mg_and_off_the_calculated_dose() -> None:
    assert codes(check_dose_limits([], T0, 960, 800)) == ["above_max", "off_calculated"]
    assert codes(check_dose_limits([], T0, 850, 800)) == ["above_max"]  # +6 %: only the cap
    assert codes(check_dose_limits([], T0, 560, 640)) == ["off_calculated"]  # -12.5 %
    assert "-12 %" in check_dose_limits([], T0, 560, 640)[0].message
    assert check_dose_limits([], T0, 576, 640) == []  # exactly -10 % is allowed
