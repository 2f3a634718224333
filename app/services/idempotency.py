"""A form submitted twice stores one row: each form carries an idempotency key (unique in
the table), and a second submit with the same key gets the row already stored.

Shared by record_assessment and record_administration: the look-up by key (a key used for
another patient is refused, never answered with that patient's row) and the recovery when
two workstations send the same form at the same moment and the unique key stops one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.context import AppContext
from app.errors import FieldProblem, ValidationFailed
from db.models import Administration, Assessment

M = TypeVar("M", Assessment, Administration)
R = TypeVar("R")


def submitted_row(session: Session, model: type[M], key: str, episode_id: int) -> M | None:
    """The row stored under `key`, or None; ValidationFailed if it belongs to another episode."""
    row = session.execute(select(model).where(model.idempotency_key == key)).scalar_one_or_none()
    if row is None:
        return None
    if row.episode_id != episode_id:
        raise ValidationFailed(
            [FieldProblem("idempotency_key", "this form was already submitted for another patient")]
        )
    return row


def stored_by_other_submit(
    ctx: AppContext,
    key: str | None,
    lookup: Callable[[Session, str], R | None],
    conflict: IntegrityError,
) -> R:
    """After `conflict` (an IntegrityError): two workstations submitted the same form at once
    and the other one stored it, so return that row (read by `lookup`). Without a key, or
    with no row under it (another constraint failed), `conflict` is raised again."""
    if key is None:
        raise conflict
    with ctx.database.read() as session:
        stored = lookup(session, key)
    if stored is None:
        raise conflict
    return stored
