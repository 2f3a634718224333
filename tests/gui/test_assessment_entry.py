"""Assessment entry from the keyboard alone, live preview, rejected input, drafts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from app.services.ward import patient_timeline
from tests.gui.conftest import NURSE, Ward

pytestmark = pytest.mark.gui


def saved_assessments(window: Any, episode_id: int) -> list[Any]:
    timeline = patient_timeline(window.ctx, NURSE, episode_id)
    return [a for day in timeline.days for a in day.current_assessments]


class Keyboard:
    """Types into whatever has the focus, then moves on with Tab, as a nurse would."""

    def __init__(self, qtbot: Any) -> None:
        self.qtbot = qtbot

    def focused(self) -> QWidget:
        widget = QApplication.focusWidget()
        assert widget is not None, "nothing has the keyboard focus"
        return widget

    def type(self, text: str, tab: bool = True) -> None:
        if text:
            self.qtbot.keyClicks(self.focused(), text)
        if tab:
            self.qtbot.keyClick(self.focused(), Qt.Key.Key_Tab)

    def key(self, key: Qt.Key) -> None:
        self.qtbot.keyClick(self.focused(), key)

    def tab(self, times: int = 1) -> None:
        for _ in range(times):
            self.qtbot.keyClick(self.focused(), Qt.Key.Key_Tab)


def open_patient(window: Any, qtbot: Any, episode_id: int) -> Any:
    window.open_episode(episode_id)
    form = window.patient_view.form
    assert form is not None
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is form.temperature)
    return form


def test_full_adult_assessment_entered_with_the_keyboard_alone(
    window: Any, qtbot: Any, ward: Ward
) -> None:
    form = open_patient(window, qtbot, ward.adult)
    kb = Keyboard(qtbot)
    kb.type("38.6")  # temperature
    kb.type("112")  # heart rate
    kb.type("88")  # systolic
    kb.type("50")  # diastolic
    kb.type("22")  # respiratory rate
    kb.type("93")  # SpO2
    kb.type("A")  # ACVPU: Alert
    kb.type("N")  # oxygen device: Nasal cannula
    assert form.oxygen_flow.isEnabled()
    kb.type("3")  # flow L/min
    kb.tab(6)  # no vasopressors
    assert QApplication.focusWidget() is form.hypotension
    assert form.hypotension_hint.isVisible(), "SBP 88 should suggest hypotension (RULES C7)"
    assert form.hypotension.currentData() is None, "the form must never set hypotension"
    kb.type("Y")  # hypotension: yes, clinician-confirmed
    kb.tab()  # fever not attributed to another cause
    for score in ("4", "3", "1", "1", "0"):  # ICE items
        kb.type(score)
    assert form.tool_total.text() == "ICE 9 / 10"
    kb.tab()  # able to perform
    kb.key(Qt.Key.Key_Down)  # consciousness: awakens spontaneously
    kb.tab(2)  # not explained by sedation
    kb.type("N")  # seizure: none
    kb.type("N")  # motor: none
    kb.type("N", tab=False)  # cerebral oedema: none
    kb.key(Qt.Key.Key_Return)

    rows = saved_assessments(window, ward.adult)
    assert len(rows) == 1
    row = rows[0]
    assert (row.crs_grade, row.icans_grade, row.icans_missing) == (2, 1, ())
    assert row.news2_total == 12 and row.news2_risk == "high"
    assert row.inputs["hypotension"] is True and row.ice_total == 9
    assert form.temperature.text() == "", "a saved form starts a new observation set"
    assert "Saved" in form.status.text()
    board_row = window.board.model.rows()[window.board.model.row_for_episode(ward.adult)]
    assert board_row.crs_grade == 2, "the board refreshes right after the write"


def test_child_capd_assessment_entered_with_the_keyboard_alone(
    window: Any, qtbot: Any, ward: Ward
) -> None:
    form = open_patient(window, qtbot, ward.child)
    assert form.uses_capd and not form.ice_items
    kb = Keyboard(qtbot)
    kb.type("37.4")
    kb.type("110")
    kb.type("95")
    kb.type("60")
    kb.type("24")
    kb.type("97")
    kb.type("A")  # alert
    kb.type("R")  # room air
    assert not form.oxygen_flow.isEnabled(), "flow is disabled on room air"
    kb.tab(6)  # vasopressors
    kb.type("N")  # hypotension: no
    kb.tab()  # fever attributed
    for answer in ("S", "S", "S", "S", "R", "R", "R", "R"):  # CAPD items 1-8
        kb.type(answer)
    assert form.tool_total.text() == "CAPD 12 / 32"
    kb.tab()
    kb.key(Qt.Key.Key_Down)
    kb.tab(2)
    kb.type("N")
    kb.type("N")
    kb.type("N", tab=False)
    kb.key(Qt.Key.Key_Enter)

    rows = saved_assessments(window, ward.child)
    assert len(rows) == 1
    row = rows[0]
    assert row.icans_tool == "CAPD" and row.capd_total == 12
    assert row.icans_grade == 3  # CAPD >= 9 (RULES I3)
    assert row.news2_total is None  # under 16 (RULES N1)
    assert row.crs_grade == 0


def test_preview_follows_every_change(window: Any, qtbot: Any, ward: Ward) -> None:
    form = open_patient(window, qtbot, ward.adult)
    preview = window.patient_view.preview
    assert preview.crs_chip.text() == "CRS — · not assessed"
    qtbot.keyClicks(form.temperature, "38.5")
    # Fever alone: a lower bound until hypotension and the oxygen device are recorded.
    assert preview.crs_chip.text() == "CRS ≥ 1 · mild"
    assert "not recorded: hypotension, oxygen device" in preview.crs_reasons.text()
    form.oxygen_device.setCurrentIndex(form.oxygen_device.findData("simple_face_mask"))
    assert preview.crs_chip.text() == "CRS ≥ 3 · severe"
    form.hypotension.setCurrentIndex(form.hypotension.findData(False))
    assert preview.crs_chip.text() == "CRS 3 · severe"
    assert "not recorded" not in preview.crs_reasons.text()
    form.ice_items["orientation"].setCurrentIndex(form.ice_items["orientation"].findData(2))
    for name, value in (("naming", 3), ("following_commands", 1), ("writing", 1),
                        ("attention", 1)):
        form.ice_items[name].setCurrentIndex(form.ice_items[name].findData(value))
    assert preview.icans_chip.text() == "ICANS ≥ 1 · mild"  # ICE 8, other domains missing
    assert "missing: consciousness" in preview.icans_missing.text()
    assert saved_assessments(window, ward.adult) == [], "the preview never writes"


def test_rejected_save_keeps_every_typed_value(window: Any, qtbot: Any, ward: Ward) -> None:
    form = open_patient(window, qtbot, ward.adult)
    qtbot.keyClicks(form.temperature, "101.3")  # Fahrenheit typed by mistake
    qtbot.keyClicks(form.heart_rate, "80")
    form.acvpu.setCurrentIndex(form.acvpu.findData("alert"))
    qtbot.keyClick(form.heart_rate, Qt.Key.Key_Return)

    assert saved_assessments(window, ward.adult) == []
    error = form.error_labels["temperature_c"]
    assert error.isVisible() and "°F" in error.text()
    assert form.temperature.text() == "101.3"
    assert form.heart_rate.text() == "80"
    assert form.acvpu.currentData() == "alert"


def test_improbable_value_is_stored_after_a_reason(
    window: Any, qtbot: Any, ward: Ward, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = open_patient(window, qtbot, ward.adult)
    asked: list[list[str]] = []

    def confirm(problems: list[Any]) -> dict[str, str]:
        asked.append([p.field for p in problems])
        return {p.field: "re-measured, tympanic" for p in problems}

    monkeypatch.setattr(form, "ask_confirmations", confirm)
    qtbot.keyClicks(form.temperature, "41.5")
    qtbot.keyClick(form.temperature, Qt.Key.Key_Return)
    assert asked == [["temperature_c"]]
    rows = saved_assessments(window, ward.adult)
    assert len(rows) == 1 and rows[0].confirmations["temperature_c"] == "re-measured, tympanic"


def test_declined_confirmation_saves_nothing_and_keeps_values(
    window: Any, qtbot: Any, ward: Ward, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = open_patient(window, qtbot, ward.adult)
    monkeypatch.setattr(form, "ask_confirmations", lambda problems: None)
    qtbot.keyClicks(form.temperature, "41.5")
    qtbot.keyClick(form.temperature, Qt.Key.Key_Return)
    assert saved_assessments(window, ward.adult) == []
    assert form.temperature.text() == "41.5"
    assert form.error_labels["temperature_c"].isVisible()


def test_empty_form_is_not_saved(window: Any, qtbot: Any, ward: Ward) -> None:
    form = open_patient(window, qtbot, ward.adult)
    qtbot.keyClick(form.temperature, Qt.Key.Key_Return)
    assert saved_assessments(window, ward.adult) == []
    assert "Nothing entered" in form.general_error.text()


def test_draft_survives_switching_patients(window: Any, qtbot: Any, ward: Ward) -> None:
    form = open_patient(window, qtbot, ward.adult)
    qtbot.keyClicks(form.temperature, "38.2")
    form.ice_items["orientation"].setCurrentIndex(form.ice_items["orientation"].findData(3))
    key = form.idempotency_key

    child_form = open_patient(window, qtbot, ward.child)
    assert child_form.temperature.text() == "", "another patient's form starts empty"
    again = open_patient(window, qtbot, ward.adult)
    assert again.temperature.text() == "38.2"
    assert again.ice_items["orientation"].currentData() == 3
    assert again.idempotency_key == key
    assert saved_assessments(window, ward.adult) == []


class DeferredExecutor:
    """Holds jobs until `run_all`, like a slow database: shows what a second Enter does."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable[[], Any], Callable[[Any], None], Any]] = []

    def submit(self, job: Callable[[], Any], on_success: Callable[[Any], None],
               on_failure: Any = None) -> None:
        self.jobs.append((job, on_success, on_failure))

    def run_all(self) -> None:
        while self.jobs:
            job, on_success, on_failure = self.jobs.pop(0)
            try:
                result = job()
            except Exception as error:
                on_failure(error)
                continue
            on_success(result)

    def shutdown(self) -> None:
        self.jobs.clear()


def test_double_enter_saves_once(window: Any, qtbot: Any, ward: Ward) -> None:
    form = open_patient(window, qtbot, ward.adult)
    deferred = DeferredExecutor()
    window.executor = deferred
    qtbot.keyClicks(form.temperature, "37.9")
    qtbot.keyClick(form.temperature, Qt.Key.Key_Return)
    qtbot.keyClick(form.temperature, Qt.Key.Key_Return)
    saves = [job for job in deferred.jobs if job[1].__name__ == "done"]
    assert len(saves) == 1, "the second Enter must not submit while the first save runs"
    deferred.run_all()
    assert len(saved_assessments(window, ward.adult)) == 1
