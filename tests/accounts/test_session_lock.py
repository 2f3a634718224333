"""Idle lock with a fake clock: the draft is kept for the same user only."""

from __future__ import annotations

import pytest

from app.session_lock import SessionLock
from tests.fakes import FakeClock


def test_locks_after_the_idle_time_and_activity_restarts_it() -> None:
    clock = FakeClock()
    lock = SessionLock(clock, idle_minutes=5)
    lock.start(user_id=1)
    clock.advance(minutes=4, seconds=59)
    assert not lock.should_lock()
    lock.touch()
    clock.advance(minutes=4, seconds=59)
    assert not lock.should_lock()
    clock.advance(seconds=1)
    assert lock.should_lock()
    lock.lock({"temperature_c": "38.4"})
    assert lock.locked and not lock.should_lock()


def test_same_user_gets_the_draft_back() -> None:
    clock = FakeClock()
    lock = SessionLock(clock)
    lock.start(user_id=7)
    clock.advance(minutes=6)
    lock.lock({"temperature_c": "38.4", "heart_rate": "112"})
    assert lock.unlock(7) == {"temperature_c": "38.4", "heart_rate": "112"}
    assert not lock.locked and lock.owner_id == 7
    lock.lock(None)
    assert lock.unlock(7) is None  # nothing parked twice


def test_another_user_starts_clean_and_the_draft_is_gone() -> None:
    clock = FakeClock()
    lock = SessionLock(clock)
    lock.start(user_id=7)
    lock.lock({"temperature_c": "38.4"})
    assert lock.unlock(8) is None
    assert lock.owner_id == 8
    # The first user coming back later does not get it either: it was discarded.
    lock.lock(None)
    assert lock.unlock(7) is None


def test_switch_user_discards_the_draft() -> None:
    lock = SessionLock(FakeClock())
    lock.start(user_id=7)
    lock.lock({"comment": "half typed"})
    lock.logout()
    lock.start(user_id=7)
    assert lock.unlock(7) is None


def test_configurable_idle_minutes() -> None:
    clock = FakeClock()
    lock = SessionLock(clock, idle_minutes=2)
    lock.start(user_id=1)
    clock.advance(minutes=2)
    assert lock.should_lock()
    with pytest.raises(ValueError, match="more than 0"):
        SessionLock(clock, idle_minutes=0)
