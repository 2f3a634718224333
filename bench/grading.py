"""Assessments graded per second (CRS + ICANS + NEWS2 with reasons), RULES §2-4.

A seeded, realistic mix of 100,000 observation sets (adults with full NEWS2 obs and ICE,
children with CAPD, fever, oxygen, pressors, neurological findings, gaps) is graded in one
pass; the baseline reads the same fields into a tuple, so the ratio compares machines.
Target: at least 100,000 full assessments per second on one core.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

from bench.common import BenchResult, median_seconds
from grading import AssessmentInputs, IceItems, grade_assessment
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

T = TypeVar("T")

N_ASSESSMENTS = 100_000
TARGET_PER_SECOND = 100_000.0
SEED = 20190401


def _pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    values = [v for v, _w in weighted]
    return rng.choices(values, [w for _v, w in weighted])[0]


def _oxygen(rng: random.Random) -> tuple[OxygenDevice, float | None]:
    device = _pick(rng, [
        (OxygenDevice.NONE, 70), (OxygenDevice.NASAL_CANNULA, 14), (OxygenDevice.BLOW_BY, 1),
        (OxygenDevice.HIGH_FLOW_NASAL_CANNULA, 5), (OxygenDevice.SIMPLE_FACE_MASK, 3),
        (OxygenDevice.NON_REBREATHER, 2), (OxygenDevice.VENTURI_MASK, 2),
        (OxygenDevice.CPAP, 1), (OxygenDevice.BIPAP, 1), (OxygenDevice.INVASIVE_VENTILATION, 1),
    ])
    if device is OxygenDevice.NONE:
        return device, None
    if device is OxygenDevice.NASAL_CANNULA:
        return device, rng.choice([None, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 6.5, 7.0])
    if device is OxygenDevice.HIGH_FLOW_NASAL_CANNULA:
        return device, rng.choice([None, 4.0, 6.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    return device, rng.choice([None, 5.0, 8.0, 10.0, 15.0])


def make_assessments(n: int = N_ASSESSMENTS, seed: int = SEED) -> list[AssessmentInputs]:
    rng = random.Random(seed)
    out: list[AssessmentInputs] = []
    for _ in range(n):
        child = rng.random() < 0.2
        age = round(rng.uniform(1.0, 11.9), 1) if child else float(rng.randint(12, 85))
        device, flow = _oxygen(rng)
        pressors: tuple[Vasopressor, ...] = ()
        if rng.random() < 0.06:
            pressors = tuple(rng.sample(list(Vasopressor), rng.choice([1, 1, 1, 2, 3])))
        waiver = rng.random() < 0.15
        capd = child or rng.random() < 0.02
        fields: dict[str, object] = {
            "age_years": age,
            "developmental_delay": capd and not child,
            "temperature_c": round(rng.gauss(37.8, 0.8), 1),
            "crs_previously_diagnosed": waiver,
            "antipyretic_or_anticytokine_given": waiver or rng.random() < 0.1,
            "hypotension": bool(pressors) or rng.random() < 0.08,
            "systolic_bp": rng.randint(70, 170),
            "vasopressors": pressors,
            "oxygen_device": device,
            "oxygen_flow_l_min": flow,
            "consciousness": _pick(rng, [
                (Consciousness.AWAKENS_SPONTANEOUSLY, 85), (Consciousness.AWAKENS_TO_VOICE, 8),
                (Consciousness.AWAKENS_ONLY_TO_TACTILE, 4),
                (Consciousness.UNAROUSABLE_OR_VIGOROUS_STIMULI, 2), (None, 1),
            ]),
            "loc_attributable_to_other_cause": rng.random() < 0.03,
            "seizure": _pick(rng, [(Seizure.NONE, 95)] + [(s, 1) for s in list(Seizure)[1:]]),
            "motor_weakness": _pick(rng, [(MotorFinding.NONE, 90)]
                                    + [(m, 2) for m in list(MotorFinding)[1:]]),
            "cerebral_edema": _pick(rng, [(CerebralEdema.NONE, 95), (None, 2)]
                                    + [(c, 0.5) for c in list(CerebralEdema)[1:]]),
        }
        if capd:
            if rng.random() < 0.5:
                answers = list(CapdAnswer)
                fields["capd_items"] = tuple((item, rng.choice(answers)) for item in CapdItem)
            elif rng.random() < 0.05:
                fields["capd_unable_reason"] = UnableReason.UNAROUSABLE
            else:
                fields["capd_score"] = rng.randint(0, 20)
        elif rng.random() < 0.5:
            fields["ice_items"] = IceItems(
                rng.randint(2, 4), rng.randint(1, 3), rng.randint(0, 1), rng.randint(0, 1),
                rng.randint(0, 1),
            )
        elif rng.random() < 0.03:
            fields["ice_unable_reason"] = UnableReason.UNAROUSABLE
        else:
            fields["ice_score"] = _pick(rng, [(10, 70), (9, 8), (8, 6), (7, 4), (5, 5), (2, 3),
                                              (0, 1), (None, 3)])
        if not child and rng.random() < 0.97:
            fields.update(
                respiratory_rate=rng.randint(10, 30),
                spo2_percent=rng.randint(86, 100),
                spo2_scale=2 if rng.random() < 0.03 else 1,
                heart_rate=rng.randint(45, 150),
                acvpu=_pick(rng, [(Acvpu.ALERT, 92), (Acvpu.NEW_CONFUSION, 5),
                                  (Acvpu.VOICE, 2), (Acvpu.PAIN, 1)]),
            )
        out.append(AssessmentInputs(**fields))  # type: ignore[arg-type]
    return out


def _baseline(batch: list[AssessmentInputs]) -> object:
    """Reads the fields grading reads, into a tuple per assessment: the floor."""
    row: object = None
    for i in batch:
        row = (
            i.age_years, i.developmental_delay, i.temperature_c, i.crs_previously_diagnosed,
            i.antipyretic_or_anticytokine_given, i.fever_attributed_to_other_cause,
            i.hypotension, i.systolic_bp, i.vasopressors, i.oxygen_device, i.oxygen_flow_l_min,
            i.ice_score, i.ice_items, i.ice_unable_reason, i.capd_score, i.capd_items,
            i.capd_unable_reason, i.consciousness, i.loc_attributable_to_other_cause,
            i.seizure, i.motor_weakness, i.cerebral_edema, i.respiratory_rate, i.spo2_percent,
            i.spo2_scale, i.heart_rate, i.acvpu, i.organ_toxicity_ctcae,
        )
    return row


def _grade_all(batch: list[AssessmentInputs]) -> object:
    result: object = None
    for i in batch:
        result = grade_assessment(i)
    return result


def run() -> list[BenchResult]:
    batch = make_assessments()
    _grade_all(batch)  # warm the memo tables, as in a running ward app
    graded = len(batch) / median_seconds(lambda: _grade_all(batch), repeats=5)
    floor = len(batch) / median_seconds(lambda: _baseline(batch), repeats=5)
    return [
        BenchResult(
            name="full assessments graded (CRS + ICANS + NEWS2, with reasons)",
            value=graded,
            unit="/s",
            baseline_name="same fields read into a tuple",
            baseline_value=floor,
            target=f"≥ {TARGET_PER_SECOND:,.0f} /s",
            met=graded >= TARGET_PER_SECOND,
        )
    ]


if __name__ == "__main__":
    for r in run():
        print(
            f"{r.name}: {r.value:,.0f} {r.unit} (target {r.target}: "
            f"{'met' if r.met else 'NOT met'}); baseline {r.baseline_name}: "
            f"{r.baseline_value:,.0f} {r.unit}; ratio {r.ratio:.3f}"
        )
