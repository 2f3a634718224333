"""CRS (RULES C1-C7): every threshold, device, flow boundary, pressor rule and note."""

from __future__ import annotations

from typing import Any

import pytest

from grading import AssessmentInputs, CrsResult, grade_crs, suggests_hypotension
from grading.inputs import OxygenDevice as Dev
from grading.inputs import Vasopressor as Vp

HIGH_FLOW_NOTE = "high-flow device at ≤ 6 L/min: confirm grade"


def crs(**kw: Any) -> CrsResult:
    kw.setdefault("age_years", 55)
    kw.setdefault("temperature_c", 38.5)
    kw.setdefault("hypotension", False)
    kw.setdefault("oxygen_device", Dev.NONE)
    result = grade_crs(AssessmentInputs(**kw))
    assert result is not None
    return result


# RULES C1 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("temp", "grade"),
    [
        (37.9, 0),
        (37.94, 0),
        (37.949, 0),
        (37.95, 1),
        (37.96, 1),
        (38.0, 1),
        (38.04, 1),
        (38.05, 1),
        (39.9, 1),
        (36.0, 0),
    ],
)
def test_fever_threshold_after_rounding_to_a_tenth(temp: float, grade: int) -> None:
    assert crs(temperature_c=temp).grade == grade


def test_fever_reason_names_the_rounded_value() -> None:
    assert crs(temperature_c=38.4).reasons[0] == "fever 38.4 °C (≥ 38.0)"
    assert crs(temperature_c=37.95).reasons[0] == "fever 38.0 °C (≥ 38.0)"
    assert crs(temperature_c=37.9).reasons == ("criteria not met: no fever (37.9 °C < 38.0)",)


def test_fever_attributed_to_another_cause_does_not_count() -> None:
    r = crs(temperature_c=39.5, fever_attributed_to_other_cause=True, oxygen_device=Dev.CPAP)
    assert r.grade == 0
    assert "attributed" in r.reasons[0]


def test_no_temperature_means_no_fever_said_so() -> None:
    r = crs(temperature_c=None, oxygen_device=Dev.NON_REBREATHER)
    assert r.grade == 0
    assert "no temperature recorded" in r.reasons[0]


def test_fever_alone_is_grade_1() -> None:
    r = crs(temperature_c=38.0)
    assert r.grade == 1
    assert r.reasons == ("fever 38.0 °C (≥ 38.0)", "no hypotension and no hypoxia → grade 1")


def test_no_crs_input_at_all_is_none() -> None:
    assert grade_crs(AssessmentInputs()) is None
    assert grade_crs(AssessmentInputs(age_years=40, heart_rate=80, respiratory_rate=16)) is None


def test_systolic_bp_alone_is_a_crs_input_for_the_c7_suggestion() -> None:
    """RULES §6 lists systolic_bp with the CRS keys; C7 reads it."""
    r = grade_crs(AssessmentInputs(age_years=5, systolic_bp=75))
    assert r is not None and r.grade == 0
    assert r.notes and "below 70 + 2 × age (5 y) = 80 mmHg" in r.notes[0]


def test_the_caller_may_say_which_scales_a_line_held() -> None:
    assert grade_crs(AssessmentInputs(), present=True) is not None
    assert grade_crs(AssessmentInputs(temperature_c=39.0), present=False) is None


@pytest.mark.parametrize(
    "field",
    [
        {"temperature_c": 37.0},
        {"hypotension": False},
        {"vasopressors": (Vp.DOPAMINE,)},
        {"oxygen_device": Dev.NONE},
        {"oxygen_flow_l_min": 2.0},
        {"crs_previously_diagnosed": True},
        {"antipyretic_or_anticytokine_given": True},
        {"fever_attributed_to_other_cause": True},
    ],
)
def test_any_single_crs_input_gives_a_result(field: dict[str, Any]) -> None:
    assert grade_crs(AssessmentInputs(**field)) is not None


