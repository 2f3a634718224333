"""ICANS (RULES I1-I8): ICE and CAPD bands, tool by age, every domain, missing domains."""

from __future__ import annotations

from typing import Any

import pytest

from grading import (
    AssessmentInputs,
    IcansResult,
    IceItems,
    InputError,
    capd_total,
    grade_icans,
    uses_capd,
)
from grading.inputs import CapdAnswer, CapdItem, CerebralEdema, Consciousness, MotorFinding
from grading.inputs import Seizure as Sz
from grading.inputs import UnableReason as Unable

NORMAL: dict[str, Any] = {
    "consciousness": Consciousness.AWAKENS_SPONTANEOUSLY,
    "seizure": Sz.NONE,
    "motor_weakness": MotorFinding.NONE,
    "cerebral_edema": CerebralEdema.NONE,
}


def icans(**kw: Any) -> IcansResult:
    fields = {"age_years": 40.0, **NORMAL, **kw}
    result = grade_icans(AssessmentInputs(**fields))
    assert result is not None
    return result


# RULES I1 ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("age", "delay", "capd"),
    [(11.9, False, True), (11.99, False, True), (12.0, False, False), (12.1, False, False),
     (0.5, False, True), (14.0, True, True), (40.0, True, True), (None, False, False),
     (None, True, True)],
)
def test_tool_by_age(age: float | None, delay: bool, capd: bool) -> None:
    assert uses_capd(age, delay) is capd


def test_age_boundary_picks_the_tool_in_the_result() -> None:
    assert icans(age_years=11.9, capd_score=3).tool == "CAPD"
    assert icans(age_years=12.0, ice_score=8).tool == "ICE"
    assert icans(age_years=20.0, developmental_delay=True, capd_score=3).tool == "CAPD"


def test_no_age_uses_the_tool_entered() -> None:
    assert icans(age_years=None, capd_score=2).tool == "CAPD"
    assert icans(age_years=None, ice_score=9).tool == "ICE"


def test_ice_items_are_summed() -> None:
    r = icans(ice_items=IceItems(orientation=3, naming=3, following_commands=1, writing=0,
                                 attention=1))
    assert (r.ice_total, r.grade) == (8, 1)


CAPD_ITEMS_ICP13 = {
    "eye_contact": "rarely", "purposeful_actions": "sometimes",
    "aware_of_surroundings": "often", "communicates_needs": "always", "restless": "never",
    "inconsolable": "rarely", "underactive": "sometimes", "slow_to_respond": "never",
}


def test_capd_total_reverse_scores_items_1_to_4() -> None:
    assert capd_total(CAPD_ITEMS_ICP13) == 9
    all_never = dict.fromkeys(CAPD_ITEMS_ICP13, "never")
    assert capd_total(all_never) == 16  # items 1-4 score 4 each, 5-8 score 0
    all_always = dict.fromkeys(CAPD_ITEMS_ICP13, "always")
    assert capd_total(all_always) == 16
    healthy = {**dict.fromkeys(list(CAPD_ITEMS_ICP13)[:4], "always"),
               **dict.fromkeys(list(CAPD_ITEMS_ICP13)[4:], "never")}
    assert capd_total(healthy) == 0
    worst = {**dict.fromkeys(list(CAPD_ITEMS_ICP13)[:4], "never"),
             **dict.fromkeys(list(CAPD_ITEMS_ICP13)[4:], "always")}
    assert capd_total(worst) == 32


@pytest.mark.parametrize(
    ("item", "points"),
    [(item, points) for item in CapdItem for points in range(5)],
)
def test_each_capd_item_scores_alone(item: CapdItem, points: int) -> None:
    reverse = item in list(CapdItem)[:4]
    answers = list(CapdAnswer)
    baseline = {i.value: ("always" if i in list(CapdItem)[:4] else "never") for i in CapdItem}
    answer = answers[4 - points] if reverse else answers[points]
    assert capd_total({**baseline, item.value: answer.value}) == points


