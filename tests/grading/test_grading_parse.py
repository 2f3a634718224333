"""parse_inputs: RULES §6 keys to typed inputs; every bad key or value is a named InputError."""

from __future__ import annotations

import math
from typing import Any

import pytest

from grading import IceItems, InputError, parse_inputs
from grading.inputs import (
    Acvpu,
    CapdAnswer,
    CapdItem,
    Consciousness,
    OxygenDevice,
    UnableReason,
    Vasopressor,
)

FULL_ADULT: dict[str, Any] = {
    "case_id": "X-1", "age_years": 55, "temperature_c": 38.4,
    "crs_previously_diagnosed": False, "antipyretic_or_anticytokine_given": True,
    "fever_attributed_to_other_cause": False, "hypotension": True, "systolic_bp": 86,
    "vasopressors": ["norepinephrine", "vasopressin"], "oxygen_device": "nasal_cannula",
    "oxygen_flow_l_min": 4, "ice_score": 7, "consciousness": "awakens_to_voice",
    "loc_attributable_to_other_cause": False, "seizure": "none", "motor_weakness": "tremor",
    "cerebral_edema": "none", "developmental_delay": False, "respiratory_rate": 22,
    "spo2_percent": 94, "spo2_scale": 1, "heart_rate": 118, "acvpu": "alert",
    "organ_toxicity_ctcae": {"alt_increased": 3},
}


def test_full_adult_parses_typed() -> None:
    i = parse_inputs(FULL_ADULT)
    assert i.age_years == 55.0 and isinstance(i.age_years, float)
    assert i.vasopressors == (Vasopressor.NOREPINEPHRINE, Vasopressor.VASOPRESSIN)
    assert i.oxygen_device is OxygenDevice.NASAL_CANNULA
    assert i.oxygen_flow_l_min == 4.0
    assert i.consciousness is Consciousness.AWAKENS_TO_VOICE
    assert i.acvpu is Acvpu.ALERT
    assert i.organ_toxicity_ctcae == (("alt_increased", 3),)
    assert i.systolic_bp == 86 and isinstance(i.systolic_bp, int)


def test_empty_and_nulls_are_not_recorded() -> None:
    i = parse_inputs({})
    assert i.temperature_c is None and i.hypotension is None and i.spo2_scale == 1
    j = parse_inputs(dict.fromkeys(FULL_ADULT))
    assert j == i


def test_ice_items_and_capd_items() -> None:
    i = parse_inputs({"age_years": 30, "ice_items": {
        "orientation": 4, "naming": 2, "following_commands": 1, "writing": 0, "attention": 1}},
        allow_ice_items=True)
    assert i.ice_items == IceItems(4, 2, 1, 0, 1)
    items = {item.value: "sometimes" for item in CapdItem}
    j = parse_inputs({"age_years": 5, "capd_items": items})
    assert j.capd_items == tuple((item, CapdAnswer.SOMETIMES) for item in CapdItem)


def test_whole_floats_accepted_for_integers() -> None:
    assert parse_inputs({"heart_rate": 80.0}).heart_rate == 80


