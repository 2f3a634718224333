"""Time, in one place: UTC storage, ward-local display, post-infusion day numbers (RULES T1-T2).

Services take a `Clock` so tests (and the idle lock) can use a fake one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

WARD_TZ = ZoneInfo("Europe/London")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_date(moment: datetime, tz: ZoneInfo = WARD_TZ) -> date:
    return moment.astimezone(tz).date()


def day_number(infused_at: datetime, moment: datetime, tz: ZoneInfo = WARD_TZ) -> int:
    """RULES T1: calendar days between the local dates, so clock changes never shift it."""
    return (local_date(moment, tz) - local_date(infused_at, tz)).days


def fractional_day(infused_at: datetime, moment: datetime, tz: ZoneInfo = WARD_TZ) -> float:
    """Day number plus the local time of day as a fraction, for plotting (day 0 at midnight)."""
    local = moment.astimezone(tz)
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    return day_number(infused_at, moment, tz) + seconds / 86400.0


def format_local(moment: datetime | None, tz: ZoneInfo = WARD_TZ) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(tz).strftime("%d %b %Y %H:%M")
