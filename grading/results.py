"""Frozen results of the grading engine: plain values, no behaviour beyond display."""

from __future__ import annotations

from collections.abc import Mapping
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
