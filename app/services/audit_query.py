"""Read-only audit trail queries for the audit viewer (issue 7, SAFETY.md).

Who sees what: haematologists and admins see every event, nurses only their own,
pharmacists only stock events (vials and stock movements). Nothing here writes.

A patient is found by episode number or by NHS number (usability audit 14: nobody knows
the episode number): every event of the patient's episodes and of the patient record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select

from app.actor import Actor, Role
from app.context import AppContext
from app.errors import FieldProblem, NotFound, ValidationFailed
from app.nhs_number import format_nhs_number, normalise_nhs_number
from app.permissions import Action, require
from db.models import AuditEvent, Episode, Patient

STOCK_ENTITIES = ("vial", "stock", "stock_movement")
MAX_LIMIT = 5000


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    user_id: int | None
    username: str
    role: str
    workstation: str
    action: str
    entity: str
    entity_id: int | None
    episode_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None

    @property
    def changes(self) -> list[FieldChange]:
        """Fields whose value differs between before and after (all of after for a new
        record, all of before for one that went away)."""
        before, after = self.before or {}, self.after or {}
        keys = list(before) + [k for k in after if k not in before]
        return [
            FieldChange(k, before.get(k), after.get(k))
            for k in keys
            if before.get(k) != after.get(k)
        ]


def _row(event: AuditEvent) -> AuditRow:
    return AuditRow(
        id=event.id,
        at=event.at,
        user_id=event.user_id,
        username=event.username,
        role=event.role,
        workstation=event.workstation,
        action=event.action,
        entity=event.entity,
        entity_id=event.entity_id,
        episode_id=event.episode_id,
        before=event.before,
        after=event.after,
        reason=event.reason,
    )


def _scope(query: Select[Any], actor: Actor) -> Select[Any]:
    if actor.role in (Role.HAEMATOLOGIST, Role.ADMIN):
        return query
    if actor.role == Role.PHARMACIST:
        return query.where(AuditEvent.entity.in_(STOCK_ENTITIES))
    # Nurses: their own events. By user id when known; the system actor has none.
    if actor.user_id is not None:
        return query.where(AuditEvent.user_id == actor.user_id)
    return query.where(AuditEvent.username == actor.username)


def query_audit(
    ctx: AppContext,
    actor: Actor,
    *,
    episode_id: int | None = None,
    username: str | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    action: str | None = None,
    nhs_number: str | None = None,
    limit: int = 500,
) -> list[AuditRow]:
    """Newest first. `date_from` inclusive, `date_to` exclusive (aware datetimes);
    `action` matches a prefix ("user." finds every account event); `nhs_number` (spaces
    allowed) finds the patient's events: their episodes' and their patient record's."""
    require(actor, Action.VIEW_AUDIT)
    problems: list[FieldProblem] = []
    digits = None
    if nhs_number is not None:
        try:
            digits = normalise_nhs_number(nhs_number)
        except ValueError as exc:
            problems.append(FieldProblem("nhs_number", str(exc)))
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        if value is not None and value.tzinfo is None:
            problems.append(FieldProblem(name, "Give a time with its time zone."))
    if date_from and date_to and date_from.tzinfo and date_to.tzinfo and date_from >= date_to:
        problems.append(FieldProblem("date_to", "The end must be after the start."))
    if not 1 <= limit <= MAX_LIMIT:
        problems.append(FieldProblem("limit", f"Show between 1 and {MAX_LIMIT} events."))
    if problems:
        raise ValidationFailed(problems)

    query: Select[Any] = _scope(select(AuditEvent), actor)
    if episode_id is not None:
        query = query.where(AuditEvent.episode_id == episode_id)
    if username:
        query = query.where(AuditEvent.username == username.strip().lower())
    if date_from is not None:
        query = query.where(AuditEvent.at >= date_from)
    if date_to is not None:
        query = query.where(AuditEvent.at < date_to)
    if action:
        query = query.where(AuditEvent.action.startswith(action.strip(), autoescape=True))
    with ctx.database.read() as session:
        if digits is not None:
            patient_id = session.scalar(select(Patient.id).where(Patient.nhs_number == digits))
            if patient_id is None:
                raise NotFound(f"No patient with NHS number {format_nhs_number(digits)}.")
            episodes = select(Episode.id).where(Episode.patient_id == patient_id)
            query = query.where(or_(
                AuditEvent.episode_id.in_(episodes),
                and_(AuditEvent.entity == "patient", AuditEvent.entity_id == patient_id),
            ))  # fmt: skip
        query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
        return [_row(e) for e in session.scalars(query)]
