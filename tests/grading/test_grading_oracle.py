"""The engine against an independent implementation (grading_oracle) on every combination.

CRS: devices x flows x vasopressor subsets x hypotension x fever states x waiver flags.
ICANS: ICE 0-10 (and CAPD 0-32) x every consciousness, seizure, motor and oedema value
(and "not assessed") x sedation, plus the unable-to-perform reasons. 100 % agreement.
"""

from __future__ import annotations

import itertools

from grading_oracle import oracle_crs, oracle_icans

from grading import AssessmentInputs, grade_crs, grade_icans
from grading.inputs import (
    CerebralEdema,
    Consciousness,
    MotorFinding,
    OxygenDevice,
    Seizure,
    UnableReason,
    Vasopressor,
)

FLOWS = [None, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 6.5, 7.0, 15.0]
FEVER_STATES = [  # (temperature, attributed to another cause)
    (None, False), (36.5, False), (37.9, False), (37.94, False), (37.95, False),
    (38.0, False), (38.05, False), (40.1, False), (39.5, True), (37.0, True),
]
VASOPRESSOR_SETS = [
    combo for n in range(len(Vasopressor) + 1) for combo in itertools.combinations(Vasopressor, n)
]
WAIVER_FLAGS = list(itertools.product([False, True], repeat=2))


def test_crs_agrees_with_oracle_on_every_combination() -> None:
    checked = 0
    disagreements: list[str] = []
    for device in [None, *OxygenDevice]:
        for flow in FLOWS:
            for pressors in VASOPRESSOR_SETS:
                names = frozenset(p.value for p in pressors)
                for hypotension in (None, False, True):
                    for temp, attributed in FEVER_STATES:
                        for previously, given in WAIVER_FLAGS:
                            inputs = AssessmentInputs(
                                age_years=50.0, temperature_c=temp,
                                fever_attributed_to_other_cause=attributed,
                                crs_previously_diagnosed=previously,
                                antipyretic_or_anticytokine_given=given,
                                hypotension=hypotension, vasopressors=pressors,
                                oxygen_device=device, oxygen_flow_l_min=flow,
                            )
                            result = grade_crs(inputs)
                            expected = oracle_crs(
                                temperature=temp, attributed=attributed,
                                previously_diagnosed=previously, drug_given=given,
                                hypotension=hypotension, vasopressors=names,
                                device=None if device is None else device.value, flow=flow,
                            )
                            got = None if result is None else result.grade
                            if got != expected and (result is not None or expected != 0):
                                disagreements.append(f"{inputs}: engine {got}, oracle {expected}")
                            checked += 1
    assert not disagreements, f"{len(disagreements)} disagreements, e.g. {disagreements[:3]}"
    assert checked == 11 * 11 * 64 * 3 * 10 * 4


def _icans_grid(tool: str) -> int:
    scores: list[int | None] = [*range(11 if tool == "ICE" else 33), None]
    checked = 0
    disagreements: list[str] = []
    for score, level, seizure, motor, oedema, sedated in itertools.product(
        scores, [None, *Consciousness], [None, *Seizure], [None, *MotorFinding],
        [None, *CerebralEdema], (False, True),
    ):
        for unable in (None, *UnableReason):
            if unable is not None and score not in (None, 0):
                continue
            if tool == "CAPD" and unable is not None and score is not None:
                continue
            fields = {
                "age_years": 40.0 if tool == "ICE" else 7.0,
                "consciousness": level, "seizure": seizure, "motor_weakness": motor,
                "cerebral_edema": oedema, "loc_attributable_to_other_cause": sedated,
            }
            if tool == "ICE":
                fields.update(ice_score=score, ice_unable_reason=unable)
            else:
                fields.update(capd_score=score, capd_unable_reason=unable)
            result = grade_icans(AssessmentInputs(**fields))  # type: ignore[arg-type]
            if result is None:  # nothing of ICANS entered at all
                assert (score, unable, level, seizure, motor, oedema, sedated) == (
                    None, None, None, None, None, None, False
                )
                continue
            grade, missing = oracle_icans(
                tool=tool, score=score, unable=None if unable is None else unable.value,
                consciousness=None if level is None else level.value, sedated=sedated,
                seizure=None if seizure is None else seizure.value,
                motor=None if motor is None else motor.value,
                oedema=None if oedema is None else oedema.value,
            )
            if (result.grade, set(result.missing), result.tool) != (grade, missing, tool):
                disagreements.append(f"{fields}: engine {result}, oracle {grade} {missing}")
            assert result.at_least is bool(missing)
            checked += 1
    assert not disagreements, f"{len(disagreements)} disagreements, e.g. {disagreements[:3]}"
    return checked


def test_icans_ice_agrees_with_oracle_on_every_combination() -> None:
    assert _icans_grid("ICE") > 11 * 4 * 6 * 5 * 8 * 2


def test_icans_capd_agrees_with_oracle_on_every_combination() -> None:
    assert _icans_grid("CAPD") > 33 * 4 * 6 * 5 * 8 * 2
