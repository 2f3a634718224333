"""Ward-board wording a nurse reads: no "D+None", no "None" anywhere, brand names."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.polish.board_rows import BASE, demo_like_rows
from widgets.ward_board import COL_CRS, COL_ICANS, WardBoardModel

pytestmark = pytest.mark.gui


def cell_texts(model: WardBoardModel, role: int = Qt.ItemDataRole.DisplayRole) -> list[str]:
    return [
        str(model.index(r, c).data(role))
        for r in range(model.rowCount())
        for c in range(model.columnCount())
    ]


def test_maximum_without_a_day_shows_no_day(qtbot: Any) -> None:
    model = WardBoardModel()
    model.set_rows([BASE])
    assert model.index(0, COL_CRS).data() == "CRS 0 · none\nmax 0"
    assert model.index(0, COL_ICANS).data() == "ICANS 0 · none\nmax 0"


def test_no_cell_on_the_board_says_none(qtbot: Any) -> None:
    model = WardBoardModel()
    model.set_rows(demo_like_rows())
    texts = cell_texts(model)
    assert texts and not [t for t in texts if "None" in t]
    assert "max 3 (D+5)" in texts[model.columnCount() + COL_CRS]
