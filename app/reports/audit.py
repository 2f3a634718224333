"""One audit event per print or export (SAFETY.md: identifiable data leaving the app)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from app.actor import Actor
from app.audit import record_audit
from app.context import AppContext


def audit_report(
    ctx: AppContext,
    actor: Actor,
    at: datetime,
    action: str,
    *,
    entity: str,
    entity_id: int | None,
    episode_id: int | None = None,
    details: dict[str, Any],
    data: bytes,
) -> None:
    """Record the print/export in its own transaction; the SHA-256 ties the event to the
    exact bytes produced, so a printed or saved copy can be matched to its audit entry."""
    after = dict(details)
    after["sha256"] = hashlib.sha256(data).hexdigest()
    after["bytes"] = len(data)
    with ctx.database.transaction() as session:
        record_audit(
            session, actor, at, action, entity, entity_id, episode_id=episode_id, after=after
        )
