"""Login dialog, first-admin set-up, lock screen and audit viewer, driven by the keyboard
against the real services (SQLite)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.actor import Role
from app.context import AppContext
from app.services import users
from app.services.audit_query import query_audit
from app.session_lock import SessionLock
from db.engine import Database
from tests.accounts.conftest import PASSWORD, PIN
from tests.fakes import FakeClock
from widgets.audit_viewer import AuditViewer
from widgets.first_admin_dialog import FirstAdminDialog
from widgets.lock_screen import LockScreen
from widgets.login_dialog import LoginDialog

# The offscreen platform plugin warns about itself when a dialog is shown (not our code).
pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture
def app_ctx(sqlite_database: Database, fake_clock: FakeClock) -> AppContext:
    return AppContext(sqlite_database, clock=fake_clock)


@pytest.fixture
def with_nurse(app_ctx: AppContext) -> users.UserRow:
    users.create_first_admin(app_ctx, "admin", "Ada Admin", PASSWORD)
    admin = users.authenticate(app_ctx, "admin", PASSWORD, "ws")
    return users.create_user(
        app_ctx, admin, username="nina", display_name="Nina Nurse", role="nurse",
        password=PASSWORD, pin=PIN,
    )  # fmt: skip


def login_dialog(qtbot: Any, ctx: AppContext) -> LoginDialog:
    dialog = LoginDialog(lambda u, p: users.authenticate(ctx, u, p, "ws-gui"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitActive(dialog)
    return dialog


def test_login_by_keyboard(qtbot: Any, app_ctx: AppContext, with_nurse: Any) -> None:
    dialog = login_dialog(qtbot, app_ctx)
    assert dialog.focusWidget() is dialog.username
    qtbot.keyClicks(dialog.username, "nina")
    qtbot.keyClick(dialog.username, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.password
    qtbot.keyClicks(dialog.password, PASSWORD)
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.actor is not None and dialog.actor.role is Role.NURSE
    assert dialog.actor.workstation == "ws-gui"


def test_failed_login_message_inline(qtbot: Any, app_ctx: AppContext, with_nurse: Any) -> None:
    dialog = login_dialog(qtbot, app_ctx)
    qtbot.keyClicks(dialog.username, "nina")
    qtbot.keyClick(dialog.username, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.password, "not my password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.actor is None
    assert "Wrong username or password. 9 attempts left" in dialog.message.text()
    assert dialog.password.text() == "" and dialog.focusWidget() is dialog.password
    dialog.switch_user()
    assert dialog.username.text() == "" and dialog.message.text() == ""


def test_first_admin_dialog(qtbot: Any, app_ctx: AppContext) -> None:
    dialog = FirstAdminDialog(lambda u, n, p: users.create_first_admin(app_ctx, u, n, p))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitActive(dialog)
    qtbot.keyClicks(dialog.username, "boss")
    qtbot.keyClick(dialog.username, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.display_name, "Big Boss")
    qtbot.keyClick(dialog.display_name, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.password, "short")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.repeat, "short")
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    assert "at least 10 characters" in dialog.message.text()
    assert not users.any_user_exists(app_ctx)
    for field in (dialog.password, dialog.repeat):
        field.clear()
        qtbot.keyClicks(field, PASSWORD)
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    assert users.authenticate(app_ctx, "boss", PASSWORD, "ws").role is Role.ADMIN


def test_lock_screen_unlock_by_pin_keeps_the_draft(
    qtbot: Any, app_ctx: AppContext, with_nurse: Any, fake_clock: FakeClock
) -> None:
    session = SessionLock(fake_clock, idle_minutes=5)
    session.start(with_nurse.id)
    fake_clock.advance(minutes=5)
    assert session.should_lock()
    session.lock({"temperature_c": "38.9"})
    screen = LockScreen(
        "Nina Nurse (nurse)",
        lambda secret: users.unlock_with_pin_or_password(app_ctx, with_nurse.id, secret),
        problem=lambda: users.unlock_problem(app_ctx, with_nurse.id),
    )
    qtbot.addWidget(screen)
    screen.show()
    screen.activateWindow()
    qtbot.waitActive(screen)
    assert screen.focusWidget() is screen.secret
    qtbot.keyClicks(screen.secret, "0000")
    qtbot.keyClick(screen.secret, Qt.Key.Key_Return)
    assert "Wrong password or PIN" in screen.message.text()
    qtbot.keyClicks(screen.secret, PIN)
    with qtbot.waitSignal(screen.unlocked, timeout=2000):
        qtbot.keyClick(screen.secret, Qt.Key.Key_Return)
    assert session.unlock(with_nurse.id) == {"temperature_c": "38.9"}


def test_lock_screen_switch_user_by_keyboard(qtbot: Any) -> None:
    screen = LockScreen("Nina Nurse (nurse)", lambda _secret: False)
    qtbot.addWidget(screen)
    screen.show()
    screen.activateWindow()
    qtbot.waitActive(screen)
    with qtbot.waitSignal(screen.switch_user_requested, timeout=2000):
        # sent to the window, so it goes through Qt's shortcut handling like a real key
        qtbot.keyClick(screen.windowHandle(), Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    assert screen.accessibleName() == "Screen locked"


def test_audit_viewer_read_only_with_diff(qtbot: Any, app_ctx: AppContext, with_nurse: Any) -> None:
    admin = users.authenticate(app_ctx, "admin", PASSWORD, "ws")
    users.deactivate_user(app_ctx, admin, with_nurse.id, reason="left the trust")
    viewer = AuditViewer(lambda **f: query_audit(app_ctx, admin, **f))
    qtbot.addWidget(viewer)
    viewer.show()
    qtbot.keyClicks(viewer.action, "user.deactivate")
    qtbot.keyClick(viewer.action, Qt.Key.Key_Return)
    assert viewer.model.rowCount() == 1
    index = viewer.model.index(0, 4)
    assert viewer.model.data(index) == "Account deactivated"
    assert not viewer.model.flags(index) & Qt.ItemFlag.ItemIsEditable
    assert "active: true → false" in viewer.diff.toPlainText()
    assert "reason: left the trust" in viewer.diff.toPlainText()
    viewer.action.clear()
    qtbot.keyClicks(viewer.episode, "twelve")
    qtbot.keyClick(viewer.episode, Qt.Key.Key_Return)
    assert "Episode must be a number" in viewer.message.text()
