"""Tocilizumab ledger, readiness gate and dose hook (RULES E5-E6).

INTERFACE ONLY until the "tocilizumab" helper replaces this file; see docs/HELPERS.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.actor import Actor
from app.context import AppContext
from db.models import Administration, Episode


def on_tocilizumab_dose(
    session: Session,
    ctx: AppContext,
    actor: Actor,
    episode: Episode,
    administration: Administration,
    override_reason: str | None,
) -> list[str]:
    """Check RULES E5 limits (ConfirmationRequired unless override_reason), issue vials,
    fill calculated_dose_mg / weight_used_kg / limit_warnings, schedule the resupply alert."""
    raise NotImplementedError("tocilizumab helper has not landed yet")


def tocilizumab_status_for(
    session: Session, episodes: Sequence[Episode], now: datetime
) -> dict[int, Any]:
    """episode id -> TocilizumabStatus (state ready/short/expiring/not required, text...)."""
    raise NotImplementedError("tocilizumab helper has not landed yet")
