"""Pharmacy chooses the patient, never types an episode number (usability audit 10).

Reserve and Release list the patients (bed · initials · NHS number · product · weight ·
what is reserved), keyboard-searchable by bed; the open patient is chosen already; a
field's error goes as soon as its value changes; the vial table says whom a vial is
reserved for."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt

from app.context import AppContext
from app.services import patients
from app.services import tocilizumab as toci
from tests.gui_dialogs.conftest import NURSE, PHARM, press, show, type_text
from widgets.stock_panel import ReleaseDialog, ReserveDialog, StockPanel

LATER = date(2026, 12, 31)


def _episode(ctx: AppContext, *, nhs: str, bed: str, family: str, given: str,
             weight: float) -> int:
    p = patients.register_patient(
        ctx, NURSE, nhs_number=nhs, hospital_number=None, family_name=family,
        given_name=given, date_of_birth=date(1970, 5, 1), sex="female",
    )  # fmt: skip
    return patients.register_episode(
        ctx, NURSE, p.id, product_code="axicabtagene_ciloleucel",
        planned_infusion_date=date(2026, 3, 10), weight_kg=weight, consultant="Dr Brown",
        ward=ctx.ward, bed=bed,
    ).id  # fmt: skip


def _two_patients(ctx: AppContext) -> tuple[int, int]:
    patel = _episode(ctx, nhs="9990000018", bed="A2", family="Patel", given="Rohan",
                     weight=80.0)  # 640 mg per dose
    murphy = _episode(ctx, nhs="9990000026", bed="B5", family="Murphy", given="Siobhan",
                      weight=50.0)  # 400 mg per dose
    toci.receive_vials(ctx, PHARM, strength_mg=400, batch="B1", expiry_date=LATER,
                       location="pharmacy", count=2)
    return patel, murphy


def _items(dialog: Any) -> list[str]:
    return [dialog.episode.itemText(i) for i in range(dialog.episode.count())]


def test_reserve_lists_the_patients_and_reserves_for_the_one_chosen(
    qtbot: Any, dctx: AppContext
) -> None:
    patel, murphy = _two_patients(dctx)
    dialog = ReserveDialog(dctx, PHARM, episode_id=None, vial_ids=[])
    show(qtbot, dialog)
    assert _items(dialog) == [
        "A2 · R P · NHS 999 000 0018 · Yescarta (axicabtagene ciloleucel) · 80 kg · "
        "1 dose needed · 0 reserved — short by 1 · awaiting infusion",
        "B5 · S M · NHS 999 000 0026 · Yescarta (axicabtagene ciloleucel) · 50 kg · "
        "1 dose needed · 0 reserved — short by 1 · awaiting infusion",
    ]
    assert not any("patel" in t.lower() or "murphy" in t.lower() for t in _items(dialog))
    assert dialog.episode.currentIndex() == -1  # nobody chosen for the pharmacist

    press(qtbot, Qt.Key.Key_Return)  # Enter with no patient chosen
    error = dialog.field_errors["episode_id"]
    assert dialog.isVisible() and error.isVisible()
    assert error.text() == "⚠ choose the patient from the list"
    assert "episode number" not in error.text()

    dialog.episode.setFocus()
    type_text(qtbot, "B")  # keyboard search by bed
    assert dialog.episode.value() == murphy
    assert not error.isVisible(), "the error goes once a patient is chosen"
    assert not dialog.top_error.isVisible()
    assert "needs 1 dose of 400 mg; reserved 0 mg" in dialog.readiness.text()

    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.top_error.text()
    assert toci.check_readiness(dctx, PHARM, murphy).met
    assert not toci.check_readiness(dctx, PHARM, patel).met


def test_the_open_patient_is_chosen_already(qtbot: Any, dctx: AppContext) -> None:
    patel, _murphy = _two_patients(dctx)
    dialog = ReserveDialog(dctx, PHARM, episode_id=patel, vial_ids=[])
    show(qtbot, dialog)
    assert dialog.episode.currentText().startswith("A2 · R P · NHS 999 000 0018")
    assert "needs 1 dose of 640 mg" in dialog.readiness.text()


def test_a_doses_error_goes_when_the_number_changes(qtbot: Any, dctx: AppContext) -> None:
    patel, _murphy = _two_patients(dctx)
    dialog = ReserveDialog(dctx, PHARM, episode_id=patel, vial_ids=[])
    show(qtbot, dialog)
    dialog.doses.setValue(3)
    dialog.accept()
    error = dialog.field_errors["doses"]
    assert error.isVisible() and "not enough unexpired stock" in error.text()
    assert dialog.top_error.isVisible()
    dialog.doses.setFocus()
    press(qtbot, Qt.Key.Key_Down)  # 3 -> 2
    assert dialog.doses.value() == 2
    assert not error.isVisible() and not dialog.top_error.isVisible()


def test_release_offers_only_patients_holding_vials(qtbot: Any, dctx: AppContext) -> None:
    patel, murphy = _two_patients(dctx)
    toci.reserve_for_episode(dctx, PHARM, murphy, doses=1)
    dialog = ReleaseDialog(dctx, PHARM, episode_id=None, vial_ids=[])
    show(qtbot, dialog)
    assert _items(dialog) == [
        "B5 · S M · NHS 999 000 0026 · Yescarta (axicabtagene ciloleucel) · 50 kg · "
        "1 dose needed · 1 reserved ✓ · 1 vial held · awaiting infusion"]
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.field_errors["episode_id"].text() == "⚠ choose the patient from the list"
    dialog.episode.setFocus()
    type_text(qtbot, "B")
    assert not dialog.field_errors["episode_id"].isVisible()
    dialog.reason.setFocus()
    type_text(qtbot, "infusion postponed")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.top_error.text()
    assert not toci.check_readiness(dctx, PHARM, murphy).met
    assert patel not in {r.episode_id for r in toci.list_stock_episodes(dctx, PHARM)
                         if r.vials_reserved}


def test_release_with_nobody_holding_vials_says_what_to_do(
    qtbot: Any, dctx: AppContext
) -> None:
    _two_patients(dctx)
    dialog = ReleaseDialog(dctx, PHARM, episode_id=None, vial_ids=[])
    show(qtbot, dialog)
    assert dialog.episode.count() == 0
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.field_errors["episode_id"].text() == (
        "⚠ no patient has vials reserved — check with the ward, then press Refresh on the "
        "stock page")


def test_the_vial_table_names_the_patient_not_an_episode_number(
    qtbot: Any, dctx: AppContext
) -> None:
    _patel, murphy = _two_patients(dctx)
    toci.reserve_for_episode(dctx, PHARM, murphy, doses=1)
    panel = StockPanel(dctx, PHARM)
    show(qtbot, panel)
    model = panel.vial_model
    column = [c.title for c in model.columns].index("Reserved for")
    shown = sorted(model.index(r, column).data() for r in range(model.rowCount()))
    assert shown == ["", "B5 · S M"]
    assert panel.reserve_button.text() == "&Reserve for patient…"
