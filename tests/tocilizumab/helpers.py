"""Actors, a dose recorder and audit counting for the tocilizumab tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.actor import Actor, Role
from app.context import AppContext
from app.services.tocilizumab import on_tocilizumab_dose
from db.models import Administration, AuditEvent, Episode

NURSE = Actor(user_id=1, username="nina", role=Role.NURSE, workstation="ward-1")
HAEM = Actor(user_id=2, username="hana", role=Role.HAEMATOLOGIST, workstation="ward-1")
PHARM = Actor(user_id=3, username="phil", role=Role.PHARMACIST, workstation="pharmacy")


def give_dose(
    ctx: AppContext,
    actor: Actor,
    episode_id: int,
    dose: float,
    *,
    given_at: datetime,
    override_reason: str | None = None,
) -> tuple[int, list[str]]:
    """What record_administration does for tocilizumab: insert the row, call the hook."""
    with ctx.database.transaction() as session:
        episode = session.get(Episode, episode_id)
        assert episode is not None
        administration = Administration(
            episode_id=episode_id, drug="tocilizumab", dose=dose, dose_unit="mg", route="IV",
            given_at=given_at, entered_at=ctx.clock(), entered_by=actor.username,
            status="current", limit_warnings=[], override_reason=override_reason,
        )  # fmt: skip
        session.add(administration)
        session.flush()
        warnings = on_tocilizumab_dose(
            session, ctx, actor, episode, administration, override_reason
        )
        return administration.id, warnings


def audit_count(ctx: AppContext, action: str | None = None) -> int:
    with ctx.database.read() as session:
        stmt = select(func.count()).select_from(AuditEvent)
        if action is not None:
            stmt = stmt.where(AuditEvent.action == action)
        return int(session.scalar(stmt) or 0)


def scalar(ctx: AppContext, stmt: Any) -> Any:
    with ctx.database.read() as session:
        return session.scalar(stmt)
