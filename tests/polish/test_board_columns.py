"""The ward board fits a 1500 x 900 window: every column visible without scrolling
sideways, and every cell's text whole (wrapped, not cut to "short: 0 of dose reser…")."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QRect, Qt
from PySide6.QtGui import QFont, QFontMetrics

from tests.polish.board_rows import demo_like_rows
from widgets.ward_board import COL_ALERTS, COL_TOCILIZUMAB, WardBoard

pytestmark = pytest.mark.gui



def cut_off(table: Any, index: QModelIndex) -> str | None:
    """The cell's text when it does not fit its cell (word-wrapped), else None."""
    text = str(index.data())
    font = index.data(Qt.ItemDataRole.FontRole)
    metrics = QFontMetrics(font if isinstance(font, QFont) else table.font())
    cell = table.visualRect(index).adjusted(4, 1, -4, -1)  # the delegate's text margins
    need = metrics.boundingRect(QRect(0, 0, cell.width(), 10_000),
                                int(Qt.TextFlag.TextWordWrap), text)  # fmt: skip
    if need.width() > cell.width() or need.height() > cell.height():
        return text
    return None


@pytest.fixture
def board(window: Any, qtbot: Any) -> WardBoard:
    """The main window at 1500 x 900 showing the demo-like rows on its board."""
    window.resize(1500, 900)
    board: WardBoard = window.board
    board.set_rows(demo_like_rows())
    qtbot.waitUntil(lambda: board.table.viewport().width() > 1300)
    return board


def test_every_column_is_visible_without_scrolling_sideways(board: WardBoard) -> None:
    table = board.table
    assert table.horizontalScrollBar().maximum() == 0
    last = table.visualRect(board.proxy.index(0, COL_TOCILIZUMAB))
    assert last.right() <= table.viewport().width()


def test_no_cell_text_is_cut_off(board: WardBoard) -> None:
    table = board.table
    model = board.proxy
    cut = [
        problem
        for r in range(model.rowCount())
        for c in range(model.columnCount())
        if (problem := cut_off(table, model.index(r, c))) is not None
    ]
    # A code missing from the product table has no brand to show; it is shown as stored
    # (one word, so it cannot wrap) and the tooltip has it whole.
    assert cut == ["some_new_product"]


def test_tooltips_hold_the_full_text(board: WardBoard) -> None:
    model = board.proxy
    rows = {model.index(r, 0).data(): r for r in range(model.rowCount())}
    icu = rows["ICU-2"]
    toci = model.index(icu, COL_TOCILIZUMAB).data(Qt.ItemDataRole.ToolTipRole)
    assert toci == "short: 0 of 1 dose reserved · 2 given 21 Nov 18:43 · next dose by 22 Nov 02:43"
    alerts = model.index(icu, COL_ALERTS)
    assert alerts.data() == "⚠ Critical-care discussion\n+ 2 more alerts"
    tooltip = alerts.data(Qt.ItemDataRole.ToolTipRole)
    assert "NEWS2 emergency response: NEWS2 13" in tooltip
    assert "Consider tocilizumab: CRS grade 3" in tooltip
