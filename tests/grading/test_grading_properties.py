"""Hypothesis properties over the whole input space (RULES §2-4, §6).

Grades stay in range; more support, more pressors, worse consciousness, lower ICE, higher
CAPD, worse seizures and worse oedema never lower a grade; parse_inputs never fails with
anything but InputError, whatever JSON-like value it is given.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading import (
    AssessmentInputs,
    IceItems,
    InputError,
    grade_assessment,
    grade_crs,
    grade_icans,
    parse_inputs,
    to_json,
)
from grading.inputs import (
    Acvpu,
    CapdAnswer,
    CapdItem,
    CerebralEdema,
    Consciousness,
    MotorFinding,
    OxygenDevice,
    Seizure,
    UnableReason,
    Vasopressor,
)

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


flows = _optional(st.floats(min_value=0, max_value=80, allow_nan=False))
capd_items = st.tuples(*[st.tuples(st.just(item), st.sampled_from(CapdAnswer))
                         for item in CapdItem])
ice_items = st.builds(
    IceItems, st.integers(0, 4), st.integers(0, 3), st.integers(0, 1), st.integers(0, 1),
    st.integers(0, 1),
)

inputs = st.builds(
    AssessmentInputs,
    age_years=_optional(st.floats(min_value=0, max_value=120, allow_nan=False)),
    developmental_delay=st.booleans(),
    temperature_c=_optional(st.floats(min_value=25, max_value=45, allow_nan=False)),
    crs_previously_diagnosed=st.booleans(),
    antipyretic_or_anticytokine_given=st.booleans(),
    fever_attributed_to_other_cause=st.booleans(),
    masking_drug_name=_optional(st.sampled_from(["tocilizumab", "paracetamol"])),
    masking_drug_given_at=_optional(st.just("22 Nov 14:05")),
    hypotension=_optional(st.booleans()),
    systolic_bp=_optional(st.integers(30, 300)),
    vasopressors=st.lists(st.sampled_from(Vasopressor), unique=True).map(tuple),
    oxygen_device=_optional(st.sampled_from(OxygenDevice)),
    oxygen_flow_l_min=flows,
    ice_score=_optional(st.integers(0, 10)),
    ice_items=_optional(ice_items),
    ice_unable_reason=_optional(st.sampled_from(UnableReason)),
    capd_score=_optional(st.integers(0, 32)),
    capd_items=_optional(capd_items),
    capd_unable_reason=_optional(st.sampled_from(UnableReason)),
    consciousness=_optional(st.sampled_from(Consciousness)),
    loc_attributable_to_other_cause=st.booleans(),
    seizure=_optional(st.sampled_from(Seizure)),
    motor_weakness=_optional(st.sampled_from(MotorFinding)),
    cerebral_edema=_optional(st.sampled_from(CerebralEdema)),
    respiratory_rate=_optional(st.integers(2, 80)),
    spo2_percent=_optional(st.integers(40, 100)),
    spo2_scale=st.sampled_from([1, 2]),
    heart_rate=_optional(st.integers(10, 300)),
    acvpu=_optional(st.sampled_from(Acvpu)),
    organ_toxicity_ctcae=st.lists(
        st.tuples(st.sampled_from(["alt_increased", "aki"]), st.integers(1, 5)), max_size=2
    ).map(tuple),
)


@settings(SETTINGS, max_examples=400)
@given(inputs)
def test_results_in_range_and_explained(i: AssessmentInputs) -> None:
    r = grade_assessment(i)
    if r.crs is not None:
        assert 0 <= r.crs.grade <= 4
        assert r.crs.reasons
    if r.icans is not None:
        assert 0 <= r.icans.grade <= 4
        assert r.icans.tool in ("ICE", "CAPD")
        assert r.icans.reasons
        assert r.icans.at_least is bool(r.icans.missing)
        assert r.icans.display.endswith(str(r.icans.grade))
    if r.news2 is None:
        assert r.news2_null_reason
    else:
        assert r.news2_null_reason is None
        assert 0 <= r.news2.total <= 20
        assert r.news2.total == sum(r.news2.subscores.values())
        assert r.news2.clinical_risk in ("low", "low-medium", "medium", "high")
    json.dumps(to_json(r, "id"))  # always serialisable


# Monotonicity --------------------------------------------------------------------------

DEVICE_TIER = {  # positive pressure > masks > low-flow devices > room air (RULES C4)
    OxygenDevice.NONE: 0,
    OxygenDevice.BLOW_BY: 1,
    OxygenDevice.NASAL_CANNULA: 1,
    OxygenDevice.HIGH_FLOW_NASAL_CANNULA: 1,
    OxygenDevice.SIMPLE_FACE_MASK: 2,
    OxygenDevice.NON_REBREATHER: 2,
    OxygenDevice.VENTURI_MASK: 2,
    OxygenDevice.CPAP: 3,
    OxygenDevice.BIPAP: 3,
    OxygenDevice.INVASIVE_VENTILATION: 3,
}
SUPPORT = st.tuples(st.sampled_from(OxygenDevice), flows)


def _more_support(a: tuple[OxygenDevice, float | None],
                  b: tuple[OxygenDevice, float | None]) -> bool:
    """b is at least as much oxygen support as a."""
    (da, fa), (db, fb) = a, b
    if DEVICE_TIER[db] > DEVICE_TIER[da]:
        return True
    return da is db and fa is not None and fb is not None and fb >= fa


def _crs_grade(i: AssessmentInputs) -> int:
    r = grade_crs(i)
    return -1 if r is None else r.grade


@SETTINGS
@given(inputs, SUPPORT, SUPPORT)
def test_more_oxygen_support_never_lowers_crs(
    i: AssessmentInputs, a: tuple[OxygenDevice, float | None],
    b: tuple[OxygenDevice, float | None],
) -> None:
    if not _more_support(a, b):
        a, b = b, a
    if not _more_support(a, b):
        return
    low = dataclasses.replace(i, oxygen_device=a[0], oxygen_flow_l_min=a[1])
    high = dataclasses.replace(i, oxygen_device=b[0], oxygen_flow_l_min=b[1])
    assert _crs_grade(low) <= _crs_grade(high)


@SETTINGS
@given(inputs, st.sets(st.sampled_from(Vasopressor)), st.sets(st.sampled_from(Vasopressor)))
def test_more_vasopressors_never_lower_crs(
    i: AssessmentInputs, some: set[Vasopressor], more: set[Vasopressor]
) -> None:
    low = dataclasses.replace(i, vasopressors=tuple(sorted(some)))
    high = dataclasses.replace(i, vasopressors=tuple(sorted(some | more)))
    assert _crs_grade(low) <= _crs_grade(high)


@SETTINGS
@given(inputs)
def test_hypotension_never_lowers_crs(i: AssessmentInputs) -> None:
    assert _crs_grade(dataclasses.replace(i, hypotension=False)) <= _crs_grade(
        dataclasses.replace(i, hypotension=True)
    )


def _icans_grade(i: AssessmentInputs) -> int:
    r = grade_icans(i)
    return -1 if r is None else r.grade


def _ordered(values: list[Any]) -> st.SearchStrategy[tuple[Any, Any]]:
    """Two values with the first no worse than the second, by list order."""
    return st.tuples(st.integers(0, len(values) - 1), st.integers(0, len(values) - 1)).map(
        lambda ab: (values[min(ab)], values[max(ab)])
    )


CONSCIOUSNESS_ORDER = list(Consciousness)
SEIZURE_ORDER = list(Seizure)  # none, three "resolved" kinds, then the two grade-4 kinds
OEDEMA_ORDER = [
    CerebralEdema.NONE, CerebralEdema.INTRACRANIAL_HAEMORRHAGE_ONLY,
    CerebralEdema.FOCAL_ON_NEUROIMAGING, CerebralEdema.DIFFUSE_ON_NEUROIMAGING,
    CerebralEdema.DECEREBRATE_OR_DECORTICATE_POSTURING, CerebralEdema.CRANIAL_NERVE_VI_PALSY,
    CerebralEdema.PAPILLEDEMA, CerebralEdema.CUSHINGS_TRIAD,
]
MOTOR_ORDER = list(MotorFinding)


@SETTINGS
@given(inputs, _ordered(CONSCIOUSNESS_ORDER))
def test_worse_consciousness_never_lowers_icans(
    i: AssessmentInputs, pair: tuple[Consciousness, Consciousness]
) -> None:
    better, worse = pair
    assert _icans_grade(dataclasses.replace(i, consciousness=better)) <= _icans_grade(
        dataclasses.replace(i, consciousness=worse)
    )


@SETTINGS
@given(inputs, _ordered(SEIZURE_ORDER))
def test_worse_seizure_never_lowers_icans(
    i: AssessmentInputs, pair: tuple[Seizure, Seizure]
) -> None:
    better, worse = pair
    assert _icans_grade(dataclasses.replace(i, seizure=better)) <= _icans_grade(
        dataclasses.replace(i, seizure=worse)
    )


@SETTINGS
@given(inputs, _ordered(OEDEMA_ORDER))
def test_worse_oedema_never_lowers_icans(
    i: AssessmentInputs, pair: tuple[CerebralEdema, CerebralEdema]
) -> None:
    better, worse = pair
    assert _icans_grade(dataclasses.replace(i, cerebral_edema=better)) <= _icans_grade(
        dataclasses.replace(i, cerebral_edema=worse)
    )


@SETTINGS
@given(inputs, _ordered(MOTOR_ORDER))
def test_worse_motor_never_lowers_icans(
    i: AssessmentInputs, pair: tuple[MotorFinding, MotorFinding]
) -> None:
    better, worse = pair
    assert _icans_grade(dataclasses.replace(i, motor_weakness=better)) <= _icans_grade(
        dataclasses.replace(i, motor_weakness=worse)
    )


@SETTINGS
@given(inputs, st.integers(0, 10), st.integers(0, 10))
def test_lower_ice_never_lowers_icans(i: AssessmentInputs, a: int, b: int) -> None:
    adult = dataclasses.replace(i, age_years=40.0, developmental_delay=False, ice_items=None,
                                ice_unable_reason=None)
    high, low = max(a, b), min(a, b)
    assert _icans_grade(dataclasses.replace(adult, ice_score=high)) <= _icans_grade(
        dataclasses.replace(adult, ice_score=low)
    )


@SETTINGS
@given(inputs, st.integers(0, 32), st.integers(0, 32))
def test_higher_capd_never_lowers_icans(i: AssessmentInputs, a: int, b: int) -> None:
    child = dataclasses.replace(i, age_years=6.0, capd_items=None, capd_unable_reason=None)
    assert _icans_grade(dataclasses.replace(child, capd_score=min(a, b))) <= _icans_grade(
        dataclasses.replace(child, capd_score=max(a, b))
    )


# parse_inputs never crashes ------------------------------------------------------------

KEYS = [
    "case_id", "age_years", "temperature_c", "crs_previously_diagnosed",
    "antipyretic_or_anticytokine_given", "fever_attributed_to_other_cause", "hypotension",
    "systolic_bp", "vasopressors", "oxygen_device", "oxygen_flow_l_min", "ice_score",
    "ice_items", "ice_unable_reason", "capd_score", "capd_items", "capd_unable_reason",
    "consciousness", "loc_attributable_to_other_cause", "seizure", "motor_weakness",
    "cerebral_edema", "developmental_delay", "respiratory_rate", "spo2_percent",
    "spo2_scale", "heart_rate", "acvpu", "organ_toxicity_ctcae",
]
ENUM_WORDS = [
    v.value for enum in (Vasopressor, OxygenDevice, UnableReason, CapdItem, CapdAnswer,
                         Consciousness, Seizure, MotorFinding, CerebralEdema, Acvpu)
    for v in enum
] + ["orientation", "naming", "following_commands", "writing", "attention"]

scalars = (
    st.none() | st.booleans() | st.integers() | st.integers(-5, 400)
    | st.floats(allow_nan=True, allow_infinity=True) | st.floats(0, 120)
    | st.text(max_size=8) | st.sampled_from(ENUM_WORDS)
)
json_like = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(ENUM_WORDS) | st.text(max_size=6), children, max_size=9),
    max_leaves=6,
)
mappings = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=12), scalars | json_like,
                           max_size=8)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mappings, json_like))
def test_parse_inputs_never_crashes(mapping: Any) -> None:
    try:
        parsed = parse_inputs(mapping)
    except InputError as exc:
        assert exc.key and exc.message
        assert str(exc).startswith(exc.key)
        return
    grade_assessment(parsed)  # whatever parses, grades
