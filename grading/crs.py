"""ASTCT 2019 CRS grade (RULES C1-C7).

The hot path reads precomputed sentences: a reason is a table lookup, and only the
flow-dependent hypoxia sentences are formatted (then memoised).
"""

from __future__ import annotations

from ._text import DEVICE_NAMES, VASOPRESSOR_NAMES, fmt_number, fmt_tenths, tenths
from .inputs import AssessmentInputs, OxygenDevice, Vasopressor
from .results import CrsResult, new_crs

FEVER_TENTHS = 380  # RULES C1: >= 38.0 °C after rounding to 0.1 °C
ADULT_SBP_THRESHOLD = 90  # RULES C7: SBP < 90 mmHg from age 10, and the highest threshold
LOW_FLOW_MAX_L_MIN = 6.0  # RULES C4: <= 6 L/min is low flow, > 6 is high flow
HIGH_FLOW_LOW_NOTE = "high-flow device at ≤ 6 L/min: confirm grade"

# Sentences by rounded temperature, 0.0-60.0 °C (RULES C1).
_FEVER = {t: f"fever {fmt_tenths(t)} °C (≥ 38.0)" for t in range(FEVER_TENTHS, 601)}
_NO_FEVER = {
    t: f"criteria not met: no fever ({fmt_tenths(t)} °C < 38.0)" for t in range(FEVER_TENTHS)
}
_FEVER_ATTRIBUTED = {
    t: f"criteria not met: fever {fmt_tenths(t)} °C attributed by a clinician to another cause"
    for t in range(FEVER_TENTHS, 601)
}
_NO_TEMPERATURE = "criteria not met: no fever (no temperature recorded)"
_WAIVED = (
    "fever not required: CRS previously diagnosed and antipyretic/anti-cytokine therapy "
    "given since (RULES C2)"
)
_WAIVED_NOTHING = "criteria not met: fever waived, but no hypotension and no hypoxia (RULES C5)"
_FEVER_ONLY = "no hypotension and no hypoxia → grade 1"
_HYPOTENSION_NO_PRESSOR = "hypotension not requiring a vasopressor → grade 2"

_NOTE_PREMED = (
    "antipyretic/anti-cytokine therapy given before any CRS diagnosis does not waive fever "
    "(RULES C2)"
)
_NOTE_NOT_GRADED_WITHOUT_FEVER = (
    "hypotension or hypoxia without fever is not graded as CRS unless fever is waived "
    "(RULES C2, C5)"
)
_NOTE_HYPOTENSION_NOT_RECORDED = "hypotension not recorded: graded as absent; record it"
_NOTE_DEVICE_NOT_RECORDED = "oxygen device not recorded: hypoxia graded as absent; record it"
_NOTE_PRESSOR_NOT_MARKED = (
    "a vasopressor is recorded but hypotension is not marked: graded as hypotension "
    "requiring a vasopressor (RULES C3)"
)
_NOTE_MASKED_GENERIC = "fever may be masked by antipyretic/anti-cytokine therapy"

_MAX_MEMO = 4096


# RULES C3 ----------------------------------------------------------------------------

def _hypotension_sub(vasopressors: tuple[Vasopressor, ...]) -> tuple[int, str]:
    distinct = list(dict.fromkeys(vasopressors))
    others = [v for v in distinct if v is not Vasopressor.VASOPRESSIN]
    with_vp = len(others) < len(distinct)
    if not others:
        return 3, "hypotension: vasopressin alone (one vasopressor) → grade 3"
    names = ", ".join(VASOPRESSOR_NAMES[v] for v in others)
    if len(others) == 1:
        if with_vp:
            return 3, f"hypotension: one vasopressor ({names}) with vasopressin → grade 3"
        return 3, f"hypotension: one vasopressor ({names}) → grade 3"
    extra = ", with vasopressin (not counted)" if with_vp else ""
    return 4, (
        f"hypotension: {len(others)} vasopressors other than vasopressin ({names}){extra}"
        " → grade 4"
    )


