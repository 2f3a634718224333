"""Which patient an action acts on, and what a nurse has typed, when patients are reopened
or switched: reopening the open patient keeps the form, leaving an amendment asks first,
and the alert shortcuts act on the same patient as every other patient action."""

from __future__ import annotations

from typing import Any

import pytest

from app.services import alerts as alert_service
from app.services.assessments import record_assessment
from tests.gui.conftest import NURSE, Ward
from tests.gui.test_escalation import ICANS2

pytestmark = pytest.mark.gui

CRS3_CHILD: dict[str, Any] = {
    "temperature_c": 38.9, "heart_rate": 130, "systolic_bp": 80, "diastolic_bp": 50,
    "respiratory_rate": 28, "spo2_percent": 96, "oxygen_device": "none",
    "hypotension": True, "vasopressors": ["norepinephrine"],
}  # fmt: skip


def test_reopening_the_open_patient_keeps_what_is_typed(window: Any, qtbot: Any,
                                                        ward: Ward) -> None:
    window.open_episode(ward.adult)
    form = window.patient_view.form
    qtbot.keyClicks(form.temperature, "37.9")
    qtbot.keyClicks(form.heart_rate, "96")
    window.tabs.setCurrentIndex(1)  # the alerts panel, then back to the same patient
    window.open_episode(ward.adult)
    assert window.patient_view.form is form, "the form was rebuilt"
    assert (form.temperature.text(), form.heart_rate.text()) == ("37.9", "96")


def test_leaving_an_amendment_asks_and_cancel_keeps_it(window: Any, monkeypatch: Any,
                                                       ward: Ward) -> None:
    saved = record_assessment(window.ctx, NURSE, ward.adult,
                              {**ICANS2, "assessed_at": window.ctx.clock()})
    window.open_episode(ward.adult)
    window.amend(saved)
    form = window.patient_view.form
    assert form.amend_target is not None
    asked: list[bool] = []

    def answer(discard: bool) -> Any:
        return lambda: asked.append(discard) or discard

    monkeypatch.setattr(window, "ask_leave_amendment", answer(False))
    window.open_episode(ward.child)
    assert asked == [False]
    assert window.patient_view.episode_id == ward.adult
    assert window.patient_view.form is form and form.amend_target is not None

    monkeypatch.setattr(window, "ask_leave_amendment", answer(True))
    window.open_episode(ward.child)
    assert window.patient_view.episode_id == ward.child


def test_alert_shortcuts_act_on_the_highlighted_board_row(window: Any, ward: Ward) -> None:
    ctx = window.ctx
    record_assessment(ctx, NURSE, ward.adult, {**ICANS2, "assessed_at": ctx.clock()})
    record_assessment(ctx, NURSE, ward.child, {**CRS3_CHILD, "assessed_at": ctx.clock()})
    window.open_episode(ward.adult)  # the adult is open in the patient tab...
    window.refresh()
    window.tabs.setCurrentIndex(0)  # ...but the nurse is on the board, on the child's row
    board = window.board
    source_row = board.model.row_for_episode(ward.child)
    view_index = board.proxy.mapFromSource(board.model.index(source_row, 0))
    board.table.setCurrentIndex(view_index)
    board.table.selectRow(view_index.row())
    assert window.current_episode_id() == ward.child

    window.ack_action.trigger()

    def critical(episode_id: int) -> Any:
        return next(a for a in alert_service.list_open_alerts(ctx, NURSE, episode_id)
                    if a.kind == "critical_care")

    assert critical(ward.child).status == "acknowledged"
    assert critical(ward.adult).status == "raised", "the open patient's alert was acknowledged"
    assert "for JONES, Tom" in window.statusBar().currentMessage()


def test_resolve_never_closes_the_critical_care_alert(window: Any, ward: Ward) -> None:
    ctx = window.ctx
    record_assessment(ctx, NURSE, ward.adult, {**ICANS2, "assessed_at": ctx.clock()})
    window.open_episode(ward.adult)
    window._resolve_current()  # the menu slot itself (the action is a haematologist's)
    assert [a.status for a in alert_service.list_open_alerts(ctx, NURSE, ward.adult)] == [
        "raised"]
    assert "Record critical-care discussion" in window.statusBar().currentMessage()


def test_a_dialog_that_saved_says_so_naming_the_patient(qtbot: Any, gui_ctx: Any,
                                                        ward: Ward) -> None:
    from app.executor import SyncExecutor
    from widgets.main_window import MainWindow

    class Dialogs:
        def __init__(self) -> None:
            self.calls: list[int] = []

        def record_administration(self, _window: Any, episode_id: int) -> bool:
            self.calls.append(episode_id)
            return True  # the dialog saved a dose

    hooks = Dialogs()
    main = MainWindow(gui_ctx, NURSE, SyncExecutor(), dialogs=hooks, poll_ms=0)
    qtbot.addWidget(main)
    main.refresh()
    main.open_episode(ward.adult)
    main.drug_action.trigger()
    assert hooks.calls == [ward.adult]
    assert main.statusBar().currentMessage() == "Drug given recorded for SMITH, Anna."
    main.close()
