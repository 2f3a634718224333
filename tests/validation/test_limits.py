"""Every limit of SAFETY.md on its boundary, both sides, reject and confirm paths."""

from __future__ import annotations

from typing import Any

import pytest

from app.validation import (
    LIMITS,
    ObservationCheck,
    limit_for,
    limits_markdown,
    validate_observation,
)
from app.validation.limits import ADOLESCENT_ADULT, INFANT, PRESCHOOL, SCHOOL

ADULT = 40.0


def check(age: float = ADULT, previous_ice: int | None = None, **raw: Any) -> ObservationCheck:
    return validate_observation(raw, age_years=age, previous_ice=previous_ice)


def outcome(field: str, value: Any, age: float = ADULT) -> str:
    """'reject', 'confirm' or 'ok' for one field on its own."""
    result = check(age, **{field: value})
    if result.rejections:
        assert field not in result.values, "a rejected value must never come back"
        return "reject"
    assert result.values[field] == value
    return "confirm" if result.needs_confirmation else "ok"


# (field, value, expected) for adults: each limit just inside and just outside.
ADULT_BOUNDARIES = [
    ("temperature_c", 24.9, "reject"),
    ("temperature_c", 25.0, "confirm"),
    ("temperature_c", 33.9, "confirm"),
    ("temperature_c", 34.0, "ok"),
    ("temperature_c", 41.0, "ok"),
    ("temperature_c", 41.1, "confirm"),
    ("temperature_c", 45.0, "confirm"),
    ("temperature_c", 45.1, "reject"),
    ("heart_rate", 9, "reject"),
    ("heart_rate", 10, "confirm"),
    ("heart_rate", 39, "confirm"),
    ("heart_rate", 40, "ok"),
    ("heart_rate", 180, "ok"),
    ("heart_rate", 181, "confirm"),
    ("heart_rate", 300, "confirm"),
    ("heart_rate", 301, "reject"),
    ("systolic_bp", 29, "reject"),
    ("systolic_bp", 30, "confirm"),
    ("systolic_bp", 69, "confirm"),
    ("systolic_bp", 70, "ok"),
    ("systolic_bp", 220, "ok"),
    ("systolic_bp", 221, "confirm"),
    ("systolic_bp", 300, "confirm"),
    ("systolic_bp", 301, "reject"),
    ("diastolic_bp", 9, "reject"),
    ("diastolic_bp", 10, "ok"),
    ("diastolic_bp", 200, "ok"),
    ("diastolic_bp", 201, "reject"),
    ("respiratory_rate", 1, "reject"),
    ("respiratory_rate", 2, "confirm"),
    ("respiratory_rate", 7, "confirm"),
    ("respiratory_rate", 8, "ok"),
    ("respiratory_rate", 40, "ok"),
    ("respiratory_rate", 41, "confirm"),
    ("respiratory_rate", 80, "confirm"),
    ("respiratory_rate", 81, "reject"),
    ("spo2_percent", 39, "reject"),
    ("spo2_percent", 40, "confirm"),
    ("spo2_percent", 84, "confirm"),
    ("spo2_percent", 85, "ok"),
    ("spo2_percent", 100, "ok"),
    ("spo2_percent", 101, "reject"),
    ("oxygen_flow_l_min", -0.1, "reject"),
    ("oxygen_flow_l_min", 0.0, "ok"),
    ("oxygen_flow_l_min", 80.0, "ok"),
    ("oxygen_flow_l_min", 80.1, "reject"),
    ("ice_score", -1, "reject"),
    ("ice_score", 0, "ok"),
    ("ice_score", 10, "ok"),
    ("ice_score", 11, "reject"),
    ("capd_score", -1, "reject"),
    ("capd_score", 0, "ok"),
    ("capd_score", 32, "ok"),
    ("capd_score", 33, "reject"),
]


@pytest.mark.parametrize(("field", "value", "expected"), ADULT_BOUNDARIES)
def test_adult_boundaries(field: str, value: Any, expected: str) -> None:
    assert outcome(field, value) == expected


