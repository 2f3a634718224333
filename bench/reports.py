"""Report benchmarks (issue 6): a 30-patient handover and one 28-day patient summary.

Both are built the real way (services reading a real SQLite database, audit event
included), each against a bare reportlab table of the same rows built in the same run,
so the ratio says what the layout, charts and identity furniture cost.
Target: the 30-patient handover in ≤ 1 s.
"""

from __future__ import annotations

import io
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4, landscape
from reportlab.platypus import SimpleDocTemplate, Table

from app.actor import Actor, Role
from app.context import AppContext
from app.nhs_number import check_digit
from bench.common import BenchResult, median_seconds

PATIENTS = 30
HANDOVER_TARGET_S = 1.0
NURSE = Actor(user_id=None, username="bench.nurse", role=Role.NURSE, workstation="bench")
HAEM = Actor(user_id=None, username="bench.haem", role=Role.HAEMATOLOGIST, workstation="bench")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)

NORMAL: dict[str, Any] = {
    "temperature_c": 37.0, "heart_rate": 80, "systolic_bp": 120, "diastolic_bp": 70,
    "respiratory_rate": 16, "spo2_percent": 97, "oxygen_device": "none", "acvpu": "alert",
    "hypotension": False, "vasopressors": [], "ice_score": 10,
    "consciousness": "awakens_spontaneously", "seizure": "none", "motor_weakness": "none",
    "cerebral_edema": "none",
}


class _Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _nhs(index: int) -> str:
    n = index
    while (digit := check_digit(f"999{n:06d}")) is None:
        n += 100_000
    return f"999{n:06d}{digit}"


def _seed(ctx: AppContext, clock: _Clock) -> int:
    """30 active patients, days 1-20, four obs a day for the last three days (some with
    CRS / ICANS); returns the episode with the longest course, for the summary."""
    from app.services import assessments, patients, tocilizumab

    longest = 0
    for i in range(PATIENTS):
        day_now = 1 + i % 20
        infused = (NOW - timedelta(days=day_now)).replace(hour=9)
        clock.now = infused + timedelta(minutes=5)
        p = patients.register_patient(
            ctx, NURSE, nhs_number=_nhs(i + 1), hospital_number=None,
            family_name=f"Bench{i:02d}", given_name="Pat", date_of_birth=date(1965, 1, 1),
            sex="female")
        e = patients.register_episode(
            ctx, NURSE, p.id, product_code="axicabtagene_ciloleucel",
            planned_infusion_date=infused.date(), weight_kg=70.0, consultant="Dr B",
            ward="Haematology", bed=str(i + 1))
        tocilizumab.record_infusion(ctx, HAEM, e.id, infused_at=infused,
                                    override_reason="bench")
        first = 0 if i == PATIENTS - 1 else max(0, day_now - 3)
        for day in range(first, day_now):
            for hour in (10, 14, 18, 22):
                at = infused.replace(hour=hour) + timedelta(days=day)
                values = {**NORMAL, "assessed_at": at}
                if i % 3 == 0 and day == day_now - 2:
                    values["temperature_c"] = 38.5
                if i % 7 == 0 and day == day_now - 1:
                    values["ice_score"] = 8
                clock.now = at + timedelta(minutes=1)
                assessments.record_assessment(ctx, NURSE, e.id, values)
        if i == PATIENTS - 1:
            longest = e.id
    clock.now = NOW
    return longest


def _bare_table(rows: list[list[str]], pagesize: tuple[float, float]) -> bytes:
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=pagesize).build([Table(rows, repeatRows=1)])
    return buffer.getvalue()


def run() -> list[BenchResult]:
    from app.reports.handover import build_handover_pdf
    from app.reports.patient_summary import build_patient_summary_pdf
    from app.services.ward import list_ward, patient_timeline
    from db.migrate import open_database

    with tempfile.TemporaryDirectory() as folder:
        database = open_database(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        clock = _Clock()
        ctx = AppContext(database, clock=clock)
        try:
            summary_episode = _seed(ctx, clock)

            def handover() -> bytes:
                return build_handover_pdf(ctx, NURSE, ward=None, printed_by="bench")

            def bare_handover() -> bytes:
                rows = [["bed", "name", "NHS", "DOB", "day", "CRS", "ICANS", "NEWS2", "note"]]
                rows += [[r.bed, r.patient_name, r.nhs_number, str(r.date_of_birth),
                          str(r.day), str(r.crs_grade), str(r.icans_grade),
                          str(r.news2_total), r.nursing_note]
                         for r in list_ward(ctx, NURSE)]
                return _bare_table(rows, landscape(A4))

            def summary() -> bytes:
                return build_patient_summary_pdf(ctx, NURSE, summary_episode)

            def bare_summary() -> bytes:
                timeline = patient_timeline(ctx, NURSE, summary_episode)
                rows = [["day", "time", "CRS", "ICANS", "NEWS2", "temp"]]
                rows += [[str(d.day), str(a.assessed_at), str(a.crs_grade),
                          str(a.icans_grade), str(a.news2_total),
                          str(a.inputs.get("temperature_c"))]
                         for d in timeline.days for a in d.current_assessments]
                return _bare_table(rows, A4)

            handover()  # warm up: fonts registered, modules imported, caches filled
            summary()
            h = median_seconds(handover, repeats=5)
            h_bare = median_seconds(bare_handover, repeats=5)
            s = median_seconds(summary, repeats=5)
            s_bare = median_seconds(bare_summary, repeats=5)
        finally:
            database.dispose()
    return [
        BenchResult(
            name=f"handover sheet, {PATIENTS} patients (services + PDF + audit)",
            value=h, unit="s",
            baseline_name="bare reportlab table of the same ward rows",
            baseline_value=h_bare,
            target=f"≤ {HANDOVER_TARGET_S:g} s", met=h <= HANDOVER_TARGET_S,
        ),
        BenchResult(
            name="patient summary, 29-day course with charts",
            value=s, unit="s",
            baseline_name="bare reportlab table of the same assessments",
            baseline_value=s_bare,
            target="≤ 1 s (no issue target; for the record)", met=s <= 1.0,
        ),
    ]


if __name__ == "__main__":
    for r in run():
        print(f"{r.name}: {r.value:.3f} {r.unit} (target {r.target}: "
              f"{'met' if r.met else 'NOT met'}); {r.baseline_name}: "
              f"{r.baseline_value:.3f} {r.unit}; ratio {r.ratio:.1f}")
