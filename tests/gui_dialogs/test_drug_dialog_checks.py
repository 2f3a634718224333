"""Record drug given (usability audit findings 6, 7, 8): no stale errors beside the
tocilizumab question, error lines that go when their field changes, the dose as typed
with plausibility checks, the Other drug's name, and Update weight… in the calculator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.context import AppContext
from app.services import administrations, patients
from tests.gui_dialogs.conftest import NURSE, active_episode, focused, press, show, type_text
from widgets.administration_dialog import AdministrationDialog
from widgets.weight_dialog import WeightDialog


def _open(qtbot: Any, ctx: AppContext, episode_id: int) -> AdministrationDialog:
    dialog = AdministrationDialog(ctx, NURSE, episode_id)
    show(qtbot, dialog)
    assert focused() is dialog.drug
    return dialog


def _to_dose(qtbot: Any, dialog: AdministrationDialog, text: str) -> None:
    dialog.dose.setFocus()
    dialog.dose.selectAll()
    type_text(qtbot, text)


def _shown_errors(dialog: AdministrationDialog) -> list[str]:
    labels = {id(label): label for label in dialog.field_errors.values()}
    return [label.text() for label in labels.values() if label.isVisible()]


def _choose_unit(qtbot: Any, dialog: AdministrationDialog, unit: str) -> None:
    dialog.unit.setFocus()
    dialog.unit.setCurrentIndex(dialog.unit.findData(unit))
    assert dialog.unit.currentData() == unit


# --- finding 6 ----------------------------------------------------------------------------
def test_tocilizumab_question_is_not_shown_beside_stale_errors(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    dialog = _open(qtbot, dctx, episode_id)
    press(qtbot, Qt.Key.Key_Return)  # Enter on the empty form
    assert dialog.top_error.isVisible()
    assert dialog.field_errors["drug"].text() == "⚠ Choose the drug from the list"

    dialog.drug.setFocus()
    type_text(qtbot, "T")  # Tocilizumab; 640 mg is filled in
    assert dialog.drug.currentData() == "tocilizumab" and dialog.dose.value() == 640.0
    press(qtbot, Qt.Key.Key_Return)

    assert dialog.confirmation.isVisible()
    assert not dialog.top_error.isVisible(), dialog.top_error.text()
    assert _shown_errors(dialog) == []
    assert administrations.list_administrations(dctx, NURSE, episode_id) == []


def test_a_tocilizumab_dose_typed_with_its_unit_is_still_confirmed(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    dialog = _open(qtbot, dctx, episode_id)
    type_text(qtbot, "T")
    _to_dose(qtbot, dialog, "600 mg")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.confirmation.isVisible()  # asked, not stored at the first Enter
    assert "600 mg = 7.5 mg/kg" in dialog.confirmation.text()
    assert administrations.list_administrations(dctx, NURSE, episode_id) == []
    press(qtbot, Qt.Key.Key_Return)
    [row] = administrations.list_administrations(dctx, NURSE, episode_id)
    assert row.dose == 600.0


def test_an_error_line_goes_when_its_field_is_changed(qtbot: Any, dctx: AppContext) -> None:
    dialog = _open(qtbot, dctx, active_episode(dctx))
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.field_errors["drug"].isVisible() and dialog.field_errors["dose"].isVisible()

    _to_dose(qtbot, dialog, "1")  # the dose changed: its line goes, the drug's stays
    assert not dialog.field_errors["dose"].isVisible()
    assert dialog.field_errors["drug"].isVisible() and dialog.top_error.isVisible()

    dialog.drug.setFocus()
    type_text(qtbot, "De")  # the last marked field: the top box goes with it
    assert _shown_errors(dialog) == []
    assert not dialog.top_error.isVisible()


# --- finding 7 ----------------------------------------------------------------------------
def test_paracetamol_1000_g_is_refused_and_every_value_kept(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx)
    dialog = _open(qtbot, dctx, episode_id)
    type_text(qtbot, "Pa")
    _to_dose(qtbot, dialog, "1000")
    _choose_unit(qtbot, dialog, "g")
    # Shown as it is typed, and no reason is offered: it cannot be recorded.
    assert "not a possible dose" in dialog.dose_check.text()
    assert not dialog.override_reason.isVisible()

    press(qtbot, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert "did you mean 1000 mg?" in dialog.field_errors["dose"].text()
    assert (dialog.drug.currentData(), dialog.dose.text(), dialog.unit.currentData()) == (
        "paracetamol",
        "1000",
        "g",
    )
    assert administrations.list_administrations(dctx, NURSE, episode_id) == []


def test_a_dose_above_the_usual_needs_a_reason_before_it_is_stored(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx)
    dialog = _open(qtbot, dctx, episode_id)
    type_text(qtbot, "De")  # Dexamethasone
    _to_dose(qtbot, dialog, "40")
    assert dialog.dose_check.isVisible()
    assert "more than the usual largest single dose of 20 mg" in dialog.dose_check.text()
    assert dialog.override_reason.isVisible() and not dialog.save_button.isEnabled()

    press(qtbot, Qt.Key.Key_Return)  # nothing stored without the reason
    assert administrations.list_administrations(dctx, NURSE, episode_id) == []
    dialog.override_reason.setFocus()
    type_text(qtbot, "haematologist: grade 4 ICANS")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.top_error.text()
    [row] = administrations.list_administrations(dctx, NURSE, episode_id)
    assert (row.dose, row.override_reason) == (40.0, "haematologist: grade 4 ICANS")

    again = _open(qtbot, dctx, episode_id)
    type_text(qtbot, "De")
    _to_dose(qtbot, again, "40")
    _to_dose(qtbot, again, "10")  # back to a usual dose: no question
    assert not again.dose_check.isVisible() and not again.override_reason.isVisible()


def test_every_key_typed_in_the_dose_is_kept_and_a_huge_dose_refused(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx)
    dialog = _open(qtbot, dctx, episode_id)
    type_text(qtbot, "De")
    _to_dose(qtbot, dialog, "25000")
    assert dialog.dose.text() == "25000"  # the spin box kept "2500" and said nothing
    press(qtbot, Qt.Key.Key_Return)
    assert "far more than any dose" in dialog.field_errors["dose"].text()
    assert dialog.dose.text() == "25000"

    _to_dose(qtbot, dialog, "ten")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.field_errors["dose"].text() == (
        "⚠ 'ten' is not a number — type the dose as a number, e.g. 10 mg"
    )
    assert administrations.list_administrations(dctx, NURSE, episode_id) == []


def test_other_drug_asks_for_its_name_and_says_it_does_not_waive_fever(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx)
    dialog = _open(qtbot, dctx, episode_id)
    assert not dialog.drug_name.isVisible()
    type_text(qtbot, "O")  # Other
    assert dialog.drug.currentData() == "other"
    assert dialog.drug_name.isVisible()
    assert "does not count towards the fever waiver" in dialog.other_note.text()
    assert dialog.other_note.isVisible()

    press(qtbot, Qt.Key.Key_Tab)  # straight to the name
    assert focused() is dialog.drug_name
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "4")
    press(qtbot, Qt.Key.Key_Return)
    assert "Type the name of the drug given" in dialog.field_errors["drug_name"].text()
    assert focused() is dialog.drug_name

    type_text(qtbot, "Paracetamol")
    press(qtbot, Qt.Key.Key_Return)
    assert "choose it in Drug instead of Other" in dialog.field_errors["drug_name"].text()

    dialog.drug_name.selectAll()
    type_text(qtbot, "Ondansetron")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.top_error.text()
    [row] = administrations.list_administrations(dctx, NURSE, episode_id)
    assert (row.drug, row.category, row.dose) == ("Ondansetron", "other", 4.0)


def test_choosing_a_listed_drug_hides_the_name(qtbot: Any, dctx: AppContext) -> None:
    dialog = _open(qtbot, dctx, active_episode(dctx))
    type_text(qtbot, "O")
    assert dialog.drug_name.isVisible()
    dialog.drug.setCurrentIndex(dialog.drug.findData("ibuprofen"))
    assert not dialog.drug_name.isVisible() and not dialog.other_note.isVisible()
    assert dialog.values()["drug_name"] is None


# --- finding 8 ----------------------------------------------------------------------------
def _in_weight_dialog(qtbot: Any, act: Callable[[WeightDialog], Any]) -> list[WeightDialog]:
    """Run `act` on the modal weight dialog once it is open (exec() blocks until it closes)."""
    seen: list[WeightDialog] = []

    def step() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, WeightDialog):
            QTimer.singleShot(10, step)
            return
        seen.append(dialog)
        dialog.activateWindow()  # the keyboard goes to the form, as it does for a user
        qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=2000)
        try:
            act(dialog)
        finally:
            if dialog.isVisible():
                dialog.reject()

    QTimer.singleShot(0, step)
    return seen


def test_update_weight_from_the_calculator_recalculates_the_dose(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx, weight=59.0)  # 95 kg typed as 59 at registration
    dialog = _open(qtbot, dctx, episode_id)
    type_text(qtbot, "T")
    assert dialog.dose.value() == 472.0  # 8 mg/kg × 59 kg
    assert dialog.update_weight_button.isVisible()

    def weigh(weight_dialog: WeightDialog) -> None:
        assert "59 kg" in weight_dialog.current.text()
        assert focused() is weight_dialog.weight
        type_text(qtbot, "95")
        press(qtbot, Qt.Key.Key_Return)  # a 61 % change: the reason is asked for (RULES E5)
        assert focused() is weight_dialog.reason
        type_text(qtbot, "95 kg typed as 59 at registration")
        press(qtbot, Qt.Key.Key_Return)

    seen = _in_weight_dialog(qtbot, weigh)
    dialog.update_weight_button.click()  # exec() blocks until the weight dialog closes
    assert seen and seen[0].result() == seen[0].DialogCode.Accepted

    assert dialog.calc_values["Weight used"].text().startswith("95 kg (weighed 10 Mar 2026)")
    assert dialog.calc_values["Calculated dose"].text() == "760 mg"
    assert dialog.dose.value() == 760.0  # the untouched calculated dose follows the weight
    assert patients.get_episode(dctx, NURSE, episode_id).weight_kg == 95.0


def test_a_dose_typed_by_hand_is_kept_when_the_weight_changes(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    dialog = _open(qtbot, dctx, episode_id)
    type_text(qtbot, "T")
    _to_dose(qtbot, dialog, "600")

    def weigh(_dialog: WeightDialog) -> None:
        type_text(qtbot, "70")
        press(qtbot, Qt.Key.Key_Return)

    _in_weight_dialog(qtbot, weigh)
    dialog.update_weight_button.click()
    assert dialog.calc_values["Calculated dose"].text() == "560 mg"
    assert dialog.dose.text() == "600"


def test_a_weight_over_a_week_old_is_flagged_in_the_calculator(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    version = patients.get_episode(dctx, NURSE, episode_id).version
    patients.update_weight(
        dctx, NURSE, episode_id, 80.0, recorded_on=date(2026, 2, 26), expected_version=version,
        reason="test: the weight of 26 Feb",  # before the stored date: asked for a reason
    )
    dialog = _open(qtbot, dctx, episode_id)
    type_text(qtbot, "T")
    assert dialog.calc_values["Weight used"].text() == (
        "80 kg (weighed 26 Feb 2026) ⚠ weighed 12 days ago — re-weigh before dosing?"
    )

    version = patients.get_episode(dctx, NURSE, episode_id).version
    patients.update_weight(
        dctx,
        NURSE,
        episode_id,
        80.0,
        recorded_on=date(2026, 3, 10) - timedelta(days=7),
        expected_version=version,
    )
    fresh = _open(qtbot, dctx, episode_id)
    type_text(qtbot, "T")
    assert "re-weigh" not in fresh.calc_values["Weight used"].text()