def test_capd_total_refuses_unknown_or_missing_items() -> None:
    with pytest.raises(InputError, match=r"capd_items\.smiles"):
        capd_total({**CAPD_ITEMS_ICP13, "smiles": "often"})
    with pytest.raises(InputError, match=r"capd_items\.restless"):
        capd_total({**CAPD_ITEMS_ICP13, "restless": "very"})
    with pytest.raises(InputError, match="missing item"):
        capd_total({"restless": "never"})


def test_capd_items_in_inputs() -> None:
    items = tuple((CapdItem(k), CapdAnswer(v)) for k, v in CAPD_ITEMS_ICP13.items())
    r = icans(age_years=4.0, capd_items=items)
    assert (r.tool, r.capd_total, r.grade) == ("CAPD", 9, 3)


def test_incomplete_capd_items_are_missing_not_zero() -> None:
    r = icans(age_years=4.0, capd_items=((CapdItem.RESTLESS, CapdAnswer.NEVER),))
    assert r.capd_total is None
    assert "encephalopathy (CAPD)" in r.missing
    assert r.display == "≥ 0"


# RULES I2 ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("ice", "grade"),
    [(10, 0), (9, 1), (8, 1), (7, 1), (6, 2), (5, 2), (4, 2), (3, 2), (2, 3), (1, 3), (0, 3)],
)
def test_ice_bands(ice: int, grade: int) -> None:
    r = icans(ice_score=ice)
    assert (r.grade, r.ice_total, r.tool) == (grade, ice, "ICE")


def test_ice_reason_names_band() -> None:
    assert icans(ice_score=7).reasons == ("encephalopathy (ICE): ICE 7/10 (7–9) → grade 1",)
    assert icans(ice_score=2).reasons == ("encephalopathy (ICE): ICE 2/10 (0–2) → grade 3",)


def test_ice_0_aphasic_is_3_unarousable_is_4() -> None:
    assert icans(ice_score=0, ice_unable_reason=Unable.GLOBAL_APHASIA_AWAKE).grade == 3
    assert icans(ice_unable_reason=Unable.GLOBAL_APHASIA_AWAKE).grade == 3
    r = icans(ice_unable_reason=Unable.UNAROUSABLE)
    assert r.grade == 4
    assert "unarousable → grade 4" in r.reasons[0]


def test_unarousable_from_sedation_leaves_encephalopathy_missing() -> None:
    r = icans(ice_unable_reason=Unable.UNAROUSABLE, loc_attributable_to_other_cause=True,
              consciousness=Consciousness.UNAROUSABLE_OR_VIGOROUS_STIMULI)
    assert r.grade == 0
    assert r.missing == ("encephalopathy (ICE)",)
    assert r.at_least and r.display == "≥ 0"


# RULES I3 ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("capd", "grade"), [(0, 0), (1, 1), (8, 1), (9, 3), (10, 3), (32, 3)],
)
def test_capd_bands(capd: int, grade: int) -> None:
    r = icans(age_years=6.0, capd_score=capd)
    assert (r.grade, r.capd_total, r.tool) == (grade, capd, "CAPD")


def test_capd_1_to_8_lifted_to_2_by_waking_to_voice() -> None:
    assert icans(age_years=6.0, capd_score=5,
                 consciousness=Consciousness.AWAKENS_TO_VOICE).grade == 2


def test_capd_unarousable_is_4() -> None:
    assert icans(age_years=6.0, capd_unable_reason=Unable.UNAROUSABLE).grade == 4


# RULES I4 ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("level", "grade"),
    [(Consciousness.AWAKENS_SPONTANEOUSLY, 0), (Consciousness.AWAKENS_TO_VOICE, 2),
     (Consciousness.AWAKENS_ONLY_TO_TACTILE, 3),
     (Consciousness.UNAROUSABLE_OR_VIGOROUS_STIMULI, 4)],
)
def test_consciousness(level: Consciousness, grade: int) -> None:
    assert icans(ice_score=10, consciousness=level).grade == grade
    r = icans(ice_score=10, consciousness=level, loc_attributable_to_other_cause=True)
    assert r.grade == 0
    if grade:
        assert any("attributed to another cause" in why for why in r.reasons)