# RULES C2 / C5 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previously", "given", "grade"),
    [(False, False, 0), (True, False, 0), (False, True, 0), (True, True, 3)],
)
def test_waiver_needs_both_prior_crs_and_treatment(
    previously: bool, given: bool, grade: int
) -> None:
    r = crs(
        temperature_c=37.0,
        crs_previously_diagnosed=previously,
        antipyretic_or_anticytokine_given=given,
        vasopressors=(Vp.NOREPINEPHRINE,),
    )
    assert r.grade == grade


def test_waived_afebrile_with_nothing_is_0_with_generic_masked_note() -> None:
    r = crs(
        temperature_c=37.0, crs_previously_diagnosed=True, antipyretic_or_anticytokine_given=True
    )
    assert r.grade == 0
    assert r.reasons[-1].startswith("criteria not met")
    assert "fever may be masked by antipyretic/anti-cytokine therapy" in r.notes


def test_masked_note_names_drug_and_time() -> None:
    r = crs(
        temperature_c=37.2,
        crs_previously_diagnosed=True,
        antipyretic_or_anticytokine_given=True,
        masking_drug_name="tocilizumab",
        masking_drug_given_at="22 Nov 14:05",
        oxygen_device=Dev.NASAL_CANNULA,
        oxygen_flow_l_min=2.0,
    )
    assert r.grade == 2
    assert "fever may be masked by tocilizumab given 22 Nov 14:05" in r.notes


def test_masked_note_with_drug_only() -> None:
    r = crs(
        temperature_c=37.2,
        crs_previously_diagnosed=True,
        antipyretic_or_anticytokine_given=True,
        masking_drug_name="paracetamol",
    )
    assert "fever may be masked by paracetamol" in r.notes


def test_no_masked_note_when_the_caller_found_no_drug_in_24_hours() -> None:
    r = crs(temperature_c=37.0, crs_previously_diagnosed=True,
            antipyretic_or_anticytokine_given=True, masking_drug_checked=True)
    assert r.grade == 0 and not any("masked" in n for n in r.notes)


def test_no_masked_note_when_febrile() -> None:
    r = crs(
        temperature_c=38.6, crs_previously_diagnosed=True, antipyretic_or_anticytokine_given=True
    )
    assert not any("masked" in n for n in r.notes)


def test_premedication_does_not_waive_and_says_so() -> None:
    r = crs(
        temperature_c=37.5,
        antipyretic_or_anticytokine_given=True,
        oxygen_device=Dev.NASAL_CANNULA,
        oxygen_flow_l_min=2.0,
    )
    assert r.grade == 0
    assert any("does not waive fever" in n for n in r.notes)


def test_waived_reason_is_stated() -> None:
    r = crs(
        temperature_c=36.8,
        crs_previously_diagnosed=True,
        antipyretic_or_anticytokine_given=True,
        oxygen_device=Dev.BIPAP,
    )
    assert r.grade == 4
    assert r.reasons[0].startswith("fever not required")
    assert r.reasons[1] == "hypoxia: BiPAP (positive pressure) → grade 4"


# RULES C3 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pressors", "grade"),
    [
        ((), 2),
        ((Vp.VASOPRESSIN,), 3),
        ((Vp.NOREPINEPHRINE,), 3),
        ((Vp.NOREPINEPHRINE, Vp.VASOPRESSIN), 3),
        ((Vp.ANGIOTENSIN_II,), 3),
        ((Vp.NOREPINEPHRINE, Vp.PHENYLEPHRINE), 4),
        ((Vp.VASOPRESSIN, Vp.DOPAMINE, Vp.EPINEPHRINE), 4),
        ((Vp.NOREPINEPHRINE, Vp.NOREPINEPHRINE), 3),  # one drug listed twice is one drug
    ],
)
def test_vasopressor_count_excludes_vasopressin(pressors: tuple[Vp, ...], grade: int) -> None:
    assert crs(hypotension=True, vasopressors=pressors).grade == grade


def test_hypotension_without_pressor_is_2() -> None:
    r = crs(hypotension=True)
    assert r.grade == 2
    assert "hypotension not requiring a vasopressor → grade 2" in r.reasons


def test_pressor_without_marked_hypotension_still_grades_and_notes() -> None:
    r = crs(hypotension=False, vasopressors=(Vp.NOREPINEPHRINE,))
    assert r.grade == 3
    assert any("hypotension is not marked" in n for n in r.notes)
    assert crs(hypotension=None, vasopressors=(Vp.NOREPINEPHRINE,)).grade == 3


