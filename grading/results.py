"""Frozen results of the grading engine: plain values, no behaviour beyond display."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CrsResult:
    """ASTCT 2019 CRS grade 0-4 (0 = criteria not met), with why, and notes to read."""

    grade: int
    reasons: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IcansResult:
    """ASTCT 2019 ICANS grade 0-4 over the assessed domains (RULES I8).

    `missing` names the domains not assessed; while it is non-empty the grade is a lower
    bound, shown as "≥ N" (never a silent 0).
    """

    grade: int
    tool: str  # "ICE" | "CAPD"
    capd_total: int | None
    ice_total: int | None
    reasons: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def at_least(self) -> bool:
        return bool(self.missing)

    @property
    def display(self) -> str:
        return f"≥ {self.grade}" if self.missing else str(self.grade)


@dataclass(frozen=True, slots=True)
class News2Result:
    """NEWS2 (RCP 2017) total, clinical risk band and the seven parameter scores."""

    total: int
    clinical_risk: str  # "low" | "low-medium" | "medium" | "high"
    subscores: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class GradingResult:
    crs: CrsResult | None
    icans: IcansResult | None
    news2: News2Result | None
    news2_null_reason: str | None
    rules_version: str


# Hot-path constructors. A frozen dataclass's generated __init__ goes through
# object.__setattr__ by field name; writing the slots through their descriptors builds the
# same, equal, immutable object in about half the time (bench/grading.py). Public callers
# use the ordinary constructors.
_new = object.__new__


def _slot_setter(cls: type, name: str) -> Callable[[object, object], None]:
    setter: Callable[[object, object], None] = getattr(cls, name).__set__
    return setter


_crs_grade = _slot_setter(CrsResult, "grade")
_crs_reasons = _slot_setter(CrsResult, "reasons")
_crs_notes = _slot_setter(CrsResult, "notes")
_icans_grade = _slot_setter(IcansResult, "grade")
_icans_tool = _slot_setter(IcansResult, "tool")
_icans_capd = _slot_setter(IcansResult, "capd_total")
_icans_ice = _slot_setter(IcansResult, "ice_total")
_icans_reasons = _slot_setter(IcansResult, "reasons")
_icans_missing = _slot_setter(IcansResult, "missing")
_news_total = _slot_setter(News2Result, "total")
_news_risk = _slot_setter(News2Result, "clinical_risk")
_news_sub = _slot_setter(News2Result, "subscores")
_res_crs = _slot_setter(GradingResult, "crs")
_res_icans = _slot_setter(GradingResult, "icans")
_res_news2 = _slot_setter(GradingResult, "news2")
_res_why = _slot_setter(GradingResult, "news2_null_reason")
_res_version = _slot_setter(GradingResult, "rules_version")


def new_crs(grade: int, reasons: tuple[str, ...], notes: tuple[str, ...]) -> CrsResult:
    r: CrsResult = _new(CrsResult)
    _crs_grade(r, grade)
    _crs_reasons(r, reasons)
    _crs_notes(r, notes)
    return r


def new_icans(  # noqa: PLR0917 - positional like the dataclass
    grade: int,
    tool: str,
    capd_total: int | None,
    ice_total: int | None,
    reasons: tuple[str, ...],
    missing: tuple[str, ...],
) -> IcansResult:
    r: IcansResult = _new(IcansResult)
    _icans_grade(r, grade)
    _icans_tool(r, tool)
    _icans_capd(r, capd_total)
    _icans_ice(r, ice_total)
    _icans_reasons(r, reasons)
    _icans_missing(r, missing)
    return r


def new_news2(total: int, clinical_risk: str, subscores: Mapping[str, int]) -> News2Result:
    r: News2Result = _new(News2Result)
    _news_total(r, total)
    _news_risk(r, clinical_risk)
    _news_sub(r, subscores)
    return r


def new_result(
    crs: CrsResult | None,
    icans: IcansResult | None,
    news2: News2Result | None,
    news2_null_reason: str | None,
    rules_version: str,
) -> GradingResult:
    r: GradingResult = _new(GradingResult)
    _res_crs(r, crs)
    _res_icans(r, icans)
    _res_news2(r, news2)
    _res_why(r, news2_null_reason)
    _res_version(r, rules_version)
    return r
