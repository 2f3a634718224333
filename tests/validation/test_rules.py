"""Cross-field rules, °F detection, ICE/CAPD, enums and the text a user may type."""

from __future__ import annotations

from typing import Any

import pytest

from app.validation import ObservationCheck, validate_observation
from app.validation.observation import capd_total, ice_total

FULL_ICE = {"orientation": 4, "naming": 3, "following_commands": 1, "writing": 1, "attention": 1}
CAPD_BEST = {
    "eye_contact": "always",
    "purposeful_actions": "always",
    "aware_of_surroundings": "always",
    "communicates_needs": "always",
    "restless": "never",
    "inconsolable": "never",
    "underactive": "never",
    "slow_to_respond": "never",
}


def check(age: float = 40.0, previous_ice: int | None = None, **raw: Any) -> ObservationCheck:
    return validate_observation(raw, age_years=age, previous_ice=previous_ice)


# --- °F -------------------------------------------------------------------------------------


def test_fahrenheit_is_refused_with_the_celsius_value_offered() -> None:
    result = check(temperature_c=101.3)
    assert "temperature_c" not in result.values  # never silently converted
    problem = result.rejections[0]
    assert problem.suggestion == 38.5
    assert "101.3 °F = 38.5 °C — use 38.5?" in problem.message


@pytest.mark.parametrize(("typed", "celsius"), [(93.0, 33.9), ("98.6", 37.0), (113, 45.0)])
def test_fahrenheit_range_edges(typed: Any, celsius: float) -> None:
    assert check(temperature_c=typed).rejections[0].suggestion == celsius


@pytest.mark.parametrize("typed", [92.9, 113.1])
def test_just_outside_fahrenheit_range_is_a_plain_rejection(typed: float) -> None:
    problem = check(temperature_c=typed).rejections[0]
    assert problem.suggestion is None
    assert "outside 25.0–45.0 °C" in problem.message


# --- blood pressure and oxygen ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("sbp", "dbp", "rejected"), [(80, 80, True), (80, 90, True), (81, 80, False)]
)
def test_systolic_must_exceed_diastolic(sbp: int, dbp: int, rejected: bool) -> None:
    result = check(systolic_bp=sbp, diastolic_bp=dbp)
    assert bool(result.rejections) is rejected
    if rejected:
        assert "systolic_bp" not in result.values
        assert "not swapped" in result.rejections[0].message
    else:
        assert result.values == {"systolic_bp": sbp, "diastolic_bp": dbp}


def test_flow_on_room_air_is_rejected_but_zero_is_fine() -> None:
    bad = check(oxygen_device="none", oxygen_flow_l_min=2)
    assert bad.rejections[0].field == "oxygen_flow_l_min"
    assert "room air" in bad.rejections[0].message
    assert "oxygen_flow_l_min" not in bad.values
    assert not check(oxygen_device="none", oxygen_flow_l_min=0).rejections


@pytest.mark.parametrize("device", ["simple_face_mask", "non_rebreather", "venturi_mask"])
def test_high_flow_on_a_mask_asks_for_confirmation(device: str) -> None:
    assert not check(oxygen_device=device, oxygen_flow_l_min=15).needs_confirmation
    result = check(oxygen_device=device, oxygen_flow_l_min=15.5)
    assert [p.field for p in result.needs_confirmation] == ["oxygen_flow_l_min"]
    assert result.values["oxygen_flow_l_min"] == 15.5


def test_high_flow_nasal_cannula_at_60_is_not_questioned() -> None:
    result = check(oxygen_device="high_flow_nasal_cannula", oxygen_flow_l_min=60)
    assert not result.needs_confirmation and not result.rejections


# --- ICE and CAPD (RULES I1) -------------------------------------------------------------------


def test_ice_items_within_their_maxima_are_accepted() -> None:
    result = check(ice_items=FULL_ICE)
    assert result.values["ice_items"] == FULL_ICE
    assert ice_total(result.values["ice_items"]) == 10


@pytest.mark.parametrize(
    ("item", "value"),
    [
        ("orientation", 5),
        ("naming", 4),
        ("following_commands", 2),
        ("writing", 2),
        ("attention", 2),
        ("orientation", -1),
        ("naming", 1.5),
        ("writing", True),
    ],
)
def test_ice_item_above_its_maximum_or_not_whole_is_rejected(item: str, value: Any) -> None:
    result = check(ice_items={**FULL_ICE, item: value})
    assert result.rejections[0].field == "ice_items"
    assert item in result.rejections[0].message
    assert "ice_items" not in result.values


def test_ice_items_missing_or_unknown_are_named() -> None:
    items = {k: v for k, v in FULL_ICE.items() if k != "writing"} | {"spelling": 1}
    message = check(ice_items=items).rejections[0].message
    assert "missing writing" in message and "unknown spelling" in message


def test_ice_total_must_match_its_items() -> None:
    result = check(ice_items=FULL_ICE, ice_score=9)
    assert result.rejections[0].field == "ice_score"
    assert "add up to 10" in result.rejections[0].message


@pytest.mark.parametrize("value", [7.5, "7.5", "seven", -1, 11])
def test_ice_score_must_be_a_whole_number_0_to_10(value: Any) -> None:
    assert check(ice_score=value).rejections[0].field == "ice_score"


def test_ice_score_7_point_0_is_seven() -> None:
    assert check(ice_score=7.0).values["ice_score"] == 7


