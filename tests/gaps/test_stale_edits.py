"""Another workstation changed the record first (StaleEdit): the message names who and
when, what was typed stays, and a reload shows the record as it now is."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.context import AppContext
from app.errors import StaleEdit
from app.services import alerts as alert_service
from app.services import patients as patient_service
from app.services import ward as ward_service
from tests.gui.conftest import HAEM, NURSE, Ward
from widgets.alert_banner import AlertBanner
from widgets.escalation_dialog import EscalationDialog
from widgets.outcome_dialog import OutcomeDialog

pytestmark = pytest.mark.gui

ICANS2: dict[str, Any] = {
    "temperature_c": 37.0, "heart_rate": 80, "systolic_bp": 120, "diastolic_bp": 70,
    "respiratory_rate": 16, "spo2_percent": 97, "oxygen_device": "none", "acvpu": "alert",
    "ice_items": {"orientation": 2, "naming": 2, "following_commands": 1, "writing": 0,
                  "attention": 0},  # ICE 5 -> ICANS 2 -> critical-care alert (RULES E1)
    "consciousness": "awakens_spontaneously", "seizure": "none", "motor_weakness": "none",
    "cerebral_edema": "none",
}


def open_with_critical_alert(window: Any, qtbot: Any, ward: Ward) -> Any:
    window.open_episode(ward.adult)
    form = window.patient_view.form
    form.set_values(dict(ICANS2, assessed_at=window.ctx.clock()))
    qtbot.keyClick(form.temperature, Qt.Key.Key_Return)
    alert = window.patient_view.banner.critical
    assert alert is not None and alert.status == "raised"
    return alert


def test_acknowledge_race_names_the_other_user_and_reload_shows_the_new_state(
    window: Any, qtbot: Any, ward: Ward
) -> None:
    messages: list[tuple[str, str]] = []
    window.show_message = lambda title, text: messages.append((title, text))
    alert = open_with_critical_alert(window, qtbot, ward)
    banner = window.patient_view.banner
    form = window.patient_view.form
    qtbot.keyClicks(form.temperature, "38.2")  # the nurse's next set, half typed

    window.ctx.clock.advance(minutes=3)  # 10:03: Dr Okafor acknowledges on another machine
    alert_service.acknowledge_alert(window.ctx, HAEM, alert.id, expected_version=alert.version)
    qtbot.mouseClick(banner.acknowledge_button, Qt.MouseButton.LeftButton)

    assert messages == []  # no modal box: the banner says it and offers the reload
    assert banner.conflict.text() == ("<b>⚠ Not done:</b> Changed by dr.okafor at "
                                      "10 Mar 2026 10:03 — reload and try again.")
    qtbot.mouseClick(banner.reload_button, Qt.MouseButton.LeftButton)
    assert not banner.conflict.isVisible()
    assert banner.isVisible()
    assert banner.detail.text().startswith("Acknowledged by dr.okafor at 10 Mar 2026 10:03")
    assert not banner.acknowledge_button.isVisible()  # nothing left to acknowledge
    assert window.patient_view.form is form and form.temperature.text() == "38.2"


def test_banner_offers_a_reload_and_clears_the_message_once_reloaded(
    qtbot: Any, gui_ctx: AppContext, ward: Ward
) -> None:
    alert = _raise_critical(gui_ctx, ward)
    banner = AlertBanner(gui_ctx.tz)
    qtbot.addWidget(banner)
    banner.set_alerts((alert,), gui_ctx.clock())
    banner.show()
    acknowledged = alert_service.acknowledge_alert(gui_ctx, HAEM, alert.id,
                                                   expected_version=alert.version)
    with pytest.raises(StaleEdit) as conflict:
        alert_service.acknowledge_alert(gui_ctx, NURSE, alert.id, expected_version=alert.version)

    banner.show_conflict(str(conflict.value))
    assert "Changed by dr.okafor at 10 Mar 2026 10:00" in banner.conflict.text()
    assert banner.reload_button.isVisible()
    with qtbot.waitSignal(banner.reload_requested, timeout=1000):
        qtbot.mouseClick(banner.reload_button, Qt.MouseButton.LeftButton)
    banner.set_alerts((acknowledged,), gui_ctx.clock())
    assert not banner.conflict.isVisible() and not banner.reload_button.isVisible()
    assert banner.detail.text().startswith("Acknowledged by dr.okafor")


def _raise_critical(ctx: AppContext, ward: Ward) -> Any:
    from app.services import assessments

    row = assessments.record_assessment(ctx, NURSE, ward.adult,
                                        dict(ICANS2, assessed_at=ctx.clock()))
    return next(a for a in row.alerts if a.kind == "critical_care")


def test_discussion_race_in_the_main_window_reloads_and_saves(
    window: Any, qtbot: Any, ward: Ward
) -> None:
    alert = open_with_critical_alert(window, qtbot, ward)
    dialog = window.record_discussion_for(alert)
    qtbot.keyClicks(dialog.clinician, "Dr A Patel, ICU registrar")
    dialog.outcome_buttons["stay_with_plan"].setChecked(True)
    qtbot.keyClicks(dialog.detail, "Neuro obs hourly, review 18:00")
    alert_service.acknowledge_alert(window.ctx, HAEM, alert.id, expected_version=alert.version)

    dialog.accept()
    assert dialog.isVisible()
    assert dialog.problems_label.text() == (
        "Changed by dr.okafor at 10 Mar 2026 10:00 — reload and try again.")
    assert dialog.values()["clinician"] == "Dr A Patel, ICU registrar"
    assert dialog.values()["outcome"] == "stay_with_plan"
    assert dialog.values()["detail"] == "Neuro obs hourly, review 18:00"
    qtbot.mouseClick(dialog.reload_button, Qt.MouseButton.LeftButton)
    assert "Acknowledged by dr.okafor" in dialog.heading.text()
    dialog.accept()
    assert not dialog.isVisible()
    assert not window.patient_view.banner.isVisible()  # the discussion resolved it


def test_discussion_dialog_reloads_the_alert_and_saves_with_its_new_version(
    qtbot: Any, gui_ctx: AppContext, ward: Ward
) -> None:
    ctx = gui_ctx
    alert = _raise_critical(ctx, ward)
    dialog = EscalationDialog(alert, "Anna Smith", now=ctx.clock(), tz=ctx.tz)
    qtbot.addWidget(dialog)
    saved: list[Any] = []

    # What the owner binds: save with the alert the dialog holds now, read it back on reload.
    def submit(values: dict[str, Any]) -> None:
        try:
            saved.append(alert_service.record_discussion(
                ctx, NURSE, dialog.alert.id, expected_version=dialog.alert.version, **values))
        except StaleEdit as error:
            dialog.show_error(error)
            return
        dialog.saved()

    dialog.submit = submit
    dialog.reload_alert = lambda: next(
        a for a in alert_service.list_alerts(ctx, NURSE, ward.adult) if a.id == alert.id)
    dialog.show()
    dialog.set_values("Dr A Patel, ICU registrar", "transfer", "ICU bed 4")
    ctx.clock.advance(minutes=2)
    alert_service.acknowledge_alert(ctx, HAEM, alert.id, expected_version=alert.version)

    dialog.accept()
    assert "Changed by dr.okafor at 10 Mar 2026 10:02" in dialog.problems_label.text()
    assert dialog.reload_button.isVisible()
    qtbot.mouseClick(dialog.reload_button, Qt.MouseButton.LeftButton)
    assert "Acknowledged by dr.okafor at 10 Mar 2026 10:02" in dialog.heading.text()
    assert "what you typed is kept" in dialog.problems_label.text()
    assert dialog.values()["detail"] == "ICU bed 4"
    dialog.accept()
    assert not dialog.isVisible()
    assert saved and saved[0].status == "resolved"
    assert saved[0].discussion_clinician == "Dr A Patel, ICU registrar"


def test_outcome_dialog_race_reloads_the_episode_and_keeps_the_choice(
    qtbot: Any, gui_ctx: AppContext, ward: Ward
) -> None:
    ctx = gui_ctx
    dialog = OutcomeDialog(ctx, NURSE, ward.adult, outcome="icu_transfer")
    qtbot.addWidget(dialog)
    dialog.show()
    header = ward_service.episode_header(ctx, NURSE, ward.adult)
    ctx.clock.advance(minutes=1)  # 10:01: a note saved on another workstation
    patient_service.update_nursing_note(ctx, HAEM, ward.adult, "family visiting at 14:00",
                                        expected_version=header.version)

    dialog.accept()
    assert dialog.isVisible()
    assert dialog.top_error.text() == (
        "⚠ Not saved — Changed by dr.okafor at 10 Mar 2026 10:01 — reload and try again.")
    assert dialog.reload_button.isVisible()
    qtbot.mouseClick(dialog.reload_button, Qt.MouseButton.LeftButton)
    assert not dialog.reload_button.isVisible()
    assert dialog.outcome() == "icu_transfer"
    assert "Reloaded" in dialog.top_error.text()
    dialog.accept()
    assert not dialog.isVisible()
    assert dialog.result_row.icu_transfer_at is not None
    assert ward_service.episode_header(ctx, NURSE, ward.adult).version == header.version + 2
