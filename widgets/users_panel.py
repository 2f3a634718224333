"""User management for the administrator (SAFETY.md: admins manage users, see no clinical
data): the list of accounts and an *Add user…* dialog.

Services come in as callables so the panel never touches the database:
`list_users() -> list[UserRow]` and `create_user(username=, display_name=, role=, password=,
pin=) -> UserRow` (app.services.users bound to the context and the admin actor)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.actor import Role
from app.errors import ServiceError
from app.passwords import MIN_PASSWORD_LENGTH
from widgets.models import Column, RowTableModel


class UsersModel(RowTableModel[Any]):
    columns = (
        Column("Username", lambda u: u.username),
        Column("Full name", lambda u: u.display_name),
        Column("Role", lambda u: u.role.value),
        Column("Active", lambda u: "yes" if u.active else "deactivated"),
        Column("Unlock PIN", lambda u: "set" if u.has_pin else "—"),
        Column("Locked until", lambda u: f"{u.locked_until:%d %b %H:%M}" if u.locked_until
               else ""),
    )

    def row_key(self, row: Any) -> int:
        return int(row.id)


class AddUserDialog(QDialog):
    def __init__(self, create_user: Callable[..., Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._create = create_user
        self.created: Any = None
        self.setWindowTitle("Add user")
        self.username = QLineEdit()
        self.username.setAccessibleName("Username")
        self.display_name = QLineEdit()
        self.display_name.setAccessibleName("Full name")
        self.role = QComboBox()
        self.role.setAccessibleName("Role")
        for role in (Role.NURSE, Role.HAEMATOLOGIST, Role.PHARMACIST, Role.ADMIN):
            self.role.addItem(role.value.capitalize(), role.value)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password.setPlaceholderText(f"at least {MIN_PASSWORD_LENGTH} characters")
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat.setAccessibleName("Password again")
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setAccessibleName("Unlock PIN (optional)")
        self.pin.setPlaceholderText("optional, 4 to 8 digits")
        self.message = QLabel("")
        self.message.setAccessibleName("Add user message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        form = QFormLayout()
        form.addRow("&Username", self.username)
        form.addRow("Full &name", self.display_name)
        form.addRow("&Role", self.role)
        form.addRow("&Password", self.password)
        form.addRow("Password &again", self.repeat)
        form.addRow("Unlock P&IN", self.pin)
        buttons = QDialogButtonBox()
        self.create_button = buttons.addButton("Create account",
                                               QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_create)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def try_create(self) -> None:
        if self.password.text() != self.repeat.text():
            self.message.setText("The two passwords differ: type them again.")
            self.password.clear()
            self.repeat.clear()
            self.password.setFocus()
            return
        try:
            self.created = self._create(
                username=self.username.text(), display_name=self.display_name.text(),
                role=self.role.currentData(), password=self.password.text(),
                pin=self.pin.text() or None,
            )
        except ServiceError as error:
            self.message.setText(str(error))
            return
        self.accept()


class UsersPanel(QWidget):
    def __init__(self, list_users: Callable[[], Sequence[Any]],
                 create_user: Callable[..., Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._list = list_users
        self._create = create_user
        self.setObjectName("usersPanel")
        self.setAccessibleName("User accounts")
        self.model = UsersModel(self)
        self.table = QTableView()
        self.table.setAccessibleName("User accounts")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.message = QLabel("")
        self.message.setAccessibleName("Users message")
        self.add_button = QPushButton("&Add user…")
        self.add_button.setAccessibleName("Add user")
        self.add_button.clicked.connect(self.add_user)
        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.clicked.connect(self.reload)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.refresh_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        note = QLabel("Accounts are never deleted, only deactivated, so old entries stay "
                      "attributable. Administrators see no clinical data.")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        self.reload()

    def reload(self) -> None:
        try:
            users = list(self._list())
        except ServiceError as error:
            self.message.setText(str(error))
            return
        self.model.set_rows(users)
        self.table.resizeColumnsToContents()
        self.message.setText(f"{len(users)} account{'s' if len(users) != 1 else ''}.")

    def exec_dialog(self, dialog: QDialog) -> bool:
        """The seam tests replace (fill the fields, press the button)."""
        return dialog.exec() == QDialog.DialogCode.Accepted

    def add_user(self) -> bool:
        dialog = AddUserDialog(self._create, self)
        added = self.exec_dialog(dialog)
        if added:
            self.reload()
            self.message.setText(f"Account {dialog.created.username} created.")
        return added
