"""An independent reading of RULES C1-C5 and I1-I8, written as tables over plain strings.

It shares no code with grading/: temperatures are rounded with Decimal from their text,
devices and domains are looked up in literal tables, and the grade is the max over a list.
It is the second implementation the safety case compares the engine against.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

# device -> (grade at flow <= 6 L/min, grade at flow > 6 L/min, grade with flow missing)
OXYGEN_TABLE: dict[str, tuple[int, int, int]] = {
    "none": (0, 0, 0),
    "blow_by": (2, 2, 2),
    "nasal_cannula": (2, 3, 2),
    "high_flow_nasal_cannula": (2, 3, 3),
    "simple_face_mask": (3, 3, 3),
    "non_rebreather": (3, 3, 3),
    "venturi_mask": (3, 3, 3),
    "cpap": (4, 4, 4),
    "bipap": (4, 4, 4),
    "invasive_ventilation": (4, 4, 4),
}


def oracle_crs(
    *,
    temperature: float | None,
    attributed: bool,
    previously_diagnosed: bool,
    drug_given: bool,
    hypotension: bool | None,
    vasopressors: frozenset[str],
    device: str | None,
    flow: float | None,
) -> int:
    fever = temperature is not None and not attributed and _is_fever(temperature)
    if not fever and not (previously_diagnosed and drug_given):
        return 0
    candidates = [1] if fever else [0]
    counted = vasopressors - {"vasopressin"}
    if len(counted) >= 2:
        candidates.append(4)
    elif vasopressors:
        candidates.append(3)
    elif hypotension:
        candidates.append(2)
    if device is not None:
        low, high, unknown = OXYGEN_TABLE[device]
        candidates.append(unknown if flow is None else (high if flow > 6 else low))
    return max(candidates)


@cache
def _is_fever(temperature: float) -> bool:
    """>= 38.0 once the value as written is rounded half-up to one decimal."""
    rounded = Decimal(repr(temperature)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return rounded >= Decimal("38.0")


ICE_GRADE = [3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 0]  # index = ICE score 0..10
CAPD_GRADE = [0] + [1] * 8 + [3] * 24  # index = CAPD total 0..32
CONSCIOUSNESS_GRADE = {
    "awakens_spontaneously": 0,
    "awakens_to_voice": 2,
    "awakens_only_to_tactile": 3,
    "unarousable_or_vigorous_stimuli": 4,
}
SEIZURE_GRADE = {
    "none": 0,
    "focal_resolved_rapidly": 3,
    "generalised_resolved_rapidly": 3,
    "nonconvulsive_on_eeg_resolved_with_intervention": 3,
    "prolonged_over_5_min": 4,
    "repetitive_without_return_to_baseline": 4,
}
MOTOR_GRADE = {"none": 0, "tremor": 0, "myoclonus": 0, "hemiparesis": 4, "paraparesis": 4}
OEDEMA_GRADE = {
    "none": 0,
    "intracranial_haemorrhage_only": 0,
    "focal_on_neuroimaging": 3,
    "diffuse_on_neuroimaging": 4,
    "decerebrate_or_decorticate_posturing": 4,
    "cranial_nerve_vi_palsy": 4,
    "papilledema": 4,
    "cushings_triad": 4,
}


def oracle_icans(
    *,
    tool: str,
    score: int | None,
    unable: str | None,
    consciousness: str | None,
    sedated: bool,
    seizure: str | None,
    motor: str | None,
    oedema: str | None,
) -> tuple[int, set[str]]:
    """(grade, names of the domains not assessed)."""
    grades: list[int] = [0]
    missing: set[str] = set()
    encephalopathy = f"encephalopathy ({tool})"
    if unable == "unarousable":
        if sedated:
            missing.add(encephalopathy)
        else:
            grades.append(4)
    elif unable == "global_aphasia_awake" and tool == "ICE":
        grades.append(3)
    elif unable is not None or score is None:
        missing.add(encephalopathy)
    else:
        grades.append((ICE_GRADE if tool == "ICE" else CAPD_GRADE)[score])
    for domain, value, table in (
        ("consciousness", consciousness, CONSCIOUSNESS_GRADE),
        ("seizure", seizure, SEIZURE_GRADE),
        ("motor", motor, MOTOR_GRADE),
        ("raised ICP / cerebral oedema", oedema, OEDEMA_GRADE),
    ):
        if value is None:
            missing.add(domain)
        elif not (domain == "consciousness" and sedated):
            grades.append(table[value])
    return max(grades), missing
