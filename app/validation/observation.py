"""Validate one observation set (SAFETY.md "reject the impossible, confirm the improbable").

Pure: no database, no Qt. `validate_observation` never raises on bad input; it returns the
typed values that passed, the rejections (the form must not be stored) and the values that
need a confirmation reason. A rejected field is left out of `values`, so nothing outside
the reject limits of limits.py can ever come back from here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.errors import FieldProblem
from app.validation.parsing import Bad, parse_bool, parse_enum, parse_number, parse_text, shown
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
from grading.limits import (
    FAHRENHEIT_HIGH,
    FAHRENHEIT_LOW,
    ICE_DROP_CONFIRM,
    ICE_ITEM_MAXIMA,
    MASK_DEVICES,
    MASK_FLOW_CONFIRM_ABOVE,
    Limit,
    limit_for,
)

NUMERIC_FIELDS = (
    "temperature_c",
    "heart_rate",
    "systolic_bp",
    "diastolic_bp",
    "respiratory_rate",
    "spo2_percent",
    "oxygen_flow_l_min",
    "ice_score",
    "capd_score",
)
ENUM_FIELDS: dict[str, type[StrEnum]] = {
    "oxygen_device": OxygenDevice,
    "ice_unable_reason": UnableReason,
    "capd_unable_reason": UnableReason,
    "consciousness": Consciousness,
    "seizure": Seizure,
    "motor_weakness": MotorFinding,
    "cerebral_edema": CerebralEdema,
    "acvpu": Acvpu,
}
BOOL_FIELDS = (
    "hypotension",
    "fever_attributed_to_other_cause",
    "loc_attributable_to_other_cause",
)
OTHER_FIELDS = ("vasopressors", "ice_items", "capd_items", "comment")
KNOWN_FIELDS: frozenset[str] = frozenset(
    (*NUMERIC_FIELDS, *ENUM_FIELDS, *BOOL_FIELDS, *OTHER_FIELDS)
)
# Keys that travel with an observation set but are checked elsewhere (timing.py).
IGNORED_FIELDS: frozenset[str] = frozenset({"assessed_at"})

COMMENT_MAX_LENGTH = 4000

# RULES I1: CAPD items 1-4 are reverse-scored (never = 4 ... always = 0).
_CAPD_REVERSED = frozenset(
    {
        CapdItem.EYE_CONTACT,
        CapdItem.PURPOSEFUL_ACTIONS,
        CapdItem.AWARE_OF_SURROUNDINGS,
        CapdItem.COMMUNICATES_NEEDS,
    }
)
_CAPD_POINTS = {answer.value: points for points, answer in enumerate(CapdAnswer)}


@dataclass(frozen=True)
class ObservationCheck:
    values: dict[str, Any]
    rejections: list[FieldProblem] = field(default_factory=list)
    needs_confirmation: list[FieldProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was rejected (confirmations may still be needed)."""
        return not self.rejections


def ice_total(items: Mapping[str, int]) -> int:
    """RULES I1: ICE is the sum of its items (validated items only)."""
    return sum(items[name] for name in ICE_ITEM_MAXIMA)


def capd_total(items: Mapping[str, str]) -> int:
    """RULES I1: CAPD total, items 1-4 reverse-scored (validated items only)."""
    total = 0
    for item in CapdItem:
        points = _CAPD_POINTS[items[item.value]]
        total += 4 - points if item in _CAPD_REVERSED else points
    return total


def _fmt(value: float, limit: Limit) -> str:
    return f"{value:.1f}" if not limit.integer else f"{value:g}"


def _range_text(limit: Limit) -> str:
    assert limit.reject_low is not None and limit.reject_high is not None
    return f"{_fmt(limit.reject_low, limit)}–{_fmt(limit.reject_high, limit)} {limit.unit}"


def _for_band(limit: Limit) -> str:
    """Name the age band only for children, where the limit differs from the adult one."""
    return f" for age {limit.age_band.label}" if limit.age_band.max_years != math.inf else ""


