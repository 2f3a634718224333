"""The pieces every account dialog shares (log in, unlock, first administrator, add user,
deactivate, reset password): a masked password field, the red message line under the form,
the check that a password typed twice matches, and the action/Cancel button row."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QPushButton

MESSAGE_STYLE = "color: #b00020;"


def password_field(accessible_name: str, placeholder: str = "") -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(accessible_name)
    if placeholder:
        field.setPlaceholderText(placeholder)
    return field


def message_label(accessible_name: str) -> QLabel:
    """The line a refusal is shown on, in words (empty until there is one)."""
    label = QLabel("")
    label.setAccessibleName(accessible_name)
    label.setWordWrap(True)
    label.setStyleSheet(MESSAGE_STYLE)
    return label


def passwords_differ(password: QLineEdit, repeat: QLineEdit, message: QLabel) -> bool:
    """True when the two typings differ: then both are cleared for typing again."""
    if password.text() == repeat.text():
        return False
    message.setText("The two passwords differ: type them again.")
    password.clear()
    repeat.clear()
    password.setFocus()
    return True


def action_buttons(
    dialog: QDialog, text: str, on_accept: Callable[[], None], *, default: bool = True
) -> tuple[QDialogButtonBox, QPushButton]:
    """The action button (Enter presses it when `default`) and Cancel (Esc)."""
    buttons = QDialogButtonBox()
    action = buttons.addButton(text, QDialogButtonBox.ButtonRole.AcceptRole)
    action.setDefault(default)
    buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(on_accept)
    buttons.rejected.connect(dialog.reject)
    return buttons, action
