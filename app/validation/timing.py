"""When an assessment may be recorded (RULES T1-T2, SAFETY.md "Time").

Pure functions of the times given; `now` comes from the caller's clock so tests can fake it.
Day numbers use the ward's calendar dates (app.clock.day_number), so a clock change never
moves an assessment to another day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.clock import day_number, format_local
from app.errors import FieldProblem
from app.validation.limits import (
    BASELINE_DAYS,
    FIRST_DAY,
    FUTURE_TOLERANCE,
    LAST_DAY,
    LATE_ENTRY_AFTER,
)

FIELD = "assessed_at"

# An ISO 8601 date followed by a time ("2026-03-10T14:05", "2026-03-10 14:05:30+01:00").
_HAS_TIME = re.compile(r"^\d{4}-?\d{2}-?\d{2}[T ]\d{2}", re.ASCII)


@dataclass(frozen=True)
class TimeCheck:
    rejections: list[FieldProblem] = field(default_factory=list)
    needs_confirmation: list[FieldProblem] = field(default_factory=list)
    late_entry: bool = False


def _localise(naive: datetime, tz: ZoneInfo) -> datetime:
    """A ward-local wall-clock time as an aware UTC time; ValueError across a clock change.

    In the spring gap (e.g. 01:30 on the last Sunday of March in London) the time never
    happened; in the autumn overlap it happened twice. Guessing would put an observation
    an hour out, so the user is asked to give the offset instead.
    """
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    when = naive.strftime("%H:%M on %d %b %Y")
    if round_trip != naive:
        raise ValueError(
            f"{when} does not exist in {tz.key}: the clocks went forward that night. "
            "Check the time, or write it with its UTC offset (e.g. +01:00)"
        )
    if first.utcoffset() != second.utcoffset():
        offsets = " or ".join(
            f"{_offset(moment)} ({moment.tzname()})" for moment in (first, second)
        )
        raise ValueError(
            f"{when} happened twice in {tz.key}: the clocks went back that night. "
            f"Write it with its UTC offset: {offsets}"
        )
    return first.astimezone(UTC)


def _offset(moment: datetime) -> str:
    delta = moment.utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_assessed_at(value: datetime | str, tz: ZoneInfo) -> datetime:
    """ISO 8601 text or a datetime, as an aware UTC datetime.

    A time without an offset is the ward's local time (`tz`). ValueError with a message a
    user can act on for anything else.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return _localise(value, tz)
        return value.astimezone(UTC)
    if not isinstance(value, str):
        raise ValueError(
            "The time must be written as text like 2026-03-10T14:05 (ward local time) "
            f"or 2026-03-10T14:05+00:00 (got a value of type {type(value).__name__})"
        )
    text = value.strip()
    example = "write it like 2026-03-10T14:05 (ward local time) or 2026-03-10T14:05Z (UTC)"
    if not _HAS_TIME.match(text) or len(text) > 40:
        raise ValueError(f"'{text[:40]}' is not a date and time; {example}")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a valid date and time; {example}") from None
    if parsed.tzinfo is None:
        return _localise(parsed, tz)
    return parsed.astimezone(UTC)


def _require_aware(name: str, moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got {moment!r}")


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes or not parts:
        parts.append(f"{minutes} min")
    return " ".join(parts)


def check_assessment_time(
    assessed_at: datetime,
    *,
    now: datetime,
    infused_at: datetime,
    tz: ZoneInfo,
    is_baseline: bool,
) -> TimeCheck:
    """RULES T2 window, future times and late entries for one assessment time.

    `assessed_at` is the time the observations describe; a naive value is ward-local time.
    `now` (when it is being entered) and `infused_at` (day 0) must be aware.
    """
    _require_aware("now", now)
    _require_aware("infused_at", infused_at)
    try:
        assessed_at = parse_assessed_at(assessed_at, tz)
    except ValueError as error:
        return TimeCheck(rejections=[FieldProblem(FIELD, str(error))])
    rejections: list[FieldProblem] = []
    confirmations: list[FieldProblem] = []
    shown_at = format_local(assessed_at, tz)

    if assessed_at > now + FUTURE_TOLERANCE:
        rejections.append(
            FieldProblem(
                FIELD,
                f"{shown_at} is in the future (now {format_local(now, tz)}); "
                "check the date and time",
            )
        )

    day = day_number(infused_at, assessed_at, tz)
    infusion = format_local(infused_at, tz)
    if is_baseline:
        # RULES T2: a pre-infusion baseline only on day -1 or -2.
        if day not in BASELINE_DAYS:
            rejections.append(
                FieldProblem(
                    FIELD,
                    f"A baseline must be taken on day −2 or −1 (the two days before the "
                    f"infusion on {infusion}); {shown_at} is day {day}",
                )
            )
    elif day < FIRST_DAY:
        # RULES T2 counts calendar days (T1): observations on the morning of the infusion,
        # before the cells go in, are day 0 and inside the window.
        rejections.append(
            FieldProblem(
                FIELD,
                f"{shown_at} is day {day}, before the infusion ({infusion}); monitoring "
                f"starts on day {FIRST_DAY}. Record it as a baseline if it was taken on "
                "day −1 or −2",
            )
        )
    elif day > LAST_DAY:
        rejections.append(
            FieldProblem(
                FIELD,
                f"{shown_at} is day {day}; monitoring covers days {FIRST_DAY}–{LAST_DAY} "
                f"after the infusion on {infusion} (RULES T2)",
            )
        )

    late_entry = now - assessed_at > LATE_ENTRY_AFTER
    if late_entry and not rejections:
        confirmations.append(
            FieldProblem(
                FIELD,
                f"Late entry: these observations are from {shown_at}, "
                f"{_duration(now - assessed_at)} ago; confirm with a reason that the time "
                "is right (the entry will be shown as late)",
            )
        )
    return TimeCheck(rejections, confirmations, late_entry)
