"""Usability defects of the assessment form found by a usability tester, each driven from
the keyboard on the real widgets (the main window on a small SQLite ward)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget

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


# --- 3. Validation messages: whole, gone once corrected, focus on the topmost ------------------
def clipped_labels(form: QWidget) -> list[str]:
    """Visible labels of the form that are cut off: a wrapping label shorter than its text
    needs at its width, or a one-line label narrower than its text."""
    cut: list[str] = []
    for label in form.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        if label.wordWrap():
            if label.height() < label.heightForWidth(label.width()):
                cut.append(label.text())
        elif label.width() < label.sizeHint().width():
            cut.append(label.text())
    return cut


def type_rejected_set(qtbot: Any, form: Any) -> None:
    """Impossible temperature, swapped blood pressure, impossible SpO2 and heart rate."""
    qtbot.keyClicks(form.temperature, "45.5")
    qtbot.keyClicks(form.heart_rate, "400")
    qtbot.keyClicks(form.systolic, "60")
    qtbot.keyClicks(form.diastolic, "80")
    qtbot.keyClicks(form.spo2, "30")
    qtbot.keyClick(form.spo2, Qt.Key.Key_Return)


@pytest.mark.parametrize("size", [(1500, 900), (1280, 800)])
def test_validation_messages_wrap_whole_at_ward_widths(
    window: Any, qtbot: Any, ward: Ward, size: tuple[int, int]
) -> None:
    window.resize(*size)
    form = open_patient(window, qtbot, ward.adult)
    type_rejected_set(qtbot, form)
    qtbot.wait(50)  # nested layouts settle over a few event-loop turns
    assert saved_assessments(window, ward.adult) == []
    errors = form.error_labels
    assert "swapped" in errors["systolic_bp"].text()
    assert "SpO2 30 %" in errors["spo2_percent"].text()
    assert "check the reading" in errors["spo2_percent"].text()
    assert clipped_labels(form) == []


def test_a_message_goes_as_soon_as_its_field_is_edited(
    window: Any, qtbot: Any, ward: Ward
) -> None:
    form = open_patient(window, qtbot, ward.adult)
    type_rejected_set(qtbot, form)
    errors = form.error_labels
    assert errors["temperature_c"].isVisible() and errors["systolic_bp"].isVisible()
    qtbot.keyClick(form.temperature, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(form.temperature, "37.0")
    assert not errors["temperature_c"].isVisible(), "37.0 is no longer 45.5"
    assert errors["spo2_percent"].isVisible(), "other fields keep their messages"
    qtbot.keyClick(form.diastolic, Qt.Key.Key_Backspace)  # 80 -> 8: the pair is edited
    assert not errors["systolic_bp"].isVisible()
    assert errors["heart_rate"].isVisible()


def test_focus_goes_to_the_first_wrong_field_down_the_form(
    window: Any, qtbot: Any, ward: Ward
) -> None:
    form = open_patient(window, qtbot, ward.adult)
    type_rejected_set(qtbot, form)
    assert focused() is form.temperature, "Temperature is the topmost wrong field"
    # Corrected: the next save puts the focus on the next wrong field down the form.
    qtbot.keyClick(form.temperature, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(form.temperature, "37.0")
    qtbot.keyClick(form.temperature, Qt.Key.Key_Return)
    assert focused() is form.heart_rate


# --- 4. "Time assessed" follows the clock until the nurse edits it ----------------------------
def local_hhmm(form: Any) -> str:
    return form.assessed_at.dateTime().toString("HH:mm")


def test_untouched_time_is_the_moment_of_saving(
    window: Any, qtbot: Any, ward: Ward, fake_clock: Any
) -> None:
    form = open_patient(window, qtbot, ward.adult)  # opened at 10:00 UTC (10:00 in London)
    assert local_hhmm(form) == "10:00"
    assert form.time_hint.text() == "now (follows the clock)"
    qtbot.keyClicks(form.temperature, "37.2")
    fake_clock.advance(minutes=3)
    assert form.clock_timer.isActive() and form.clock_timer.interval() <= 60_000
    form.clock_timer.timeout.emit()  # the periodic refresh while the form is shown
    assert local_hhmm(form) == "10:03"
    fake_clock.advance(minutes=47)  # the nurse is called away; saves at 10:50
    qtbot.keyClick(form.temperature, Qt.Key.Key_Return)
    rows = saved_assessments(window, ward.adult)
    assert len(rows) == 1
    assert rows[0].assessed_at == fake_clock(), "not the 10:00 the form was opened at"


def test_an_edited_time_is_kept_as_typed(
    window: Any, qtbot: Any, ward: Ward, fake_clock: Any
) -> None:
    form = open_patient(window, qtbot, ward.adult)
    qtbot.keyClicks(form.temperature, "37.2")
    form.assessed_at.setFocus()
    qtbot.keyClick(form.assessed_at, Qt.Key.Key_End)  # the minutes
    qtbot.keyClick(form.assessed_at, Qt.Key.Key_Up)  # 10:00 -> 10:01
    assert local_hhmm(form) == "10:01"
    assert form.time_hint.text() == "as typed"
    fake_clock.advance(minutes=20)
    form.clock_timer.timeout.emit()
    assert local_hhmm(form) == "10:01", "a typed time never moves with the clock"
    qtbot.keyClick(form.temperature, Qt.Key.Key_Return)
    rows = saved_assessments(window, ward.adult)
    assert len(rows) == 1 and local_hhmm(form) == "10:20", "the next set follows the clock"
    assert rows[0].assessed_at.astimezone(fake_clock().tzinfo).strftime("%H:%M") == "10:01"


def test_a_draft_keeps_its_time_only_if_it_was_typed(
    window: Any, qtbot: Any, ward: Ward, fake_clock: Any
) -> None:
    form = open_patient(window, qtbot, ward.adult)
    qtbot.keyClicks(form.temperature, "37.6")
    open_patient(window, qtbot, ward.child)  # the adult's form is kept as a draft
    child = window.patient_view.form
    qtbot.keyClicks(child.temperature, "37.1")
    child.assessed_at.setFocus()
    qtbot.keyClick(child.assessed_at, Qt.Key.Key_End)
    qtbot.keyClick(child.assessed_at, Qt.Key.Key_Up)  # typed: 10:01
    fake_clock.advance(minutes=30)
    adult = open_patient(window, qtbot, ward.adult)
    assert adult.temperature.text() == "37.6"
    assert local_hhmm(adult) == "10:30", "an untouched time follows the clock"
    assert adult.time_hint.text() == "now (follows the clock)"
    child = open_patient(window, qtbot, ward.child)
    assert local_hhmm(child) == "10:01", "a typed time is kept"
    assert child.time_hint.text() == "as typed"


# --- 5. Text that is no number is refused, not saved as "not assessed" ------------------------
@pytest.mark.parametrize("typed", [".", ","])
def test_a_stray_point_in_temperature_is_refused_next_to_the_field(
    window: Any, qtbot: Any, ward: Ward, typed: str
) -> None:
    form = open_patient(window, qtbot, ward.adult)
    qtbot.keyClicks(form.temperature, typed)
    qtbot.keyClicks(form.heart_rate, "88")
    qtbot.keyClick(form.heart_rate, Qt.Key.Key_Return)
    assert saved_assessments(window, ward.adult) == []
    message = form.error_labels["temperature_c"]
    assert message.isVisible() and "not a number" in message.text(), message.text()
    assert form.temperature.text() == typed and form.heart_rate.text() == "88"
    assert focused() is form.temperature


# --- 6. The preview grades only what is typed, and names what it refused ----------------------
def test_an_empty_form_grades_nothing_even_after_crs_and_a_drug(
    window: Any, qtbot: Any, ward: Ward
) -> None:
    """With CRS diagnosed and paracetamol given (the C2 fever waiver), an empty set would
    grade "CRS 0 · none" from the history alone: the preview must wait for a value."""
    from tests.gui.test_board_lower_bound import crs_then_paracetamol

    crs_then_paracetamol(window.ctx, ward.adult)
    form = open_patient(window, qtbot, ward.adult)
    preview = window.patient_view.preview
    assert preview.crs_chip.text() == "CRS — · not assessed"
    assert "Nothing entered yet." in preview.crs_reasons.text()
    qtbot.keyClicks(form.heart_rate, "92")
    assert preview.crs_chip.text() == "CRS ≥ 0 · partial", "a lower bound, not 'none'"
    assert "not recorded: temperature, hypotension, oxygen device" in preview.summary_text()
    qtbot.keyClick(form.heart_rate, Qt.Key.Key_Backspace)
    qtbot.keyClick(form.heart_rate, Qt.Key.Key_Backspace)
    assert preview.crs_chip.text() == "CRS — · not assessed"


def test_the_preview_names_a_refused_value_instead_of_calling_it_missing(
    window: Any, qtbot: Any, ward: Ward
) -> None:
    form = open_patient(window, qtbot, ward.adult)
    preview = window.patient_view.preview
    qtbot.keyClicks(form.temperature, "45.5")
    assert preview.left_out.isVisible()
    assert "Temperature 45.5" in preview.left_out.text()
    assert "Not graded — refused" in preview.left_out.text()
    qtbot.keyClick(form.temperature, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(form.temperature, "38.4")
    assert not preview.left_out.isVisible()
    assert preview.crs_chip.text() == "CRS ≥ 1 · mild"


# --- 7. Every Alt+letter of the form does one thing, on the first press ----------------------
def test_alt_letters_reach_their_field_not_a_menu_or_tab(
    window: Any, qtbot: Any, ward: Ward
) -> None:
    form = open_patient(window, qtbot, ward.adult)
    alt = Qt.KeyboardModifier.AltModifier
    qtbot.keyClick(focused(), Qt.Key.Key_P, alt)
    assert focused() is form.spo2, "Alt+P is SpO2 (the Print menu has no Alt+letter)"
    qtbot.keyClick(focused(), Qt.Key.Key_A, alt)
    assert focused() is form.acvpu, "Alt+A is ACVPU on the first press"
    qtbot.keyClick(focused(), Qt.Key.Key_I, alt)
    assert window.patient_view.tabs.currentWidget() is window.patient_view.timeline_view


def test_tab_passes_the_time_field_in_one_press_and_save_returns_to_temperature(
    window: Any, qtbot: Any, ward: Ward
) -> None:
    form = open_patient(window, qtbot, ward.adult)
    form.assessed_at.setFocus()
    qtbot.keyClick(form.assessed_at, Qt.Key.Key_Tab)
    assert focused() is form.comment, "not the time's month, year, hour and minute first"
    qtbot.keyClick(form.comment, Qt.Key.Key_Backtab)
    assert focused() is form.assessed_at
    qtbot.keyClicks(form.temperature, "37.1")
    form.assessed_at.setFocus()
    qtbot.keyClick(form.assessed_at, Qt.Key.Key_Return)
    assert len(saved_assessments(window, ward.adult)) == 1
    assert focused() is form.temperature, "ready for the next set"


# --- 8. The form's hypotension hint and the preview use one threshold (RULES C7) -------------
def test_child_hypotension_hint_uses_the_exact_age_like_the_preview(
    window: Any, qtbot: Any, ward: Ward
) -> None:
    """Tom is 7.15 years old: 70 + 2 × 7.148 = 84.3 mmHg, so an SBP of 84 is below it. The
    whole-year age (7 → 84 mmHg) hid the hint while the preview suggested hypotension."""
    form = open_patient(window, qtbot, ward.child)
    qtbot.keyClicks(form.systolic, "84")
    assert form.hypotension_hint.isVisible()
    assert "70 + 2 × age (7.1 y) = 84.3 mmHg" in form.hypotension_hint.text()
    assert "70 + 2 × age (7.1 y) = 84.3 mmHg" in window.patient_view.preview.summary_text()
    qtbot.keyClick(form.systolic, Qt.Key.Key_Backspace)
    qtbot.keyClicks(form.systolic, "5")  # 85: above the threshold
    assert not form.hypotension_hint.isVisible()
