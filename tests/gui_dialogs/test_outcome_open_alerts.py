"""The outcome dialog lists the episode's open alerts and what the outcome does to them; a
discharge with a critical-care alert open needs a reason (RULES E1); Alt+I and Alt+U pick
Discharge and ICU transfer (they used to share Alt+I)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.context import AppContext
from app.services import alerts, assessments, patients
from tests.gui_dialogs.conftest import HAEM, NURSE, active_episode, press, show
from tests.services.conftest import CRS2, ICANS2, obs
from widgets.outcome_dialog import OutcomeDialog


def _critical(ctx: AppContext) -> int:
    episode_id = active_episode(ctx)
    assessments.record_assessment(ctx, NURSE, episode_id, obs(**ICANS2, **CRS2))
    return episode_id


def _alt(qtbot: Any, dialog: OutcomeDialog, key: Qt.Key) -> None:
    qtbot.keyClick(dialog.focusWidget(), key, Qt.KeyboardModifier.AltModifier)
    qtbot.wait(250)  # a mnemonic "clicks" with a short animation


def test_discharge_lists_the_open_alerts_and_needs_a_reason(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = _critical(dctx)
    dialog = OutcomeDialog(dctx, NURSE, episode_id, outcome="discharge")
    show(qtbot, dialog)
    text = dialog.alerts_label.text()
    assert dialog.alerts_label.isVisible()
    assert text.startswith("Open alerts for this patient (2):")
    assert "⚠ Critical-care discussion: ICANS grade 2" in text
    assert "• Consider tocilizumab" in text
    assert "closes them as “patient discharged”" in text
    assert "record it first" in text
    assert dialog.reason.isVisible()
    assert not dialog.save_button.isEnabled()
    assert "reason" in dialog.save_button.toolTip()
    press(qtbot, Qt.Key.Key_Return)  # nothing is saved without the reason
    assert dialog.isVisible()
    assert patients.get_episode(dctx, NURSE, episode_id).status == "active"

    dialog.reason.setFocus()
    qtbot.keyClicks(dialog.reason, "moved to the hospice at the family's wish")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.top_error.text()
    assert patients.get_episode(dctx, NURSE, episode_id).status == "discharged"
    assert alerts.list_open_alerts(dctx, NURSE, episode_id) == []


def test_death_and_icu_transfer_say_what_happens_to_the_alerts(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = _critical(dctx)
    dialog = OutcomeDialog(dctx, HAEM, episode_id, outcome="discharge")
    show(qtbot, dialog)
    _alt(qtbot, dialog, Qt.Key.Key_T)  # Death
    assert dialog.outcome() == "death"
    assert "closes them as “patient died”" in dialog.alerts_label.text()
    assert not dialog.reason.isVisible()  # a death needs no confirmation
    _alt(qtbot, dialog, Qt.Key.Key_U)  # ICU transfer
    assert dialog.outcome() == "icu_transfer"
    assert "stay open" in dialog.alerts_label.text()
    assert not dialog.reason.isVisible() and dialog.save_button.isEnabled()
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.top_error.text()
    assert "critical_care" in {a.kind for a in alerts.list_open_alerts(dctx, NURSE, episode_id)}


def test_alt_i_and_alt_u_each_choose_their_outcome(qtbot: Any, dctx: AppContext) -> None:
    dialog = OutcomeDialog(dctx, NURSE, active_episode(dctx), outcome="death")
    show(qtbot, dialog)
    _alt(qtbot, dialog, Qt.Key.Key_I)
    assert dialog.outcome() == "discharge"
    _alt(qtbot, dialog, Qt.Key.Key_U)
    assert dialog.outcome() == "icu_transfer"
    _alt(qtbot, dialog, Qt.Key.Key_I)
    assert dialog.outcome() == "discharge"


def test_no_alerts_no_list_and_discharge_saves_at_once(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx)
    dialog = OutcomeDialog(dctx, NURSE, episode_id, outcome="discharge")
    show(qtbot, dialog)
    assert not dialog.alerts_label.isVisible() and not dialog.reason.isVisible()
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.top_error.text()


def test_alert_raised_after_opening_is_caught_by_the_service(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx)
    dialog = OutcomeDialog(dctx, NURSE, episode_id, outcome="discharge")
    show(qtbot, dialog)
    assert dialog.save_button.isEnabled()
    # Another workstation records ICANS 2 meanwhile (the episode version is unchanged).
    assessments.record_assessment(dctx, NURSE, episode_id, obs(**ICANS2))
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert patients.get_episode(dctx, NURSE, episode_id).status == "active"
    assert dialog.reason.isVisible() and dialog.focusWidget() is dialog.reason
    assert "RULES E1" in dialog.field_errors["reason"].text()
    assert "Critical-care discussion" in dialog.alerts_label.text()
    qtbot.keyClicks(dialog.reason, "palliative care at home agreed with the family")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.top_error.text()
