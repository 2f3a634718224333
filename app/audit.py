"""The audit trail: exactly one event per write, in the write's own transaction (SAFETY.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.actor import Actor
from db.models import AuditEvent


def snapshot(row: Any, fields: list[str] | None = None) -> dict[str, Any]:
    """Plain JSON-able copy of a model row's columns, for an audit before/after."""
    names = fields or [c.key for c in row.__table__.columns]
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(row, name)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        out[name] = value
    return out


def record_audit(  # noqa: PLR0917 - one positional call shape used by every service
    session: Session,
    actor: Actor,
    at: datetime,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    episode_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        at=at,
        user_id=actor.user_id,
        username=actor.username,
        role=actor.role.value,
        workstation=actor.workstation,
        action=action,
        entity=entity,
        entity_id=entity_id,
        episode_id=episode_id,
        before=before,
        after=after,
        reason=reason,
    )
    session.add(event)
    return event
