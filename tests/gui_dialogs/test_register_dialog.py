"""Registering a patient and episode from the keyboard alone (STYLE.md), the live NHS
number check, and a refused save that keeps what was typed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from app.context import AppContext
from app.errors import NotFound
from app.services import ward as ward_service
from tests.gui_dialogs.conftest import NURSE, press, show, tab, type_text
from widgets.register_dialog import RegisterDialog


def _type_patient_and_episode(qtbot: Any, nhs: str) -> None:
    """Every field from the keyboard, in tab order, starting on the NHS number."""
    type_text(qtbot, nhs)
    tab(qtbot, 2)  # hospital number left empty
    type_text(qtbot, "Okoro")
    tab(qtbot)
    type_text(qtbot, "Ada")
    tab(qtbot)
    type_text(qtbot, "14/02/1961")
    tab(qtbot)
    type_text(qtbot, "F")  # keyboard search in the sex list: Female
    tab(qtbot)
    type_text(qtbot, "Y")  # product list: Yescarta
    tab(qtbot)
    type_text(qtbot, "12/03/2026")
    tab(qtbot)
    type_text(qtbot, "72.5")
    tab(qtbot)
    type_text(qtbot, "Dr Brown")
    tab(qtbot, 2)  # ward is prefilled with the context's ward
    type_text(qtbot, "6")
    tab(qtbot)
    type_text(qtbot, "Chidi Okoro (son)")
    tab(qtbot)
    type_text(qtbot, "07700 900123")
    tab(qtbot)
    press(qtbot, Qt.Key.Key_Space)  # developmental delay: ticked


def test_register_patient_and_episode_by_keyboard_only(qtbot: Any, dctx: AppContext) -> None:
    dialog = RegisterDialog(dctx, NURSE)
    show(qtbot, dialog)
    assert dialog.focusWidget() is dialog.nhs_number
    _type_patient_and_episode(qtbot, "999 000 0034")
    press(qtbot, Qt.Key.Key_Return)  # Enter saves

    assert dialog.result() == dialog.DialogCode.Accepted, dialog.top_error.text()
    header = ward_service.find_episode_by_nhs(dctx, NURSE, "9990000034")
    assert (header.family_name, header.given_name) == ("Okoro", "Ada")
    assert header.date_of_birth.isoformat() == "1961-02-14"
    assert header.sex == "female"
    assert header.product_code == "axicabtagene_ciloleucel"
    assert header.planned_infusion_date is not None
    assert header.planned_infusion_date.isoformat() == "2026-03-12"
    assert header.weight_kg == 72.5
    assert (header.consultant, header.ward, header.bed) == ("Dr Brown", dctx.ward, "6")
    assert (header.carer_name, header.carer_phone) == ("Chidi Okoro (son)", "07700 900123")
    assert header.developmental_delay is True
    assert header.spo2_scale == 1


def test_bad_nhs_number_shows_check_digit_message_and_keeps_fields(
    qtbot: Any, dctx: AppContext
) -> None:
    dialog = RegisterDialog(dctx, NURSE)
    show(qtbot, dialog)
    _type_patient_and_episode(qtbot, "999 000 0035")  # check digit should be 4
    assert "fails its check digit" in dialog.nhs_status.text()  # live, before saving
    press(qtbot, Qt.Key.Key_Return)

    assert dialog.isVisible()
    error = dialog.field_errors["nhs_number"]
    assert error.isVisible()
    assert "999 000 0035 fails its check digit" in error.text()
    assert error.text().startswith("⚠")  # not colour alone
    # Everything typed is still there.
    assert dialog.family_name.text() == "Okoro"
    assert dialog.date_of_birth.text() == "14/02/1961"
    assert dialog.sex.currentData() == "female"
    assert dialog.product.currentData() == "axicabtagene_ciloleucel"
    assert dialog.weight.value() == 72.5
    assert dialog.carer_phone.text() == "07700 900123"
    assert dialog.developmental_delay.isChecked()
    try:
        ward_service.find_episode_by_nhs(dctx, NURSE, "9990000034")
    except NotFound:
        pass
    else:
        raise AssertionError("nothing should have been stored")

    # Correct the one digit; the same dialog saves.
    dialog.nhs_number.setFocus()
    dialog.nhs_number.selectAll()
    type_text(qtbot, "9990000034")
    assert dialog.nhs_status.text().startswith("✓")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert ward_service.find_episode_by_nhs(dctx, NURSE, "9990000034").weight_kg == 72.5


def test_nurse_cannot_set_spo2_scale_2(qtbot: Any, dctx: AppContext) -> None:
    dialog = RegisterDialog(dctx, NURSE)
    show(qtbot, dialog)
    assert not dialog.spo2_scale_2.isEnabled()
    assert "haematologist" in dialog.spo2_scale_2.toolTip()
