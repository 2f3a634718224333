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
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.actor import Actor
from app.errors import ServiceError

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
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.message = QLabel("")
        self.message.setAccessibleName("Login message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow("&Username", self.username)
        form.addRow("&Password", self.password)
        buttons = QDialogButtonBox()
        self.login_button = buttons.addButton("Log in", QDialogButtonBox.ButtonRole.AcceptRole)
        self.login_button.setDefault(True)  # Enter logs in
        self.login_button.setAccessibleName("Log in")
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)

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
