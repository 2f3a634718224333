"""Critical-care discussion dialog (usability audit 9): a discussion time typed days before
the alert was raised is refused next to the time field, naming the raise time; everything
typed is kept, and once the date is put right the discussion is recorded."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDateTimeEdit

from app.context import AppContext
from app.errors import ServiceError
from app.rows import AlertRow
from app.services import alerts as alert_service
from app.services import assessments
from tests.gui_dialogs.conftest import NURSE, active_episode, press, show, type_text
from tests.gui_dialogs.test_dialog_ux import ICANS2
from widgets.escalation_dialog import EscalationDialog


def _dialog(qtbot: Any, ctx: AppContext) -> tuple[EscalationDialog, list[AlertRow]]:
    episode_id = active_episode(ctx)
    row = assessments.record_assessment(ctx, NURSE, episode_id,
                                        dict(ICANS2, assessed_at=ctx.clock()))
    alert = next(a for a in row.alerts if a.kind == "critical_care")
    dialog = EscalationDialog(alert, "SMITH, Anna · NHS 999 000 0018", now=ctx.clock(),
                              tz=ctx.tz)
    saved: list[AlertRow] = []

    def submit(values: dict[str, Any]) -> None:  # as the main window binds it
        try:
            saved.append(alert_service.record_discussion(
                ctx, NURSE, dialog.alert.id, expected_version=dialog.alert.version, **values))
        except ServiceError as error:
            dialog.show_error(error)
            return
        dialog.saved()

    dialog.submit = submit
    show(qtbot, dialog)
    return dialog, saved


def _type_day(qtbot: Any, dialog: EscalationDialog, day: str) -> None:
    edit = dialog.discussed_at
    edit.setFocus()
    edit.setSelectedSection(QDateTimeEdit.Section.DaySection)
    type_text(qtbot, day)


def test_a_day_typed_wrongly_is_refused_next_to_the_time(qtbot: Any, dctx: AppContext) -> None:
    dialog, saved = _dialog(qtbot, dctx)  # alert raised 10 Mar 2026 10:00 (GMT)
    dialog.clinician.setFocus()
    type_text(qtbot, "Dr A Patel, ICU registrar")
    dialog.outcome_buttons["stay_with_plan"].setChecked(True)
    dialog.detail.setPlainText("neuro obs hourly")
    _type_day(qtbot, dialog, "07")  # 07 Mar instead of 10 Mar
    assert dialog.values()["discussed_at"].day == 7
    press(qtbot, Qt.Key.Key_Return)

    assert dialog.isVisible() and saved == []
    error = dialog.field_errors["discussed_at"]
    assert error.isVisible()
    assert error.text() == ("⚠ The discussion time is before the alert was raised "
                            "(10 Mar 2026 10:00) — check the date and time")
    assert "in the future" not in dialog.problems_label.text()
    assert QApplication.focusWidget() is dialog.discussed_at
    # Everything typed is kept.
    assert dialog.values()["clinician"] == "Dr A Patel, ICU registrar"
    assert dialog.values()["outcome"] == "stay_with_plan"
    assert dialog.values()["detail"] == "neuro obs hourly"

    _type_day(qtbot, dialog, "10")
    press(qtbot, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    assert saved and saved[0].discussion_at is not None
    assert saved[0].discussion_at.day == 10


def test_a_future_time_still_says_future(qtbot: Any, dctx: AppContext) -> None:
    dialog, saved = _dialog(qtbot, dctx)
    dialog.clinician.setText("Dr A Patel")
    dialog.outcome_buttons["transfer"].setChecked(True)
    _type_day(qtbot, dialog, "12")
    press(qtbot, Qt.Key.Key_Return)
    assert saved == []
    assert "in the future" in dialog.field_errors["discussed_at"].text()
    assert "before the alert" not in dialog.field_errors["discussed_at"].text()