class _Checker:
    """Collects values and problems for one observation set."""

    def __init__(self, age_years: float) -> None:
        self.age_years = age_years
        self.values: dict[str, Any] = {}
        self.rejections: list[FieldProblem] = []
        self.confirmations: list[FieldProblem] = []

    def reject(self, name: str, message: str, suggestion: object | None = None) -> None:
        self.rejections.append(FieldProblem(name, message, suggestion))

    def confirm(self, name: str, message: str) -> None:
        self.confirmations.append(FieldProblem(name, message))

    # --- numbers -------------------------------------------------------------------------
    def number(self, name: str, raw: Any) -> None:
        limit = limit_for(name, self.age_years)
        parsed = parse_number(raw, limit.unit)
        if isinstance(parsed, Bad):
            kind = "a whole number" if limit.integer else "a number"
            self.reject(
                name,
                f"{limit.label}: {parsed.reason}; type {kind} in {limit.unit} within "
                f"{_range_text(limit)}",
            )
            return
        if parsed is None:
            self.values[name] = None
            return
        if limit.integer:
            if isinstance(parsed, float):
                if not parsed.is_integer():
                    self.reject(
                        name,
                        f"{limit.label} {parsed:g} {limit.unit} must be a whole number; "
                        f"type e.g. {round(parsed)}",
                    )
                    return
                parsed = int(parsed)
        else:
            parsed = float(parsed)
        if name == "temperature_c" and FAHRENHEIT_LOW <= parsed <= FAHRENHEIT_HIGH:
            celsius = round((parsed - 32.0) * 5.0 / 9.0, 1)
            self.reject(
                name,
                f"Temperature {parsed:.1f} looks like °F: {parsed:.1f} °F = {celsius:.1f} °C "
                f"— use {celsius:.1f}?",
                suggestion=celsius,
            )
            return
        assert limit.reject_low is not None and limit.reject_high is not None
        if not limit.reject_low <= parsed <= limit.reject_high:
            self.reject(
                name,
                f"{limit.label} {shown_number(parsed, limit)} {limit.unit} is outside "
                f"{_range_text(limit)}{_for_band(limit)}; check the reading",
            )
            return
        self.values[name] = parsed
        value_text = f"{_fmt(parsed, limit)} {limit.unit}"
        if limit.confirm_low is not None and parsed < limit.confirm_low:
            self.confirm(
                name,
                f"{limit.label} {value_text} is below {_fmt(limit.confirm_low, limit)} "
                f"{limit.unit}{_for_band(limit)}; confirm the reading with a reason",
            )
        elif limit.confirm_high is not None and parsed > limit.confirm_high:
            self.confirm(
                name,
                f"{limit.label} {value_text} is above {_fmt(limit.confirm_high, limit)} "
                f"{limit.unit}{_for_band(limit)}; confirm the reading with a reason",
            )

    # --- other kinds ---------------------------------------------------------------------
    def boolean(self, name: str, raw: Any) -> None:
        parsed = parse_bool(raw)
        if isinstance(parsed, Bad):
            self.reject(name, f"{_label(name)}: {parsed.reason}")
        else:
            self.values[name] = parsed

    def enum(self, name: str, raw: Any, enum: type[StrEnum]) -> None:
        parsed = parse_enum(raw, enum)
        if isinstance(parsed, Bad):
            self.reject(name, f"{_label(name)}: {parsed.reason}")
        else:
            self.values[name] = parsed

    def vasopressors(self, raw: Any) -> None:
        name = "vasopressors"
        if raw is None:
            self.values[name] = None
            return
        if isinstance(raw, str):
            raw = [part for part in raw.split(",") if part.strip()]
        if not isinstance(raw, list | tuple):
            self.reject(name, f"Vasopressors: expected a list of drug names, got {shown(raw)}")
            return
        drugs: list[str] = []
        for item in raw:
            parsed = parse_enum(item, Vasopressor)
            if isinstance(parsed, Bad) or parsed is None:
                reason = parsed.reason if isinstance(parsed, Bad) else "an empty entry"
                self.reject(name, f"Vasopressors: {reason}")
                return
            if parsed in drugs:
                # RULES C3 counts vasopressors: a repeated name would raise the grade.
                self.reject(name, f"Vasopressors: {parsed} is listed twice; list each drug once")
                return
            drugs.append(parsed)
        self.values[name] = drugs

    def ice_items(self, raw: Any) -> None:
        name = "ice_items"
        if raw is None:
            self.values[name] = None
            return
        if not isinstance(raw, Mapping):
            self.reject(name, f"ICE items: expected the five item scores, got {shown(raw)}")
            return
        expected = ", ".join(f"{k} 0–{v}" for k, v in ICE_ITEM_MAXIMA.items())
        detail = _key_mismatch(raw, list(ICE_ITEM_MAXIMA))
        if detail:
            self.reject(name, f"ICE items: {detail}; give all five: {expected}")
            return
        items: dict[str, int] = {}
        for item, maximum in ICE_ITEM_MAXIMA.items():
            parsed = parse_number(raw[item])
            if (
                isinstance(parsed, Bad)
                or parsed is None
                or (isinstance(parsed, float) and not parsed.is_integer())
                or not 0 <= parsed <= maximum
            ):
                self.reject(
                    name,
                    f"ICE item {item} is {shown(raw[item])}; it must be a whole number 0–{maximum}",
                )
                return
            items[item] = int(parsed)
        self.values[name] = items

    def capd_items(self, raw: Any) -> None:
        name = "capd_items"
        if raw is None:
            self.values[name] = None
            return
        answers = ", ".join(a.value for a in CapdAnswer)
        if not isinstance(raw, Mapping):
            self.reject(name, f"CAPD items: expected the eight answers, got {shown(raw)}")
            return
        names = [item.value for item in CapdItem]
        detail = _key_mismatch(raw, names)
        if detail:
            self.reject(name, f"CAPD items: {detail}; answer all eight items")
            return
        items: dict[str, str] = {}
        for item in names:
            parsed = parse_enum(raw[item], CapdAnswer)
            if isinstance(parsed, Bad) or parsed is None:
                self.reject(
                    name, f"CAPD item {item} is {shown(raw[item])}; answer one of: {answers}"
                )
                return
            items[item] = parsed
        self.values[name] = items

    def comment(self, raw: Any) -> None:
        parsed = parse_text(raw, COMMENT_MAX_LENGTH)
        if isinstance(parsed, Bad):
            self.reject("comment", f"Comment: {parsed.reason}")
        else:
            self.values["comment"] = parsed


