"""Test doubles shared by every test folder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

DEFAULT_NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


class FakeClock:
    """A `app.clock.Clock` whose time only moves when a test moves it.

    >>> clock = FakeClock()            # 2026-03-10 10:00 UTC
    >>> clock.advance(hours=4)         # any timedelta keyword: days, minutes, seconds...
    >>> clock.set(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    >>> clock()                        # aware UTC datetime
    """

    def __init__(self, now: datetime = DEFAULT_NOW) -> None:
        self._now = self._check(now)

    @staticmethod
    def _check(moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime (UTC or any zone)")
        return moment.astimezone(UTC)

    def __call__(self) -> datetime:
        return self._now

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = self._check(moment)

    def advance(self, **delta: float) -> datetime:
        """Move forward (or back, with negative values) by timedelta(**delta); returns now."""
        self._now = self._now + timedelta(**delta)
        return self._now

    def __repr__(self) -> str:
        return f"FakeClock({self._now.isoformat()})"
