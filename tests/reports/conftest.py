"""A real ward built through the real services, on SQLite (reports are backend-neutral).

`ward` records patients as the app would: register, infuse (RULES E6 override by a
haematologist, no stock in these tests), then observation sets with the fake clock
moved to a minute after each, so nothing counts as a late entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.actor import Actor, Role
from app.context import AppContext
from app.services import administrations, alerts, assessments, patients, tocilizumab
from db.engine import Database
from db.models import AuditEvent
from tests.fakes import FakeClock
from tests.reports.rows_factory import nhs_number

NURSE = Actor(user_id=None, username="nurse.jones", role=Role.NURSE, workstation="ws1")
HAEM = Actor(user_id=None, username="dr.okafor", role=Role.HAEMATOLOGIST, workstation="ws2")

NORMAL: dict[str, Any] = {
    "temperature_c": 37.0, "heart_rate": 80, "systolic_bp": 120, "diastolic_bp": 70,
    "respiratory_rate": 16, "spo2_percent": 97, "oxygen_device": "none", "acvpu": "alert",
    "hypotension": False, "vasopressors": [], "ice_score": 10,
    "consciousness": "awakens_spontaneously", "seizure": "none", "motor_weakness": "none",
    "cerebral_edema": "none",
}
CRS1 = {"temperature_c": 38.4}
CRS2 = {"temperature_c": 38.6, "hypotension": True, "systolic_bp": 85}
ICANS2 = {"ice_score": 5}
ICANS3 = {"ice_score": 2}


class Ward:
    def __init__(self, ctx: AppContext, clock: FakeClock) -> None:
        self.ctx = ctx
        self.clock = clock
        self.count = 0

    def patient(self, *, family: str, infused_at: datetime, bed: str = "",
                dob: date = date(1960, 5, 1), sex: str = "female") -> int:
        self.count += 1
        saved = self.clock()
        self.clock.set(infused_at + timedelta(minutes=5))
        p = patients.register_patient(
            self.ctx, NURSE, nhs_number=nhs_number(self.count),
            hospital_number=f"H{self.count:04d}", family_name=family, given_name="Anna",
            date_of_birth=dob, sex=sex)
        e = patients.register_episode(
            self.ctx, NURSE, p.id, product_code="axicabtagene_ciloleucel",
            planned_infusion_date=infused_at.date(), weight_kg=70.0, consultant="Dr Brown",
            ward="Haematology", bed=bed or str(self.count))
        tocilizumab.record_infusion(self.ctx, HAEM, e.id, infused_at=infused_at,
                                    override_reason="stock confirmed by phone (test)")
        self.clock.set(max(saved, self.clock()))
        return e.id

    def obs(self, episode_id: int, at: datetime, changes: Mapping[str, Any] | None = None,
            ) -> Any:
        self.clock.set(at + timedelta(minutes=1))
        values = {**NORMAL, **(changes or {}), "assessed_at": at}
        try:
            return assessments.record_assessment(self.ctx, NURSE, episode_id, values)
        except Exception as error:  # improbable values: confirm, as a nurse would
            problems = getattr(error, "problems", None)
            if problems is None or type(error).__name__ != "ConfirmationRequired":
                raise
            return assessments.record_assessment(
                self.ctx, NURSE, episode_id, values,
                confirmations={p.field: "checked (test)" for p in problems})

    def drug(self, episode_id: int, at: datetime, drug: str, dose: float) -> Any:
        self.clock.set(at + timedelta(minutes=1))
        return administrations.record_administration(
            self.ctx, NURSE if drug != "tocilizumab" else HAEM, episode_id, drug=drug,
            dose=dose, given_at=at,
            override_reason="dose checked (test)" if drug == "tocilizumab" else None)

    def discuss(self, episode_id: int, at: datetime, outcome: str = "stay_with_plan") -> Any:
        self.clock.set(at + timedelta(minutes=1))
        alert = next(a for a in alerts.list_open_alerts(self.ctx, NURSE, episode_id)
                     if a.kind == "critical_care")
        return alerts.record_discussion(
            self.ctx, NURSE, alert.id, clinician="Dr Reyes (ICU)", discussed_at=at,
            outcome=outcome, detail="hourly neuro obs", expected_version=alert.version)

    def episode_version(self, episode_id: int) -> int:
        from app.services.ward import episode_header

        return episode_header(self.ctx, NURSE, episode_id).version

    def audit_actions(self) -> list[str]:
        with self.ctx.database.read() as s:
            return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def report_clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 10, 10, 0, tzinfo=UTC))


@pytest.fixture
def rctx(sqlite_database: Database, report_clock: FakeClock) -> AppContext:
    return AppContext(sqlite_database, clock=report_clock)


@pytest.fixture
def ward(rctx: AppContext, report_clock: FakeClock) -> Ward:
    return Ward(rctx, report_clock)
