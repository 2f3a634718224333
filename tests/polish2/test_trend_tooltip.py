"""The trend grid names the product as nurses know it, not by its database code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.rows import TrendRow
from widgets.trend_grid import COL_PATIENT, TrendModel

ROW = TrendRow(
    episode_id=1, patient_name="KOWALSKI, Anna", nhs_number="999 000 0069", bed="A4",
    product_code="axicabtagene_ciloleucel", status="active",
    infused_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC), day=2,
    crs_by_day=(0, 1, 2) + (None,) * 26, icans_by_day=(None,) * 29,
    crs_onset_day=1, crs_resolution_day=None, icans_onset_day=None,
    icans_resolution_day=None,
)  # fmt: skip


@pytest.mark.gui
def test_patient_tooltip_shows_the_product_name_not_its_code(qtbot: Any) -> None:
    model = TrendModel()
    model.set_rows([ROW])
    tooltip = model.index(0, COL_PATIENT).data(Qt.ItemDataRole.ToolTipRole)
    assert "Yescarta (axicabtagene ciloleucel)" in tooltip
    assert "axicabtagene_ciloleucel" not in tooltip
    assert "NHS 999 000 0069" in tooltip
