"""Log in (SAFETY.md: individual accounts). Keyboard first: type the username, Tab, the
password, Enter. A refusal is shown under the form, in words, and the password is cleared.

The dialog takes a callable, so it needs no database: `authenticate(username, password)`
returns the logged-in Actor or raises an error whose text is shown as is
(app.services.users.authenticate wrapped with the context and workstation)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.actor import Actor
from app.errors import ServiceError
from widgets.account_fields import action_buttons, message_label, password_field

Authenticate = Callable[[str, str], Actor]


class LoginDialog(QDialog):
    def __init__(
        self, authenticate: Authenticate, parent: QWidget | None = None, *, username: str = ""
    ) -> None:
        super().__init__(parent)
        self._authenticate = authenticate
        self.actor: Actor | None = None
        self.setWindowTitle("Log in — CAR-T ward monitor")
        self.setAccessibleName("Log in")

        self.username = QLineEdit(username)
        self.username.setAccessibleName("Username")
        self.password = password_field("Password")
        self.message = message_label("Login message")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow("&Username", self.username)
        form.addRow("&Password", self.password)
        buttons, self.login_button = action_buttons(self, "Log in", self.try_login)  # Enter
        self.login_button.setAccessibleName("Log in")
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        (self.password if username else self.username).setFocus()

    def try_login(self) -> None:
        try:
            actor = self._authenticate(self.username.text(), self.password.text())
        except ServiceError as error:
            self.message.setText(str(error))
            self.password.clear()
            self.password.setFocus()
            return
        self.actor = actor
        self.message.clear()
        self.password.clear()
        self.accept()

    def switch_user(self) -> None:
        """Start again for someone else: both fields cleared."""
        self.actor = None
        self.username.clear()
        self.password.clear()
        self.message.clear()
        self.username.setFocus()
