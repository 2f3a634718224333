"""A small ward for the import tests: an adult and a 3-year-old, infused 2 days ago."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from app.actor import Actor, Role
from app.context import AppContext
from app.services import patients
from app.services.tocilizumab import record_infusion
from db.engine import Database
from db.models import Administration, Assessment
from tests.fakes import FakeClock

NURSE = Actor(user_id=None, username="nurse.jones", role=Role.NURSE, workstation="ws1")
HAEM = Actor(user_id=None, username="dr.okafor", role=Role.HAEMATOLOGIST, workstation="ws3")
ADULT_NHS = "9990000018"
CHILD_NHS = "9990000026"
UNKNOWN_NHS = "9990000034"  # valid, never registered
INFUSED_AT = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # GMT: ward time = UTC


def add_patient(ctx: AppContext, nhs: str, dob: date, weight_kg: float) -> int:
    p = patients.register_patient(
        ctx, NURSE, nhs_number=nhs, hospital_number=None, family_name="Test",
        given_name="Pat", date_of_birth=dob, sex="female",
    )  # fmt: skip
    e = patients.register_episode(
        ctx, NURSE, p.id, product_code="axicabtagene_ciloleucel",
        planned_infusion_date=INFUSED_AT.date(), weight_kg=weight_kg, consultant="Dr Brown",
        ward="Haematology", bed="1",
    )  # fmt: skip
    record_infusion(
        ctx, HAEM, e.id, infused_at=INFUSED_AT, override_reason="test ward: no stock modelled"
    )
    return e.id


def make_ward(ctx: AppContext) -> None:
    add_patient(ctx, ADULT_NHS, date(1970, 5, 1), 80.0)
    add_patient(ctx, CHILD_NHS, date(2023, 1, 15), 14.0)


@pytest.fixture
def ward_ctx(ctx: AppContext, fake_clock: FakeClock) -> AppContext:
    fake_clock.set(INFUSED_AT)
    make_ward(ctx)
    fake_clock.set(NOW)
    return ctx


@pytest.fixture
def sqlite_ward(sqlite_database: Database) -> Iterator[AppContext]:
    """One SQLite ward shared by every example of a hypothesis test."""
    clock = FakeClock(INFUSED_AT)
    ctx = AppContext(sqlite_database, clock=clock)
    make_ward(ctx)
    clock.set(NOW)
    yield ctx


def stored_assessments(ctx: AppContext) -> list[Assessment]:
    with ctx.database.read() as s:
        return list(s.execute(select(Assessment).order_by(Assessment.id)).scalars())


def count(ctx: AppContext, model: Any) -> int:
    with ctx.database.read() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def administrations(ctx: AppContext) -> int:
    return count(ctx, Administration)
