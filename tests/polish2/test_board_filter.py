"""The board shows the brand ("Yescarta"), but a nurse may type the generic name from the
prescription, or an NHS number with or without its spaces: all of them find the patient."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.polish.board_rows import BASE
from widgets.models import ROW_ROLE
from widgets.ward_board import WardBoard

ROWS = [
    BASE,  # KOWALSKI, Breyanzi (lisocabtagene maraleucel), NHS 999 000 0069
    replace(BASE, episode_id=2, patient_name="PATEL, Rohan", bed="B2",
            nhs_number="999 000 0026", product_code="axicabtagene_ciloleucel"),
]


def visible_names(board: WardBoard) -> list[str]:
    return sorted(board.proxy.index(n, 0).data(ROW_ROLE).patient_name
                  for n in range(board.proxy.rowCount()))


@pytest.mark.gui
@pytest.mark.parametrize(("typed", "expected"), [
    ("axicabtagene", ["PATEL, Rohan"]),
    ("Axicabtagene Ciloleucel", ["PATEL, Rohan"]),
    ("lisocabtagene", ["KOWALSKI, Anna"]),
    ("yescarta", ["PATEL, Rohan"]),
    ("9990000026", ["PATEL, Rohan"]),
    ("999 000 0026", ["PATEL, Rohan"]),
    ("0000026", ["PATEL, Rohan"]),
    ("kowalski", ["KOWALSKI, Anna"]),
    ("B2", ["PATEL, Rohan"]),
    ("nobody", []),
])  # fmt: skip
def test_filter_finds_generic_name_and_nhs_number(
    qtbot: Any, typed: str, expected: list[str]
) -> None:
    board = WardBoard()
    qtbot.addWidget(board)
    board.set_rows(ROWS)
    qtbot.keyClicks(board.filter_edit, typed)
    assert visible_names(board) == expected
    board.filter_edit.clear()
    assert board.proxy.rowCount() == 2


@pytest.mark.gui
def test_placeholder_says_the_generic_name_works(qtbot: Any) -> None:
    board = WardBoard()
    qtbot.addWidget(board)
    assert "generic" in board.filter_edit.placeholderText()
