"""The engine and the form apply the same reject limits (SAFETY.md: one table, grading/limits.py).

Before they shared a table, an infant's respiratory rate of 100 /min was stored by the form
and refused by `python -m grading`. Here every row of the table is tried on both sides of
its reject limits, at ages across its band, through both `grading.parse_inputs` and
`app.validation.validate_observation`.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from app.validation import validate_observation
from grading import InputError, parse_inputs, uses_capd
from grading.limits import LIMITS, Limit, limit_for, limited_fields, widest_limit
from grading.parse import INPUT_KEYS

# The diastolic pressure is checked by the form (against the systolic) but is no input of
# the grading rules.
NOT_GRADED = frozenset({"diastolic_bp"})
GRADED_ROWS = [row for row in LIMITS if row.field not in NOT_GRADED]


def test_every_field_of_the_table_is_checked_here() -> None:
    assert limited_fields() - INPUT_KEYS == NOT_GRADED


def _ages(row: Limit) -> list[float]:
    """Ages at the start, middle and end of the row's band (where the field applies)."""
    band = row.age_band
    top = band.max_years if band.max_years != math.inf else 110.0
    ages = [band.min_years, (band.min_years + top) / 2, top - 0.01]
    if row.field == "ice_score":  # RULES I1: ICE only from 12 (CAPD below)
        ages = [age for age in ages if not uses_capd(age, False)] or [12.0, 40.0]
    return ages


def _step(row: Limit) -> float:
    return 1 if row.integer else 0.1


def _cases() -> list[tuple[Limit, float, float, bool]]:
    """(row, age, value, accepted) just inside and just outside each reject limit."""
    cases: list[tuple[Limit, float, float, bool]] = []
    for row in GRADED_ROWS:
        assert row.reject_low is not None and row.reject_high is not None
        low, high, step = row.reject_low, row.reject_high, _step(row)
        for age in _ages(row):
            cases += [
                (row, age, round(low - step, 1), False),
                (row, age, low, True),
                (row, age, high, True),
                (row, age, round(high + step, 1), False),
            ]
    return cases


def _case_id(case: tuple[Limit, float, float, bool]) -> str:
    row, age, value, accepted = case
    return f"{row.field}-age{age:g}-{value:g}-{'ok' if accepted else 'refused'}"


def _grading_accepts(field: str, value: float, age: float | None) -> bool:
    inputs: dict[str, Any] = {field: value}
    if age is not None:
        inputs["age_years"] = age
    if field == "capd_score":  # the CAPD is the tool at any age with developmental delay
        inputs["developmental_delay"] = True
    try:
        parse_inputs(inputs)
    except InputError as error:
        assert error.key == field, error  # refused for this value, not for anything else
        return False
    return True


def _app_accepts(field: str, value: float, age: float) -> bool:
    check = validate_observation({field: value}, age_years=age, previous_ice=None)
    assert all(problem.field == field for problem in check.rejections), check.rejections
    return check.ok


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_engine_and_form_agree_on_every_reject_limit(
    case: tuple[Limit, float, float, bool],
) -> None:
    row, age, value, accepted = case
    assert limit_for(row.field, age) == row
    assert _app_accepts(row.field, value, age) is accepted
    assert _grading_accepts(row.field, value, age) is accepted


def test_an_infants_fast_breathing_is_graded_not_refused() -> None:
    assert _app_accepts("respiratory_rate", 100, age=0.5)
    assert parse_inputs({"age_years": 0.5, "respiratory_rate": 100}).respiratory_rate == 100
    with pytest.raises(InputError) as caught:
        parse_inputs({"age_years": 0.5, "respiratory_rate": 121})
    assert str(caught.value) == "respiratory_rate: 121 is outside 2–120 /min for age under 1 year"
    with pytest.raises(InputError) as caught:
        parse_inputs({"age_years": 40, "respiratory_rate": 100})
    assert str(caught.value) == "respiratory_rate: 100 is outside 2–80 /min"


@pytest.mark.parametrize("row", GRADED_ROWS, ids=lambda r: f"{r.field}-{r.age_band.label}")
def test_without_age_nothing_the_form_accepts_at_any_age_is_refused(row: Limit) -> None:
    assert row.reject_low is not None and row.reject_high is not None
    for value in (row.reject_low, row.reject_high):
        assert _grading_accepts(row.field, value, age=None)


def test_without_age_the_widest_limits_apply_and_the_message_says_so() -> None:
    widest = widest_limit("respiratory_rate")
    assert (widest.reject_low, widest.reject_high) == (2, 120)
    assert _grading_accepts("respiratory_rate", 120, age=None)
    with pytest.raises(InputError) as caught:
        parse_inputs({"respiratory_rate": 121})
    assert str(caught.value) == (
        "respiratory_rate: 121 is outside 2–120 /min "
        "(the widest limits of any age, as age_years is not given)"
    )
    # A field with one row for all ages keeps its plain message.
    with pytest.raises(InputError) as caught:
        parse_inputs({"spo2_percent": 101})
    assert str(caught.value) == "spo2_percent: 101 is outside 40–100 %"


def test_without_age_bands_with_equal_reject_limits_give_the_plain_message() -> None:
    with pytest.raises(InputError) as caught:
        parse_inputs({"heart_rate": 301})
    assert str(caught.value) == "heart_rate: 301 is outside 10–300 /min"