def test_pressor_reasons_name_the_drugs() -> None:
    r = crs(vasopressors=(Vp.NOREPINEPHRINE, Vp.PHENYLEPHRINE, Vp.VASOPRESSIN))
    assert r.reasons[1] == (
        "hypotension: 2 vasopressors other than vasopressin (norepinephrine, phenylephrine), "
        "with vasopressin (not counted) → grade 4"
    )
    assert crs(vasopressors=(Vp.VASOPRESSIN,)).reasons[1] == (
        "hypotension: vasopressin alone (one vasopressor) → grade 3"
    )


# RULES C4 ------------------------------------------------------------------------------

FLOW_CASES = [
    (Dev.NONE, None, 1),
    (Dev.BLOW_BY, None, 2),
    (Dev.BLOW_BY, 10.0, 2),
    (Dev.NASAL_CANNULA, None, 2),
    (Dev.NASAL_CANNULA, 0.5, 2),
    (Dev.NASAL_CANNULA, 6.0, 2),
    (Dev.NASAL_CANNULA, 6.01, 3),
    (Dev.NASAL_CANNULA, 6.5, 3),
    (Dev.NASAL_CANNULA, 7.0, 3),
    (Dev.HIGH_FLOW_NASAL_CANNULA, None, 3),
    (Dev.HIGH_FLOW_NASAL_CANNULA, 4.0, 2),
    (Dev.HIGH_FLOW_NASAL_CANNULA, 6.0, 2),
    (Dev.HIGH_FLOW_NASAL_CANNULA, 6.5, 3),
    (Dev.HIGH_FLOW_NASAL_CANNULA, 7.0, 3),
    (Dev.HIGH_FLOW_NASAL_CANNULA, 40.0, 3),
    (Dev.SIMPLE_FACE_MASK, 2.0, 3),
    (Dev.SIMPLE_FACE_MASK, 6.0, 3),
    (Dev.SIMPLE_FACE_MASK, None, 3),
    (Dev.NON_REBREATHER, 15.0, 3),
    (Dev.NON_REBREATHER, 6.0, 3),
    (Dev.VENTURI_MASK, 4.0, 3),
    (Dev.VENTURI_MASK, 7.0, 3),
    (Dev.CPAP, None, 4),
    (Dev.BIPAP, 6.0, 4),
    (Dev.INVASIVE_VENTILATION, None, 4),
]


@pytest.mark.parametrize(("device", "flow", "grade"), FLOW_CASES)
def test_oxygen_device_and_flow(device: Dev, flow: float | None, grade: int) -> None:
    assert crs(oxygen_device=device, oxygen_flow_l_min=flow).grade == grade


@pytest.mark.parametrize("flow", [0.5, 4.0, 6.0])
def test_high_flow_device_at_low_flow_carries_the_confirm_note(flow: float) -> None:
    r = crs(oxygen_device=Dev.HIGH_FLOW_NASAL_CANNULA, oxygen_flow_l_min=flow)
    assert r.grade == 2
    assert HIGH_FLOW_NOTE in r.notes


@pytest.mark.parametrize(
    ("device", "flow"),
    [
        (Dev.HIGH_FLOW_NASAL_CANNULA, 6.5),
        (Dev.HIGH_FLOW_NASAL_CANNULA, None),
        (Dev.NASAL_CANNULA, 4.0),
    ],
)
def test_confirm_note_only_for_high_flow_device_at_low_flow(
    device: Dev, flow: float | None
) -> None:
    assert HIGH_FLOW_NOTE not in crs(oxygen_device=device, oxygen_flow_l_min=flow).notes


