"""Helpers for the service tests: actors, a patient with an infused episode, obs sets.

The `database`, `ctx` and `fake_clock` fixtures come from tests/conftest.py (each test
runs on SQLite and on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.actor import Actor, Role
from app.context import AppContext
from app.services import patients
from db.models import AuditEvent, Episode

NURSE = Actor(user_id=None, username="nurse.jones", role=Role.NURSE, workstation="ws1")
NURSE2 = Actor(user_id=None, username="nurse.patel", role=Role.NURSE, workstation="ws2")
HAEM = Actor(user_id=None, username="dr.okafor", role=Role.HAEMATOLOGIST, workstation="ws3")
PHARMACIST = Actor(user_id=None, username="pharm.lee", role=Role.PHARMACIST, workstation="ws4")
ADMIN = Actor(user_id=None, username="admin.ray", role=Role.ADMIN, workstation="ws5")

# Default fake clock: 2026-03-10 10:00 UTC (= 10:00 GMT). Infusion two days before.
INFUSED_AT = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)

NORMAL: dict[str, Any] = {
    "temperature_c": 37.0,
    "heart_rate": 80,
    "systolic_bp": 120,
    "diastolic_bp": 70,
    "respiratory_rate": 16,
    "spo2_percent": 97,
    "oxygen_device": "none",
    "acvpu": "alert",
    "hypotension": False,
    "vasopressors": [],
    "ice_score": 10,
    "consciousness": "awakens_spontaneously",
    "seizure": "none",
    "motor_weakness": "none",
    "cerebral_edema": "none",
}


def obs(**changes: Any) -> dict[str, Any]:
    return {**NORMAL, **changes}


CRS1 = {"temperature_c": 38.4}
CRS2 = {"temperature_c": 38.6, "hypotension": True}
CRS3 = {"temperature_c": 38.9, "hypotension": True, "vasopressors": ["norepinephrine"]}
ICANS1 = {"ice_score": 8}
ICANS2 = {"ice_score": 5}
ICANS3 = {"ice_score": 2}
NEWS2_5 = {"respiratory_rate": 22, "heart_rate": 115, "spo2_percent": 95}  # 2 + 2 + 1
NEWS2_7 = {"respiratory_rate": 25, "heart_rate": 131, "spo2_percent": 95}  # 3 + 3 + 1


def make_episode(
    ctx: AppContext,
    *,
    nhs: str = "9990000018",
    dob: date = date(1970, 5, 1),
    infused_at: datetime | None = INFUSED_AT,
    bed: str = "3",
    family: str = "Smith",
) -> int:
    """A registered patient with an episode, infused at `infused_at` (status active)."""
    p = patients.register_patient(
        ctx, NURSE, nhs_number=nhs, hospital_number=None, family_name=family,
        given_name="Anna", date_of_birth=dob, sex="female",
    )  # fmt: skip
    e = patients.register_episode(
        ctx, NURSE, p.id, product_code="axicabtagene_ciloleucel",
        planned_infusion_date=None if infused_at is None else infused_at.date(),
        weight_kg=70.0, consultant="Dr Brown", ward="Haematology", bed=bed,
    )  # fmt: skip
    if infused_at is not None:
        infuse(ctx, e.id, infused_at)
    return e.id


def infuse(ctx: AppContext, episode_id: int, at: datetime) -> None:
    """Record the infusion directly (the readiness gate is the tocilizumab module's)."""
    with ctx.database.transaction() as s:
        episode = s.get(Episode, episode_id)
        assert episode is not None
        episode.infused_at = at
        episode.status = "active"
        episode.version += 1


def audit_count(ctx: AppContext) -> int:
    with ctx.database.read() as s:
        return int(s.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def audit_actions(ctx: AppContext) -> list[str]:
    with ctx.database.read() as s:
        return list(s.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


@pytest.fixture
def episode_id(ctx: AppContext) -> int:
    return make_episode(ctx)


@pytest.fixture
def at(fake_clock: Any) -> Callable[..., datetime]:
    """at(minutes=-30) -> a time relative to the fake clock's now."""

    def _at(**delta: float) -> datetime:
        return fake_clock() + timedelta(**delta)

    return _at
