"""RULES T2 and SAFETY.md time window: baseline, day 28, future, late entry, clock changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.validation import TimeCheck, check_assessment_time, parse_assessed_at

LONDON = ZoneInfo("Europe/London")
# Infused in March: 2026's clocks go forward on Sunday 29 March at 01:00 UTC (day 4).
INFUSED = datetime(2026, 3, 25, 14, 0, tzinfo=UTC)


def local(text: str) -> datetime:
    return parse_assessed_at(text, LONDON)


def check(
    assessed_at: datetime,
    *,
    now: datetime | None = None,
    baseline: bool = False,
    infused_at: datetime = INFUSED,
) -> TimeCheck:
    return check_assessment_time(
        assessed_at,
        now=now if now is not None else assessed_at + timedelta(minutes=10),
        infused_at=infused_at,
        tz=LONDON,
        is_baseline=baseline,
    )


def test_an_ordinary_assessment_passes() -> None:
    result = check(local("2026-03-26T08:00"))
    assert not result.rejections and not result.needs_confirmation and not result.late_entry


def test_the_morning_of_the_infusion_is_day_0_and_accepted() -> None:
    """RULES T1/T2 count calendar days: pre-infusion observations on day 0 are in window."""
    assert not check(INFUSED).rejections
    assert not check(INFUSED - timedelta(minutes=1)).rejections
    assert not check(local("2026-03-25T00:05")).rejections


def test_the_day_before_the_infusion_is_rejected_unless_baseline() -> None:
    result = check(local("2026-03-24T23:55"))
    assert "is day -1, before the infusion" in result.rejections[0].message.replace("−", "-")
    assert "baseline" in result.rejections[0].message
    assert result.rejections[0].field == "assessed_at"


@pytest.mark.parametrize(
    ("when", "allowed"),
    [
        ("2026-03-22T23:59", False),
        ("2026-03-23T00:00", True),
        ("2026-03-24T23:59", True),
        ("2026-03-25T08:00", False),
    ],  # day -3 end, day -2 start, day -1 end, day 0 morning
)
def test_baseline_only_on_day_minus_2_or_minus_1(when: str, allowed: bool) -> None:
    result = check(local(when), baseline=True)
    assert (not result.rejections) is allowed
    if not allowed:
        assert "day −2 or −1" in result.rejections[0].message


def test_day_28_is_the_last_day_by_local_date_after_the_clocks_went_forward() -> None:
    # Day 28 = 22 April (BST). 23:30 BST on day 28 is still 22 April in UTC too;
    # 00:30 BST on 23 April is 23:30 UTC on 22 April, but locally day 29: refused.
    assert not check(local("2026-04-22T23:59")).rejections
    late_night = local("2026-04-23T00:30")
    assert late_night.date().isoformat() == "2026-04-22"  # still the 22nd in UTC
    result = check(late_night)
    assert "day 29" in result.rejections[0].message


def test_the_clock_change_night_is_one_day_not_two() -> None:
    # 00:30 GMT and 23:30 BST on Sunday 29 March are both day 4.
    assert not check(local("2026-03-29T00:30")).rejections
    assert not check(local("2026-03-29T23:30")).rejections


def test_more_than_5_minutes_in_the_future_is_rejected() -> None:
    now = datetime(2026, 3, 26, 10, 0, tzinfo=UTC)
    assert not check(now + timedelta(minutes=5), now=now).rejections
    result = check(now + timedelta(minutes=5, seconds=1), now=now)
    assert "in the future" in result.rejections[0].message


def test_late_entry_after_one_hour_is_flagged_and_asks_for_confirmation() -> None:
    now = datetime(2026, 3, 26, 10, 0, tzinfo=UTC)
    on_time = check(now - timedelta(hours=1), now=now)
    assert not on_time.late_entry and not on_time.needs_confirmation
    late = check(now - timedelta(hours=1, seconds=1), now=now)
    assert late.late_entry
    assert "Late entry" in late.needs_confirmation[0].message
    assert not late.rejections


def test_late_entry_counts_real_time_when_the_clocks_go_back() -> None:
    # 25 Oct 2026: 00:30 BST (23:30 UTC on the 24th) entered at 01:20 GMT: the wall clock
    # moved 50 minutes but 1 h 50 min passed.
    infused = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
    assessed = local("2026-10-25T00:30")
    now = datetime(2026, 10, 25, 1, 20, tzinfo=UTC)
    assert check(assessed, now=now, infused_at=infused).late_entry


def test_late_entry_counts_real_time_when_the_clocks_go_forward() -> None:
    # 29 Mar 2026: 00:30 GMT entered at 02:20 BST: the wall clock moved 1 h 50 min, 50 min passed.
    assessed = local("2026-03-29T00:30")
    now = local("2026-03-29T02:20")
    assert not check(assessed, now=now).late_entry


def test_parse_local_time_in_summer_and_winter() -> None:
    assert local("2026-07-01T14:05") == datetime(2026, 7, 1, 13, 5, tzinfo=UTC)
    assert local("2026-01-10T14:05") == datetime(2026, 1, 10, 14, 5, tzinfo=UTC)
    assert local(" 2026-07-01 14:05:30 ") == datetime(2026, 7, 1, 13, 5, 30, tzinfo=UTC)
    assert local("2026-07-01T14:05Z") == datetime(2026, 7, 1, 14, 5, tzinfo=UTC)
    assert local("2026-07-01T14:05+02:00") == datetime(2026, 7, 1, 12, 5, tzinfo=UTC)
    assert parse_assessed_at(datetime(2026, 7, 1, 14, 5), LONDON).hour == 13
    assert parse_assessed_at(datetime(2026, 7, 1, 14, 5, tzinfo=UTC), LONDON).tzinfo == UTC


def test_a_time_that_never_happened_is_refused() -> None:
    with pytest.raises(ValueError, match="clocks went forward"):
        local("2026-03-29T01:30")


def test_a_time_that_happened_twice_asks_for_the_offset() -> None:
    with pytest.raises(ValueError, match=r"\+01:00 \(BST\) or \+00:00 \(GMT\)"):
        local("2026-10-25T01:30")
    assert local("2026-10-25T01:30+00:00") == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "2026-03-10",
        "2026-13-01T10:00",
        "2026-02-30T10:00",
        "10:00",
        "2026-03-10T25:00",
        "x" * 500,
    ],
)
def test_bad_time_text_gets_an_example(text: str) -> None:
    with pytest.raises(ValueError, match="2026-03-10T14:05"):
        local(text)


def test_a_non_text_time_is_refused() -> None:
    with pytest.raises(ValueError, match="type int"):
        parse_assessed_at(5, LONDON)  # type: ignore[arg-type]


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        check_assessment_time(
            INFUSED, now=datetime(2026, 3, 26), infused_at=INFUSED, tz=LONDON, is_baseline=False
        )


def test_a_naive_assessed_at_is_ward_local_and_an_impossible_one_is_a_rejection() -> None:
    result = check_assessment_time(
        datetime(2026, 3, 29, 1, 30),
        now=local("2026-03-29T03:00"),
        infused_at=INFUSED,
        tz=LONDON,
        is_baseline=False,
    )
    assert "clocks went forward" in result.rejections[0].message