_HYPOTENSION_MEMO: dict[tuple[Vasopressor, ...], tuple[int, str]] = {}


def _hypotension(vasopressors: tuple[Vasopressor, ...]) -> tuple[int, str]:
    hit = _HYPOTENSION_MEMO.get(vasopressors)
    if hit is None:
        hit = _hypotension_sub(vasopressors)
        if len(_HYPOTENSION_MEMO) < _MAX_MEMO:
            _HYPOTENSION_MEMO[vasopressors] = hit
    return hit


# RULES C4 ----------------------------------------------------------------------------

_ANY_FLOW_GRADE = {
    OxygenDevice.NONE: 0,
    OxygenDevice.BLOW_BY: 2,
    OxygenDevice.SIMPLE_FACE_MASK: 3,
    OxygenDevice.NON_REBREATHER: 3,
    OxygenDevice.VENTURI_MASK: 3,
    OxygenDevice.CPAP: 4,
    OxygenDevice.BIPAP: 4,
    OxygenDevice.INVASIVE_VENTILATION: 4,
}
_ANY_FLOW_WHY = {
    OxygenDevice.BLOW_BY: "",
    OxygenDevice.SIMPLE_FACE_MASK: " (any flow)",
    OxygenDevice.NON_REBREATHER: " (any flow)",
    OxygenDevice.VENTURI_MASK: " (any flow)",
    OxygenDevice.CPAP: " (positive pressure)",
    OxygenDevice.BIPAP: " (positive pressure)",
    OxygenDevice.INVASIVE_VENTILATION: "",
}
_DeviceRow = tuple[int, str | None, str | None]  # sub-grade, reason, note
_HYPOXIA_FIXED: dict[OxygenDevice, _DeviceRow] = {
    d: (g, None if g == 0 else f"hypoxia: {DEVICE_NAMES[d]}{_ANY_FLOW_WHY[d]} → grade {g}", None)
    for d, g in _ANY_FLOW_GRADE.items()
}
_FLOW_MISSING: dict[OxygenDevice, _DeviceRow] = {
    OxygenDevice.NASAL_CANNULA: (
        2, "hypoxia: nasal cannula, flow not recorded (taken as ≤ 6 L/min) → grade 2", None,
    ),
    OxygenDevice.HIGH_FLOW_NASAL_CANNULA: (
        3, "hypoxia: high-flow nasal cannula, flow not recorded (taken as > 6 L/min) → grade 3",
        None,
    ),
}


def _hypoxia_by_flow(device: OxygenDevice, flow: float) -> _DeviceRow:
    name = DEVICE_NAMES[device]
    shown = fmt_number(flow)
    if flow > LOW_FLOW_MAX_L_MIN:
        return 3, f"hypoxia: {name} at {shown} L/min (> 6 L/min) → grade 3", None
    note = HIGH_FLOW_LOW_NOTE if device is OxygenDevice.HIGH_FLOW_NASAL_CANNULA else None
    return 2, f"hypoxia: {name} at {shown} L/min (≤ 6 L/min) → grade 2", note


_HYPOXIA_MEMO: dict[tuple[OxygenDevice, float], _DeviceRow] = {}


def _hypoxia(device: OxygenDevice, flow: float | None) -> _DeviceRow:
    fixed = _HYPOXIA_FIXED.get(device)
    if fixed is not None:
        return fixed
    if flow is None:
        return _FLOW_MISSING[device]
    key = (device, flow)
    hit = _HYPOXIA_MEMO.get(key)
    if hit is None:
        hit = _hypoxia_by_flow(device, flow)
        if len(_HYPOXIA_MEMO) < _MAX_MEMO:
            _HYPOXIA_MEMO[key] = hit
    return hit


# RULES C7 ----------------------------------------------------------------------------

def hypotension_threshold(age_years: float | None) -> float | None:
    """SBP below which the form suggests hypotension (RULES C7), or None under 1 year.

    Age unknown uses the adult threshold: a suggestion never sets hypotension, so
    suggesting too often is the safe side.
    """
    if age_years is None or age_years >= 10:
        return float(ADULT_SBP_THRESHOLD)
    if age_years >= 1:
        return 70.0 + 2.0 * age_years
    return None


