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

Seam for tests: `exec_dialog(dialog) -> bool` runs every modal dialog of the session.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from app.actor import Actor
from app.context import AppContext
from app.session_lock import DEFAULT_IDLE_MINUTES, SessionLock
from widgets.first_admin_dialog import FirstAdminDialog
from widgets.lock_screen import DiscardDraftDialog, LockScreen, draft_note
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
        self.session_lock.lock(draft)
        self.draft_beds = self._beds_of(draft)
        screen.set_draft_note(draft_note(self.actor.username, self.draft_beds))

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
        if self.draft_beds and self.actor is not None and not self.exec_dialog(
            DiscardDraftDialog(self.actor.username, self.draft_beds, actor.username,
                               self.window)
        ):
            return  # kept: still locked, for its author to unlock and save
        # Someone else: the previous user's draft is dropped here, never committed.
        self.session_lock.unlock(actor.user_id or 0)
        self.draft_beds = []
        self._begin(actor)

    def shutdown(self) -> None:
        self.idle_timer.stop()
        app = QApplication.instance()
        if app is not None and self._filtering:
            app.removeEventFilter(self)
            self._filtering = False
        if self.window is not None:
            self.window.executor.shutdown()
