"""Pharmacy stock panel: receive and reserve through the real modal forms, expiry in
words, role gating, and the table models checked with qtmodeltester."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.context import AppContext
from app.services import tocilizumab as toci
from tests.gui_dialogs.conftest import NURSE, PHARM, planned_episode, press, show, type_text
from widgets.form_dialog import FormDialog
from widgets.models import ROW_ROLE
from widgets.stock_panel import ReceiveDialog, ReserveDialog, StockPanel, WasteDialog


def _in_modal(qtbot: Any, kind: type[FormDialog], act: Callable[[Any], None]) -> list[Any]:
    """Run `act` on the modal form once it is open (exec() blocks until it closes)."""
    seen: list[Any] = []

    def step() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind):
            QTimer.singleShot(10, step)
            return
        seen.append(dialog)
        dialog.activateWindow()  # the keyboard goes to the form, as it does for a user
        qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=2000)
        try:
            act(dialog)
        finally:
            if dialog.isVisible():  # refused: close it so exec() returns and the test reports
                dialog.reject()

    QTimer.singleShot(0, step)
    return seen


def _lines(panel: StockPanel) -> list[Any]:
    model = panel.line_model
    return [model.index(r, 0).data(ROW_ROLE) for r in range(model.rowCount())]


def test_receive_then_reserve_updates_the_tables(qtbot: Any, dctx: AppContext) -> None:
    episode_id = planned_episode(dctx, weight=80.0)  # 640 mg per dose
    panel = StockPanel(dctx, PHARM, episode_id=episode_id)
    show(qtbot, panel)
    assert _lines(panel) == []

    def receive(dialog: ReceiveDialog) -> None:
        dialog.strength.setFocus()
        type_text(qtbot, "80")  # keyboard search: "80 mg/4 mL"
        press(qtbot, Qt.Key.Key_Tab)
        type_text(qtbot, "BX-2231")
        press(qtbot, Qt.Key.Key_Tab)
        dialog.expiry.setDate(QDate(2026, 3, 25))  # within 30 days
        dialog.count.setValue(8)
        press(qtbot, Qt.Key.Key_Return)

    seen = _in_modal(qtbot, ReceiveDialog, receive)
    assert panel.receive() is True
    assert seen and seen[0].result() == seen[0].DialogCode.Accepted, seen[0].top_error.text()
    [line] = _lines(panel)
    assert (line.strength_mg, line.batch, line.in_stock, line.reserved) == (80, "BX-2231", 8, 0)
    note_column = len(panel.line_model.columns) - 1
    assert panel.line_model.index(0, note_column).data() == "expires in 15 days"
    assert "8 usable vials expire within 30 days" in panel.expiry_summary.text()
    assert panel.vial_model.rowCount() == 8

    def reserve(dialog: ReserveDialog) -> None:
        assert dialog.episode.value() == episode_id  # the open patient's episode
        assert "needs 1 dose of 640 mg; reserved 0 mg" in dialog.readiness.text()
        dialog.doses.setFocus()
        press(qtbot, Qt.Key.Key_Return)

    seen = _in_modal(qtbot, ReserveDialog, reserve)
    assert panel.reserve() is True, seen[0].top_error.text()
    [line] = _lines(panel)
    assert (line.in_stock, line.reserved) == (0, 8)  # 8 × 80 mg = one 640 mg dose
    assert toci.check_readiness(dctx, PHARM, episode_id).met
    assert panel.changed


def test_reserve_refused_keeps_the_form_open_with_the_reason(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = planned_episode(dctx, weight=80.0)
    toci.receive_vials(dctx, PHARM, strength_mg=400, batch="B1",
                       expiry_date=date(2026, 12, 31), location="pharmacy", count=1)
    dialog = ReserveDialog(dctx, PHARM, episode_id=episode_id, vial_ids=[])
    show(qtbot, dialog)
    dialog.doses.setValue(2)
    dialog.accept()
    assert dialog.isVisible()
    assert "not enough unexpired stock" in dialog.field_errors["doses"].text()
    assert dialog.doses.value() == 2


def test_waste_needs_a_reason(qtbot: Any, dctx: AppContext) -> None:
    [vial] = toci.receive_vials(dctx, PHARM, strength_mg=200, batch="W1",
                                expiry_date=date(2026, 12, 31), location="ward", count=1)
    dialog = WasteDialog(dctx, PHARM, vial)
    show(qtbot, dialog)
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert "say why the vial is wasted" in dialog.field_errors["reason"].text()
    type_text(qtbot, "dropped and broken")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted
    [line] = toci.list_stock(dctx, PHARM)
    assert (line.in_stock, line.wasted) == (0, 1)


def test_nurse_sees_stock_but_actions_are_disabled_with_reason(
    qtbot: Any, dctx: AppContext
) -> None:
    toci.receive_vials(dctx, PHARM, strength_mg=400, batch="B1",
                       expiry_date=date(2026, 12, 31), location="pharmacy", count=2)
    panel = StockPanel(dctx, NURSE)
    show(qtbot, panel)
    assert len(_lines(panel)) == 1
    for button in panel.action_buttons:
        assert not button.isEnabled()
        assert "A nurse may not receive, reserve, release or waste" in button.toolTip()
    assert panel.refresh_button.isEnabled()


def test_selection_drives_release_and_waste(qtbot: Any, dctx: AppContext) -> None:
    episode_id = planned_episode(dctx)
    vials = toci.receive_vials(dctx, PHARM, strength_mg=400, batch="B1",
                               expiry_date=date(2026, 12, 31), location="pharmacy", count=2)
    toci.reserve_for_episode(dctx, PHARM, episode_id, vial_ids=[vials[0].id])
    panel = StockPanel(dctx, PHARM)
    show(qtbot, panel)
    assert not panel.waste_button.isEnabled()
    view = panel.vials_view
    proxy = view.model()
    flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
             | QItemSelectionModel.SelectionFlag.Rows)
    for row in range(proxy.rowCount()):
        if proxy.index(row, 0).data(ROW_ROLE).status == "in_stock":
            view.selectionModel().select(proxy.index(row, 0), flags)
    assert panel.waste_button.isEnabled()
    assert panel.reserve_button.isEnabled()
    assert not panel.release_button.isEnabled()  # an unreserved vial cannot be released
    assert "reserved" in panel.release_button.toolTip()


def test_stock_models_pass_qtmodeltester(qtbot: Any, dctx: AppContext, qtmodeltester: Any) -> None:
    episode_id = planned_episode(dctx)
    toci.receive_vials(dctx, PHARM, strength_mg=400, batch="B1",
                       expiry_date=date(2026, 3, 20), location="pharmacy", count=2)
    toci.receive_vials(dctx, PHARM, strength_mg=80, batch="C2",
                       expiry_date=date(2027, 1, 31), location="ward", count=3)
    toci.reserve_for_episode(dctx, PHARM, episode_id, doses=1)
    panel = StockPanel(dctx, PHARM)
    qtbot.addWidget(panel)
    assert panel.line_model.rowCount() == 2
    assert panel.vial_model.rowCount() == 5
    qtmodeltester.check(panel.line_model, force_py=True)
    qtmodeltester.check(panel.vial_model, force_py=True)
    qtmodeltester.check(panel.vials_view.model(), force_py=True)