def suggests_hypotension(age_years: float | None, systolic_bp: int | None) -> bool:
    """True when the form should suggest (never set) hypotension (RULES C7)."""
    if systolic_bp is None:
        return False
    threshold = hypotension_threshold(age_years)
    return threshold is not None and systolic_bp < threshold


def hypotension_threshold_text(age_years: float | None) -> str:
    """The C7 threshold as the ward reads it: "90 mmHg", or for a child under 10
    "70 + 2 × age (7.5 y) = 85 mmHg" (the form's hint and the grading note say the same)."""
    threshold = hypotension_threshold(age_years)
    assert threshold is not None
    if age_years is not None and age_years < 10:
        # One decimal: the engine compares the exact value, the nurse reads a blood pressure.
        return (f"70 + 2 × age ({fmt_number(round(age_years, 1))} y) = "
                f"{fmt_number(round(threshold, 1))} mmHg")
    return "90 mmHg"


def _hypotension_suggestion_note(age_years: float | None, sbp: int) -> str:
    return (
        f"SBP {sbp} mmHg is below {hypotension_threshold_text(age_years)}: is the patient "
        "hypotensive? (clinician judgement, RULES C7)"
    )


# RULES C1-C6 -------------------------------------------------------------------------

def _has_crs_input(i: AssessmentInputs) -> bool:
    return not (
        i.temperature_c is None
        and i.hypotension is None
        and i.systolic_bp is None  # RULES C7 reads it
        and not i.vasopressors
        and i.oxygen_device is None
        and i.oxygen_flow_l_min is None
        and not i.crs_previously_diagnosed
        and not i.antipyretic_or_anticytokine_given
        and not i.fever_attributed_to_other_cause
    )


def masked_fever_note(i: AssessmentInputs) -> str:
    """RULES C5: "fever may be masked by <drug> given <time>"."""
    drug = i.masking_drug_name
    when = i.masking_drug_given_at
    if drug is None and when is None:
        return _NOTE_MASKED_GENERIC
    text = f"fever may be masked by {drug or 'antipyretic/anti-cytokine therapy'}"
    return f"{text} given {when}" if when else text


