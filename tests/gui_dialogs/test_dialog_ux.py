"""Usability of the dialogs as a ward nurse meets them (usability test findings).

- Critical-care discussion (RULES E1): a refused save says what to do in ward words next
  to each field and puts the keyboard on the first field to put right; nothing typed is lost.
- Alert banner: only the critical-care alert waits for a discussion; acknowledging any
  other kind (a tocilizumab resupply, NEWS2, overdue) is a plain "Acknowledge".
- Record drug given: "T, Enter" no longer stores the pre-filled tocilizumab dose; a
  confirmation names the patient, dose, mg/kg, weight, vials and the last reserved dose,
  and one more Enter (on a labelled default button) records it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from app.clock import WARD_TZ
from app.context import AppContext
from app.errors import FieldProblem, ServiceError
from app.rows import AlertRow
from app.services import administrations, assessments
from app.services import alerts as alert_service
from app.services import tocilizumab as toci
from tests.fakes import FakeClock
from tests.gui_dialogs.conftest import (
    NURSE,
    PHARM,
    active_episode,
    focused,
    press,
    show,
    type_text,
)
from widgets.administration_dialog import AdministrationDialog
from widgets.alert_banner import AlertBanner, alert_state_text
from widgets.escalation_dialog import EscalationDialog

ICANS2: dict[str, Any] = {
    "temperature_c": 37.0, "heart_rate": 80, "systolic_bp": 120, "diastolic_bp": 70,
    "respiratory_rate": 16, "spo2_percent": 97, "oxygen_device": "none", "acvpu": "alert",
    "ice_items": {"orientation": 2, "naming": 2, "following_commands": 1, "writing": 0,
                  "attention": 0},  # ICE 5 -> ICANS 2 -> critical-care alert (RULES E1)
    "consciousness": "awakens_spontaneously", "seizure": "none", "motor_weakness": "none",
    "cerebral_edema": "none",
}

# The service's words for its own values: a nurse should never have to read them.
DEVELOPER_TERMS = ("stay_with_plan", "clinician: ", "outcome is transfer", "detail: ",
                   "discussed_at")


NOW = FakeClock()()


def _alert(kind: str, *, alert_id: int = 1, **changes: Any) -> AlertRow:
    fields: dict[str, Any] = dict(  # noqa: C408 (keywords read as the row fields)
        id=alert_id, episode_id=1, kind=kind, status="raised", trigger_grade=2,
        message=f"{kind} message", raised_at=NOW, raised_by_assessment_id=None, due_at=None,
        deadline_passed=False, acknowledged_at=None, acknowledged_by=None,
        acknowledged_role=None, resolved_at=None, resolved_by=None, resolved_reason=None,
        discussion_clinician=None, discussion_at=None, discussion_outcome=None,
        discussion_detail=None, discussion_recorded_by=None, version=1)
    fields.update(changes)
    return AlertRow(**fields)


# --- critical-care discussion -------------------------------------------------------------


def _critical_alert(ctx: AppContext) -> AlertRow:
    episode_id = active_episode(ctx)
    row = assessments.record_assessment(ctx, NURSE, episode_id,
                                        dict(ICANS2, assessed_at=ctx.clock()))
    return next(a for a in row.alerts if a.kind == "critical_care")


def _discussion_dialog(qtbot: Any, ctx: AppContext) -> tuple[EscalationDialog, list[AlertRow]]:
    """The dialog bound as the main window binds it: save through the service, errors back
    into the dialog."""
    alert = _critical_alert(ctx)
    dialog = EscalationDialog(alert, "SMITH, Anna · NHS 999 000 0018", now=ctx.clock(),
                              tz=ctx.tz)
    saved: list[AlertRow] = []

    def submit(values: dict[str, Any]) -> None:
        try:
            saved.append(alert_service.record_discussion(
                ctx, NURSE, dialog.alert.id, expected_version=dialog.alert.version, **values))
        except ServiceError as error:
            dialog.show_error(error)
            return
        dialog.saved()

    dialog.submit = submit
    dialog.resize(520, 600)  # taller than needed: spare height must not part error and field
    show(qtbot, dialog)
    dialog.clinician.setFocus()
    return dialog, saved


def _visible_text(dialog: EscalationDialog) -> str:
    return "\n".join(label.text() for label in dialog.findChildren(QLabel) if label.isVisible())


def _just_below(dialog: EscalationDialog, field: str) -> bool:
    """The error line sits directly under its field's widget (not at the dialog's foot)."""
    widget, error = dialog.field_widgets[field], dialog.field_errors[field]
    widget_bottom = widget.mapTo(dialog, widget.rect().bottomLeft()).y()
    error_top = error.mapTo(dialog, error.rect().topLeft()).y()
    return 0 <= error_top - widget_bottom <= 8


def test_empty_discussion_says_what_to_do_next_to_each_field(
    qtbot: Any, dctx: AppContext
) -> None:
    dialog, saved = _discussion_dialog(qtbot, dctx)
    press(qtbot, Qt.Key.Key_Return)  # Enter in the empty clinician box

    assert dialog.isVisible() and saved == []
    clinician = dialog.field_errors["clinician"]
    outcome = dialog.field_errors["outcome"]
    assert clinician.isVisible() and outcome.isVisible()
    assert "Name the critical-care clinician you spoke to" in clinician.text()
    assert ("Choose the outcome: transfer to critical care, stay on the ward with a plan, "
            "or transfer declined") in outcome.text()
    assert _just_below(dialog, "clinician") and _just_below(dialog, "outcome")
    # Marked with a sign and words, not colour alone; read out with the field.
    assert clinician.text().startswith("⚠")
    assert "Name the critical-care clinician" in dialog.clinician.accessibleDescription()
    text = _visible_text(dialog)
    assert not any(term in text for term in DEVELOPER_TERMS), text
    assert not dialog.field_errors["detail"].isVisible()  # no outcome yet: no plan asked
    assert QApplication.focusWidget() is dialog.clinician


def test_declined_without_reason_puts_the_keyboard_in_the_reason_box(
    qtbot: Any, dctx: AppContext
) -> None:
    dialog, saved = _discussion_dialog(qtbot, dctx)
    type_text(qtbot, "Dr A Patel, ICU registrar")
    dialog.outcome_buttons["declined"].setChecked(True)
    dialog.clinician.setFocus()  # Enter pressed from the clinician box, as a nurse would
    press(qtbot, Qt.Key.Key_Return)

    assert dialog.isVisible() and saved == []
    assert "Write the reason the transfer was declined" in dialog.field_errors["detail"].text()
    assert _just_below(dialog, "detail")
    assert not dialog.field_errors["clinician"].isVisible()
    assert QApplication.focusWidget() is dialog.detail  # not the clinician field
    # Nothing typed is lost.
    assert dialog.values()["clinician"] == "Dr A Patel, ICU registrar"
    assert dialog.values()["outcome"] == "declined"

    type_text(qtbot, "ICU full; reviewed by ICU consultant, re-refer if GCS falls")
    dialog.accept()
    assert not dialog.isVisible()
    assert saved and saved[0].discussion_outcome == "declined"


def test_missing_outcome_puts_the_keyboard_on_the_outcome_choice(
    qtbot: Any, dctx: AppContext
) -> None:
    dialog, _saved = _discussion_dialog(qtbot, dctx)
    type_text(qtbot, "Dr A Patel")
    dialog.detail.setPlainText("review 18:00")
    press(qtbot, Qt.Key.Key_Return)

    assert dialog.field_errors["outcome"].isVisible()
    assert not dialog.field_errors["clinician"].isVisible()
    assert QApplication.focusWidget() is dialog.outcome_buttons["transfer"]
    assert dialog.values()["detail"] == "review 18:00"


def test_errors_clear_once_put_right(qtbot: Any, dctx: AppContext) -> None:
    dialog, _saved = _discussion_dialog(qtbot, dctx)
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.field_errors["clinician"].isVisible()
    type_text(qtbot, "Dr A Patel")  # the keyboard is already in the clinician box
    dialog.outcome_buttons["stay_with_plan"].setChecked(True)
    dialog.accept()
    assert not dialog.field_errors["clinician"].isVisible()
    assert not dialog.field_errors["outcome"].isVisible()
    assert "Write the plan for staying on the ward" in dialog.field_errors["detail"].text()
    assert QApplication.focusWidget() is dialog.detail


@pytest.mark.parametrize("field", ["clinician", "discussed_at", "outcome", "detail"])
def test_every_service_field_has_a_place_in_the_dialog(qtbot: Any, field: str) -> None:
    dialog = EscalationDialog(_alert("critical_care"), "SMITH, Anna", now=NOW, tz=WARD_TZ)
    show(qtbot, dialog)
    dialog.show_problems([FieldProblem(field, "service words")])
    assert dialog.field_errors[field].isVisible()
    assert "service words" not in dialog.field_errors[field].text()


# --- alert banner -------------------------------------------------------------------------


def _banner(qtbot: Any, *alerts: AlertRow) -> AlertBanner:
    banner = AlertBanner(WARD_TZ)
    qtbot.addWidget(banner)
    banner.set_alerts(alerts, NOW)
    banner.show()
    return banner


def test_critical_care_alert_is_acknowledged_with_the_discussion_pending(qtbot: Any) -> None:
    banner = _banner(qtbot, _alert("critical_care"), _alert("tocilizumab_resupply", alert_id=2))
    assert banner.acknowledge_button.isVisible()
    assert banner.acknowledge_button.text() == (
        "Acknowledge — discussion pending (Ctrl+Shift+K)")
    assert "discussion pending" in banner.acknowledge_button.accessibleName()


@pytest.mark.parametrize(
    "kind", ["tocilizumab_resupply", "tocilizumab_prompt", "news2_urgent", "news2_emergency",
             "overdue"])
def test_other_alerts_get_a_plain_acknowledge(qtbot: Any, kind: str) -> None:
    banner = _banner(qtbot, _alert(kind))
    button = banner.acknowledge_button
    assert button.isVisible()
    assert button.text() == "Acknowledge (Ctrl+Shift+K)"
    assert "discussion" not in button.accessibleName().lower()
    assert not banner.discussion_button.isVisible()  # no discussion to record either
    with qtbot.waitSignal(banner.acknowledge_requested, timeout=1000) as signal:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert signal.args[0].kind == kind  # it acknowledges the alert it names


def test_button_words_follow_the_alert_when_the_critical_one_closes(qtbot: Any) -> None:
    resupply = _alert("tocilizumab_resupply", alert_id=2)
    banner = _banner(qtbot, _alert("critical_care"), resupply)
    assert "discussion pending" in banner.acknowledge_button.text()
    banner.set_alerts((resupply,), NOW)  # the discussion was recorded: the alert closed
    assert banner.acknowledge_button.text() == "Acknowledge (Ctrl+Shift+K)"


def test_acknowledged_state_mentions_a_discussion_only_for_critical_care() -> None:
    seen = {"status": "acknowledged", "acknowledged_at": NOW, "acknowledged_by": "nurse.jones",
            "acknowledged_role": "nurse"}
    resupply = alert_state_text(_alert("tocilizumab_resupply", **seen), WARD_TZ)
    critical = alert_state_text(_alert("critical_care", **seen), WARD_TZ)
    assert resupply == "Acknowledged by nurse.jones at 10 Mar 2026 10:00"
    assert critical.endswith("— discussion still to be recorded")


# --- record drug given: tocilizumab confirmation --------------------------------------------


def _tocilizumab_dialog(qtbot: Any, ctx: AppContext, episode_id: int) -> AdministrationDialog:
    dialog = AdministrationDialog(ctx, NURSE, episode_id)
    show(qtbot, dialog)
    assert focused() is dialog.drug
    type_text(qtbot, "T")  # Tocilizumab: the calculated dose is pre-filled
    assert dialog.drug.currentData() == "tocilizumab"
    return dialog


def _stock_and_reserve(ctx: AppContext, episode_id: int, doses: int) -> None:
    toci.receive_vials(ctx, PHARM, strength_mg=400, batch="B1",
                       expiry_date=date(2026, 12, 31), location="ward", count=2 * doses)
    toci.receive_vials(ctx, PHARM, strength_mg=80, batch="B2",
                       expiry_date=date(2026, 12, 31), location="ward", count=3 * doses)
    toci.reserve_for_episode(ctx, PHARM, episode_id, doses=doses)


def test_t_enter_asks_before_storing_the_prefilled_tocilizumab_dose(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    _stock_and_reserve(dctx, episode_id, doses=1)
    dialog = _tocilizumab_dialog(qtbot, dctx, episode_id)
    assert dialog.dose.value() == 640.0

    press(qtbot, Qt.Key.Key_Return)  # Enter in the drug box
    assert dialog.isVisible()
    assert administrations.list_administrations(dctx, NURSE, episode_id) == []
    text = dialog.confirmation.text()
    assert dialog.confirmation.isVisible()
    assert "Smith, Anna" in text or "SMITH, Anna" in text
    assert "NHS 999 000 0018" in text and "born 01 May 1970" in text
    assert "640 mg" in text and "8 mg/kg" in text and "80 kg" in text
    assert "1 × 400 mg + 3 × 80 mg" in text
    assert "LAST RESERVED DOSE" in text  # the one reserved dose is the one being given
    # One more Enter on a clearly labelled default button, which has the keyboard.
    assert dialog.save_button.text().replace("&", "") == "Yes — record 640 mg tocilizumab"
    assert dialog.save_button.isDefault() and focused() is dialog.save_button

    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.top_error.text()
    [row] = administrations.list_administrations(dctx, NURSE, episode_id)
    assert (row.drug, row.dose) == ("tocilizumab", 640.0)


def test_confirmation_says_last_reserved_dose_only_when_it_is(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    _stock_and_reserve(dctx, episode_id, doses=2)
    dialog = _tocilizumab_dialog(qtbot, dctx, episode_id)
    press(qtbot, Qt.Key.Key_Return)
    text = dialog.confirmation.text()
    assert "LAST RESERVED DOSE" not in text
    assert "1 reserved dose left after this one" in text


def test_esc_on_the_confirmation_goes_back_to_the_form(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    dialog = _tocilizumab_dialog(qtbot, dctx, episode_id)
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.confirmation.isVisible()
    assert dialog.cancel_button.text().replace("&", "") == "Back to the form"

    press(qtbot, Qt.Key.Key_Escape)
    assert dialog.isVisible() and not dialog.confirmation.isVisible()
    assert focused() is dialog.dose  # back where the dose can be changed
    assert dialog.save_button.text().replace("&", "") == "Save dose"
    assert administrations.list_administrations(dctx, NURSE, episode_id) == []
    press(qtbot, Qt.Key.Key_Escape)  # on the form, Esc cancels as before
    assert not dialog.isVisible()


def test_changing_the_dose_withdraws_the_confirmation(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    dialog = _tocilizumab_dialog(qtbot, dctx, episode_id)
    press(qtbot, Qt.Key.Key_Return)
    assert "640 mg" in dialog.confirmation.text()

    dialog.dose.setFocus()
    dialog.dose.selectAll()
    type_text(qtbot, "600")
    assert not dialog.confirmation.isVisible()  # it no longer describes the dose
    press(qtbot, Qt.Key.Key_Return)  # asks again, for what is now typed
    assert administrations.list_administrations(dctx, NURSE, episode_id) == []
    text = dialog.confirmation.text()
    assert "600 mg = 7.5 mg/kg" in text and "calculated 640 mg at 8 mg/kg" in text
    assert "1 × 400 mg + 1 × 200 mg" in text
    assert "No dose is reserved for this patient" in text
    press(qtbot, Qt.Key.Key_Return)
    [row] = administrations.list_administrations(dctx, NURSE, episode_id)
    assert row.dose == 600.0


def test_other_drugs_store_at_the_first_enter(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx)
    dialog = AdministrationDialog(dctx, NURSE, episode_id)
    show(qtbot, dialog)
    type_text(qtbot, "Pa")  # Paracetamol
    dialog.dose.setFocus()
    dialog.dose.selectAll()
    type_text(qtbot, "1000")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.top_error.text()
    assert not dialog.confirmation.isVisible()


def test_confirmation_of_a_dose_above_the_maximum_keeps_its_warning() -> None:
    from datetime import UTC, datetime

    from app.services.tocilizumab import DosePreview
    from grading.tocilizumab import vial_combination
    from widgets.administration_dialog import confirmation_lines

    preview = DosePreview(
        episode_id=1, weight_kg=80.0, weight_recorded_on=date(2026, 3, 10), mg_per_kg=8.0,
        calculated_mg=640.0, capped=False, plan=vial_combination(640.0), doses_reserved=2,
        warnings=("dose 6400 mg is above the 800 mg maximum",), resupply_due_at=None)
    lines = confirmation_lines(None, preview, dose=6400.0, route="IV",
                               given_at=datetime(2026, 3, 10, 10, tzinfo=UTC), tz=WARD_TZ)
    assert "6400 mg = 80.0 mg/kg" in lines[1]
    assert lines[2] == "Vials: not worked out above the 800 mg maximum"
    assert "⚠ dose 6400 mg is above the 800 mg maximum" in lines
