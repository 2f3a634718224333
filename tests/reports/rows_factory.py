"""Hand-made read-model rows for layout tests that need no database (app/rows.py types)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.nhs_number import check_digit, format_nhs_number
from app.rows import AlertRow, WardRow

NOW = datetime(2026, 3, 12, 14, 30, tzinfo=UTC)


def nhs_number(index: int) -> str:
    """A valid NHS number in the never-issued 999 range."""
    n = index
    while True:
        first_nine = f"999{n:06d}"
        digit = check_digit(first_nine)
        if digit is not None:
            return first_nine + str(digit)
        n += 100_000


@dataclass(frozen=True)
class Toci:
    state: str = "ready"
    doses_reserved: int = 1
    doses_given: int = 0
    last_dose_at: datetime | None = None
    resupply_due_at: datetime | None = None
    text: str = "1 dose reserved"


def alert(episode_id: int, kind: str = "critical_care", **kw: Any) -> AlertRow:
    fields: dict[str, Any] = dict(  # noqa: C408 (keywords read as the row fields)
        id=episode_id * 10,
        episode_id=episode_id,
        kind=kind,
        status="raised",
        trigger_grade=2,
        message="ICANS grade 2: discuss with critical care",
        raised_at=NOW - timedelta(hours=1),
        raised_by_assessment_id=None,
        due_at=NOW - timedelta(minutes=30),
        deadline_passed=True,
        acknowledged_at=None,
        acknowledged_by=None,
        acknowledged_role=None,
        resolved_at=None,
        resolved_by=None,
        resolved_reason=None,
        discussion_clinician=None,
        discussion_at=None,
        discussion_outcome=None,
        discussion_detail=None,
        discussion_recorded_by=None,
        version=1,
    )
    fields.update(kw)
    return AlertRow(**fields)


def ward_row(index: int, **kw: Any) -> WardRow:
    fields: dict[str, Any] = dict(  # noqa: C408 (keywords read as the row fields)
        episode_id=index,
        patient_id=index,
        ward="Haematology",
        bed=str(index),
        patient_name=f"PATIENT{index:02d}, Given{index:02d}",
        nhs_number=format_nhs_number(nhs_number(index)),
        hospital_number=f"H{index:05d}",
        date_of_birth=date(1960, 1 + index % 12, 1 + index % 28),
        age_years=66,
        product_code="axicabtagene_ciloleucel",
        infused_at=NOW - timedelta(days=index % 20, hours=3),
        day=index % 20,
        crs_grade=index % 3,
        icans_grade=index % 2,
        icans_at_least=False,
        max_crs_grade=index % 4,
        max_crs_day=2,
        max_icans_grade=index % 2,
        max_icans_day=3,
        news2_total=index % 8,
        news2_risk="low",
        last_assessed_at=NOW - timedelta(hours=2),
        next_due_at=NOW + timedelta(hours=2),
        overdue=False,
        open_alerts=(),
        tocilizumab=Toci(),
        nursing_note="Settled overnight. Eating and drinking.",
        version=1,
    )
    fields.update(kw)
    return WardRow(**fields)


__all__ = ["NOW", "Toci", "alert", "nhs_number", "replace", "ward_row"]


def assessment(episode_id: int, index: int, at: datetime, day: int, **kw: Any) -> Any:
    from app.rows import AssessmentRow

    fields: dict[str, Any] = dict(  # noqa: C408 (keywords read as the row fields)
        id=episode_id * 1000 + index,
        episode_id=episode_id,
        assessed_at=at,
        entered_at=at,
        entered_by="nurse1",
        day=day,
        is_baseline=False,
        status="current",
        supersedes_id=None,
        superseded_by_id=None,
        amend_reason=None,
        late_entry=False,
        confirmations={},
        inputs={"temperature_c": 37.0, "heart_rate": 80, "systolic_bp": 120, "spo2_percent": 97},
        crs_grade=0,
        crs_reasons=(),
        crs_notes=(),
        icans_grade=0,
        icans_tool="ICE",
        icans_reasons=(),
        icans_missing=(),
        capd_total=None,
        ice_total=10,
        news2_total=1,
        news2_risk="low",
        news2_subscores=None,
        news2_null_reason=None,
        rules_version="t",
    )
    fields.update(kw)
    return AssessmentRow(**fields)
