"""Re-audit findings 1, 2 and 5 in the dialogs: a tenfold weight slip asks for a reason and
names the change, the dose that follows a new weight is said out loud, "1,000" is refused
as it is typed, and the tocilizumab warnings are not clipped."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.context import AppContext
from app.services import patients
from tests.gui_dialogs.conftest import NURSE, active_episode, focused, press, show, type_text
from widgets.administration_dialog import AdministrationDialog
from widgets.weight_dialog import WeightDialog


def _weight_dialog(qtbot: Any, ctx: AppContext, episode_id: int) -> WeightDialog:
    dialog = WeightDialog(ctx, NURSE, episode_id)
    show(qtbot, dialog)
    return dialog


def test_a_tenfold_slip_shows_the_change_and_asks_for_a_reason(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx, weight=95.0)
    dialog = _weight_dialog(qtbot, dctx, episode_id)
    assert not dialog.reason.isVisible()
    type_text(qtbot, "9.5")
    press(qtbot, Qt.Key.Key_Return)

    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.change.isVisible() and dialog.change.text() == "95 kg → 9.5 kg (−90 %)"
    assert focused() is dialog.reason
    assert dialog.weight.text() == "9.5"  # kept
    assert patients.get_episode(dctx, NURSE, episode_id).weight_kg == 95.0

    press(qtbot, Qt.Key.Key_Return)  # no reason yet: still not stored
    assert dialog.result() != QDialog.DialogCode.Accepted
    type_text(qtbot, "re-weighed: 9.5 is right")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.top_error.text()
    assert patients.get_episode(dctx, NURSE, episode_id).weight_kg == 9.5


def test_retyping_the_weight_withdraws_the_question(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx, weight=95.0)
    dialog = _weight_dialog(qtbot, dctx, episode_id)
    type_text(qtbot, "9.5")
    press(qtbot, Qt.Key.Key_Return)
    dialog.weight.setFocus()
    dialog.weight.selectAll()
    type_text(qtbot, "93")
    assert not dialog.reason.isVisible() and not dialog.change.isVisible()
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.top_error.text()
    assert patients.get_episode(dctx, NURSE, episode_id).weight_kg == 93.0


def test_an_older_date_asks_for_a_reason(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    dialog = _weight_dialog(qtbot, dctx, episode_id)
    type_text(qtbot, "79")
    dialog.weighed_on.setText("01/01/2020")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.reason.isVisible()
    assert "weighed before the weight it replaces (10 Mar 2026)" in dialog.top_error.text() + \
        " ".join(label.text() for label in dialog.field_errors.values())
    assert patients.get_episode(dctx, NURSE, episode_id).weight_kg == 80.0


def _drug_dialog(qtbot: Any, ctx: AppContext, episode_id: int) -> AdministrationDialog:
    dialog = AdministrationDialog(ctx, NURSE, episode_id)
    show(qtbot, dialog)
    return dialog


def test_the_dose_that_follows_a_new_weight_is_said_out_loud(
    qtbot: Any, dctx: AppContext, monkeypatch: Any
) -> None:
    episode_id = active_episode(dctx, weight=95.0)
    dialog = _drug_dialog(qtbot, dctx, episode_id)
    type_text(qtbot, "T")
    assert dialog.dose.text() == "760"
    assert not dialog.recalculated.isVisible()

    def reweigh(weight_dialog: WeightDialog) -> int:
        weight_dialog.weight.setText("9.5")
        weight_dialog.reason.setText("")
        weight_dialog.submit()  # asks for the reason
        weight_dialog.reason.setText("re-weighed twice")
        weight_dialog.submit()
        return int(weight_dialog.result())

    monkeypatch.setattr(WeightDialog, "exec", reweigh)
    dialog.update_weight()
    assert dialog.dose.text() == "114"
    assert dialog.recalculated.isVisible()
    assert "Dose recalculated: 760 → 114 mg" in dialog.recalculated.text()


def test_a_thousands_comma_is_refused_as_it_is_typed_and_when_saved(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx)
    dialog = _drug_dialog(qtbot, dctx, episode_id)
    dialog.drug.setCurrentIndex(dialog.drug.findData("paracetamol"))
    dialog.dose.setFocus()
    type_text(qtbot, "1,000")
    assert dialog.dose_check.isVisible()
    assert "'1,000': type 1000 without a comma (or 1.5 with a point)" in (
        dialog.dose_check.text())
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.dose.text() == "1,000"  # kept


def test_a_unit_typed_in_the_dose_names_the_unit_box(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx)
    dialog = _drug_dialog(qtbot, dctx, episode_id)
    dialog.drug.setCurrentIndex(dialog.drug.findData("paracetamol"))
    dialog.unit.setCurrentIndex(dialog.unit.findData("mg"))
    dialog.dose.setFocus()
    type_text(qtbot, "1 g")
    assert "You typed g but Unit is mg — change Unit to g, or type 1000" in (
        dialog.dose_check.text())


def test_every_tocilizumab_warning_line_is_fully_shown(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx, weight=95.0)
    dialog = _drug_dialog(qtbot, dctx, episode_id)
    type_text(qtbot, "T")
    dialog.dose.setFocus()
    dialog.dose.selectAll()
    type_text(qtbot, "1000")
    qtbot.wait(10)  # let the layout settle
    label = dialog.warnings_label
    assert label.isVisible()
    assert "above the 800 mg maximum" in label.text()
    assert label.text().endswith("A reason is needed to proceed.")
    assert label.height() >= label.heightForWidth(label.width())
