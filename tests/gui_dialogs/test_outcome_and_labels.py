"""Discharge, death (attributed cause) and ICU transfer; a stale edit keeps what was typed;
every button in every dialog has a text or an accessible name; the dialogs hook."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.context import AppContext
from app.services import patients
from tests.gui_dialogs.conftest import HAEM, NURSE, PHARM, active_episode, press, show
from widgets.administration_dialog import AdministrationDialog
from widgets.dialogs import Dialogs
from widgets.form_dialog import buttons_without_label
from widgets.infusion_dialog import InfusionDialog
from widgets.outcome_dialog import OutcomeDialog
from widgets.register_dialog import RegisterDialog
from widgets.stock_panel import ReceiveDialog, ReleaseDialog, ReserveDialog, StockPanel


def test_death_needs_an_attributed_cause(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx)
    dialog = OutcomeDialog(dctx, HAEM, episode_id, outcome="death")
    show(qtbot, dialog)
    assert dialog.cause.isVisible()
    assert not dialog.save_button.isEnabled()
    assert "cause" in dialog.save_button.toolTip()
    dialog.cause.setFocus()
    qtbot.keyClicks(dialog.cause, "IC")  # "ICANS (grade 5 ICANS)"
    assert dialog.cause.currentData() == "icans"
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.top_error.text()
    episode = patients.get_episode(dctx, HAEM, episode_id)
    assert (episode.status, episode.death_cause) == ("died", "icans")


def test_discharge_and_icu_transfer(qtbot: Any, dctx: AppContext, fake_clock: Any) -> None:
    episode_id = active_episode(dctx)
    icu = OutcomeDialog(dctx, NURSE, episode_id, outcome="icu_transfer")
    show(qtbot, icu)
    assert not icu.cause.isVisible()
    press(qtbot, Qt.Key.Key_Return)
    assert icu.result() == QDialog.DialogCode.Accepted, icu.top_error.text()
    assert patients.get_episode(dctx, NURSE, episode_id).icu_transfer_at == dctx.clock()

    fake_clock.advance(days=2)
    discharge = OutcomeDialog(dctx, NURSE, episode_id)
    show(qtbot, discharge)
    assert discharge.outcome_buttons["discharge"].isChecked()
    press(qtbot, Qt.Key.Key_Return)
    assert discharge.result() == QDialog.DialogCode.Accepted, discharge.top_error.text()
    assert patients.get_episode(dctx, NURSE, episode_id).status == "discharged"


def test_stale_edit_is_reported_and_the_dialog_keeps_values(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx)
    dialog = OutcomeDialog(dctx, NURSE, episode_id, outcome="death")
    show(qtbot, dialog)
    dialog.cause.setCurrentIndex(dialog.cause.findData("infection"))
    version = patients.get_episode(dctx, HAEM, episode_id).version
    patients.update_nursing_note(dctx, HAEM, episode_id, "seen by ICU outreach",
                                 expected_version=version)  # another workstation
    dialog.accept()
    assert dialog.isVisible()
    assert "Changed by dr.okafor" in dialog.top_error.text()
    assert dialog.cause.currentData() == "infection"
    assert patients.get_episode(dctx, NURSE, episode_id).status == "active"


@pytest.mark.parametrize("role", ["nurse", "haematologist", "pharmacist"])
def test_every_button_has_a_text_or_accessible_name(
    qtbot: Any, dctx: AppContext, role: str
) -> None:
    actor = {"nurse": NURSE, "haematologist": HAEM, "pharmacist": PHARM}[role]
    episode_id = active_episode(dctx)
    dialogs: list[QDialog] = [
        ReceiveDialog(dctx, PHARM),
        ReserveDialog(dctx, PHARM, episode_id=episode_id, vial_ids=[]),
        ReleaseDialog(dctx, PHARM, episode_id=episode_id, vial_ids=[]),
        StockPanel(dctx, actor),
    ]
    if role != "pharmacist":
        dialogs += [
            RegisterDialog(dctx, actor),
            InfusionDialog(dctx, actor, active_episode(dctx, nhs="9990000026")),
            AdministrationDialog(dctx, actor, episode_id),
            OutcomeDialog(dctx, actor, episode_id),
        ]
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        assert buttons_without_label(dialog) == [], type(dialog).__name__


def test_dialogs_hook_matches_the_main_window_protocol(dctx: AppContext) -> None:
    from widgets.main_window import DialogHooks

    hooks: DialogHooks = Dialogs(dctx, NURSE)  # mypy checks the protocol here
    for name in ("register_patient", "record_administration", "record_discharge",
                 "record_death", "record_infusion", "stock_panel"):
        assert callable(getattr(hooks, name))


def test_main_window_menu_opens_the_dialog_through_the_hook(
    qtbot: Any, dctx: AppContext
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.executor import SyncExecutor
    from app.services import administrations
    from widgets.main_window import MainWindow

    episode_id = active_episode(dctx)
    window = MainWindow(dctx, NURSE, SyncExecutor(), dialogs=Dialogs(dctx, NURSE), poll_ms=0)
    qtbot.addWidget(window)
    window.show()
    window.open_episode(episode_id)
    assert window.infusion_action.isEnabled()
    seen: list[QDialog] = []

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, AdministrationDialog):
            QTimer.singleShot(10, fill)
            return
        seen.append(dialog)
        dialog.drug.setCurrentIndex(dialog.drug.findData("paracetamol"))
        dialog.dose.setValue(1000)
        dialog.unit.setCurrentIndex(dialog.unit.findData("mg"))
        dialog.route.setCurrentIndex(dialog.route.findData("oral"))
        dialog.accept()
        if dialog.isVisible():
            dialog.reject()

    QTimer.singleShot(0, fill)
    window.drug_action.trigger()  # Ctrl+G: blocks until the modal dialog closes
    assert seen and seen[0].result() == QDialog.DialogCode.Accepted
    [row] = administrations.list_administrations(dctx, NURSE, episode_id)
    assert (row.drug, row.dose, row.route) == ("paracetamol", 1000.0, "oral")
    window.close()
