"""Start-up, login, idle lock and switch user through the real session shell and services."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.actor import Actor
from app.context import AppContext
from db.models import Assessment, AuditEvent
from tests.gui.conftest import Ward
from tests.gui_integration.conftest import PASSWORD, visible_text

pytestmark = pytest.mark.gui


def count(ctx: AppContext, model: Any, **where: Any) -> int:
    with ctx.database.read() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(session.scalar(query) or 0)


def test_first_start_sets_up_the_admin_then_logs_in(make_shell: Any, gui_ctx: AppContext) -> None:
    shell, dialogs = make_shell()

    def set_up(dialog: Any) -> None:
        assert dialog.windowTitle().startswith("Set up the ward monitor")
        dialog.username.setText("ada")
        dialog.display_name.setText("Ada Admin")
        dialog.password.setText(PASSWORD)
        dialog.repeat.setText(PASSWORD)
        dialog.create_button.click()

    dialogs.scripts.append(set_up)
    dialogs.login("ada")
    assert shell.start()
    window = shell.window
    assert "ada" in window.user_label.text() and "role: admin" in window.user_label.text()
    # The administrator lands on user management: the new account is listed, no ward.
    assert window.centralWidget() is window.role_page
    assert [u.username for u in window.role_page.model.rows()] == ["ada"]
    assert window.board.model.rowCount() == 0


def test_login_refuses_a_wrong_password_with_a_message(
    qtbot: Any, gui_ctx: AppContext, accounts: dict[str, Actor],
) -> None:
    from app.services.users import authenticate
    from widgets.login_dialog import LoginDialog

    dialog = LoginDialog(lambda u, p: authenticate(gui_ctx, u, p, "ws-test"))
    qtbot.addWidget(dialog)
    dialog.username.setText("nurse")
    dialog.password.setText("not the password")
    dialog.login_button.click()
    assert dialog.actor is None
    assert "Wrong username or password" in dialog.message.text()
    assert dialog.password.text() == ""  # typed again, never left in the field
    dialog.password.setText(PASSWORD)
    dialog.login_button.click()
    assert dialog.actor is not None and dialog.actor.username == "nurse"


def test_cancelled_login_opens_no_window(make_shell: Any, accounts: dict[str, Actor]) -> None:
    shell, _dialogs = make_shell()  # no script: the login dialog is cancelled
    assert not shell.start()
    assert shell.window is None


def open_with_typed_temperature(shell: Any, qtbot: Any, episode_id: int) -> Any:
    window = shell.window
    window.open_episode(episode_id)
    form = window.patient_view.form
    qtbot.keyClicks(form.temperature, "38.4")
    assert form.is_dirty()
    return window


def test_idle_lock_hides_patient_data_and_gives_the_draft_back_to_its_user(
    make_shell: Any, qtbot: Any, fake_clock: Any, ward: Ward, accounts: dict[str, Actor],
) -> None:
    shell, dialogs = make_shell()
    gui_ctx = shell.ctx
    dialogs.login("nurse")
    assert shell.start()
    window = open_with_typed_temperature(shell, qtbot, ward.adult)
    assert "role: nurse" in window.user_label.text()
    assert "smith" in visible_text(window).lower()

    fake_clock.advance(minutes=4)
    shell.check_idle()
    assert not window.locked  # not idle long enough yet
    qtbot.keyClick(window.patient_view.form.heart_rate, "9")  # activity restarts the count
    fake_clock.advance(minutes=4)
    shell.check_idle()
    assert not window.locked
    fake_clock.advance(minutes=1, seconds=1)
    shell.check_idle()

    assert window.locked
    assert shell.lock_screen.isVisible()
    text = visible_text(window).lower()
    assert "smith" not in text and "jones" not in text and "999 000 0018" not in text
    assert window.board.model.rowCount() == 0
    assert not window.patient_view.isVisible()
    assert not window.menuBar().isEnabled()

    shell.lock_screen.secret.setText("wrong password")
    shell.lock_screen.unlock_button.click()
    assert window.locked and "Wrong password or PIN" in shell.lock_screen.message.text()
    shell.lock_screen.secret.setText(PASSWORD)
    shell.lock_screen.unlock_button.click()

    assert not window.locked
    assert window.board.model.rowCount() == 2
    form = window.patient_view.form
    assert form.temperature.text() == "38.4" and form.heart_rate.text() == "9"
    assert count(gui_ctx, Assessment) == 0  # a draft, never saved by the lock


def test_another_user_after_the_lock_starts_clean_and_nothing_is_committed(
    make_shell: Any, qtbot: Any, fake_clock: Any, ward: Ward, accounts: dict[str, Actor],
) -> None:
    shell, dialogs = make_shell()
    gui_ctx = shell.ctx
    dialogs.login("nurse")
    assert shell.start()
    first_window = open_with_typed_temperature(shell, qtbot, ward.adult)
    fake_clock.advance(minutes=6)
    shell.check_idle()
    assert first_window.locked

    dialogs.login("nurse2")
    # nurse's unsaved set: the switch asks first; discarding it is confirmed here
    dialogs.scripts.append(lambda dialog: dialog.discard_button.click())
    shell.lock_screen.switch_button.click()  # "Switch user" on the lock screen

    window = shell.window
    assert window is not first_window
    assert "nurse2" in window.user_label.text()
    window.open_episode(ward.adult)
    assert not window.patient_view.form.is_dirty()
    assert window.patient_view.form.temperature.text() == ""
    window.patient_view.form.request_save()  # even saving now stores nothing of nurse's
    assert count(gui_ctx, Assessment) == 0
    assert count(gui_ctx, AuditEvent, action="assessment.record") == 0

    # nurse comes back later: the draft was discarded, not kept for anyone.
    dialogs.login("nurse")
    window.switch_user_action.trigger()
    shell.window.open_episode(ward.adult)
    assert shell.window.patient_view.form.temperature.text() == ""


def test_switch_user_is_one_click_and_the_same_user_keeps_the_draft(
    make_shell: Any, qtbot: Any, gui_ctx: AppContext, ward: Ward, accounts: dict[str, Actor],
) -> None:
    shell, dialogs = make_shell()
    dialogs.login("nurse")
    assert shell.start()
    window = open_with_typed_temperature(shell, qtbot, ward.adult)
    action = window.switch_user_action
    assert action.shortcut().toString() == "Ctrl+Shift+L"
    assert action in window.toolbar.actions()

    dialogs.login("nurse")  # the same person signs in again
    action.trigger()
    assert shell.window is window and not window.locked
    assert window.patient_view.form.temperature.text() == "38.4"


def test_idle_minutes_come_from_the_environment() -> None:
    from widgets.session_shell import idle_minutes_from_env

    assert idle_minutes_from_env({}) == 5
    assert idle_minutes_from_env({"CARWARD_IDLE_MINUTES": "2.5"}) == 2.5
    with pytest.raises(ValueError, match="CARWARD_IDLE_MINUTES"):
        idle_minutes_from_env({"CARWARD_IDLE_MINUTES": "five"})
