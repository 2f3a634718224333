"""One workstation session (SAFETY.md "Who may do what", issue 7): first start, login,
the main window for the logged-in user, the idle lock and "switch user".

- First start on an empty record: the first-administrator set-up dialog, then the login.
- Login (`app.services.users.authenticate`) → Actor → `MainWindow` for that actor.
- Idle lock (`app.session_lock.SessionLock`, default 5 minutes, `CARWARD_IDLE_MINUTES`):
  an application-wide event filter counts key presses, clicks and wheel turns as activity;
  a timer checks the idle time. Locking covers the window with `LockScreen`, empties the
  ward models and parks the unsaved assessment form in the lock.
- The same user unlocks (password or PIN) and gets their draft back. "Switch user"
  (toolbar, Ctrl+Shift+L, or Alt+S on the lock screen) goes back to the login: if the same
  user logs in the draft comes back; anyone else gets a new window with a clean form, and
  the draft is discarded, never saved under another name — after a confirmation
  (`DiscardDraftDialog`) while the lock holds one; "keep it" leaves the screen locked.
- The lock screen says, without names, that the lock holds an unsaved assessment (whose,
  which bed) and how many critical-care discussions are pending (usability audit 11).
- Open dialogs (Record drug given, a discussion…) are hidden while locked, come back with
  their typed values for the same user, and are closed unsaved when someone else signs in
  (after the same discard question, which names them) (re-audit finding 3).

Seam for tests: `exec_dialog(dialog) -> bool` runs every modal dialog of the session.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from app.actor import Actor
from app.context import AppContext
from app.session_lock import DEFAULT_IDLE_MINUTES, SessionLock
from widgets.first_admin_dialog import FirstAdminDialog
from widgets.lock_screen import DiscardDraftDialog, LockScreen, draft_note, open_form_text
from widgets.login_dialog import LoginDialog

IDLE_ENV_VAR = "CARWARD_IDLE_MINUTES"
IDLE_CHECK_MS = 5000  # how often the idle time is looked at (the lock is at most 5 s late)
ACTIVITY = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick,
    QEvent.Type.Wheel, QEvent.Type.TouchBegin,
})

WindowFactory = Callable[[Actor], Any]  # builds the MainWindow for a logged-in actor


def idle_minutes_from_env(environ: dict[str, str] | None = None) -> float:
    """CARWARD_IDLE_MINUTES (default 5); a bad value is a clear start-up error."""
    raw = (environ if environ is not None else dict(os.environ)).get(IDLE_ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_IDLE_MINUTES
    try:
        minutes = float(raw)
    except ValueError:
        minutes = -1.0
    if not 0 < minutes <= 24 * 60:
        raise ValueError(f"{IDLE_ENV_VAR}={raw!r} is not a number of minutes between 0 and "
                         f"1440: set it to e.g. 5, or unset it for the default of "
                         f"{DEFAULT_IDLE_MINUTES}.")
    return minutes


class SessionShell(QObject):
    def __init__(
        self,
        ctx: AppContext,
        make_window: WindowFactory,
        *,
        workstation: str,
        idle_minutes: float = DEFAULT_IDLE_MINUTES,
        check_ms: int = IDLE_CHECK_MS,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self._make_window = make_window
        self.workstation = workstation
        self.session_lock = SessionLock(ctx.clock, idle_minutes)
        self.actor: Actor | None = None
        self.window: Any = None
        self.lock_screen: LockScreen | None = None
        self.draft_beds: list[str] = []  # beds of the unsaved assessments the lock holds
        # Dialogs that were open when the lock fired (re-audit finding 3): hidden while
        # locked, shown again for the same user, rejected when someone else signs in.
        self.hidden_dialogs: list[QDialog] = []
        self.hidden_forms: list[str] = []  # what the lock screen says about them (no names)
        self.idle_timer = QTimer(self)
        self.idle_timer.setInterval(check_ms)
        self.idle_timer.timeout.connect(self.check_idle)
        self._filtering = False

    # --- seams --------------------------------------------------------------------------------
    def exec_dialog(self, dialog: QDialog) -> bool:
        """Run a modal dialog of the session (tests replace this one method)."""
        return dialog.exec() == QDialog.DialogCode.Accepted

    # --- start --------------------------------------------------------------------------------
    def start(self) -> bool:
        """First-admin set-up if needed, then the login; False when the user gave up."""
        from app.services import users

        if not users.any_user_exists(self.ctx):
            dialog = FirstAdminDialog(
                lambda name, full, password: users.create_first_admin(
                    self.ctx, name, full, password))
            if not self.exec_dialog(dialog):
                return False
        actor = self.ask_login()
        if actor is None:
            return False
        self._begin(actor)
        return True

    def ask_login(self) -> Actor | None:
        from app.services import users

        # Prefill nothing: on a shared workstation the last user's name is a hint to others.
        dialog = LoginDialog(
            lambda name, password: users.authenticate(self.ctx, name, password,
                                                      self.workstation),
            self.window)
        return dialog.actor if self.exec_dialog(dialog) else None

    def _begin(self, actor: Actor) -> None:
        """A new window for a newly logged-in user (nothing carried over)."""
        old = self.window
        self.actor = actor
        self.session_lock.start(actor.user_id or 0)
        self.window = self._make_window(actor)
        self.window.switch_user_requested.connect(self.switch_user)
        self.window.lock_requested.connect(self.lock_now)
        self.window.show()
        if old is not None:
            old.close()
            old.deleteLater()
        self.lock_screen = None
        self._install_filter()
        self.idle_timer.start()

    # --- activity and the idle lock --------------------------------------------------------------
    def _install_filter(self) -> None:
        app = QApplication.instance()
        if app is not None and not self._filtering:
            app.installEventFilter(self)
            self._filtering = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY:
            self.session_lock.touch()
        return False  # only watching, never eating the event

    def check_idle(self) -> None:
        if self.window is not None and self.session_lock.should_lock():
            self.lock_now()

    def lock_now(self) -> None:
        if self.window is None or self.actor is None or self.session_lock.locked:
            return
        from app.services import alerts, users

        user_id = self.actor.user_id or 0
        screen = LockScreen(
            f"{self.actor.username} ({self.actor.role.value})",
            lambda secret: users.unlock_with_pin_or_password(self.ctx, user_id, secret),
            problem=lambda: users.unlock_problem(self.ctx, user_id),
            # Nobody is signed in while locked: the service's count carries no names.
            pending=lambda: alerts.count_pending_discussions(self.ctx),
        )
        screen.unlocked.connect(self._unlocked)
        screen.switch_user_requested.connect(self.switch_user)
        self.lock_screen = screen
        draft = self.window.cover(screen)
        # After `cover`, which closes the print preview and audit trail itself.
        self._hide_dialogs()
        self.session_lock.lock(draft)
        self.draft_beds = self._beds_of(draft)
        screen.set_draft_note(draft_note(self.actor.username, self.draft_beds,
                                         self.hidden_forms))
        if self.hidden_dialogs:  # the hidden dialog had the keyboard: give it to the lock
            self.window.activateWindow()
            screen.secret.setFocus()

    # --- dialogs open when the lock fires -------------------------------------------------------
    def _open_dialogs(self) -> list[QDialog]:
        """The visible dialogs of the window, parents before children (so a question box
        comes after the dialog that asked it)."""
        found: list[QDialog] = [d for d in self.window.findChildren(QDialog) if d.isVisible()]
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QDialog) and modal.isVisible() and modal not in found:
            found.append(modal)  # a dialog with no parent still shows the patient
        return found

    def _hide_dialogs(self) -> None:
        """Hide every open dialog: a dialog left on the lock screen shows the patient and
        saves under the locked user's name (re-audit finding 3). Hiding also ends a
        dialog's `exec()`, so its caller sees "cancelled"; the dialog object keeps every
        typed value and is shown again by `_show_dialogs`."""
        dialogs = self._open_dialogs()
        self.hidden_dialogs = dialogs
        self.hidden_forms = [self._form_text(d) for d in dialogs
                             if not isinstance(d, QMessageBox)]
        for dialog in reversed(dialogs):  # the top one first
            dialog.hide()

    def _form_text(self, dialog: QDialog) -> str:
        """'Record drug given for bed ICU-2' (the bed, never the name: the lock screen is
        public)."""
        episode_id = getattr(dialog, "episode_id", None)
        if not isinstance(episode_id, int):
            episode_id = getattr(getattr(dialog, "alert", None), "episode_id", None)
        bed: str | None = None
        if isinstance(episode_id, int) and self.actor is not None:
            from app.errors import ServiceError
            from app.services import patients

            try:
                bed = patients.get_episode(self.ctx, self.actor, episode_id).bed
            except ServiceError:
                bed = None
        return open_form_text(dialog.windowTitle() or "form", bed)

    def _show_dialogs(self) -> None:
        """The same user is back: their dialogs return as they left them. A question box
        (QMessageBox) is not shown again: hiding it answered it "no", and the dialog that
        asked it is back, so the user presses its button again."""
        dialogs, self.hidden_dialogs, self.hidden_forms = self.hidden_dialogs, [], []
        for dialog in dialogs:
            if isinstance(dialog, QMessageBox):
                continue
            if not dialog.property("refresh_on_accept"):
                # Its caller saw "cancelled" when the lock hid it: refresh here instead.
                dialog.setProperty("refresh_on_accept", True)
                dialog.accepted.connect(self._refresh_window)
            dialog.open()  # modal on the window again, without a nested event loop

    def _refresh_window(self) -> None:
        if self.window is not None and hasattr(self.window, "refresh"):
            self.window.refresh()

    def _drop_dialogs(self) -> None:
        """Someone else signs in: the previous user's dialogs close unsaved."""
        dialogs, self.hidden_dialogs, self.hidden_forms = self.hidden_dialogs, [], []
        for dialog in reversed(dialogs):
            dialog.reject()

    def _beds_of(self, draft: dict[str, Any] | None) -> list[str]:
        """The beds of the patients with an unsaved assessment in `draft` (what the public
        lock screen may say about them: no names)."""
        if not draft or self.actor is None:
            return []
        from app.errors import ServiceError
        from app.services import patients

        beds: list[str] = []
        for episode_id in draft.get("drafts", {}):
            try:  # read as the user who typed it (still the session's owner)
                beds.append(patients.get_episode(self.ctx, self.actor, episode_id).bed)
            except ServiceError:
                beds.append("")
        return beds

    def _unlocked(self) -> None:
        """The same user typed their password or PIN: back to where they were."""
        if self.actor is None:
            return
        draft = self.session_lock.unlock(self.actor.user_id or 0)
        self.lock_screen = None
        self.draft_beds = []
        self.window.uncover(draft)
        self._show_dialogs()

    # --- switch user --------------------------------------------------------------------------
    def switch_user(self) -> None:
        """Back to the login, with the patient data hidden behind the lock meanwhile."""
        if self.window is None:
            return
        self.lock_now()
        actor = self.ask_login()
        if actor is None:
            return  # still locked: the lock screen offers unlock or switch user again
        if self.actor is not None and actor.user_id == self.actor.user_id:
            self.actor = actor
            self._unlocked()
            return
        if ((self.draft_beds or self.hidden_forms) and self.actor is not None
                and not self.exec_dialog(
                    DiscardDraftDialog(self.actor.username, self.draft_beds, actor.username,
                                       self.window, forms=self.hidden_forms))):
            return  # kept: still locked, for its author to unlock and save
        # Someone else: the previous user's draft and open dialogs are dropped here,
        # never committed.
        self.session_lock.unlock(actor.user_id or 0)
        self.draft_beds = []
        self._drop_dialogs()
        self._begin(actor)

    def shutdown(self) -> None:
        self.idle_timer.stop()
        app = QApplication.instance()
        if app is not None and self._filtering:
            app.removeEventFilter(self)
            self._filtering = False
        if self.window is not None:
            self.window.executor.shutdown()
