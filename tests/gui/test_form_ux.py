"""Usability defects of the assessment form found by a usability tester, each driven from
the keyboard on the real widgets (the main window on a small SQLite ward)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

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


class ModalAnswer:
    """Answers the next modal box with one key, from inside its exec() loop, as a nurse
    would, and remembers what the box said."""

    def __init__(self, qtbot: Any, *keys: Qt.Key) -> None:
        self.qtbot, self.keys = qtbot, keys
        self.texts: list[str] = []
        self.tries = 500  # 5 s: a box that never comes must not answer a later test's box
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._answer)
        self.timer.start()

    def _answer(self) -> None:
        self.tries -= 1
        if self.tries < 0:
            self.timer.stop()
            return
        box = QApplication.activeModalWidget()
        focus = QApplication.focusWidget()
        if isinstance(box, QMessageBox) and focus is not None and box.isAncestorOf(focus):
            self.timer.stop()
            self.texts.append(box.text())
            for key in self.keys:
                self.qtbot.keyClick(focused(), key)


# --- 2. Esc then Enter keeps the typed set ----------------------------------------------------
def test_esc_then_enter_keeps_editing_and_the_question_names_the_patient(
    window: Any, qtbot: Any, ward: Ward
) -> None:
    form = open_patient(window, qtbot, ward.adult)
    qtbot.keyClicks(form.temperature, "38.4")
    answer = ModalAnswer(qtbot, Qt.Key.Key_Return)  # Enter: the default button
    qtbot.keyClick(form.temperature, Qt.Key.Key_Escape)
    assert answer.texts, "Esc with typed values asks first"
    assert "SMITH, Anna (NHS 999 000 0018)" in answer.texts[0]
    assert form.temperature.text() == "38.4", "Enter on the question keeps the observations"

    answer = ModalAnswer(qtbot, Qt.Key.Key_Escape)  # Esc on the question: keep editing too
    qtbot.keyClick(form.temperature, Qt.Key.Key_Escape)
    assert answer.texts and form.temperature.text() == "38.4"
    assert saved_assessments(window, ward.adult) == []

    answer = ModalAnswer(qtbot, Qt.Key.Key_Tab, Qt.Key.Key_Return)  # choose Discard
    qtbot.keyClick(form.temperature, Qt.Key.Key_Escape)
    assert answer.texts and form.temperature.text() == "", "Discard still discards"
    assert "Cancelled" in form.status.text()
