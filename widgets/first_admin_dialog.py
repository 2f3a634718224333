"""First start of a new ward record: create the first administrator account.

`create_first_admin(username, display_name, password)` is the app service wrapped with the
context; its ValidationFailed text (e.g. "Password is too short...") is shown inline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.errors import ServiceError
from app.passwords import MIN_PASSWORD_LENGTH
from widgets.account_fields import action_buttons, message_label, password_field, passwords_differ

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
        self.password = password_field("Password")
        self.repeat = password_field("Password again")
        self.message = message_label("Set-up message")
        form = QFormLayout()
        form.addRow("&Username", self.username)
        form.addRow("Full &name", self.display_name)
        form.addRow("&Password", self.password)
        form.addRow("Password &again", self.repeat)
        buttons, self.create_button = action_buttons(self, "Create administrator", self.try_create)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.username.setFocus()

    def try_create(self) -> None:
        if passwords_differ(self.password, self.repeat, self.message):
            return
        try:
            self.created = self._create(
                self.username.text(), self.display_name.text(), self.password.text()
            )
        except ServiceError as error:
            self.message.setText(str(error))
            return
        self.accept()
