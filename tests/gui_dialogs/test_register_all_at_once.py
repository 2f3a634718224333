"""Registration: every problem of both halves shown at once, nothing stored until all are
right, a known NHS number offers a new episode for that patient (never a dead end), and
the SpO2 scale 2 box is not cut off."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.context import AppContext
from app.errors import NotFound
from app.services import patients
from app.services import ward as ward_service
from tests.gui_dialogs.conftest import HAEM, NURSE, planned_episode, press, show
from widgets.register_dialog import RegisterDialog

EVERY_REQUIRED = ("nhs_number", "family_name", "given_name", "date_of_birth", "sex",
                  "product_code", "weight_kg", "consultant")


def _fill(dialog: RegisterDialog, *, nhs: str = "999 000 1308", family: str = "Morgan",
          given: str = "Rhys", dob: str = "01/05/1970", weight: float = 72.0) -> None:
    dialog.nhs_number.setText(nhs)
    dialog.family_name.setText(family)
    dialog.given_name.setText(given)
    dialog.date_of_birth.setText(dob)
    dialog.sex.setCurrentIndex(dialog.sex.findData("male"))
    dialog.product.setCurrentIndex(dialog.product.findData("tisagenlecleucel"))
    dialog.weight.setValue(weight)
    dialog.consultant.setText("Dr Brown")
    dialog.bed.setText("C1")


def _stored(ctx: AppContext, nhs: str = "9990001308") -> bool:
    try:
        ward_service.find_episode_by_nhs(ctx, NURSE, nhs)
    except NotFound:
        return False
    return True


def test_enter_on_the_empty_form_marks_every_missing_field_at_once(
    qtbot: Any, dctx: AppContext
) -> None:
    dialog = RegisterDialog(dctx, NURSE)
    show(qtbot, dialog)
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.isVisible()
    shown = {f for f in EVERY_REQUIRED if dialog.field_errors[f].isVisible()}
    assert shown == set(EVERY_REQUIRED)  # one round, not three
    assert "Nothing has been stored" in dialog.top_error.text()
    # Ward words: the combo's own labels, never internal codes.
    assert "Not known" in dialog.field_errors["sex"].text()
    assert "_" not in dialog.field_errors["product_code"].text()
    assert dialog.focusWidget() is dialog.nhs_number  # the first wrong field down the form


def test_a_wrong_episode_half_stores_nothing_and_the_same_dialog_saves_once_fixed(
    qtbot: Any, dctx: AppContext
) -> None:
    dialog = RegisterDialog(dctx, HAEM)
    show(qtbot, dialog)
    _fill(dialog, weight=0.0)  # weight left "not entered"
    dialog.spo2_scale_2.setChecked(True)
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert "weight must be" in dialog.field_errors["weight_kg"].text()
    assert not _stored(dctx)
    assert not dialog.family_name.isReadOnly()  # nothing half-stored to lock
    assert dialog.focusWidget() is dialog.weight

    dialog.weight.setValue(64.0)
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.top_error.text()
    header = ward_service.find_episode_by_nhs(dctx, HAEM, "9990001308")
    assert dialog.episode_id == header.episode_id  # for the window to select it
    assert (header.weight_kg, header.spo2_scale, header.status) == (64.0, 2, "planned")
    assert [r.episode_id for r in ward_service.list_planned(dctx, NURSE)] == [header.episode_id]


def test_unreadable_dates_are_listed_with_the_other_problems(
    qtbot: Any, dctx: AppContext
) -> None:
    dialog = RegisterDialog(dctx, NURSE)
    show(qtbot, dialog)
    _fill(dialog, dob="31/02/1970")
    dialog.consultant.clear()
    dialog.planned_date.setText("tomorrow")
    press(qtbot, Qt.Key.Key_Return)
    assert "'31/02/1970' is not a date" in dialog.field_errors["date_of_birth"].text()
    assert "required" not in dialog.field_errors["date_of_birth"].text()
    assert "'tomorrow' is not a date" in dialog.field_errors["planned_infusion_date"].text()
    assert "consultant is required" in dialog.field_errors["consultant"].text()
    assert not _stored(dctx)


def _discharged_morgan(ctx: AppContext) -> int:
    first = patients.register_patient_with_episode(
        ctx, NURSE, nhs_number="9990001308", hospital_number=None, family_name="Morgan",
        given_name="Rhys", date_of_birth=date(1970, 5, 1), sex="male",
        product_code="tisagenlecleucel", planned_infusion_date=None, weight_kg=70.0,
        consultant="Dr Brown", ward=ctx.ward,
    )  # fmt: skip
    patients.record_discharge(ctx, NURSE, first.episode.id, at=ctx.clock(), expected_version=1)
    return first.patient.id


def test_known_nhs_number_offers_a_new_episode_for_that_patient(
    qtbot: Any, dctx: AppContext
) -> None:
    patient_id = _discharged_morgan(dctx)
    dialog = RegisterDialog(dctx, NURSE)
    show(qtbot, dialog)
    _fill(dialog, given="Rees")
    press(qtbot, Qt.Key.Key_Return)

    assert dialog.isVisible() and dialog.offer_box.isVisible()
    offer = dialog.offer_box.accessibleName()
    assert ("NHS number 999 000 1308 belongs to MORGAN, Rhys (born 01 May 1970). "
            "Add a new CAR-T episode for this patient?") in offer
    assert "You typed MORGAN, Rees" in offer  # the typed name differs: check the person
    assert "MORGAN, Rhys" in dialog.save_button.text()
    assert f"patient {patient_id}" not in offer

    press(qtbot, Qt.Key.Key_Escape)  # back to the form, nothing lost
    assert dialog.isVisible() and not dialog.offer_box.isVisible()
    assert dialog.given_name.text() == "Rees" and dialog.weight.value() == 72.0
    assert dialog.cancel_button.text() == "Cancel"

    dialog.save_button.setFocus()
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.offer_box.isVisible()
    assert not dialog.save_button.isEnabled()  # the name differs: the tick first (re-audit 7)
    dialog.same_person.setChecked(True)
    dialog.save_button.click()  # yes
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.top_error.text()
    assert dialog.patient is not None and dialog.patient.id == patient_id
    assert dialog.patient.given_name == "Rhys"  # the stored identity is kept
    header = ward_service.episode_header(dctx, NURSE, dialog.episode_id or 0)
    assert (header.patient_id, header.status, header.bed) == (patient_id, "planned", "C1")


def test_a_patient_awaiting_infusion_gets_no_second_episode(
    qtbot: Any, dctx: AppContext
) -> None:
    planned_episode(dctx, nhs="9990001308", family="Morgan")
    dialog = RegisterDialog(dctx, NURSE)
    show(qtbot, dialog)
    _fill(dialog)
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.isVisible() and not dialog.offer_box.isVisible()
    error = dialog.field_errors["nhs_number"].text()
    assert "belongs to MORGAN, Anna" in error
    assert "awaiting infusion" in error and "Awaiting infusion" in error
    assert "already registered" in dialog.top_error.text()
    assert len(ward_service.list_planned(dctx, NURSE)) == 1


@pytest.mark.parametrize("actor", [NURSE, HAEM], ids=["nurse", "haematologist"])
def test_spo2_scale_2_text_is_not_cut_off(qtbot: Any, dctx: AppContext, actor: Any) -> None:
    dialog = RegisterDialog(dctx, actor)
    show(qtbot, dialog)
    box = dialog.spo2_scale_2
    assert box.width() >= box.sizeHint().width()
    note = dialog.spo2_note
    assert "88–92 %" in note.text()
    assert note.height() >= note.heightForWidth(note.width())
    assert dialog.developmental_delay.width() >= dialog.developmental_delay.sizeHint().width()