def test_hypoxia_reason_sentences() -> None:
    assert crs(
        temperature_c=38.4, oxygen_device=Dev.HIGH_FLOW_NASAL_CANNULA, oxygen_flow_l_min=40
    ).reasons == (
        "fever 38.4 °C (≥ 38.0)",
        "hypoxia: high-flow nasal cannula at 40 L/min (> 6 L/min) → grade 3",
    )
    assert crs(oxygen_device=Dev.NASAL_CANNULA, oxygen_flow_l_min=6.0).reasons[1] == (
        "hypoxia: nasal cannula at 6 L/min (≤ 6 L/min) → grade 2"
    )
    assert crs(oxygen_device=Dev.NASAL_CANNULA, oxygen_flow_l_min=6.5).reasons[1] == (
        "hypoxia: nasal cannula at 6.5 L/min (> 6 L/min) → grade 3"
    )
    assert "flow not recorded" in crs(oxygen_device=Dev.NASAL_CANNULA).reasons[1]


def test_grade_is_the_worse_of_hypotension_and_hypoxia() -> None:
    r = crs(
        vasopressors=(Vp.NOREPINEPHRINE,), oxygen_device=Dev.NASAL_CANNULA, oxygen_flow_l_min=2.0
    )
    assert r.grade == 3
    assert crs(hypotension=True, oxygen_device=Dev.CPAP).grade == 4


def test_unrecorded_components_are_noted_not_silent() -> None:
    r = crs(hypotension=None, oxygen_device=None)
    assert r.grade == 1
    assert any("hypotension not recorded" in n for n in r.notes)
    assert any("oxygen device not recorded" in n for n in r.notes)


# RULES C6 ------------------------------------------------------------------------------


def test_organ_toxicity_is_recorded_never_graded() -> None:
    r = crs(temperature_c=38.2, organ_toxicity_ctcae=(("alt_increased", 4), ("aki", 3)))
    assert r.grade == 1
    assert any("alt_increased grade 4" in n and "RULES C6" in n for n in r.notes)


# RULES C7 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "sbp", "suggested"),
    [
        (55, 89, True),
        (55, 90, False),
        (10, 89, True),
        (10, 90, False),
        (12, 89, True),
        (1, 71, True),
        (1, 72, False),
        (5, 79, True),
        (5, 80, False),
        (9.5, 88, True),
        (9.5, 89, False),
        (0.5, 50, False),
        (None, 89, True),
        (None, 90, False),
        (40, None, False),
    ],
)
def test_hypotension_suggestion_thresholds(
    age: float | None, sbp: int | None, suggested: bool
) -> None:
    assert suggests_hypotension(age, sbp) is suggested


def test_suggestion_is_a_note_and_never_sets_hypotension() -> None:
    r = crs(age_years=5, systolic_bp=75, hypotension=False)
    assert r.grade == 1
    assert any("70 + 2 × age (5 y) = 80 mmHg" in n for n in r.notes)
    r = crs(age_years=40, systolic_bp=85, hypotension=None)
    assert any("SBP 85 mmHg is below 90 mmHg" in n for n in r.notes)
    assert not any("SBP" in n for n in crs(systolic_bp=85, hypotension=True).notes)


# --- CRS completeness (README "Design": RULES I8's principle applied to CRS) ------------


def test_crs_missing_lists_what_could_raise_the_grade() -> None:
    from grading import crs_missing

    def missing(**kw: Any) -> tuple[str, ...]:
        return crs_missing(AssessmentInputs(**kw))

    # No fever and no waiver: C5 makes it 0 whatever the rest; only the temperature counts.
    assert missing(temperature_c=36.8) == ()
    assert missing(temperature_c=38.4, fever_attributed_to_other_cause=True) == ()
    # Fever, or the C2 waiver: hypotension and the oxygen device decide the grade.
    assert missing(temperature_c=38.4) == ("hypotension", "oxygen device")
    assert missing(temperature_c=36.8, crs_previously_diagnosed=True,
                   antipyretic_or_anticytokine_given=True) == ("hypotension", "oxygen device")
    assert missing(temperature_c=38.4, hypotension=False, oxygen_device=Dev.NONE) == ()
    # A vasopressor answers the hypotension question (C3).
    assert missing(temperature_c=38.4, vasopressors=(Vp.NOREPINEPHRINE,),
                   oxygen_device=Dev.NONE) == ()
    # No temperature: fever unknown, so everything counts.
    assert missing(hypotension=False) == ("temperature", "oxygen device")
