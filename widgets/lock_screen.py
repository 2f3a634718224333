"""The idle lock screen (SAFETY.md): covers the window so no patient data shows, says who
is logged in, and unlocks with that user's password or PIN. "Switch user" is one click
(or Alt+S) away; the caller then discards the draft (app.session_lock.SessionLock).

Services come in as callables: `unlock(secret) -> bool` and `problem() -> str | None`
(e.g. the account's timed lock), so this widget never touches the database."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from widgets.account_fields import message_label, password_field


class LockScreen(QWidget):
    unlocked = Signal()
    switch_user_requested = Signal()

    def __init__(
        self,
        user_label: str,
        unlock: Callable[[str], bool],
        parent: QWidget | None = None,
        *,
        problem: Callable[[], str | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._unlock = unlock
        self._problem = problem or (lambda: None)
        self.setAccessibleName("Screen locked")
        self.setAutoFillBackground(True)  # opaque: nothing of the ward shows through
        self.title = QLabel(f"Locked — {user_label}")
        self.title.setAccessibleName("Locked for")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.secret = password_field("Password or PIN", "Password or PIN")
        self.secret.returnPressed.connect(self.try_unlock)
        self.message = message_label("Unlock message")
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setAccessibleName("Unlock")
        self.unlock_button.clicked.connect(self.try_unlock)
        self.switch_button = QPushButton("Switch user (Alt+S)")
        self.switch_button.setAccessibleName("Switch user")
        self.switch_button.clicked.connect(self.switch_user_requested.emit)
        # Explicit, not only the button's mnemonic: some platforms turn mnemonics off.
        switch_key = QShortcut(QKeySequence("Alt+S"), self)
        switch_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        switch_key.activated.connect(self.switch_user_requested.emit)
        row = QHBoxLayout()
        row.addWidget(self.unlock_button)
        row.addWidget(self.switch_button)
        layout = QVBoxLayout(self)
        layout.addStretch()
        layout.addWidget(self.title)
        layout.addWidget(self.secret)
        layout.addWidget(self.message)
        layout.addLayout(row)
        layout.addStretch()

    def showEvent(self, event: QShowEvent) -> None:
        self.secret.clear()
        self.message.setText(self._problem() or "")
        self.secret.setFocus()
        super().showEvent(event)

    def try_unlock(self) -> None:
        secret = self.secret.text()
        self.secret.clear()
        if self._unlock(secret):
            self.message.clear()
            self.unlocked.emit()
            return
        self.message.setText(
            self._problem() or "Wrong password or PIN. Type it again, or switch user."
        )
        self.secret.setFocus()
