"""A CRS grade that rests on a partial set shows as a lower bound on the board: "≥ 0" in
the neutral colour, never the all-clear green "CRS 0 · none" (README "Design")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.services.administrations import record_administration
from app.services.assessments import record_assessment
from tests.gui.conftest import NURSE, Ward
from widgets.grade_chip import grade_colours

pytestmark = pytest.mark.gui

COMPLETE_FEVER = {
    "temperature_c": 38.6, "heart_rate": 100, "systolic_bp": 118, "diastolic_bp": 70,
    "respiratory_rate": 18, "spo2_percent": 96, "oxygen_device": "none", "acvpu": "alert",
    "hypotension": False,
}  # fmt: skip


def _crs_cell(window: Any, episode_id: int) -> Any:
    from widgets.ward_board import COL_CRS

    model = window.board.model
    return model.index(model.row_for_episode(episode_id), COL_CRS)


def crs_then_paracetamol(ctx: Any, episode_id: int) -> None:
    """CRS 1 two hours ago, paracetamol an hour ago: the RULES C2 fever waiver applies."""
    now = ctx.clock()
    record_assessment(ctx, NURSE, episode_id,
                      {**COMPLETE_FEVER, "assessed_at": now - timedelta(hours=2)},
                      confirmations={"assessed_at": "paper chart, entered late"})
    record_administration(ctx, NURSE, episode_id, drug="paracetamol", dose=1000,
                          given_at=now - timedelta(hours=1))


def test_temperature_alone_after_crs_and_paracetamol_shows_crs_at_least_0(
    window: Any, ward: Ward
) -> None:
    ctx = window.ctx
    now = ctx.clock()
    crs_then_paracetamol(ctx, ward.adult)
    record_assessment(ctx, NURSE, ward.adult, {"assessed_at": now, "temperature_c": 36.8})
    window.refresh()

    cell = _crs_cell(window, ward.adult)
    assert str(cell.data()).startswith("CRS ≥ 0 · partial")
    green, _ = grade_colours(0)
    assert cell.data(Qt.ItemDataRole.BackgroundRole) != green
