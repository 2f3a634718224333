"""Ward-board rows like the demo ward's: every shape a nurse sees on a busy day (maximum
without a day, not yet infused, hospital number only, three open alerts, overdue, short of
tocilizumab, an unknown product code)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from app.rows import AlertRow, WardRow
from app.services.tocilizumab import TocilizumabStatus

NOW = datetime(2026, 11, 22, 3, 8, tzinfo=UTC)


def alert(kind: str, message: str, *, alert_id: int = 1) -> AlertRow:
    return AlertRow(
        id=alert_id, episode_id=1, kind=kind, status="raised", trigger_grade=None,
        message=message, raised_at=NOW - timedelta(hours=2), raised_by_assessment_id=None,
        due_at=None, deadline_passed=False, acknowledged_at=None, acknowledged_by=None,
        acknowledged_role=None, resolved_at=None, resolved_by=None, resolved_reason=None,
        discussion_clinician=None, discussion_at=None, discussion_outcome=None,
        discussion_detail=None, discussion_recorded_by=None, version=1,
    )  # fmt: skip


def toci(text: str, state: str = "ready") -> TocilizumabStatus:
    return TocilizumabStatus(state=state, doses_reserved=1, doses_given=0, last_dose_at=None,
                             resupply_due_at=None, text=text)  # fmt: skip


BASE = WardRow(
    episode_id=1, patient_id=1, ward="Ward 7", bed="A4", patient_name="KOWALSKI, Anna",
    nhs_number="999 000 0069", hospital_number=None, date_of_birth=date(1979, 5, 1),
    age_years=47, product_code="lisocabtagene_maraleucel", infused_at=NOW - timedelta(hours=9),
    day=0, crs_grade=0, icans_grade=0, icans_at_least=False,
    max_crs_grade=0, max_crs_day=None, max_icans_grade=0, max_icans_day=None,
    news2_total=0, news2_risk="low", last_assessed_at=NOW - timedelta(hours=1),
    next_due_at=NOW + timedelta(hours=11), overdue=False, open_alerts=(),
    tocilizumab=toci("2 doses reserved"), nursing_note="", version=1,
)  # fmt: skip

CRITICAL = alert("critical_care", "CRS grade 3 at 20:55 — discuss with critical care")
NEWS2 = alert("news2_emergency", "NEWS2 13 at 20:55 — emergency response: inform the "
              "medical team now", alert_id=2)  # fmt: skip
PROMPT = alert("tocilizumab_prompt", "CRS grade 3 at 20:55 — consider tocilizumab per local "
               "SOP", alert_id=3)  # fmt: skip


def demo_like_rows() -> list[WardRow]:
    return [
        BASE,  # infused today: maxima 0 with no day yet
        replace(BASE, episode_id=2, bed="ICU-2", patient_name="WILLIAMS, Gareth",
                product_code="axicabtagene_ciloleucel", day=5, crs_grade=3, max_crs_grade=3,
                max_crs_day=5, news2_total=13, news2_risk="high",
                open_alerts=(CRITICAL, NEWS2, PROMPT),
                tocilizumab=toci("short: 0 of 1 dose reserved · 2 given 21 Nov 18:43 · "
                                 "next dose by 22 Nov 02:43", "short")),
        replace(BASE, episode_id=3, bed="B2", patient_name="BEGUM, Yusuf", nhs_number="",
                hospital_number="RX1234567", age_years=10,
                product_code="brexucabtagene_autoleucel", day=2, crs_grade=2, max_crs_grade=2,
                max_crs_day=2, icans_grade=2, icans_at_least=True, max_icans_grade=2,
                max_icans_day=1, news2_total=None, news2_risk=None, overdue=True,
                next_due_at=NOW - timedelta(hours=1), open_alerts=(CRITICAL, NEWS2),
                tocilizumab=toci("1 dose reserved · a reserved vial expires within 48 h · "
                                 "1 given 21 Nov 12:43", "expiring")),
        replace(BASE, episode_id=4, bed="A8", patient_name="MURPHY, Siobhan",
                product_code="some_new_product", infused_at=None, day=None, crs_grade=None,
                icans_grade=None, max_crs_grade=None, max_icans_grade=None,
                news2_total=None, news2_risk=None, last_assessed_at=None, next_due_at=None,
                tocilizumab=None),
        replace(BASE, episode_id=5, bed="A5", patient_name="THOMPSON, David",
                product_code="tisagenlecleucel", day=12, max_crs_grade=2, max_crs_day=2,
                news2_total=3, news2_risk="low-medium", open_alerts=(PROMPT,)),
    ]
