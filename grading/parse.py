"""RULES §6 keys -> AssessmentInputs, refusing anything the rules cannot grade.

Every refusal is an InputError naming the key and what is wrong; nothing else escapes
(no KeyError, TypeError or OverflowError from odd JSON).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from ._text import fmt_number
from .errors import InputError
from .icans import CAPD_POINTS, uses_capd
from .inputs import (
    Acvpu,
    AssessmentInputs,
    CapdAnswer,
    CapdItem,
    CerebralEdema,
    Consciousness,
    IceItems,
    MotorFinding,
    OxygenDevice,
    Seizure,
    UnableReason,
    Vasopressor,
)
from .limits import (
    AGE_NOT_GIVEN,
    AGE_YEARS_HIGH,
    AGE_YEARS_LOW,
    CTCAE_GRADES,
    FAHRENHEIT_HIGH,
    FAHRENHEIT_LOW,
    ICE_ITEM_MAXIMA,
    ORGAN_NAME_MAX_LEN,
    limit_for,
    widest_limit,
)

E = TypeVar("E", bound=StrEnum)


def _show(raw: object) -> str:
    """A short, JSON-like rendering of a bad value for an error message."""
    if raw is True:
        return "true"
    if raw is False:
        return "false"
    if raw is None:
        return "null"
    if isinstance(raw, str):
        text = raw if len(raw) <= 40 else raw[:37] + "..."
        return repr(text)
    if isinstance(raw, int) and not -(10**30) < raw < 10**30:
        return "a number with more than 30 digits"
    if isinstance(raw, float | int):
        text = repr(raw)
        return text if len(text) <= 40 else text[:37] + "..."
    if isinstance(raw, Mapping):
        return "an object"
    if isinstance(raw, list | tuple):
        return "a list"
    return type(raw).__name__


def _type_name(raw: object) -> str:
    if isinstance(raw, bool):
        return "a boolean"
    if isinstance(raw, str):
        return "a string"
    if isinstance(raw, int | float):
        return "a number"
    if isinstance(raw, Mapping):
        return "an object"
    if isinstance(raw, list | tuple):
        return "a list"
    return type(raw).__name__


def _finite_number(key: str, raw: object, *, whole: bool) -> float | int:
    """A JSON number (not a boolean), finite, and whole when `whole`; else InputError."""
    kind = "a whole number" if whole else "a number"
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InputError(key, f"expected {kind}, got {_type_name(raw)} {_show(raw)}")
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise InputError(key, f"{_show(raw)} is not a finite number")
        if whole and not raw.is_integer():
            raise InputError(key, f"{_show(raw)} is not a whole number")
    return raw


def _whole(key: str, raw: object, low: float, high: float, unit: str) -> int:
    value = _finite_number(key, raw, whole=True)
    if not low <= value <= high:
        raise InputError(
            key, f"{_show(raw)} is outside {fmt_number(low)}–{fmt_number(high)} {unit}"
        )
    return int(value)


def _age_years(key: str, raw: object) -> float:
    value = _finite_number(key, raw, whole=False)
    if not AGE_YEARS_LOW <= value <= AGE_YEARS_HIGH:
        raise InputError(
            key,
            f"{_show(raw)} is outside {fmt_number(AGE_YEARS_LOW)}–"
            f"{fmt_number(AGE_YEARS_HIGH)} years",
        )
    return float(value)


def _in_table(key: str, raw: object, age_years: float | None = None) -> float | int:
    """A value checked against the reject limits of the one table (grading/limits.py).

    The same rows as the form and the import (app.validation), so at the same age a
    reading stored there is never refused here, and the reverse. With `age_years`, its age
    band's limits apply.
    Without it, the widest limits over all age bands apply: nothing plausible at some age
    is refused (e.g. a respiratory rate of 100 /min, possible in an infant), at the cost
    of letting through an adult reading the form would refuse.
    """
    limit = widest_limit(key) if age_years is None else limit_for(key, age_years)
    value = _finite_number(key, raw, whole=limit.integer)
    if key == "temperature_c" and FAHRENHEIT_LOW <= value <= FAHRENHEIT_HIGH:
        # SAFETY.md: a probable °F reading is refused with the °C value, never converted.
        celsius = (float(value) - 32.0) * 5.0 / 9.0
        raise InputError(
            key,
            f"{_show(raw)} looks like °F: {fmt_number(float(value))} °F = "
            f"{celsius:.1f} °C — enter the temperature in °C",
        )
    low, high = limit.reject_low, limit.reject_high
    if (low is not None and value < low) or (high is not None and value > high):
        shown_low = "" if low is None else fmt_number(low)
        shown_high = "" if high is None else fmt_number(high)
        band = limit.age_band
        if band is AGE_NOT_GIVEN:
            where = " (the widest limits of any age, as age_years is not given)"
        elif band.max_years != math.inf:  # a child's band: name it, as the form does
            where = f" for age {band.label}"
        else:
            where = ""
        raise InputError(
            key, f"{_show(raw)} is outside {shown_low}–{shown_high} {limit.unit}{where}"
        )
    return int(value) if limit.integer else float(value)


def _boolean(key: str, raw: object) -> bool:
    if not isinstance(raw, bool):
        raise InputError(key, f"expected true or false, got {_type_name(raw)} {_show(raw)}")
    return raw


def _enum_parser(enum: type[E]) -> Callable[[str, object], E]:
    members: dict[str, E] = {m.value: m for m in enum}
    allowed = ", ".join(members)

    def parse(key: str, raw: object) -> E:
        member = members.get(raw) if isinstance(raw, str) else None
        if member is None:
            raise InputError(key, f"{_show(raw)} is not one of: {allowed}")
        return member

    return parse


def _object(key: str, raw: object) -> Mapping[Any, Any]:
    if not isinstance(raw, Mapping):
        raise InputError(key, f"expected an object, got {_type_name(raw)} {_show(raw)}")
    return raw


_vasopressor = _enum_parser(Vasopressor)
_capd_item = _enum_parser(CapdItem)
_capd_answer = _enum_parser(CapdAnswer)


def _vasopressors(key: str, raw: object) -> tuple[Vasopressor, ...]:
    if not isinstance(raw, list | tuple):
        raise InputError(key, f"expected a list, got {_type_name(raw)} {_show(raw)}")
    drugs = tuple(_vasopressor(key, item) for item in raw)
    for n, drug in enumerate(drugs):
        if drug in drugs[:n]:
            raise InputError(key, f"{drug.value!r} is listed twice")
    return drugs


def _capd_items(key: str, raw: object) -> tuple[tuple[CapdItem, CapdAnswer], ...]:
    given = _object(key, raw)
    answers: dict[CapdItem, CapdAnswer] = {}
    for name, answer in given.items():
        if not isinstance(name, str) or name not in CapdItem.__members__.values():
            raise InputError(
                f"{key}.{name}",
                f"unknown CAPD item (items: {', '.join(i.value for i in CapdItem)})",
            )
        answers[CapdItem(name)] = _capd_answer(f"{key}.{name}", answer)
    absent = [item.value for item in CapdItem if item not in answers]
    if absent:
        raise InputError(key, f"missing item(s): {', '.join(absent)} (all eight are needed)")
    return tuple((item, answers[item]) for item in CapdItem)


def _ice_items(key: str, raw: object) -> IceItems:
    given = _object(key, raw)
    for name in given:
        if name not in ICE_ITEM_MAXIMA:
            raise InputError(
                f"{key}.{name}", f"unknown ICE item (items: {', '.join(ICE_ITEM_MAXIMA)})"
            )
    absent = [name for name in ICE_ITEM_MAXIMA if name not in given]
    if absent:
        raise InputError(key, f"missing item(s): {', '.join(absent)} (all five are needed)")
    points = {
        name: _whole(f"{key}.{name}", given[name], 0, top, "points")
        for name, top in ICE_ITEM_MAXIMA.items()
    }
    return IceItems(**points)


def _organ_toxicity(key: str, raw: object) -> tuple[tuple[str, int], ...]:
    given = _object(key, raw)
    rows: list[tuple[str, int]] = []
    for name, grade in given.items():
        if not isinstance(name, str) or not name.strip() or len(name) > ORGAN_NAME_MAX_LEN:
            raise InputError(
                key, f"toxicity names are 1–{ORGAN_NAME_MAX_LEN} characters, got {_show(name)}"
            )
        rows.append(
            (name, _whole(f"{key}.{name}", grade, CTCAE_GRADES.start, CTCAE_GRADES[-1], "(CTCAE)"))
        )
    return tuple(rows)


def _spo2_scale(key: str, raw: object) -> int:
    return _whole(key, raw, 1, 2, "(scale 1 or 2)")


def _ignored(key: str, raw: object) -> None:
    return None


_PARSERS: dict[str, Callable[[str, object], object]] = {
    "case_id": _ignored,
    "age_years": _age_years,
    "developmental_delay": _boolean,
    "temperature_c": _in_table,
    "crs_previously_diagnosed": _boolean,
    "antipyretic_or_anticytokine_given": _boolean,
    "fever_attributed_to_other_cause": _boolean,
    "hypotension": _boolean,
    "systolic_bp": _in_table,
    "vasopressors": _vasopressors,
    "oxygen_device": _enum_parser(OxygenDevice),
    "oxygen_flow_l_min": _in_table,
    "ice_score": _in_table,
    "ice_items": _ice_items,
    "ice_unable_reason": _enum_parser(UnableReason),
    "capd_score": _in_table,
    "capd_items": _capd_items,
    "capd_unable_reason": _enum_parser(UnableReason),
    "consciousness": _enum_parser(Consciousness),
    "loc_attributable_to_other_cause": _boolean,
    "seizure": _enum_parser(Seizure),
    "motor_weakness": _enum_parser(MotorFinding),
    "cerebral_edema": _enum_parser(CerebralEdema),
    "respiratory_rate": _in_table,
    "spo2_percent": _in_table,
    "spo2_scale": _spo2_scale,
    "heart_rate": _in_table,
    "acvpu": _enum_parser(Acvpu),
    "organ_toxicity_ctcae": _organ_toxicity,
}
INPUT_KEYS = frozenset(_PARSERS)
# Not a RULES §6 key: the Python interface may pass ICE item by item (RULES I1), the CLI
# refuses it like any unknown key (§6 "unknown keys are an error naming the key").
EXTENSION_KEYS = frozenset({"ice_items"})

# RULES §6 "`crs` or `icans` is null when the line holds none of that scale's inputs":
# which keys belong to which scale (age_years and developmental_delay describe the patient).
CRS_KEYS = frozenset({
    "temperature_c", "crs_previously_diagnosed", "antipyretic_or_anticytokine_given",
    "fever_attributed_to_other_cause", "hypotension", "systolic_bp", "vasopressors",
    "oxygen_device", "oxygen_flow_l_min", "organ_toxicity_ctcae",
})
ICANS_KEYS = frozenset({
    "ice_score", "ice_items", "ice_unable_reason", "capd_score", "capd_items",
    "capd_unable_reason", "consciousness", "loc_attributable_to_other_cause", "seizure",
    "motor_weakness", "cerebral_edema",
})

_ICE_KEYS = ("ice_score", "ice_items", "ice_unable_reason")
_CAPD_KEYS = ("capd_score", "capd_items", "capd_unable_reason")


def _unknown_key(key: object) -> InputError:
    if not isinstance(key, str):
        return InputError(_show(key), "unknown key (keys are strings)")
    if not key.strip():
        return InputError(repr(key), "unknown key (an empty name)")
    if key in EXTENSION_KEYS:
        return InputError(key, "unknown key (not an input of RULES §6); send the ICE total "
                          "as ice_score")
    close = difflib.get_close_matches(key, INPUT_KEYS - EXTENSION_KEYS, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return InputError(key, f"unknown key (not an input of RULES §6){hint}")


def _check_together(v: dict[str, Any]) -> None:
    """Cross-key checks: combinations that contradict each other are refused."""
    flow = v.get("oxygen_flow_l_min")
    if flow and v.get("oxygen_device") is OxygenDevice.NONE:
        raise InputError(
            "oxygen_flow_l_min",
            f"{fmt_number(flow)} L/min given with oxygen_device 'none' (room air)",
        )
    ice_items: IceItems | None = v.get("ice_items")
    ice_score = v.get("ice_score")
    if ice_items is not None and ice_score is not None and ice_items.total != ice_score:
        raise InputError(
            "ice_score", f"{ice_score} differs from the sum of ice_items ({ice_items.total})"
        )
    capd_items = v.get("capd_items")
    capd_score = v.get("capd_score")
    if capd_items is not None and capd_score is not None:
        summed = sum(CAPD_POINTS[pair] for pair in capd_items)
        if summed != capd_score:
            raise InputError(
                "capd_score", f"{capd_score} differs from the total of capd_items ({summed})"
            )
    ice = ice_items.total if ice_items is not None else ice_score
    if v.get("ice_unable_reason") is not None and ice not in (None, 0):
        raise InputError(
            "ice_unable_reason", f"given with an ICE of {ice}: an ICE not performed has no score"
        )
    capd_unable = v.get("capd_unable_reason")
    if capd_unable is UnableReason.GLOBAL_APHASIA_AWAKE:
        raise InputError(
            "capd_unable_reason",
            "'global_aphasia_awake' does not apply to CAPD (an observation tool): "
            "score the items, or give 'unarousable'",
        )
    if capd_unable is not None and (capd_items is not None or capd_score is not None):
        raise InputError(
            "capd_unable_reason", "given with a CAPD score: a CAPD not performed has no score"
        )
    ice_given = [k for k in _ICE_KEYS if k in v]
    capd_given = [k for k in _CAPD_KEYS if k in v]
    age = v.get("age_years")
    delay = v.get("developmental_delay", False)
    if age is None and not delay:
        if ice_given and capd_given:
            raise InputError(
                capd_given[0], "both ICE and CAPD given without age_years to choose the tool"
            )
    elif uses_capd(age, delay):
        if ice_given:
            why = "developmental delay" if delay or age is None else f"age {fmt_number(age)} < 12"
            raise InputError(ice_given[0], f"ICE does not apply ({why}): CAPD is the tool")
    elif capd_given and age is not None:
        raise InputError(
            capd_given[0],
            f"CAPD does not apply at age {fmt_number(age)} without developmental_delay: "
            "ICE is the tool",
        )


def holds_scale_inputs(mapping: Mapping[str, Any], keys: frozenset[str]) -> bool:
    """True when the line gives a value (not null) for any of the scale's keys: a key given
    as false is an input too (RULES §6)."""
    return any(mapping.get(key) is not None for key in keys)


def parse_inputs(
    mapping: Mapping[str, Any], *, allow_ice_items: bool = False
) -> AssessmentInputs:
    """Typed inputs from the RULES §6 keys; InputError names any bad key or value.

    null means "not recorded". Also accepted: `organ_toxicity_ctcae` (cases.jsonl uses it)
    and `case_id` (ignored); `ice_items` only with `allow_ice_items` (not a §6 key).
    """
    if not isinstance(mapping, Mapping):
        raise InputError("inputs", f"expected an object, got {_type_name(mapping)}")
    # Age first: the reject limits of the heart and respiratory rates depend on its band.
    # With no age_years, _in_table applies the widest limits of any band, so nothing
    # plausible at some age (an infant's respiratory rate of 100 /min) is refused.
    raw_age = mapping.get("age_years")
    age = None if raw_age is None else _age_years("age_years", raw_age)
    values: dict[str, Any] = {}
    for key, raw in mapping.items():
        parser = _PARSERS.get(key) if isinstance(key, str) else None
        if parser is None or (key in EXTENSION_KEYS and not allow_ice_items):
            raise _unknown_key(key)
        if raw is None or parser is _ignored:
            continue
        values[key] = _in_table(key, raw, age) if parser is _in_table else parser(key, raw)
    _check_together(values)
    return AssessmentInputs(**values)
