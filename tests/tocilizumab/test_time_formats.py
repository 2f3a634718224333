"""One time format (usability audit 15): the RULES E5 limit warnings write times as every
other screen does ("10 Mar 2026 10:00", ward time), not "10 Mar 10:00 GMT"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from app.context import AppContext
from app.errors import ConfirmationRequired
from app.services.tocilizumab import preview_dose
from tests.fakes import FakeClock
from tests.tocilizumab.helpers import HAEM, NURSE, give_dose


def test_the_interval_warning_names_the_earlier_dose_in_the_app_format(
    ctx: AppContext, make_episode: Callable[..., int]
) -> None:
    episode_id = make_episode(weight_kg=80.0)
    give_dose(ctx, NURSE, episode_id, 640, given_at=ctx.clock())  # 10 Mar 2026 10:00 GMT
    later = ctx.clock() + timedelta(hours=4)

    preview = preview_dose(ctx, NURSE, episode_id, given_at=later)
    assert preview.warnings == (
        "only 4 h 00 min from the dose at 10 Mar 2026 10:00; at least 8 h between doses "
        "(RULES E5)",)
    with pytest.raises(ConfirmationRequired) as err:
        give_dose(ctx, NURSE, episode_id, 640, given_at=later)
    (problem,) = err.value.problems
    assert problem.message == preview.warnings[0]
    assert "GMT" not in str(err.value)


def test_summer_time_is_not_named_either(
    ctx: AppContext, make_episode: Callable[..., int], fake_clock: FakeClock
) -> None:
    fake_clock.set(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))  # 13:00 BST
    episode_id = make_episode()
    give_dose(ctx, NURSE, episode_id, 640, given_at=ctx.clock())
    fake_clock.advance(hours=2)
    _, warnings = give_dose(ctx, HAEM, episode_id, 640, given_at=ctx.clock(),
                            override_reason="second dose on ICU advice")
    assert warnings[0].startswith("only 2 h 00 min from the dose at 01 Jul 2026 13:00;")
    assert "BST" not in " ".join(warnings)

