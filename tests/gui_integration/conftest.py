"""GUI-integration fixtures: the small ward of tests/gui (imported, not copied), real
accounts made with a cheap Argon2id hasher, and a session shell whose modal dialogs run
through one seam (`SessionShell.exec_dialog`) that the test scripts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog

from app import passwords
from app.actor import Actor, Role
from app.context import AppContext
from tests.gui import conftest as gui_fixtures

PASSWORD = "correct horse battery"

# The small ward of tests/gui (read, not copied): two infused episodes on a fake clock.
gui_ctx = gui_fixtures.gui_ctx
ward = gui_fixtures.ward



@pytest.fixture(autouse=True)
def fast_hasher() -> Iterator[Any]:
    with passwords.use_hasher(passwords.fast_test_hasher()) as hasher:
        yield hasher


@pytest.fixture
def accounts(gui_ctx: AppContext) -> dict[str, Actor]:
    """One real account per role (username = role name, password PASSWORD), logged in."""
    from app.services.users import authenticate, create_first_admin, create_user

    create_first_admin(gui_ctx, "admin", "Ada Admin", PASSWORD)
    admin = authenticate(gui_ctx, "admin", PASSWORD, "ws-test")
    out = {"admin": admin}
    for name, role in (("nurse", Role.NURSE), ("nurse2", Role.NURSE),
                       ("haem", Role.HAEMATOLOGIST), ("pharm", Role.PHARMACIST)):
        create_user(gui_ctx, admin, username=name, display_name=f"{name} Test", role=role,
                    password=PASSWORD)
        out[name] = authenticate(gui_ctx, name, PASSWORD, "ws-test")
    return out


class ScriptedDialogs:
    """Answers the session's modal dialogs in order: each script fills one dialog and
    presses its button; the shell sees the dialog's result as a real run would."""

    def __init__(self) -> None:
        self.scripts: list[Callable[[QDialog], None]] = []
        self.seen: list[QDialog] = []

    def login(self, username: str, password: str = PASSWORD) -> None:
        def fill(dialog: Any) -> None:
            assert dialog.username.text() == ""  # nothing prefilled on a shared workstation
            dialog.username.setText(username)
            dialog.password.setText(password)
            dialog.login_button.click()

        self.scripts.append(fill)

    def __call__(self, dialog: QDialog) -> bool:
        self.seen.append(dialog)
        if not self.scripts:
            dialog.reject()
            return False
        self.scripts.pop(0)(dialog)
        return dialog.result() == QDialog.DialogCode.Accepted


@pytest.fixture
def make_shell(qtbot: Any, gui_ctx: AppContext) -> Iterator[Callable[[], Any]]:
    """make_shell() -> (shell, scripted dialogs); windows use the synchronous executor."""
    from app.gui import window_factory
    from widgets.session_shell import SessionShell

    shells: list[Any] = []

    def make() -> tuple[Any, ScriptedDialogs]:
        shell = SessionShell(gui_ctx, window_factory(gui_ctx, synchronous=True, poll_ms=0),
                             workstation="ws-test", idle_minutes=5, check_ms=60_000)
        dialogs = ScriptedDialogs()
        shell.exec_dialog = dialogs  # type: ignore[method-assign]
        shells.append(shell)
        return shell, dialogs

    yield make
    for shell in shells:
        if shell.window is not None:
            shell.window.close()
        shell.shutdown()


def visible_text(widget: Any) -> str:
    """Everything a person could read on the window now: visible labels, fields, buttons,
    tab titles and the cells of visible tables."""
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QLabel,
        QLineEdit,
        QTabWidget,
        QWidget,
    )

    parts: list[str] = [widget.windowTitle()]
    for child in widget.findChildren(QWidget):
        if not child.isVisible():
            continue
        if isinstance(child, QLabel | QAbstractButton | QLineEdit):
            parts.append(child.text())
        elif isinstance(child, QTabWidget):
            parts += [child.tabText(i) for i in range(child.count())]
        elif isinstance(child, QAbstractItemView) and child.model() is not None:
            model = child.model()
            for row in range(model.rowCount()):
                for column in range(model.columnCount()):
                    parts.append(str(model.index(row, column).data() or ""))
    return "\n".join(parts)
