"""The board's filter as a nurse uses it: it says when rows are hidden, Enter goes to the
result (one match opens it), Esc clears it; NEWS2 cells say why there is no score."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.services.assessments import record_assessment
from tests.gui.conftest import NURSE, Ward
from widgets.ward_board import COL_NEWS2

pytestmark = pytest.mark.gui


def test_a_filtered_board_says_so_and_esc_clears_it(window: Any, qtbot: Any) -> None:
    board = window.board
    qtbot.keyClicks(board.filter_edit, "smith")
    assert board.proxy.rowCount() == 1
    assert "Filtered: 1 of 2 patients" in board.count_label.text()
    qtbot.keyClick(board.filter_edit, Qt.Key.Key_Escape)
    assert board.filter_edit.text() == "" and board.proxy.rowCount() == 2
    assert board.count_label.text().startswith("2 patients")


def test_enter_in_the_filter_opens_the_only_match(window: Any, qtbot: Any, ward: Ward) -> None:
    qtbot.keyClicks(window.board.filter_edit, "999 000 0026")  # an NHS number, spaced
    qtbot.keyClick(window.board.filter_edit, Qt.Key.Key_Return)
    assert window.patient_view.episode_id == ward.child


def test_enter_with_several_matches_goes_to_the_first(window: Any, qtbot: Any) -> None:
    board = window.board
    qtbot.keyClicks(board.filter_edit, "axi")  # both patients' product
    qtbot.keyClick(board.filter_edit, Qt.Key.Key_Return)
    assert board.table.hasFocus() and board.table.currentIndex().row() == 0
    qtbot.keyClick(board.table, Qt.Key.Key_Return)
    assert window.patient_view.episode_id == board.selected_episode()


def test_news2_cell_says_why_there_is_no_score(window: Any, ward: Ward) -> None:
    ctx = window.ctx
    record_assessment(ctx, NURSE, ward.adult, {"assessed_at": ctx.clock(), "temperature_c": 37})
    record_assessment(ctx, NURSE, ward.child, {"assessed_at": ctx.clock(), "temperature_c": 37})
    window.refresh()
    model = window.board.model

    def cell(episode_id: int) -> str:
        return str(model.index(model.row_for_episode(episode_id), COL_NEWS2).data())

    assert cell(ward.adult) == "NEWS2 —\nincomplete set"
    assert cell(ward.child) == "NEWS2 n/a\nunder 16"