def test_error_str_names_key() -> None:
    err = InputError("heart_rate", "bad")
    assert str(err) == "heart_rate: bad"
    assert err.key == "heart_rate" and err.message == "bad"
    assert isinstance(err, ValueError)


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"temprature_c": 38.0}, "temprature_c", "did you mean 'temperature_c'"),
    ({"on_supplemental_oxygen": True}, "on_supplemental_oxygen", "unknown key"),
    ({"temperature_c": "38.2"}, "temperature_c", "expected a number"),
    ({"temperature_c": True}, "temperature_c", "expected a number"),
    ({"temperature_c": math.nan}, "temperature_c", "not a finite number"),
    ({"temperature_c": math.inf}, "temperature_c", "not a finite number"),
    ({"temperature_c": 24.9}, "temperature_c", "outside 25–45 °C"),
    ({"temperature_c": 101.3}, "temperature_c", "looks like °F: 101.3 °F = 38.5 °C"),
    ({"age_years": -1}, "age_years", "outside"),
    ({"heart_rate": 9}, "heart_rate", "outside 10–300"),
    ({"heart_rate": 301}, "heart_rate", "outside"),
    ({"heart_rate": 80.5}, "heart_rate", "not a whole number"),
    ({"heart_rate": False}, "heart_rate", "expected a whole number"),
    ({"heart_rate": 10**400}, "heart_rate", "outside"),
    ({"respiratory_rate": 1}, "respiratory_rate", "outside"),
    ({"respiratory_rate": 81, "age_years": 40}, "respiratory_rate", "outside"),
    ({"spo2_percent": 101}, "spo2_percent", "outside"),
    ({"spo2_percent": 39}, "spo2_percent", "outside"),
    ({"spo2_scale": 3}, "spo2_scale", "outside"),
    ({"systolic_bp": 29}, "systolic_bp", "outside"),
    ({"systolic_bp": 301}, "systolic_bp", "outside"),
    ({"oxygen_flow_l_min": -0.5}, "oxygen_flow_l_min", "outside"),
    ({"oxygen_flow_l_min": 81}, "oxygen_flow_l_min", "outside"),
    ({"oxygen_device": "none", "oxygen_flow_l_min": 2}, "oxygen_flow_l_min", "room air"),
    ({"oxygen_device": "nasal_prongs"}, "oxygen_device", "is not one of"),
    ({"oxygen_device": 1}, "oxygen_device", "is not one of"),
    ({"vasopressors": "norepinephrine"}, "vasopressors", "expected a list"),
    ({"vasopressors": ["noradrenaline"]}, "vasopressors", "'noradrenaline' is not one of"),
    ({"vasopressors": ["dopamine", "dopamine"]}, "vasopressors", "listed twice"),
    ({"hypotension": "yes"}, "hypotension", "expected true or false"),
    ({"hypotension": 1}, "hypotension", "expected true or false"),
    ({"ice_score": 11}, "ice_score", "outside 0–10"),
    ({"ice_score": -1}, "ice_score", "outside"),
    ({"ice_score": 7.5}, "ice_score", "not a whole number"),
    ({"capd_score": 33, "age_years": 5}, "capd_score", "outside 0–32"),
    ({"ice_items": {"orientation": 5, "naming": 3, "following_commands": 1, "writing": 1,
                    "attention": 1}}, "ice_items.orientation", "outside 0–4"),
    ({"ice_items": {"orientation": 4}}, "ice_items", "missing item(s): naming"),
    ({"ice_items": {"orientation": 4, "naming": 3, "following_commands": 1, "writing": 1,
                    "attention": 1, "memory": 1}}, "ice_items.memory", "unknown ICE item"),
    ({"ice_items": [1, 2]}, "ice_items", "expected an object"),
    ({"ice_items": {"orientation": 4, "naming": 3, "following_commands": 1, "writing": 1,
                    "attention": 1}, "ice_score": 9}, "ice_score", "differs from the sum"),
    ({"capd_items": {"restless": "never"}, "age_years": 5}, "capd_items", "missing item(s)"),
    ({"capd_items": {"smiles": "never"}, "age_years": 5}, "capd_items.smiles", "unknown"),
    ({"capd_items": {**{i.value: "never" for i in CapdItem}, "restless": "sometimes!"},
      "age_years": 5}, "capd_items.restless", "is not one of"),
    ({"capd_items": {i.value: "never" for i in CapdItem}, "capd_score": 3, "age_years": 5},
     "capd_score", "differs from the total"),
    ({"ice_unable_reason": "asleep"}, "ice_unable_reason", "is not one of"),
    ({"ice_unable_reason": "unarousable", "ice_score": 5}, "ice_unable_reason", "no score"),
    ({"capd_unable_reason": "global_aphasia_awake", "age_years": 5}, "capd_unable_reason",
     "does not apply to CAPD"),
    ({"capd_unable_reason": "unarousable", "capd_score": 4, "age_years": 5},
     "capd_unable_reason", "no score"),
    ({"age_years": 30, "capd_score": 4}, "capd_score", "CAPD does not apply at age 30"),
    ({"age_years": 8, "ice_score": 9}, "ice_score", "ICE does not apply (age 8 < 12)"),
    ({"developmental_delay": True, "ice_score": 9}, "ice_score", "developmental delay"),
    ({"ice_score": 9, "capd_score": 3}, "capd_score", "without age_years"),
    ({"consciousness": "drowsy"}, "consciousness", "is not one of"),
    ({"seizure": "yes"}, "seizure", "is not one of"),
    ({"motor_weakness": "weak"}, "motor_weakness", "is not one of"),
    ({"cerebral_edema": "some"}, "cerebral_edema", "is not one of"),
    ({"acvpu": "A"}, "acvpu", "is not one of"),
    ({"organ_toxicity_ctcae": {"alt": 6}}, "organ_toxicity_ctcae.alt", "outside 1–5"),
    ({"organ_toxicity_ctcae": {"": 2}}, "organ_toxicity_ctcae", "names are"),
    ({"organ_toxicity_ctcae": [1]}, "organ_toxicity_ctcae", "expected an object"),
    ({"developmental_delay": "no"}, "developmental_delay", "expected true or false"),
]


@pytest.mark.parametrize(("mapping", "key", "fragment"), BAD, ids=[b[1] for b in BAD])
def test_bad_input_names_key_and_problem(mapping: dict[str, Any], key: str,
                                         fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_inputs(mapping, allow_ice_items=True)  # the Python interface's items checks
    assert caught.value.key == key
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(f"{key}: ")


def test_ice_items_is_not_a_rules_6_key() -> None:
    """RULES §6: unknown keys are an error naming the key; the CLI sends ICE as its total."""
    items = {"orientation": 4, "naming": 3, "following_commands": 1, "writing": 1,
             "attention": 1}  # fmt: skip
    with pytest.raises(InputError, match="send the ICE total as ice_score") as caught:
        parse_inputs({"ice_items": items})
    assert caught.value.key == "ice_items"


def test_not_a_mapping() -> None:
    with pytest.raises(InputError):
        parse_inputs([("age_years", 4)])  # type: ignore[arg-type]


def test_unable_reason_with_ice_0_is_fine() -> None:
    i = parse_inputs({"ice_score": 0, "ice_unable_reason": "global_aphasia_awake"})
    assert i.ice_unable_reason is UnableReason.GLOBAL_APHASIA_AWAKE
