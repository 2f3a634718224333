"""Idle lock of a shared ward workstation, with the unsaved form kept as a draft
(SAFETY.md "Who may do what"): Qt-free so it is tested with a fake clock.

- `touch()` on every key press or click; `should_lock()` once the idle time has passed.
- `lock(draft)` hides patient data (the GUI's job) and parks the unsaved form.
- `unlock(user_id)` gives the draft back only to the user who typed it. A different user
  starts clean: the draft is discarded, so it can never be saved under someone else's name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

DEFAULT_IDLE_MINUTES = 5


class SessionLock:
    def __init__(self, clock: Callable[[], datetime], idle_minutes: float = DEFAULT_IDLE_MINUTES):
        if idle_minutes <= 0:
            raise ValueError("idle_minutes must be more than 0 (the default is 5 minutes)")
        self._clock = clock
        self.idle = timedelta(minutes=idle_minutes)
        self._last_activity = clock()
        self._locked = False
        self._owner_id: int | None = None  # whose session (and draft) is current
        self._draft: dict[str, Any] | None = None

    @property
    def locked(self) -> bool:
        return self._locked

    @property
    def owner_id(self) -> int | None:
        return self._owner_id

    def start(self, user_id: int) -> None:
        """A user logged in: their session begins, nothing is locked, no draft."""
        self._owner_id = user_id
        self._locked = False
        self._draft = None
        self.touch()

    def touch(self) -> None:
        """Activity (key press, click): restarts the idle countdown. Ignored while locked."""
        if not self._locked:
            self._last_activity = self._clock()

    def idle_for(self) -> timedelta:
        return self._clock() - self._last_activity

    def should_lock(self) -> bool:
        return not self._locked and self.idle_for() >= self.idle

    def lock(self, draft: dict[str, Any] | None = None) -> None:
        """Lock now (idle or the user's own "lock" button), parking the unsaved form."""
        self._locked = True
        self._draft = dict(draft) if draft else None

    def unlock(self, user_id: int) -> dict[str, Any] | None:
        """Unlocked by `user_id` (already authenticated): the draft if it is theirs, else
        None, and a different user becomes the session's owner with nothing carried over."""
        draft = self._draft if user_id == self._owner_id else None
        self._draft = None
        self._owner_id = user_id
        self._locked = False
        self.touch()
        return draft

    def logout(self) -> None:
        """Switch user / log out: drop the session and any draft."""
        self._owner_id = None
        self._draft = None
        self._locked = True
