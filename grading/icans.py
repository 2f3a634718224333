"""ASTCT 2019 ICANS grade, adult (ICE) and paediatric (CAPD) (RULES I1-I8).

Every domain's sentence is precomputed; a domain with no input is listed in `missing`
and the grade is then a lower bound (RULES I8).
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import InputError
from .inputs import (
    AssessmentInputs,
    CapdAnswer,
    CapdItem,
    CerebralEdema,
    Consciousness,
    MotorFinding,
    Seizure,
    UnableReason,
)
from .results import IcansResult, new_icans

ICE_FROM_AGE = 12.0  # RULES I1: ICE from 12.0 years, CAPD under 12

DOMAIN_ICE = "encephalopathy (ICE)"
DOMAIN_CAPD = "encephalopathy (CAPD)"
DOMAIN_CONSCIOUSNESS = "consciousness"
DOMAIN_SEIZURE = "seizure"
DOMAIN_MOTOR = "motor"
DOMAIN_OEDEMA = "raised ICP / cerebral oedema"

# RULES I1: items 1-4 are reverse-scored (never = 4 ... always = 0), items 5-8 direct.
_ANSWER_POINTS = {
    CapdAnswer.NEVER: 0,
    CapdAnswer.RARELY: 1,
    CapdAnswer.SOMETIMES: 2,
    CapdAnswer.OFTEN: 3,
    CapdAnswer.ALWAYS: 4,
}
REVERSE_SCORED = frozenset(
    {
        CapdItem.EYE_CONTACT,
        CapdItem.PURPOSEFUL_ACTIONS,
        CapdItem.AWARE_OF_SURROUNDINGS,
        CapdItem.COMMUNICATES_NEEDS,
    }
)
CAPD_POINTS: dict[tuple[CapdItem, CapdAnswer], int] = {
    (item, answer): (4 - points if item in REVERSE_SCORED else points)
    for item in CapdItem
    for answer, points in _ANSWER_POINTS.items()
}


def capd_total(items: Mapping[str, str]) -> int:
    """CAPD total 0-32 from all eight items (RULES I1; items 1-4 reverse-scored).

    Raises InputError naming an unknown item or answer, or the items missing.
    """
    total = 0
    for name, answer in items.items():
        if name not in CapdItem.__members__.values():
            raise InputError(f"capd_items.{name}", "unknown CAPD item")
        if answer not in CapdAnswer.__members__.values():
            raise InputError(
                f"capd_items.{name}",
                f"{answer!r} is not one of never, rarely, sometimes, often, always",
            )
        total += CAPD_POINTS[CapdItem(name), CapdAnswer(answer)]
    missing = [item.value for item in CapdItem if item not in items]
    if missing:
        raise InputError("capd_items", f"missing item(s): {', '.join(missing)}")
    return total


def uses_capd(age_years: float | None, developmental_delay: bool) -> bool:
    """RULES I1: CAPD under 12.0 years, or at any age with developmental delay."""
    return developmental_delay or (age_years is not None and age_years < ICE_FROM_AGE)


# RULES I2 ----------------------------------------------------------------------------

def _ice_grade(score: int) -> int:
    if score >= 10:
        return 0
    if score >= 7:
        return 1
    if score >= 3:
        return 2
    return 3


_ICE_BAND = {0: "10", 1: "7–9", 2: "3–6", 3: "0–2"}
_ICE = {
    s: (g, f"{DOMAIN_ICE}: ICE {s}/10 ({_ICE_BAND[g]}) → grade {g}")
    for s in range(11)
    for g in (_ice_grade(s),)
}
_ICE_APHASIA = (3, f"{DOMAIN_ICE}: ICE 0, awake but globally aphasic → grade 3")
_ICE_UNAROUSABLE = (4, f"{DOMAIN_ICE}: unable to perform ICE, unarousable → grade 4")


# RULES I3 ----------------------------------------------------------------------------

def _capd_grade(total: int) -> int:
    if total <= 0:
        return 0
    if total <= 8:
        return 1
    return 3


_CAPD_BAND = {0: "0", 1: "1–8", 3: "≥ 9"}
_CAPD = {
    s: (g, f"{DOMAIN_CAPD}: CAPD {s}/32 ({_CAPD_BAND[g]}) → grade {g}")
    for s in range(33)
    for g in (_capd_grade(s),)
}
_CAPD_UNAROUSABLE = (4, f"{DOMAIN_CAPD}: unable to perform CAPD, unarousable → grade 4")
_UNAROUSABLE_OTHER_CAUSE = (
    ": not performed, unarousable from a cause other than ICANS (e.g. sedation); "
    "reassess when possible"
)


def _unarousable(
    domain: str,
    graded: tuple[int, str],
    other_cause: bool,
    missing: list[str],
    reasons: list[str],
) -> int:
    """The encephalopathy grade of an unarousable patient (ICE or CAPD alike): `graded`,
    unless a cause other than ICANS is recorded; then the domain counts as missing."""
    if other_cause:
        missing.append(domain)
        reasons.append(domain + _UNAROUSABLE_OTHER_CAUSE)
        return 0
    grade, why = graded
    reasons.append(why)
    return grade


_CAPD_APHASIA = (
    f"{DOMAIN_CAPD}: 'globally aphasic' does not apply to CAPD, an observation tool; "
    "score the eight items"
)
_CAPD_INCOMPLETE = f"{DOMAIN_CAPD}: items incomplete, no total"


# RULES I4-I7 -------------------------------------------------------------------------

_LEVEL_WORDS: dict[Consciousness, tuple[int, str]] = {
    Consciousness.AWAKENS_SPONTANEOUSLY: (0, "awakens spontaneously"),
    Consciousness.AWAKENS_TO_VOICE: (2, "awakens to voice"),
    Consciousness.AWAKENS_ONLY_TO_TACTILE: (3, "awakens only to tactile stimulus"),
    Consciousness.UNAROUSABLE_OR_VIGOROUS_STIMULI: (4, "unarousable or needs vigorous stimuli"),
}
_CONSCIOUSNESS: dict[Consciousness, tuple[int, str]] = {
    level: (g, f"{DOMAIN_CONSCIOUSNESS}: {words} → grade {g}" if g else "")
    for level, (g, words) in _LEVEL_WORDS.items()
}
_CONSCIOUSNESS_OTHER_CAUSE: dict[Consciousness, str] = {
    level: (
        f"{DOMAIN_CONSCIOUSNESS}: {words}, attributed to another cause (e.g. sedation): "
        "not graded (RULES I4)"
    )
    for level, (g, words) in _LEVEL_WORDS.items()
}
_SEIZURE: dict[Seizure, tuple[int, str]] = {
    Seizure.NONE: (0, ""),
    Seizure.FOCAL_RESOLVED_RAPIDLY: (3, "seizure: focal seizure, resolved rapidly → grade 3"),
    Seizure.GENERALISED_RESOLVED_RAPIDLY: (
        3, "seizure: generalised seizure, resolved rapidly → grade 3",
    ),
    Seizure.NONCONVULSIVE_ON_EEG_RESOLVED_WITH_INTERVENTION: (
        3, "seizure: non-convulsive seizure on EEG, resolved with intervention → grade 3",
    ),
    Seizure.PROLONGED_OVER_5_MIN: (4, "seizure: prolonged seizure (> 5 min) → grade 4"),
    Seizure.REPETITIVE_WITHOUT_RETURN_TO_BASELINE: (
        4, "seizure: repetitive seizures without return to baseline → grade 4",
    ),
}
_MOTOR: dict[MotorFinding, tuple[int, str]] = {
    MotorFinding.NONE: (0, ""),
    MotorFinding.TREMOR: (0, "motor: tremor recorded, not graded in ICANS (CTCAE) (RULES I6)"),
    MotorFinding.MYOCLONUS: (
        0, "motor: myoclonus recorded, not graded in ICANS (CTCAE) (RULES I6)",
    ),
    MotorFinding.HEMIPARESIS: (4, "motor: deep focal weakness, hemiparesis → grade 4"),
    MotorFinding.PARAPARESIS: (4, "motor: deep focal weakness, paraparesis → grade 4"),
}
_OEDEMA: dict[CerebralEdema, tuple[int, str]] = {
    CerebralEdema.NONE: (0, ""),
    CerebralEdema.FOCAL_ON_NEUROIMAGING: (
        3, f"{DOMAIN_OEDEMA}: focal oedema on neuroimaging → grade 3",
    ),
    CerebralEdema.DIFFUSE_ON_NEUROIMAGING: (
        4, f"{DOMAIN_OEDEMA}: diffuse oedema on neuroimaging → grade 4",
    ),
    CerebralEdema.DECEREBRATE_OR_DECORTICATE_POSTURING: (
        4, f"{DOMAIN_OEDEMA}: decerebrate or decorticate posturing → grade 4",
    ),
    CerebralEdema.CRANIAL_NERVE_VI_PALSY: (
        4, f"{DOMAIN_OEDEMA}: cranial nerve VI palsy → grade 4",
    ),
    CerebralEdema.PAPILLEDEMA: (4, f"{DOMAIN_OEDEMA}: papilloedema → grade 4"),
    CerebralEdema.CUSHINGS_TRIAD: (4, f"{DOMAIN_OEDEMA}: Cushing's triad → grade 4"),
    CerebralEdema.INTRACRANIAL_HAEMORRHAGE_ONLY: (
        0, f"{DOMAIN_OEDEMA}: intracranial haemorrhage alone is not ICANS (CTCAE) (RULES I7)",
    ),
}
_NOTHING_FOUND = "no ICANS criterion met in the assessed domains → grade 0"
_NOTHING_FOUND_MISSING = "no ICANS criterion met in the assessed domains so far"

_CAPD_MEMO: dict[tuple[tuple[CapdItem, CapdAnswer], ...], int | None] = {}
_MAX_MEMO = 4096


def _capd_items_total(items: tuple[tuple[CapdItem, CapdAnswer], ...]) -> int | None:
    """Total of a full set of eight items, None when incomplete (never a partial sum)."""
    hit = _CAPD_MEMO.get(items, -1)
    if hit != -1:
        return hit
    by_item = dict(items)
    total = (
        sum(CAPD_POINTS[pair] for pair in by_item.items()) if len(by_item) == len(CapdItem)
        else None
    )
    if len(_CAPD_MEMO) < _MAX_MEMO:
        _CAPD_MEMO[items] = total
    return total


_INCOMPLETE = -1  # total of a CAPD whose items are incomplete
_IcansKey = tuple[
    bool,  # CAPD (else ICE)
    UnableReason | None,
    int | None,  # ICE or CAPD total, _INCOMPLETE, or None when not given
    Consciousness | None,
    bool,  # consciousness attributed to another cause
    Seizure | None,
    MotorFinding | None,
    CerebralEdema | None,
]
# Results are immutable, so equal findings share one (bounded: a ward repeats itself).
_RESULTS: dict[_IcansKey, IcansResult] = {}
_MAX_RESULTS = 65536


def grade_icans(i: AssessmentInputs, present: bool | None = None) -> IcansResult | None:
    """ASTCT 2019 ICANS grade 0-4, or None when the inputs hold no ICANS observation
    (`present` as in grading.crs.grade_crs)."""
    consciousness = i.consciousness
    seizure = i.seizure
    motor = i.motor_weakness
    oedema = i.cerebral_edema
    ice_score = i.ice_score
    ice_items = i.ice_items
    ice_unable = i.ice_unable_reason
    capd_score = i.capd_score
    capd_items = i.capd_items
    capd_unable = i.capd_unable_reason
    other_cause = i.loc_attributable_to_other_cause
    has_ice = ice_score is not None or ice_items is not None or ice_unable is not None
    has_capd = capd_score is not None or capd_items is not None or capd_unable is not None
    if present is False or (
        present is None
        and consciousness is None and seizure is None and motor is None and oedema is None
        and not has_ice and not has_capd and not other_cause
    ):
        return None
    # RULES I1; with no age recorded, the tool that was entered
    age = i.age_years
    if i.developmental_delay:
        capd_tool = True
    elif age is None:
        capd_tool = has_capd and not has_ice
    else:
        capd_tool = age < ICE_FROM_AGE
    total: int | None = None
    if capd_tool:
        unable = capd_unable
        if unable is None:
            if capd_items is not None:
                total = _capd_items_total(capd_items)
                if total is None:
                    total = _INCOMPLETE
            else:
                total = capd_score
    else:
        unable = ice_unable
        if unable is None:
            total = ice_items.total if ice_items is not None else ice_score
    key = (capd_tool, unable, total, consciousness, other_cause, seizure, motor, oedema)
    result = _RESULTS.get(key)
    if result is None:
        result = _evaluate(*key)
        if len(_RESULTS) < _MAX_RESULTS:
            _RESULTS[key] = result
    return result


def _evaluate(  # noqa: PLR0917 - the memo key, spread
    capd_tool: bool,
    unable: UnableReason | None,
    total: int | None,
    consciousness: Consciousness | None,
    other_cause: bool,
    seizure: Seizure | None,
    motor: MotorFinding | None,
    oedema: CerebralEdema | None,
) -> IcansResult:
    reasons: list[str] = []
    missing: list[str] = []
    grade = 0
    ice_total: int | None = None
    capd: int | None = None

    # Encephalopathy: RULES I1-I3
    if capd_tool:
        tool = "CAPD"
        if unable is UnableReason.UNAROUSABLE:
            grade = _unarousable(DOMAIN_CAPD, _CAPD_UNAROUSABLE, other_cause, missing, reasons)
        elif unable is UnableReason.GLOBAL_APHASIA_AWAKE:
            missing.append(DOMAIN_CAPD)
            reasons.append(_CAPD_APHASIA)
        elif total is None:
            missing.append(DOMAIN_CAPD)
        elif total == _INCOMPLETE:
            missing.append(DOMAIN_CAPD)
            reasons.append(_CAPD_INCOMPLETE)
        else:
            capd = total
            row = _CAPD.get(capd)
            grade, why = row if row is not None else (
                _capd_grade(capd), f"{DOMAIN_CAPD}: CAPD {capd}"
            )
            if grade:
                reasons.append(why)
    else:
        tool = "ICE"
        if unable is UnableReason.UNAROUSABLE:
            grade = _unarousable(DOMAIN_ICE, _ICE_UNAROUSABLE, other_cause, missing, reasons)
        elif unable is UnableReason.GLOBAL_APHASIA_AWAKE:
            ice_total = 0
            grade, why = _ICE_APHASIA
            reasons.append(why)
        elif total is None:
            missing.append(DOMAIN_ICE)
        else:
            ice_total = total
            row = _ICE.get(total)
            grade, why = row if row is not None else (
                _ice_grade(total), f"{DOMAIN_ICE}: ICE {total}"
            )
            if grade:
                reasons.append(why)
    # RULES I4
    if consciousness is None:
        missing.append(DOMAIN_CONSCIOUSNESS)
    else:
        g, why = _CONSCIOUSNESS[consciousness]
        if g:
            if other_cause:
                reasons.append(_CONSCIOUSNESS_OTHER_CAUSE[consciousness])
            else:
                reasons.append(why)
                grade = max(grade, g)
    # RULES I5-I7
    if seizure is None:
        missing.append(DOMAIN_SEIZURE)
    else:
        g, why = _SEIZURE[seizure]
        if g:
            reasons.append(why)
            grade = max(grade, g)
    if motor is None:
        missing.append(DOMAIN_MOTOR)
    else:
        g, why = _MOTOR[motor]
        if why:  # tremor and myoclonus are recorded, never graded
            reasons.append(why)
            grade = max(grade, g)
    if oedema is None:
        missing.append(DOMAIN_OEDEMA)
    else:
        g, why = _OEDEMA[oedema]
        if why:  # intracranial haemorrhage alone is recorded, never graded
            reasons.append(why)
            grade = max(grade, g)
    if grade == 0:
        reasons.append(_NOTHING_FOUND_MISSING if missing else _NOTHING_FOUND)
    return new_icans(grade, tool, capd, ice_total, tuple(reasons), tuple(missing))