def _key_mismatch(raw: Mapping[Any, Any], expected: list[str]) -> str:
    """"unknown x; missing y" for an item dict whose keys are not exactly `expected`, or ""."""
    unknown = [str(k) for k in raw if k not in expected]
    missing = [k for k in expected if k not in raw]
    return "; ".join(
        part
        for part in (
            f"unknown {', '.join(unknown)}" if unknown else "",
            f"missing {', '.join(missing)}" if missing else "",
        )
        if part
    )


def shown_number(value: float, limit: Limit) -> str:
    if abs(value) >= 1e9:
        return shown(value)
    return _fmt(value, limit)


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def validate_observation(
    raw: Mapping[str, Any], *, age_years: float, previous_ice: int | None
) -> ObservationCheck:
    """Check one observation set for a patient of `age_years`.

    `previous_ice` is the patient's last recorded ICE total (None if none), for the
    "ICE drop >= 3" prompt. Keys of `raw` are RULES §6 names plus diastolic_bp and comment;
    `assessed_at` is ignored here (see timing.py); any other key is rejected by name.
    """
    if not math.isfinite(age_years) or age_years < 0:
        raise ValueError(f"age_years must be a finite age in years, got {age_years!r}")
    check = _Checker(age_years)
    for key, value in raw.items():
        if key in IGNORED_FIELDS:
            continue
        if key not in KNOWN_FIELDS:
            check.reject(
                str(key),
                f"Unknown field {shown(str(key))}; check the spelling (fields are named as "
                "in RULES §6, e.g. temperature_c, heart_rate)",
            )
        elif key in NUMERIC_FIELDS:
            check.number(key, value)
        elif key in ENUM_FIELDS:
            check.enum(key, value, ENUM_FIELDS[key])
        elif key in BOOL_FIELDS:
            check.boolean(key, value)
        elif key == "vasopressors":
            check.vasopressors(value)
        elif key == "ice_items":
            check.ice_items(value)
        elif key == "capd_items":
            check.capd_items(value)
        elif key == "comment":
            check.comment(value)
    _cross_checks(check, previous_ice)
    return ObservationCheck(check.values, check.rejections, check.confirmations)


def _cross_checks(check: _Checker, previous_ice: int | None) -> None:
    """Rules that involve two fields; each only runs on fields that passed on their own."""
    values = check.values
    sbp, dbp = values.get("systolic_bp"), values.get("diastolic_bp")
    if sbp is not None and dbp is not None and sbp <= dbp:
        check.reject(
            "systolic_bp",
            f"Systolic {sbp} mmHg must be higher than diastolic {dbp} mmHg; "
            "check the two values are not swapped",
        )
        del values["systolic_bp"], values["diastolic_bp"]

    device, flow = values.get("oxygen_device"), values.get("oxygen_flow_l_min")
    if flow is not None and flow > 0 and device == OxygenDevice.NONE:
        check.reject(
            "oxygen_flow_l_min",
            f"Oxygen flow {flow:g} L/min on room air is impossible; set the oxygen device "
            "or enter a flow of 0",
        )
        del values["oxygen_flow_l_min"]
    elif flow is not None and device in MASK_DEVICES and flow > MASK_FLOW_CONFIRM_ABOVE:
        check.confirm(
            "oxygen_flow_l_min",
            f"Oxygen flow {flow:g} L/min on a {str(device).replace('_', ' ')} is above "
            f"{MASK_FLOW_CONFIRM_ABOVE:g} L/min; confirm the flow with a reason",
        )

    # RULES I1: a total typed alongside its items must agree with them.
    ice_field = "ice_score"
    items = values.get("ice_items")
    score = values.get("ice_score")
    if items is not None and score is not None and ice_total(items) != score:
        check.reject(
            "ice_score",
            f"ICE score {score} does not match its items (they add up to {ice_total(items)}); "
            "correct the total or the items",
        )
        del values["ice_score"]
        score = None
    current_ice = score
    if current_ice is None and items is not None:
        current_ice, ice_field = ice_total(items), "ice_items"
    if (
        previous_ice is not None
        and current_ice is not None
        and previous_ice - current_ice >= ICE_DROP_CONFIRM
    ):
        check.confirm(
            ice_field,
            f"ICE fell from {previous_ice} to {current_ice} since the last assessment "
            f"(down {previous_ice - current_ice}); confirm the score with a reason",
        )

    capd_items = values.get("capd_items")
    capd_score = values.get("capd_score")
    if capd_items is not None and capd_score is not None:
        total = capd_total(capd_items)
        if total != capd_score:
            check.reject(
                "capd_score",
                f"CAPD score {capd_score} does not match its items (they add up to {total}, "
                "items 1–4 reverse-scored); correct the total or the items",
            )
            del values["capd_score"]
