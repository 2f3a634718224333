"""Update weight… (usability audit finding 8): the weight tocilizumab doses are calculated
from can be re-weighed or corrected, from the keyboard, with bad input refused next to
its field and every typed value kept."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import select

from app.context import AppContext
from app.services import patients
from db.models import AuditEvent
from tests.gui_dialogs.conftest import (
    HAEM,
    NURSE,
    PHARM,
    active_episode,
    focused,
    press,
    show,
    tab,
    type_text,
)
from widgets.dialogs import Dialogs
from widgets.weight_dialog import WeightDialog


def _open(qtbot: Any, ctx: AppContext, episode_id: int, actor: Any = NURSE) -> WeightDialog:
    dialog = WeightDialog(ctx, actor, episode_id)
    show(qtbot, dialog)
    assert focused() is dialog.weight
    return dialog


def _stored(ctx: AppContext, episode_id: int) -> tuple[float, date]:
    episode = patients.get_episode(ctx, NURSE, episode_id)
    return episode.weight_kg, episode.weight_recorded_on


def test_reweighing_from_the_keyboard_stores_weight_and_date(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    dialog = _open(qtbot, dctx, episode_id)
    assert dialog.current.text() == "80 kg, weighed 10 Mar 2026 (today)"
    assert "SMITH, Anna" in dialog.identity.plain_text()  # whose weight is being changed
    assert dialog.weighed_on.text() == "10/03/2026"  # today by default

    type_text(qtbot, "72,5")  # a decimal comma is read as a point
    press(qtbot, Qt.Key.Key_Return)

    assert dialog.result() == dialog.DialogCode.Accepted, dialog.top_error.text()
    assert _stored(dctx, episode_id) == (72.5, date(2026, 3, 10))
    with dctx.database.read() as s:
        event = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
        assert event is not None and event.action == "update_weight"
        assert event.username == NURSE.username and event.after is not None
        assert event.after["weight_kg"] == 72.5


def test_correcting_a_mistyped_weight_with_the_date_it_was_measured(
    qtbot: Any, dctx: AppContext
) -> None:
    episode_id = active_episode(dctx, weight=59.0)
    dialog = _open(qtbot, dctx, episode_id)
    type_text(qtbot, "95")
    tab(qtbot)
    assert focused() is dialog.weighed_on
    dialog.weighed_on.selectAll()
    type_text(qtbot, "08/03/2026")
    press(qtbot, Qt.Key.Key_Return)  # 59 -> 95 kg, dated before the stored weight: asked why
    assert dialog.result() != dialog.DialogCode.Accepted
    assert _stored(dctx, episode_id) == (59.0, date(2026, 3, 10))
    assert focused() is dialog.reason
    type_text(qtbot, "95 kg typed as 59 at registration; weighed in clinic 08/03")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.top_error.text()
    assert _stored(dctx, episode_id) == (95.0, date(2026, 3, 8))


def test_bad_input_is_refused_next_to_its_field_and_kept(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    dialog = _open(qtbot, dctx, episode_id)

    press(qtbot, Qt.Key.Key_Return)  # nothing typed
    assert dialog.field_errors["weight_kg"].text() == "⚠ Type the weight in kg, e.g. 72.5"

    type_text(qtbot, "seventy")
    tab(qtbot)
    dialog.weighed_on.selectAll()
    type_text(qtbot, "31/02/2026")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.field_errors["weight_kg"].text() == (
        "⚠ 'seventy' is not a number — type the weight in kg, e.g. 72.5"
    )
    assert "is not a date" in dialog.field_errors["weight_recorded_on"].text()
    assert (dialog.weight.text(), dialog.weighed_on.text()) == ("seventy", "31/02/2026")
    assert focused() is dialog.weight

    dialog.weight.selectAll()
    type_text(qtbot, "700")  # the service's limits
    assert not dialog.field_errors["weight_kg"].isVisible()  # changed: its line goes
    dialog.weighed_on.setFocus()
    dialog.weighed_on.selectAll()
    type_text(qtbot, "11/03/2026")  # tomorrow
    press(qtbot, Qt.Key.Key_Return)
    assert "weight must be 0.5–350 kg" in dialog.field_errors["weight_kg"].text()
    assert dialog.isVisible()
    assert _stored(dctx, episode_id) == (80.0, date(2026, 3, 10))

    dialog.weight.setFocus()
    dialog.weight.selectAll()
    type_text(qtbot, "70")
    press(qtbot, Qt.Key.Key_Return)
    assert "future" in dialog.field_errors["weight_recorded_on"].text()
    assert dialog.weight.text() == "70"
    assert _stored(dctx, episode_id) == (80.0, date(2026, 3, 10))


def test_a_change_made_elsewhere_is_reloaded_before_saving(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    dialog = _open(qtbot, dctx, episode_id)
    version = patients.get_episode(dctx, NURSE, episode_id).version
    patients.update_weight(dctx, HAEM, episode_id, 78.0, expected_version=version)

    type_text(qtbot, "79")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert "Changed by dr.okafor" in dialog.top_error.text()
    assert dialog.reload_button.isVisible() and focused() is dialog.reload_button

    press(qtbot, Qt.Key.Key_Space)  # Reload episode
    assert "78 kg" in dialog.current.text() and dialog.weight.text() == "79"
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.top_error.text()
    assert _stored(dctx, episode_id)[0] == 79.0


def test_a_pharmacist_is_told_at_once_and_cannot_save(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    dialog = _open(qtbot, dctx, episode_id, actor=PHARM)
    assert "A pharmacist may not" in dialog.top_error.text()
    assert not dialog.save_button.isEnabled()
    type_text(qtbot, "70")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.weight.text() == "70"
    assert _stored(dctx, episode_id)[0] == 80.0


def test_the_dialogs_hook_says_whether_the_weight_was_stored(qtbot: Any, dctx: AppContext) -> None:
    episode_id = active_episode(dctx, weight=80.0)
    hooks = Dialogs(dctx, NURSE)
    parent = QWidget()
    qtbot.addWidget(parent)

    def answer(weight: str | None) -> None:
        def step() -> None:
            dialog = QApplication.activeModalWidget()
            if not isinstance(dialog, WeightDialog):
                QTimer.singleShot(10, step)
                return
            if weight is None:
                dialog.reject()
                return
            dialog.weight.setText(weight)
            dialog.accept()
            if dialog.isVisible():
                dialog.reject()

        QTimer.singleShot(0, step)

    answer(None)
    assert hooks.update_weight(parent, episode_id) is False
    answer("66")
    assert hooks.update_weight(parent, episode_id) is True
    assert _stored(dctx, episode_id)[0] == 66.0