# Paediatric bands: (age, field, value, expected).
CHILD_BOUNDARIES = [
    (0.5, "heart_rate", 79, "confirm"),
    (0.5, "heart_rate", 80, "ok"),
    (0.5, "heart_rate", 220, "ok"),
    (0.5, "heart_rate", 221, "confirm"),
    (0.5, "respiratory_rate", 14, "confirm"),
    (0.5, "respiratory_rate", 15, "ok"),
    (0.5, "respiratory_rate", 80, "ok"),
    (0.5, "respiratory_rate", 81, "confirm"),
    (0.5, "respiratory_rate", 120, "confirm"),
    (0.5, "respiratory_rate", 121, "reject"),
    (3.0, "heart_rate", 59, "confirm"),
    (3.0, "heart_rate", 60, "ok"),
    (3.0, "heart_rate", 200, "ok"),
    (3.0, "heart_rate", 201, "confirm"),
    (3.0, "respiratory_rate", 11, "confirm"),
    (3.0, "respiratory_rate", 60, "ok"),
    (3.0, "respiratory_rate", 61, "confirm"),
    (3.0, "respiratory_rate", 100, "confirm"),
    (3.0, "respiratory_rate", 101, "reject"),
    (8.0, "heart_rate", 49, "confirm"),
    (8.0, "heart_rate", 190, "ok"),
    (8.0, "heart_rate", 191, "confirm"),
    (8.0, "respiratory_rate", 9, "confirm"),
    (8.0, "respiratory_rate", 50, "ok"),
    (8.0, "respiratory_rate", 51, "confirm"),
    (8.0, "respiratory_rate", 81, "reject"),
    (8.0, "heart_rate", 301, "reject"),
]


@pytest.mark.parametrize(("age", "field", "value", "expected"), CHILD_BOUNDARIES)
def test_paediatric_boundaries(age: float, field: str, value: Any, expected: str) -> None:
    assert outcome(field, value, age) == expected


def test_a_rate_normal_for_a_baby_is_not_questioned_but_is_for_an_adult() -> None:
    assert outcome("heart_rate", 200, age=0.5) == "ok"
    assert outcome("heart_rate", 200, age=ADULT) == "confirm"
    assert outcome("respiratory_rate", 55, age=0.5) == "ok"
    assert outcome("respiratory_rate", 55, age=ADULT) == "confirm"


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0.0, INFANT),
        (0.99, INFANT),
        (1.0, PRESCHOOL),
        (4.99, PRESCHOOL),
        (5.0, SCHOOL),
        (11.99, SCHOOL),
        (12.0, ADOLESCENT_ADULT),
        (90.0, ADOLESCENT_ADULT),
    ],
)
def test_age_band_edges(age: float, band: object) -> None:
    assert limit_for("heart_rate", age).age_band == band
    assert limit_for("respiratory_rate", age).age_band == band


def test_the_table_covers_every_age_exactly_once_per_field() -> None:
    for field in {row.field for row in LIMITS}:
        for age in (0.0, 0.5, 1.0, 4.5, 5.0, 11.9, 12.0, 16.0, 110.0):
            rows = [r for r in LIMITS if r.field == field and r.age_band.contains(age)]
            assert len(rows) == 1, (field, age)


def test_confirm_limits_sit_inside_reject_limits() -> None:
    for row in LIMITS:
        assert row.reject_low is not None and row.reject_high is not None
        for confirm in (row.confirm_low, row.confirm_high):
            if confirm is not None:
                assert row.reject_low <= confirm <= row.reject_high, row


def test_markdown_table_lists_every_row() -> None:
    table = limits_markdown()
    assert table.count("\n") == len(LIMITS) + 1
    assert "| Heart rate | /min | under 1 year | 10 | 300 | 80 | 220 |" in table


def test_reject_message_names_field_value_unit_range_and_fix() -> None:
    result = check(temperature_c=52.0)
    assert result.rejections[0].field == "temperature_c"
    assert result.rejections[0].message == (
        "Temperature 52.0 °C is outside 25.0–45.0 °C; check the reading"
    )


def test_paediatric_message_names_the_age_band() -> None:
    result = check(age=3.0, heart_rate=205)
    assert "above 200 /min for age 1–4 years" in result.needs_confirmation[0].message


def test_adult_confirm_message() -> None:
    result = check(heart_rate=35)
    assert result.needs_confirmation[0].message == (
        "Heart rate 35 /min is below 40 /min; confirm the reading with a reason"
    )
