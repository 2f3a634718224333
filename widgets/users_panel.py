"""User management for the administrator (SAFETY.md: admins manage users, see no clinical
data): the list of accounts, *Add user…*, *Deactivate user…* (reason required) and *Reset
password…* (typed twice, the policy shown).

Services come in as callables so the panel never touches the database:
`list_users() -> list[UserRow]`, `create_user(username=, display_name=, role=, password=,
pin=) -> UserRow`, `deactivate_user(user_id, reason) -> UserRow` and
`set_password(user_id, new_password) -> UserRow` (app.services.users bound to the context
and the admin actor; `UsersPanel.for_actor` binds them all). Given the `actor`, the actions
are enabled for an administrator only; anyone else sees them disabled with the reason."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.actor import Actor, Role
from app.context import AppContext
from app.errors import ServiceError
from app.passwords import MIN_PASSWORD_LENGTH, password_problems
from app.permissions import Action, denial_message, is_allowed
from widgets.account_fields import action_buttons, message_label, password_field, passwords_differ
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
        self.password = password_field("Password", f"at least {MIN_PASSWORD_LENGTH} characters")
        self.repeat = password_field("Password again")
        self.pin = password_field("Unlock PIN (optional)", "optional, 4 to 8 digits")
        self.message = message_label("Add user message")
        form = QFormLayout()
        form.addRow("&Username", self.username)
        form.addRow("Full &name", self.display_name)
        form.addRow("&Role", self.role)
        form.addRow("&Password", self.password)
        form.addRow("Password &again", self.repeat)
        form.addRow("Unlock P&IN", self.pin)
        buttons, self.create_button = action_buttons(self, "Create account", self.try_create)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def try_create(self) -> None:
        if passwords_differ(self.password, self.repeat, self.message):
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


POLICY_TEXT = (f"At least {MIN_PASSWORD_LENGTH} characters, not only spaces — e.g. a few "
               "unrelated words. Tell the user to change it at their next login.")


def _account_text(user: Any) -> str:
    return f"{user.display_name} ({user.username}, {user.role.value})"


class DeactivateUserDialog(QDialog):
    """Deactivate one account: a reason is required (kept in the audit trail)."""

    def __init__(self, user: Any, deactivate: Callable[[int, str], Any],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.user = user
        self._deactivate = deactivate
        self.done_row: Any = None
        self.setWindowTitle("Deactivate user")
        self.intro = QLabel(f"Deactivate <b>{_account_text(user)}</b>? The account can no "
                            "longer log in; its entries stay attributed to it.")
        self.intro.setWordWrap(True)
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason for deactivating")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(60)
        self.reason.setPlaceholderText("e.g. left the trust on 31 March")
        self.reason.textChanged.connect(self._update)
        self.message = message_label("Deactivate message")
        form = QFormLayout()
        label = QLabel("&Reason")
        label.setBuddy(self.reason)
        form.addRow(label, self.reason)
        buttons, self.deactivate_button = action_buttons(
            self, "Deactivate account", self.try_deactivate, default=False
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self._update()

    def _update(self) -> None:
        has_reason = bool(self.reason.toPlainText().strip())
        self.deactivate_button.setEnabled(has_reason)
        self.deactivate_button.setToolTip("" if has_reason else "Give a reason first")

    def try_deactivate(self) -> None:
        reason = self.reason.toPlainText().strip()
        if not reason:
            self.message.setText("Give a reason for deactivating.")
            return
        try:
            self.done_row = self._deactivate(self.user.id, reason)
        except ServiceError as error:
            self.message.setText(str(error))  # the dialog stays open with the reason typed
            return
        self.accept()


class ResetPasswordDialog(QDialog):
    """An administrator sets a new password for someone (also lifts a timed lock)."""

    def __init__(self, user: Any, set_password: Callable[[int, str], Any],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.user = user
        self._set_password = set_password
        self.done_row: Any = None
        self.setWindowTitle("Reset password")
        intro = QLabel(f"New password for <b>{_account_text(user)}</b>.")
        intro.setWordWrap(True)
        self.password = password_field("New password")
        self.repeat = password_field("New password again")
        self.policy = QLabel(POLICY_TEXT)
        self.policy.setAccessibleName("Password policy")
        self.policy.setWordWrap(True)
        self.message = message_label("Reset password message")
        form = QFormLayout()
        form.addRow("&New password", self.password)
        form.addRow("Password &again", self.repeat)
        buttons, self.set_button = action_buttons(self, "Set password", self.try_set)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.policy)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def try_set(self) -> None:
        new = self.password.text()
        problems = password_problems(new)
        if problems:  # said before the slow hash, and again by the service
            self.message.setText(problems[0].message)
            self.password.setFocus()
            return
        if passwords_differ(self.password, self.repeat, self.message):
            return
        try:
            self.done_row = self._set_password(self.user.id, new)
        except ServiceError as error:
            self.message.setText(str(error))
            return
        self.accept()


class UsersPanel(QWidget):
    def __init__(
        self,
        list_users: Callable[[], Sequence[Any]],
        create_user: Callable[..., Any],
        parent: QWidget | None = None,
        *,
        actor: Actor | None = None,
        deactivate_user: Callable[[int, str], Any] | None = None,
        set_password: Callable[[int, str], Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self._list = list_users
        self._create = create_user
        self._deactivate = deactivate_user
        self._set_password = set_password
        self._actor = actor
        # Without an actor the caller vouches for an administrator (the main window builds
        # this page for MANAGE_USERS only); with one, the panel checks it itself.
        self._denied = (denial_message(actor, Action.MANAGE_USERS)
                        if actor is not None and not is_allowed(actor, Action.MANAGE_USERS)
                        else "")
        self.setObjectName("usersPanel")
        self.setAccessibleName("User accounts")
        self.model = UsersModel(self)
        self.table = QTableView()
        self.table.setAccessibleName("User accounts")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.message = QLabel("")
        self.message.setAccessibleName("Users message")
        self.add_button = QPushButton("&Add user…")
        self.add_button.setAccessibleName("Add user")
        self.add_button.clicked.connect(self.add_user)
        self.deactivate_button = QPushButton("&Deactivate user…")
        self.deactivate_button.setAccessibleName("Deactivate user")
        self.deactivate_button.clicked.connect(self.deactivate_selected)
        self.reset_button = QPushButton("Reset &password…")
        self.reset_button.setAccessibleName("Reset password")
        self.reset_button.clicked.connect(self.reset_password_selected)
        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.clicked.connect(self.reload)
        row = QHBoxLayout()
        for button in (self.add_button, self.deactivate_button, self.reset_button,
                       self.refresh_button):
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        note = QLabel("Accounts are never deleted, only deactivated, so old entries stay "
                      "attributable. Administrators see no clinical data.")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.reload()

    @classmethod
    def for_actor(cls, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> UsersPanel:
        """The panel with app.services.users bound to the context and the logged-in actor."""
        from app.services import users

        return cls(
            lambda: users.list_users(ctx, actor),
            lambda **values: users.create_user(ctx, actor, **values),
            parent,
            actor=actor,
            deactivate_user=lambda user_id, reason: users.deactivate_user(
                ctx, actor, user_id, reason=reason),
            set_password=lambda user_id, password: users.set_password(
                ctx, actor, user_id, password),
        )

    def selected_user(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select_user(self, username: str) -> None:
        for number, user in enumerate(self.model.rows()):
            if user.username == username:
                self.table.selectRow(number)
                return
        raise LookupError(f"no account {username!r} in the list")

    def _update_buttons(self) -> None:
        user = self.selected_user()
        for button, action, available, extra in (
            (self.add_button, "add", True, ""),
            (self.deactivate_button, "deactivate", self._deactivate is not None,
             "already deactivated" if user is not None and not user.active else ""),
            (self.reset_button, "reset", self._set_password is not None,
             # app.services.users.set_password asks for the current password of one's own.
             "your own account: change it with your current password"
             if user is not None and self._actor is not None
             and user.id == self._actor.user_id else ""),
        ):
            if self._denied:
                why = self._denied
            elif not available:
                why = "Not available in this build."
            elif action != "add" and user is None:
                why = "Select an account in the list first."
            elif extra:
                why = f"{user.username} is {extra}." if extra.startswith("already") else (
                    f"This is {extra}.")
            else:
                why = ""
            button.setEnabled(not why)
            button.setToolTip(why or button.accessibleName())

    def reload(self) -> None:
        try:
            users = list(self._list())
        except ServiceError as error:
            self.message.setText(str(error))
            return
        self.model.set_rows(users)
        self.table.resizeColumnsToContents()
        self.message.setText(f"{len(users)} account{'s' if len(users) != 1 else ''}.")
        self._update_buttons()

    def exec_dialog(self, dialog: QDialog) -> bool:
        """The seam tests replace (fill the fields, press the button)."""
        return dialog.exec() == QDialog.DialogCode.Accepted

    def add_user(self) -> bool:
        if self._denied:
            return False
        dialog = AddUserDialog(self._create, self)
        added = self.exec_dialog(dialog)
        if added:
            self.reload()
            self.message.setText(f"Account {dialog.created.username} created.")
        return added

    def deactivate_selected(self) -> bool:
        user = self.selected_user()
        if not self.deactivate_button.isEnabled() or user is None or self._deactivate is None:
            return False
        dialog = DeactivateUserDialog(user, self._deactivate, self)
        done = self.exec_dialog(dialog)
        if done:
            self.reload()
            self.message.setText(f"Account {user.username} deactivated: it can no longer "
                                 "log in.")
        return done

    def reset_password_selected(self) -> bool:
        user = self.selected_user()
        if not self.reset_button.isEnabled() or user is None or self._set_password is None:
            return False
        dialog = ResetPasswordDialog(user, self._set_password, self)
        done = self.exec_dialog(dialog)
        if done:
            self.reload()
            self.message.setText(f"Password of {user.username} reset.")
        return done
