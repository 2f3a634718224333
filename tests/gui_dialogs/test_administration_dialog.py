"""Drug given: the tocilizumab calculator (RULES E5) and the reason a limit needs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.context import AppContext
from app.services import administrations
from app.services import tocilizumab as toci
from tests.gui_dialogs.conftest import NURSE, PHARM, active_episode, press, show, type_text
from widgets.administration_dialog import AdministrationDialog
from widgets.form_dialog import set_datetime


def _open(qtbot: Any, ctx: AppContext, episode_id: int) -> AdministrationDialog:
    dialog = AdministrationDialog(ctx, NURSE, episode_id)
    show(qtbot, dialog)
    assert dialog.focusWidget() is dialog.drug
    type_text(qtbot, "T")  # keyboard search in the drug list: Tocilizumab
    assert dialog.drug.currentData() == "tocilizumab"
    return dialog


def _confirm(qtbot: Any, dialog: AdministrationDialog) -> None:
    """Tocilizumab: the first Enter only shows the confirmation; the second records."""
    assert dialog.confirmation.isVisible(), dialog.top_error.text()
    assert dialog.result() != dialog.DialogCode.Accepted
    press(qtbot, Qt.Key.Key_Return)


def _calc(dialog: AdministrationDialog, label: str) -> str:
    return dialog.calc_values[label].text()


@pytest.mark.parametrize(
    "case",
    [
        (29.9, "12 mg/kg", 358.8, "1 × 200 mg + 2 × 80 mg (360 mg; 1.2 mg waste)"),
        (80.0, "8 mg/kg", 640.0, "1 × 400 mg + 3 × 80 mg (640 mg; 0 mg waste)"),
    ],
    ids=["29.9kg", "80kg"],
)
def test_tocilizumab_calculator_shows_dose_for_weight(
    qtbot: Any, dctx: AppContext, case: tuple[float, str, float, str]
) -> None:
    weight, per_kg, dose, vials = case
    episode_id = active_episode(dctx, weight=weight)
    dialog = _open(qtbot, dctx, episode_id)

    assert dialog.calculator.isVisible()
    assert _calc(dialog, "Weight used").startswith(f"{weight:g} kg (weighed 10 Mar 2026)")
    assert _calc(dialog, "Dose rate").startswith(per_kg)
    assert _calc(dialog, "Calculated dose") == f"{dose:g} mg"
    assert _calc(dialog, "Vials (least waste)") == vials
    assert "10 Mar 2026 18:00" in _calc(dialog, "Resupply deadline")  # 10:00 UTC + 8 h
    assert dialog.dose.value() == dose  # the calculated dose is offered
    assert (dialog.unit.currentData(), dialog.route.currentData()) == ("mg", "IV")
    assert not dialog.override_reason.isVisible()

    press(qtbot, Qt.Key.Key_Return)
    assert administrations.list_administrations(dctx, NURSE, episode_id) == []
    _confirm(qtbot, dialog)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.top_error.text()
    [row] = administrations.list_administrations(dctx, NURSE, episode_id)
    assert (row.drug, row.dose, row.calculated_dose_mg) == (
        "tocilizumab", dose, dose)


def test_800_mg_cap_is_said(qtbot: Any, dctx: AppContext) -> None:
    dialog = _open(qtbot, dctx, active_episode(dctx, weight=120.0))
    assert _calc(dialog, "Calculated dose") == "800 mg — capped at the 800 mg maximum"


def test_dose_within_8_hours_needs_a_reason(qtbot: Any, dctx: AppContext, fake_clock: Any) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    toci.receive_vials(dctx, PHARM, strength_mg=400, batch="B1",
                       expiry_date=date(2026, 12, 31), location="ward", count=4)
    first = _open(qtbot, dctx, episode_id)
    press(qtbot, Qt.Key.Key_Return)
    _confirm(qtbot, first)
    assert first.result() == first.DialogCode.Accepted, first.top_error.text()

    fake_clock.advance(hours=3)
    dialog = _open(qtbot, dctx, episode_id)
    warnings = dialog.warnings_label.text()
    assert "at least 8 h between doses" in warnings
    assert "only 3 h 00 min" in warnings
    assert dialog.override_reason.isVisible()
    assert not dialog.save_button.isEnabled()
    press(qtbot, Qt.Key.Key_Return)  # refused without a reason: nothing stored
    assert len(administrations.list_administrations(dctx, NURSE, episode_id)) == 1

    dialog.override_reason.setFocus()
    type_text(qtbot, "CRS grade 3 despite first dose; Dr Okafor agreed")
    press(qtbot, Qt.Key.Key_Return)
    _confirm(qtbot, dialog)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.top_error.text()
    second = administrations.list_administrations(dctx, NURSE, episode_id)[-1]
    assert second.override_reason == "CRS grade 3 despite first dose; Dr Okafor agreed"
    assert any("8 h" in w for w in second.limit_warnings)


def test_time_moved_back_within_8_hours_raises_the_warning(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    administrations.record_administration(
        dctx, NURSE, episode_id, drug="tocilizumab", dose=640, given_at=dctx.clock())
    dialog = _open(qtbot, dctx, episode_id)
    assert "at least 8 h" in dialog.warnings_label.text()  # dose "now", 0 h after
    set_datetime(dialog.given_at, dctx.clock() - timedelta(hours=9))
    assert not dialog.override_reason.isVisible()  # 9 h before: no limit broken
    assert dialog.save_button.isEnabled()


def test_dose_recorded_elsewhere_meanwhile_asks_for_reason_and_keeps_values(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    dialog = _open(qtbot, dctx, episode_id)
    dialog.dose.setValue(600.0)  # within 10 % of 640: no warning yet
    assert dialog.save_button.isEnabled()
    administrations.record_administration(  # another workstation, same minute
        dctx, NURSE, episode_id, drug="tocilizumab", dose=640, given_at=dctx.clock())
    press(qtbot, Qt.Key.Key_Return)

    assert dialog.isVisible()
    assert "give a reason" in dialog.top_error.text()
    assert "at least 8 h" in dialog.field_errors["given_at"].text()
    assert dialog.override_reason.isVisible()
    assert dialog.dose.value() == 600.0
    assert len(administrations.list_administrations(dctx, NURSE, episode_id)) == 1


def test_other_drug_has_no_calculator(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx)
    dialog = AdministrationDialog(dctx, NURSE, episode_id)
    show(qtbot, dialog)
    type_text(qtbot, "De")  # Dexamethasone
    assert dialog.drug.currentData() == "dexamethasone"
    assert not dialog.calculator.isVisible()
    dialog.dose.setFocus()
    dialog.dose.selectAll()
    type_text(qtbot, "10")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.top_error.text()
    [row] = administrations.list_administrations(dctx, NURSE, episode_id)
    assert (row.drug, row.dose, row.dose_unit, row.route) == ("dexamethasone", 10.0, "mg", "IV")


def test_missing_dose_is_shown_next_to_the_field(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx)
    dialog = AdministrationDialog(dctx, NURSE, episode_id)
    show(qtbot, dialog)
    type_text(qtbot, "Pa")  # Paracetamol
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert "Type the dose given, e.g. 1000 mg" in dialog.field_errors["dose"].text()
    assert dialog.drug.currentData() == "paracetamol"
