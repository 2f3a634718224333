"""Helpers of the reliability tests: a small ward seeded through the real services, the
invariants checked after every crash, and a clock the tests move by hand.

Everything here writes through app.services (never raw SQL), so what the tests break is
the code the ward runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from app.actor import Actor, Role
from app.context import AppContext
from app.errors import ConfirmationRequired
from app.rows import AssessmentRow
from app.services import patients, tocilizumab
from app.services.assessments import record_assessment
from db.engine import Database
from db.models import Base

FULL = os.environ.get("CARWARD_RELIABILITY") == "full"

NURSE = Actor(user_id=None, username="rel-nurse", role=Role.NURSE, workstation="rel")
HAEM = Actor(user_id=None, username="rel-haem", role=Role.HAEMATOLOGIST, workstation="rel")
PHARM = Actor(user_id=None, username="rel-pharm", role=Role.PHARMACIST, workstation="rel")

INFUSED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # day 0 of every seeded episode
NORMAL_ICE = {"orientation": 4, "naming": 3, "following_commands": 1, "writing": 1, "attention": 1}
ICANS2_ICE = {"orientation": 2, "naming": 1, "following_commands": 1, "writing": 0, "attention": 1}


class Clock:
    """A settable clock (children of a fork get their own copy)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def observation(i: int, *, icans2: bool = False) -> dict[str, Any]:
    """A plausible adult observation set; `i` varies the values so that no two sets in a
    row are the same (the 5-minute duplicate check would otherwise ask for a reason)."""
    return {
        "temperature_c": round(36.5 + (i % 9) / 10, 1),
        "heart_rate": 70 + i % 23,
        "systolic_bp": 118 + i % 11,
        "diastolic_bp": 70,
        "respiratory_rate": 16,
        "spo2_percent": 97,
        "acvpu": "alert",
        "oxygen_device": "none",
        "vasopressors": [],
        "hypotension": False,
        "consciousness": "awakens_spontaneously",
        "seizure": "none",
        "motor_weakness": "none",
        "cerebral_edema": "none",
        "ice_items": dict(ICANS2_ICE if icans2 else NORMAL_ICE),
    }


def record_confirmed(
    ctx: AppContext, episode_id: int, values: Mapping[str, Any], actor: Actor = NURSE
) -> AssessmentRow:
    """record_assessment; an improbable value (a falling ICE) is confirmed as at the bedside."""
    try:
        return record_assessment(ctx, actor, episode_id, values)
    except ConfirmationRequired as prompt:
        reasons = {p.field: "confirmed at the bedside (reliability test)" for p in prompt.problems}
        return record_assessment(ctx, actor, episode_id, values, confirmations=reasons)


@dataclass(frozen=True)
class SeededWard:
    episode_ids: list[int]


def seed_ward(
    database: Database, *, episodes: int, vials: int = 0, start: int = 0, weight_kg: float = 50.0
) -> SeededWard:
    """`episodes` infused patients (day 0 = INFUSED_AT) and `vials` 400 mg vials in stock.

    `start` numbers the patients so several calls on one database do not collide. A 50 kg
    patient's tocilizumab dose (8 mg/kg) is exactly one 400 mg vial.
    """
    clock = Clock(INFUSED_AT - timedelta(days=2))
    ctx = AppContext(database, clock=clock)
    while vials > 0:
        batch = min(vials, 200)
        tocilizumab.receive_vials(
            ctx,
            PHARM,
            strength_mg=400,
            batch="REL-400",
            expiry_date=date(2027, 1, 31),
            location="ward",
            count=batch,
        )
        vials -= batch
    ids = []
    for n in range(start, start + episodes):
        clock.now = INFUSED_AT - timedelta(days=2)
        patient = patients.register_patient(
            ctx,
            NURSE,
            nhs_number=None,
            hospital_number=f"REL{n:06d}",
            family_name="Test",
            given_name=f"Patient {n}",
            date_of_birth=date(1970, 1, 1),
            sex="female",
        )
        episode = patients.register_episode(
            ctx,
            NURSE,
            patient.id,
            product_code="axicabtagene_ciloleucel",
            planned_infusion_date=INFUSED_AT.date(),
            weight_kg=weight_kg,
            consultant="Dr Reliable",
            ward=ctx.ward,
            bed=f"R{n}",
        )
        clock.now = INFUSED_AT + timedelta(minutes=10)
        tocilizumab.record_infusion(
            ctx,
            HAEM,
            episode.id,
            infused_at=INFUSED_AT,
            override_reason="reliability test: stock not modelled here",
        )
        ids.append(episode.id)
    return SeededWard(ids)


def table_counts(database: Database) -> dict[str, int]:
    """Rows in every table of the record (the audit trail included)."""
    with database.read() as session:
        return {
            name: int(session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
            for name in sorted(Base.metadata.tables)
        }


def integrity_problems(database: Database) -> list[str]:
    """What SAFETY.md forbids after a crash, as readable sentences (empty list = fine)."""
    problems: list[str] = []
    with database.read() as session:
        if database.is_sqlite:
            verdict = [r[0] for r in session.execute(text("PRAGMA integrity_check")).all()]
            if verdict != ["ok"]:
                problems.append(f"PRAGMA integrity_check: {verdict[:5]}")
        # EXCEPT (a sort), not NOT EXISTS: audit_event has no index on entity_id.
        unaudited = (
            session.execute(
                text(
                    "SELECT id FROM assessment EXCEPT "
                    "SELECT entity_id FROM audit_event WHERE entity = 'assessment'"
                )
            )
            .scalars()
            .all()
        )
        if unaudited:
            problems.append(f"assessments without their audit event: {unaudited[:10]}")
        # RULES E1: each current ICANS >= 2 assessment is covered by a critical-care alert
        # raised no later than it was entered: still open, or already handled (a recorded
        # discussion covers the same grade persisting; only a rise or a new event after the
        # condition cleared raises again — alerts.already_handled).
        alertless = (
            session.execute(
                text(
                    "SELECT a.id FROM assessment a "
                    "WHERE a.status = 'current' AND a.icans_grade >= 2 "
                    "AND NOT EXISTS (SELECT 1 FROM alert x WHERE x.episode_id = a.episode_id "
                    "AND x.kind = 'critical_care' AND x.raised_at <= a.entered_at)"
                )
            )
            .scalars()
            .all()
        )
        if alertless:
            problems.append(f"ICANS >= 2 assessments without a critical-care alert: {alertless}")
        unissued = (
            session.execute(
                text(
                    "SELECT id FROM administration WHERE drug = 'tocilizumab' EXCEPT SELECT "
                    "administration_id FROM stock_movement WHERE kind = 'issued'"
                )
            )
            .scalars()
            .all()
        )
        stock_left = session.execute(
            text("SELECT count(*) FROM vial WHERE status = 'in_stock'")
        ).scalar_one()
        if unissued and stock_left:
            problems.append(f"tocilizumab doses with no vial issued while stock left: {unissued}")
    return problems