@pytest.mark.parametrize(
    ("previous", "current", "prompted"), [(10, 7, True), (10, 8, False), (9, 2, True)]
)
def test_ice_drop_of_three_prompts(previous: int, current: int, prompted: bool) -> None:
    result = check(previous_ice=previous, ice_score=current)
    assert bool(result.needs_confirmation) is prompted
    assert result.values["ice_score"] == current
    if prompted:
        assert f"ICE fell from {previous} to {current}" in result.needs_confirmation[0].message


def test_ice_drop_counts_items_when_no_total_is_typed() -> None:
    result = check(previous_ice=10, ice_items={**FULL_ICE, "orientation": 1})
    assert [p.field for p in result.needs_confirmation] == ["ice_items"]


def test_capd_items_are_scored_with_items_1_to_4_reversed() -> None:
    assert capd_total(CAPD_BEST) == 0
    worst = {k: ("never" if v == "always" else "always") for k, v in CAPD_BEST.items()}
    assert capd_total(worst) == 32
    result = check(age=4, capd_items=CAPD_BEST | {"restless": "Often"}, capd_score=3)
    assert not result.rejections
    assert result.values["capd_items"]["restless"] == "often"


def test_capd_total_must_match_items_and_answers_must_be_known() -> None:
    assert check(capd_items=CAPD_BEST, capd_score=5).rejections[0].field == "capd_score"
    bad = check(capd_items=CAPD_BEST | {"restless": "sometimes?"})
    assert "restless" in bad.rejections[0].message and "never, rarely" in bad.rejections[0].message


@pytest.mark.parametrize("value", [12.5, 33, "x"])
def test_capd_score_range_and_whole_numbers(value: Any) -> None:
    assert check(capd_score=value).rejections[0].field == "capd_score"


# --- enums, booleans, lists, unknown keys -----------------------------------------------------


def test_enum_spelling_is_forgiven_for_case_and_spaces_but_unknown_values_listed() -> None:
    assert check(oxygen_device="Nasal cannula").values["oxygen_device"] == "nasal_cannula"
    message = check(seizure="fits").rejections[0].message
    assert "'fits'" in message and "focal_resolved_rapidly" in message


def test_booleans() -> None:
    assert check(hypotension="yes").values["hypotension"] is True
    assert check(hypotension=False).values["hypotension"] is False
    assert check(hypotension=None).values["hypotension"] is None
    assert check(hypotension="maybe").rejections[0].field == "hypotension"


def test_vasopressors_are_a_list_of_known_drugs_each_listed_once() -> None:
    assert check(vasopressors=["Norepinephrine", "vasopressin"]).values["vasopressors"] == [
        "norepinephrine",
        "vasopressin",
    ]
    assert check(vasopressors="norepinephrine, dopamine").values["vasopressors"] == [
        "norepinephrine",
        "dopamine",
    ]
    assert check(vasopressors=[]).values["vasopressors"] == []
    assert "twice" in check(vasopressors=["dopamine", "dopamine"]).rejections[0].message
    assert check(vasopressors=["adrenaline?"]).rejections
    assert check(vasopressors=5).rejections


def test_unknown_field_is_named_and_assessed_at_is_left_to_timing() -> None:
    result = check(temprature_c=38.0, assessed_at="2026-03-10T10:00")
    assert [p.field for p in result.rejections] == ["temprature_c"]
    assert result.values == {}


def test_only_given_fields_come_back_and_none_means_not_assessed() -> None:
    result = check(heart_rate=None, temperature_c="")
    assert result.values == {"heart_rate": None, "temperature_c": None}


def test_comment_must_be_text_of_reasonable_length() -> None:
    assert check(comment="  looks well ").values["comment"] == "looks well"
    assert check(comment=5).rejections
    assert check(comment="x" * 5000).rejections


# --- text a user may type ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("38,5", 38.5),
        (" 38.5 ", 38.5),
        ("３８．５", 38.5),
        ("٣٨٫٥".replace("٫", "."), 38.5),
        ("38.5 °C", 38.5),
        (38, 38.0),
        ("+38.5", 38.5),
    ],
)
def test_temperature_text_is_converted(typed: Any, expected: float) -> None:
    result = check(temperature_c=typed)
    assert not result.rejections
    assert result.values["temperature_c"] == expected
    assert isinstance(result.values["temperature_c"], float)


@pytest.mark.parametrize(
    "typed",
    [
        "abc",
        "NaN",
        "nan",
        "inf",
        "-inf",
        "1e309",
        "1e2",
        "3_8",
        "38.5.1",
        "38,5,1",
        float("nan"),
        float("inf"),
        10**400,
        True,
        [38.5],
        {"v": 38.5},
        "38.5 °F",
        "--38",
    ],
)
def test_temperature_garbage_is_rejected_with_a_message(typed: Any) -> None:
    result = check(temperature_c=typed)
    assert "temperature_c" not in result.values
    problem = result.rejections[0]
    assert problem.field == "temperature_c"
    assert "°C" in problem.message and "25.0–45.0" in problem.message


@pytest.mark.parametrize(
    ("typed", "expected"), [("72", 72), ("72.0", 72), ("７２", 72), (72.0, 72)]
)
def test_heart_rate_text_is_converted_to_a_whole_number(typed: Any, expected: int) -> None:
    value = check(heart_rate=typed).values["heart_rate"]
    assert value == expected and isinstance(value, int)


def test_heart_rate_with_a_fraction_is_rejected_with_a_whole_number_hint() -> None:
    message = check(heart_rate="72.5").rejections[0].message
    assert "whole number" in message


def test_huge_integer_does_not_crash_and_is_reported_plainly() -> None:
    message = check(heart_rate=10**5000).rejections[0].message
    assert "far too large" in message


def test_negative_age_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="age_years"):
        validate_observation({}, age_years=float("nan"), previous_ice=None)
