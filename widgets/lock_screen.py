"""The idle lock screen (SAFETY.md): covers the window so no patient data shows, says who
is logged in, and unlocks with that user's password or PIN. "Switch user" is one click
(or Alt+S) away; the caller then discards the draft (app.session_lock.SessionLock).

The screen is public (anyone walking past reads it), so what it says stays anonymous
(usability audit 11):
- `set_draft_note(text)`: the lock holds an unsaved assessment — who typed it and for
  which bed, never the patient's name — and that switching user discards it.
- `pending()`: the number of critical-care discussions waiting (RULES E1), re-read every
  `refresh_ms` while the screen shows, so new E1 alerts are not hidden behind the lock.
  Only a number: names stay behind the sign-in.

Services come in as callables: `unlock(secret) -> bool`, `problem() -> str | None`
(e.g. the account's timed lock) and `pending() -> int`, so this widget never touches the
database. `DiscardDraftDialog` asks before another user's sign-in discards the draft."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widgets.account_fields import message_label, password_field

PENDING_REFRESH_MS = 30_000  # a new E1 alert shows on the lock screen within 30 s
PENDING_STYLE = (
    "QLabel { color: #b00020; background: #fdecea; border: 1px solid #f5c2c0; padding: 6px; "
    "font-weight: bold; }"
)
DRAFT_STYLE = "QLabel { background: #fff3cd; color: #5c4400; padding: 6px; }"


def _beds_text(beds: Sequence[str]) -> str:
    named = [f"bed {b}" if b else "a patient with no bed" for b in beds]
    if len(named) == 1:
        return named[0]
    return ", ".join(named[:-1]) + " and " + named[-1]


def open_form_text(title: str, bed: str | None) -> str:
    """'Record drug given for bed ICU-2': an open dialog the lock hid (no patient name)."""
    if bed is None:
        return title
    return f"{title} for {_beds_text([bed])}"


def _unsaved_items(beds: Sequence[str], forms: Sequence[str]) -> list[str]:
    items: list[str] = []
    if len(beds) == 1:
        items.append(f"an unsaved assessment for {_beds_text(beds)}")
    elif beds:
        items.append(f"unsaved assessments for {_beds_text(beds)}")
    items += [f"an unsaved {form}" for form in forms]
    return items


def _joined(items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def draft_note(username: str, beds: Sequence[str], forms: Sequence[str] = ()) -> str:
    """'nurse has an unsaved assessment for bed A2 — switching user discards it'.
    `forms` are the open dialogs the lock hid (finding 3 of the re-audit), e.g.
    'Record drug given for bed ICU-2'."""
    items = _unsaved_items(beds, forms)
    if not items:
        return ""
    if len(beds) <= 1 and len(items) == 1:
        return f"{username} has {items[0]} — switching user discards it"
    if not forms:
        return (f"{username} has unsaved assessments for {_beds_text(beds)} — switching user "
                "discards them")
    return f"{username} has {_joined(items)} — switching user discards them"


def pending_text(count: int) -> str:
    if count <= 0:
        return ""
    if count == 1:
        return "1 critical-care discussion pending — sign in to see it"
    return f"{count} critical-care discussions pending — sign in to see them"


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
        pending: Callable[[], int] | None = None,
        refresh_ms: int = PENDING_REFRESH_MS,
    ) -> None:
        super().__init__(parent)
        self._unlock = unlock
        self._problem = problem or (lambda: None)
        self._pending = pending
        self.setAccessibleName("Screen locked")
        self.setAutoFillBackground(True)  # opaque: nothing of the ward shows through
        self.title = QLabel(f"Locked — {user_label}")
        self.title.setAccessibleName("Locked for")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pending_label = QLabel("")
        self.pending_label.setAccessibleName("Critical-care discussions pending")
        self.pending_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pending_label.setWordWrap(True)
        self.pending_label.setStyleSheet(PENDING_STYLE)
        self.pending_label.hide()
        self.draft_label = QLabel("")
        self.draft_label.setAccessibleName("Unsaved assessment")
        self.draft_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.draft_label.setWordWrap(True)
        self.draft_label.setStyleSheet(DRAFT_STYLE)
        self.draft_label.hide()
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
        self.pending_timer = QTimer(self)
        self.pending_timer.setInterval(refresh_ms)
        self.pending_timer.timeout.connect(self.refresh_pending)
        row = QHBoxLayout()
        row.addWidget(self.unlock_button)
        row.addWidget(self.switch_button)
        layout = QVBoxLayout(self)
        layout.addStretch()
        layout.addWidget(self.title)
        layout.addWidget(self.pending_label)
        layout.addWidget(self.draft_label)
        layout.addWidget(self.secret)
        layout.addWidget(self.message)
        layout.addLayout(row)
        layout.addStretch()

    def set_draft_note(self, text: str) -> None:
        """What the lock keeps unsaved ('' when nothing): see `draft_note`."""
        self.draft_label.setText(text)
        self.draft_label.setVisible(bool(text))

    def refresh_pending(self) -> None:
        if self._pending is None:
            return
        try:
            count = self._pending()
        except Exception:
            # A lock screen must never fail (the database may be unreachable for a moment);
            # say the count is unknown rather than "none pending".
            self.pending_label.setText("Could not check for critical-care alerts — sign in "
                                       "to see the ward")
            self.pending_label.show()
            return
        self.pending_label.setText(pending_text(count))
        self.pending_label.setVisible(count > 0)

    def showEvent(self, event: QShowEvent) -> None:
        self.secret.clear()
        self.message.setText(self._problem() or "")
        self.secret.setFocus()
        self.refresh_pending()
        if self._pending is not None:
            self.pending_timer.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self.pending_timer.stop()  # unlocked: the board shows the alerts again
        super().hideEvent(event)

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


class DiscardDraftDialog(QDialog):
    """Another user signed in while the lock held an unsaved assessment or an open dialog
    (`forms`, e.g. 'Record drug given for bed ICU-2'): discard them, or stay locked so
    their author can unlock and save. Keeping is the default (Enter, Esc): nothing is
    ever saved under the new user's name (SAFETY.md)."""

    def __init__(self, owner: str, beds: Sequence[str], newcomer: str,
                 parent: QWidget | None = None, forms: Sequence[str] = ()) -> None:
        super().__init__(parent)
        one = len(beds) + len(forms) == 1
        if forms and not beds:
            self.setWindowTitle("Discard the unsaved form?" if one
                                else "Discard the unsaved forms?")
        else:
            self.setWindowTitle("Discard the unsaved assessment?" if one
                                else "Discard the unsaved work?")
        it, they = ("it", "it is") if one else ("them", "they are")
        self.text = QLabel(
            f"{owner} has {_joined(_unsaved_items(beds, forms))}.\n\n"
            f"Signing in as {newcomer} discards {it}: {they} never saved under another "
            f"name. To keep {it}, let {owner} unlock and save first."
        )
        self.text.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.discard_button = buttons.addButton(
            f"&Discard and continue as {newcomer}", QDialogButtonBox.ButtonRole.AcceptRole)
        self.keep_button = buttons.addButton(
            f"&Keep {it} for {owner} (stay locked)", QDialogButtonBox.ButtonRole.RejectRole)
        self.discard_button.setAutoDefault(False)
        self.keep_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.keep_button.setFocus()
