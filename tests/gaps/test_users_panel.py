"""Issue 7: the administrator deactivates an account (reason required) and resets a
password (typed twice, policy shown); other roles see the actions disabled with the reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog

from app import passwords
from app.actor import Actor, Role
from app.context import AppContext
from app.services import users
from widgets.users_panel import DeactivateUserDialog, ResetPasswordDialog, UsersPanel

pytestmark = pytest.mark.gui

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _fast_hasher() -> Iterator[None]:
    with passwords.use_hasher(passwords.fast_test_hasher()):
        yield


@pytest.fixture
def accounts(gui_ctx: AppContext) -> dict[str, Actor]:
    users.create_first_admin(gui_ctx, "admin", "Ada Admin", PASSWORD)
    admin = users.authenticate(gui_ctx, "admin", PASSWORD, "ws-test")
    users.create_user(gui_ctx, admin, username="nurse", display_name="Nia Nurse",
                      role=Role.NURSE, password=PASSWORD)
    return {"admin": admin, "nurse": users.authenticate(gui_ctx, "nurse", PASSWORD, "ws-test")}


def make_panel(qtbot: Any, ctx: AppContext, actor: Actor,
               answer: Callable[[Any], None] | None = None) -> UsersPanel:
    panel = UsersPanel.for_actor(ctx, actor)
    qtbot.addWidget(panel)
    seen: list[QDialog] = []

    def exec_dialog(dialog: QDialog) -> bool:  # the seam: fill the dialog, press its button
        seen.append(dialog)
        if answer is not None:
            answer(dialog)
        if dialog.result() != QDialog.DialogCode.Accepted:
            dialog.reject()
        return dialog.result() == QDialog.DialogCode.Accepted

    panel.exec_dialog = exec_dialog  # type: ignore[method-assign]
    panel.seen = seen  # type: ignore[attr-defined]
    panel.show()
    return panel


def active_column(panel: UsersPanel, username: str) -> str:
    model = panel.model
    row = next(n for n, u in enumerate(model.rows()) if u.username == username)
    return str(model.index(row, 3).data())


def test_deactivate_needs_a_reason_and_stops_the_login(
    qtbot: Any, gui_ctx: AppContext, accounts: dict[str, Actor]
) -> None:
    def answer(dialog: Any) -> None:
        assert isinstance(dialog, DeactivateUserDialog)
        assert "Nia Nurse (nurse, nurse)" in dialog.intro.text()
        assert not dialog.deactivate_button.isEnabled(), "no reason yet"
        assert dialog.deactivate_button.toolTip() == "Give a reason first"
        dialog.reason.setPlainText("   ")
        assert not dialog.deactivate_button.isEnabled(), "spaces are not a reason"
        dialog.reason.setPlainText("left the trust on 31 March")
        dialog.deactivate_button.click()

    panel = make_panel(qtbot, gui_ctx, accounts["admin"], answer)
    assert not panel.deactivate_button.isEnabled()
    assert panel.deactivate_button.toolTip() == "Select an account in the list first."
    panel.select_user("nurse")
    assert panel.deactivate_button.isEnabled()
    panel.deactivate_button.click()

    assert panel.message.text() == "Account nurse deactivated: it can no longer log in."
    assert active_column(panel, "nurse") == "deactivated"
    panel.select_user("nurse")
    assert not panel.deactivate_button.isEnabled()
    assert panel.deactivate_button.toolTip() == "nurse is already deactivated."
    with pytest.raises(users.LoginFailed, match="This account is deactivated: ask an admin"):
        users.authenticate(gui_ctx, "nurse", PASSWORD, "ws-test")


def test_refused_deactivation_keeps_the_dialog_and_the_reason(
    qtbot: Any, gui_ctx: AppContext, accounts: dict[str, Actor]
) -> None:
    kept: list[str] = []

    def answer(dialog: Any) -> None:
        dialog.reason.setPlainText("testing")
        dialog.deactivate_button.click()
        kept.append(dialog.message.text())
        kept.append(dialog.reason.toPlainText())

    panel = make_panel(qtbot, gui_ctx, accounts["admin"], answer)
    panel.select_user("admin")
    assert not panel.reset_button.isEnabled()  # set_password would ask for the current one
    assert panel.reset_button.toolTip() == (
        "This is your own account: change it with your current password.")
    assert not panel.deactivate_selected()
    assert kept == ["user: You cannot deactivate your own account: ask another admin.",
                    "testing"]
    assert active_column(panel, "admin") == "yes"


def test_reset_password_typed_twice_with_the_policy_shown(
    qtbot: Any, gui_ctx: AppContext, accounts: dict[str, Actor]
) -> None:
    messages: list[str] = []

    def answer(dialog: Any) -> None:
        assert isinstance(dialog, ResetPasswordDialog)
        assert "At least 10 characters" in dialog.policy.text()
        dialog.password.setText("short")
        dialog.repeat.setText("short")
        dialog.set_button.click()
        messages.append(dialog.message.text())
        dialog.password.setText("a brand new passphrase")
        dialog.repeat.setText("a brand new passphrasE")
        dialog.set_button.click()
        messages.append(dialog.message.text())
        assert dialog.password.text() == "" and dialog.repeat.text() == ""
        dialog.password.setText("a brand new passphrase")
        dialog.repeat.setText("a brand new passphrase")
        dialog.set_button.click()

    panel = make_panel(qtbot, gui_ctx, accounts["admin"], answer)
    panel.select_user("nurse")
    panel.reset_button.click()

    assert messages == [
        "Password is too short (5 characters): use at least 10 characters, e.g. a few "
        "unrelated words.",
        "The two passwords differ: type them again.",
    ]
    assert panel.message.text() == "Password of nurse reset."
    with pytest.raises(users.LoginFailed, match="Wrong username or password"):
        users.authenticate(gui_ctx, "nurse", PASSWORD, "ws-test")
    assert users.authenticate(gui_ctx, "nurse", "a brand new passphrase", "ws").username == "nurse"


def test_actions_disabled_with_the_reason_for_other_roles(
    qtbot: Any, gui_ctx: AppContext, accounts: dict[str, Actor]
) -> None:
    admin_users = users.list_users(gui_ctx, accounts["admin"])
    nurse = accounts["nurse"]
    panel = UsersPanel(lambda: admin_users, lambda **_: None, actor=nurse,
                       deactivate_user=lambda *_: None, set_password=lambda *_: None)
    qtbot.addWidget(panel)
    panel.select_user("admin")
    for button in (panel.add_button, panel.deactivate_button, panel.reset_button):
        assert not button.isEnabled()
        assert button.toolTip() == (
            "A nurse may not manage users and backups (allowed: admin).")
    assert not panel.deactivate_selected() and not panel.reset_password_selected()
