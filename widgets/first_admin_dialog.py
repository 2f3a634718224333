"""First start of a new ward record: create the first administrator account.

`create_first_admin(username, display_name, password)` is the app service wrapped with the
context; its ValidationFailed text (e.g. "Password is too short...") is shown inline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.errors import ServiceError
from app.passwords import MIN_PASSWORD_LENGTH

CreateFirstAdmin = Callable[[str, str, str], Any]


class FirstAdminDialog(QDialog):
    def __init__(self, create_first_admin: CreateFirstAdmin, parent: QWidget | None = None):
        super().__init__(parent)
        self._create = create_first_admin
        self.created: Any = None
        self.setWindowTitle("Set up the ward monitor — first administrator")
        self.setAccessibleName("First administrator set-up")
        intro = QLabel(
            "This ward record has no accounts yet. Create the administrator account; the "
            "administrator then adds an account for each nurse, haematologist and "
            f"pharmacist. Passwords need at least {MIN_PASSWORD_LENGTH} characters."
        )
        intro.setWordWrap(True)
        self.username = QLineEdit()
        self.username.setAccessibleName("Administrator username")
        self.display_name = QLineEdit()
        self.display_name.setAccessibleName("Full name")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat.setAccessibleName("Password again")
        self.message = QLabel("")
        self.message.setAccessibleName("Set-up message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        form = QFormLayout()
        form.addRow("&Username", self.username)
        form.addRow("Full &name", self.display_name)
        form.addRow("&Password", self.password)
        form.addRow("Password &again", self.repeat)
        buttons = QDialogButtonBox()
        self.create_button = buttons.addButton(
            "Create administrator", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.create_button.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_create)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.username.setFocus()

    def try_create(self) -> None:
        if self.password.text() != self.repeat.text():
            self.message.setText("The two passwords differ: type them again.")
            self.password.clear()
            self.repeat.clear()
            self.password.setFocus()
            return
        try:
            self.created = self._create(
                self.username.text(), self.display_name.text(), self.password.text()
            )
        except ServiceError as error:
            self.message.setText(str(error))
            return
        self.accept()
