"""The infusion dialog on an episode already infused says so (no READY box, no save), and
grows when an error line appears instead of squeezing the header and readiness box."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.context import AppContext
from app.services import patients
from tests.gui_dialogs.conftest import HAEM, NURSE, active_episode, planned_episode, press, show
from widgets.form_dialog import set_datetime
from widgets.infusion_dialog import InfusionDialog


def test_already_infused_says_when_and_offers_no_save(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx)  # infused 07 Mar 2026 09:00 UTC (GMT)
    dialog = InfusionDialog(dctx, HAEM, episode_id)
    show(qtbot, dialog)
    assert dialog.already_label.isVisible()
    assert dialog.already_label.text().startswith(
        "CAR-T infusion already recorded on 07 Mar 2026 09:00 (today is D+3)")
    assert not dialog.readiness_label.isVisible()  # no green READY for a done infusion
    assert "READY" not in dialog.readiness_label.text()
    assert not dialog.infused_at.isVisible() and not dialog.recheck_button.isVisible()
    assert not dialog.save_button.isEnabled()
    assert "already recorded" in dialog.save_button.toolTip()
    version = patients.get_episode(dctx, HAEM, episode_id).version
    press(qtbot, Qt.Key.Key_Return)  # nothing happens: no save, no error
    assert dialog.isVisible() and not dialog.top_error.isVisible()
    assert patients.get_episode(dctx, HAEM, episode_id).version == version


def test_ended_episode_says_a_new_episode_is_needed(qtbot: Any, dctx: AppContext) -> None:
    episode_id = planned_episode(dctx)
    patients.record_discharge(dctx, NURSE, episode_id, at=dctx.clock(), expected_version=1)
    dialog = InfusionDialog(dctx, NURSE, episode_id)
    show(qtbot, dialog)
    assert "discharged" in dialog.already_label.text()
    assert "Register a new episode" in dialog.already_label.text()
    assert not dialog.save_button.isEnabled()


def _not_squeezed(label: QLabel) -> bool:
    return label.height() >= label.heightForWidth(label.width())


def test_error_line_grows_the_dialog_instead_of_cutting_off_the_header(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = planned_episode(dctx)
    dialog = InfusionDialog(dctx, HAEM, episode_id)
    show(qtbot, dialog)
    height = dialog.height()
    set_datetime(dialog.infused_at, dctx.clock() + timedelta(days=2))
    dialog.override_reason.setText("second dose on its way")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.wait(10)
    assert dialog.top_error.isVisible()
    assert "in the future" in dialog.field_errors["infused_at"].text()
    assert dialog.height() > height
    for label in (dialog.identity.label, dialog.readiness_label, dialog.top_error,
                  dialog.field_errors["infused_at"]):
        assert _not_squeezed(label), label.objectName()


def test_update_weight_from_the_infusion_dialog_reads_the_check_again(
    qtbot: Any, dctx: AppContext, monkeypatch: Any
) -> None:
    """The readiness check counts doses at the patient's weight: correcting a mistyped
    weight there re-reads it (no need to close the dialog and find another screen)."""
    from widgets.weight_dialog import WeightDialog

    def weigh(dialog: WeightDialog) -> int:
        dialog.weight.setText("59")
        dialog.accept()  # no executor: the write runs at once; a 38 % change asks why
        dialog.reason.setText("95 kg was a typing slip at registration")
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(WeightDialog, "exec", weigh)
    episode_id = planned_episode(dctx, weight=95.0)
    dialog = InfusionDialog(dctx, NURSE, episode_id)
    show(qtbot, dialog)
    assert "Dose at 95 kg" in dialog.readiness_label.text()
    assert dialog.weight_button.isVisible() and dialog.weight_button.isEnabled()

    qtbot.mouseClick(dialog.weight_button, Qt.MouseButton.LeftButton)
    assert patients.get_episode(dctx, NURSE, episode_id).weight_kg == 59.0
    assert "Dose at 59 kg" in dialog.readiness_label.text()
