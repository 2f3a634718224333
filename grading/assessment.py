"""One observation set graded on all three scales, and its RULES §6 JSON form."""

from __future__ import annotations

from typing import Any

from .crs import grade_crs
from .icans import grade_icans
from .inputs import AssessmentInputs
from .news2 import score_news2
from .results import GradingResult, new_result
from .version import RULES_VERSION


def grade_assessment(
    i: AssessmentInputs, *, crs_present: bool | None = None, icans_present: bool | None = None
) -> GradingResult:
    """CRS, ICANS and NEWS2 for one observation set, with the rules version. The
    `*_present` flags say which scales the input held (None: inferred from the values)."""
    news2, why_null = score_news2(i)
    return new_result(grade_crs(i, crs_present), grade_icans(i, icans_present), news2,
                      why_null, RULES_VERSION)


def to_json(result: GradingResult, case_id: Any = None) -> dict[str, Any]:
    """The RULES §6 output object (plus `ice_total`, `at_least`, `news2_null_reason` and
    `rules_version`, which §6 readers may ignore)."""
    crs = result.crs
    icans = result.icans
    news2 = result.news2
    return {
        "case_id": case_id,
        "crs": None if crs is None else {
            "grade": crs.grade,
            "reasons": list(crs.reasons),
            "notes": list(crs.notes),
        },
        "icans": None if icans is None else {
            "grade": icans.grade,
            "tool": icans.tool,
            "capd_total": icans.capd_total,
            "ice_total": icans.ice_total,
            "reasons": list(icans.reasons),
            "missing": list(icans.missing),
            "at_least": icans.at_least,
        },
        "news2": None if news2 is None else {
            "total": news2.total,
            "clinical_risk": news2.clinical_risk,
            "subscores": dict(news2.subscores),
        },
        "news2_null_reason": result.news2_null_reason,
        "rules_version": result.rules_version,
    }