def grade_crs(i: AssessmentInputs, present: bool | None = None) -> CrsResult | None:
    """ASTCT 2019 CRS grade 0-4, or None when the inputs hold no CRS observation.

    `present` is the caller's knowledge of which keys a line held (RULES §6: a key given as
    false is an input): True grades, False gives None, None infers it from the values."""
    temp = i.temperature_c
    device = i.oxygen_device
    vasopressors = i.vasopressors
    if present is False or (
        present is None
        and temp is None and device is None and not vasopressors and not _has_crs_input(i)
    ):
        return None
    # RULES C1: rounded half-up to 0.1 °C (tenths() inlined for the hot path)
    t = None if temp is None else (
        int(temp * 10.0 + 0.5 + 1e-7) if temp >= 0 else tenths(temp)
    )
    febrile = t is not None and t >= FEVER_TENTHS  # measured >= 38.0, whatever its cause
    fever = febrile and not i.fever_attributed_to_other_cause  # RULES C1
    waived = i.crs_previously_diagnosed and i.antipyretic_or_anticytokine_given  # RULES C2
    notes: list[str] = []

    # RULES C3: vasopressors imply hypotension requiring them.
    if vasopressors:
        hypo_grade, hypo_why = _hypotension(vasopressors)
        if i.hypotension is False:
            notes.append(_NOTE_PRESSOR_NOT_MARKED)
    elif i.hypotension:
        hypo_grade, hypo_why = 2, _HYPOTENSION_NO_PRESSOR
    else:
        hypo_grade, hypo_why = 0, ""
        sbp = i.systolic_bp
        # Every C7 threshold is at most the adult one: test that first.
        if sbp is not None and sbp < ADULT_SBP_THRESHOLD and suggests_hypotension(i.age_years, sbp):
            notes.append(_hypotension_suggestion_note(i.age_years, sbp))

    # RULES C4
    if device is None:
        oxy_grade, oxy_why, oxy_note = 0, None, None
    else:
        oxy_grade, oxy_why, oxy_note = _hypoxia(device, i.oxygen_flow_l_min)
        if oxy_note is not None:
            notes.append(oxy_note)

    # RULES C5
    if fever or waived:
        if fever:
            assert t is not None
            reasons = [_FEVER[t] if t in _FEVER else f"fever {fmt_tenths(t)} °C (≥ 38.0)"]
        else:
            reasons = [_WAIVED]
        if hypo_grade:
            reasons.append(hypo_why)
        if oxy_why is not None:
            reasons.append(oxy_why)
        grade = max(hypo_grade, oxy_grade)
        if fever and grade == 0:
            grade = 1
            reasons.append(_FEVER_ONLY)
        elif grade == 0:
            reasons.append(_WAIVED_NOTHING)
        if i.hypotension is None and not vasopressors:
            notes.append(_NOTE_HYPOTENSION_NOT_RECORDED)
        if device is None:
            notes.append(_NOTE_DEVICE_NOT_RECORDED)
    else:
        grade = 0
        if t is None:
            reasons = [_NO_TEMPERATURE]
        elif febrile:
            reasons = [
                _FEVER_ATTRIBUTED.get(t)
                or f"criteria not met: fever {fmt_tenths(t)} °C attributed by a clinician to "
                "another cause"
            ]
        else:
            reasons = [_NO_FEVER.get(t) or f"criteria not met: no fever ({fmt_tenths(t)} °C)"]
        if hypo_grade or oxy_grade:
            notes.append(_NOTE_NOT_GRADED_WITHOUT_FEVER)
        if i.antipyretic_or_anticytokine_given and not i.crs_previously_diagnosed:
            notes.append(_NOTE_PREMED)

    # RULES C5: the note only for a drug given in the last 24 h; when the caller has not
    # checked the times, any antipyretic/anti-cytokine drug counts (case CRS-28).
    recent_unknown = not i.masking_drug_checked and (
        waived or i.antipyretic_or_anticytokine_given
    )
    if not febrile and (recent_unknown or i.masking_drug_name is not None):
        notes.append(masked_fever_note(i))  # RULES C5
    if i.organ_toxicity_ctcae:  # RULES C6: recorded, never graded
        listed = ", ".join(f"{name} grade {g}" for name, g in i.organ_toxicity_ctcae)
        notes.append(
            f"organ toxicity recorded (CTCAE v5.0): {listed}; it does not change the CRS "
            "grade (RULES C6)"
        )
    return new_crs(grade, tuple(reasons), tuple(notes))


# Not a RULES.md rule: RULES I8's principle ("a domain not assessed is NOT normal") applied
# to CRS, where RULES is silent (README "Design"). The grade stays the C1-C5 grade; this
# says when it is only a lower bound, so the ward shows "CRS ≥ N", never a silent 0.
def crs_missing(i: AssessmentInputs) -> tuple[str, ...]:
    """The CRS observations not recorded that could raise this set's grade: temperature
    (fever decides 0 or ≥ 1) always; hypotension and the oxygen device once they can count,
    that is with fever, with the C2 waiver, or when the temperature is unknown."""
    t = i.temperature_c
    fever = (
        t is not None and tenths(t) >= FEVER_TENTHS and not i.fever_attributed_to_other_cause
    )
    waived = i.crs_previously_diagnosed and i.antipyretic_or_anticytokine_given
    counts = t is None or fever or waived
    missing: list[str] = []
    if t is None:
        missing.append("temperature")
    if counts and i.hypotension is None and not i.vasopressors:
        missing.append("hypotension")
    if counts and i.oxygen_device is None:
        missing.append("oxygen device")
    return tuple(missing)
