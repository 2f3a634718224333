"""Usability defects of the assessment form found by a usability tester, each driven from
the keyboard on the real widgets (the main window on a small SQLite ward)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from tests.gui.conftest import Ward
from tests.gui.test_assessment_entry import open_patient, saved_assessments

pytestmark = pytest.mark.gui


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def tab_to(qtbot: Any, target: QWidget, limit: int = 80) -> None:
    """Press Tab until `target` has the focus, as a nurse would."""
    for _ in range(limit):
        if focused() is target:
            return
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {target.objectName()}")


# --- 1. Enter on a focused button is that button -------------------------------------------
def test_enter_on_the_focused_cancel_button_cancels_and_never_saves(
    window: Any, qtbot: Any, ward: Ward, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = open_patient(window, qtbot, ward.adult)
    asked: list[bool] = []

    def keep_editing() -> bool:
        asked.append(True)
        return False  # the nurse keeps editing

    monkeypatch.setattr(form, "confirm_discard", keep_editing)
    qtbot.keyClicks(form.temperature, "37.2")
    tab_to(qtbot, form.cancel_button)
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    assert saved_assessments(window, ward.adult) == [], "Enter on Cancel must not save"
    assert asked == [True], "Enter on Cancel asks to discard, as Esc does"
    assert form.temperature.text() == "37.2"

    tab_to(qtbot, form.save_button)
    qtbot.keyClick(focused(), Qt.Key.Key_Enter)
    assert len(saved_assessments(window, ward.adult)) == 1, "Enter on Save saves"