# RULES I5-I7 ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("seizure", "grade"),
    [(Sz.NONE, 0), (Sz.FOCAL_RESOLVED_RAPIDLY, 3), (Sz.GENERALISED_RESOLVED_RAPIDLY, 3),
     (Sz.NONCONVULSIVE_ON_EEG_RESOLVED_WITH_INTERVENTION, 3), (Sz.PROLONGED_OVER_5_MIN, 4),
     (Sz.REPETITIVE_WITHOUT_RETURN_TO_BASELINE, 4)],
)
def test_seizure(seizure: Sz, grade: int) -> None:
    assert icans(ice_score=10, seizure=seizure).grade == grade


@pytest.mark.parametrize(
    ("motor", "grade"),
    [(MotorFinding.NONE, 0), (MotorFinding.TREMOR, 0), (MotorFinding.MYOCLONUS, 0),
     (MotorFinding.HEMIPARESIS, 4), (MotorFinding.PARAPARESIS, 4)],
)
def test_motor(motor: MotorFinding, grade: int) -> None:
    r = icans(ice_score=10, motor_weakness=motor)
    assert r.grade == grade
    if motor in (MotorFinding.TREMOR, MotorFinding.MYOCLONUS):
        assert any("not graded" in why for why in r.reasons)


@pytest.mark.parametrize(
    ("oedema", "grade"),
    [(CerebralEdema.NONE, 0), (CerebralEdema.FOCAL_ON_NEUROIMAGING, 3),
     (CerebralEdema.DIFFUSE_ON_NEUROIMAGING, 4),
     (CerebralEdema.DECEREBRATE_OR_DECORTICATE_POSTURING, 4),
     (CerebralEdema.CRANIAL_NERVE_VI_PALSY, 4), (CerebralEdema.PAPILLEDEMA, 4),
     (CerebralEdema.CUSHINGS_TRIAD, 4), (CerebralEdema.INTRACRANIAL_HAEMORRHAGE_ONLY, 0)],
)
def test_oedema(oedema: CerebralEdema, grade: int) -> None:
    r = icans(ice_score=10, cerebral_edema=oedema)
    assert r.grade == grade
    if oedema is CerebralEdema.INTRACRANIAL_HAEMORRHAGE_ONLY:
        assert any("not ICANS" in why for why in r.reasons)


# RULES I8 ------------------------------------------------------------------------------

def test_grade_is_max_over_domains() -> None:
    r = icans(ice_score=3, seizure=Sz.GENERALISED_RESOLVED_RAPIDLY)
    assert r.grade == 3
    assert len(r.reasons) == 2


def test_unassessed_domains_are_missing_and_grade_is_at_least() -> None:
    r = grade_icans(AssessmentInputs(age_years=40.0, ice_score=8))
    assert r is not None
    assert r.grade == 1
    assert r.missing == ("consciousness", "seizure", "motor", "raised ICP / cerebral oedema")
    assert r.at_least
    assert r.display == "≥ 1"
    full = icans(ice_score=8)
    assert not full.at_least and full.display == "1"


def test_missing_encephalopathy_domain_named_by_tool() -> None:
    assert icans().missing == ("encephalopathy (ICE)",)
    assert icans(age_years=5.0).missing == ("encephalopathy (CAPD)",)


def test_normal_adult_is_0_and_says_so() -> None:
    r = icans(ice_score=10)
    assert r.grade == 0
    assert r.reasons == ("no ICANS criterion met in the assessed domains → grade 0",)


def test_no_icans_input_is_none() -> None:
    assert grade_icans(AssessmentInputs(age_years=40.0, temperature_c=38.0)) is None
    assert grade_icans(AssessmentInputs(developmental_delay=True)) is None
