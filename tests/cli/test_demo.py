"""The demo ward: what a trainer opening `python -m app --demo` should see."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.context import AppContext
from app.demo import HAEM, seed_demo_ward
from app.services import tocilizumab
from app.services.ward import list_ward
from db.engine import Database
from tests.fakes import FakeClock


@pytest.fixture(scope="module")
def demo_ctx(tmp_path_factory: pytest.TempPathFactory) -> AppContext:
    from db.migrate import open_database

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'ward.sqlite3'}"
    clock = FakeClock(datetime(2026, 11, 22, 9, 30, tzinfo=UTC))
    ctx = AppContext(database=open_database(url), clock=clock)
    assert seed_demo_ward(ctx) == 12
    return ctx


def test_demo_ward_has_a_realistic_mix(demo_ctx: AppContext) -> None:
    rows = list_ward(demo_ctx, HAEM)
    assert len(rows) == 11  # the 12th patient is a planned infusion, not yet on the board
    days = {r.day for r in rows}
    assert min(days) <= 1 and max(days) >= 20 and len(days) >= 7, days
    assert any(r.age_years is not None and r.age_years < 12 for r in rows), "children included"
    assert max(r.max_crs_grade or 0 for r in rows) >= 3
    assert max(r.max_icans_grade or 0 for r in rows) >= 2


def test_demo_ward_has_pending_and_recorded_critical_care_discussions(
    demo_ctx: AppContext,
) -> None:
    rows = list_ward(demo_ctx, HAEM)
    pending = [
        r for r in rows for a in r.open_alerts if a.kind == "critical_care"
    ]
    assert pending, "at least one critical-care discussion is still pending"
    with demo_ctx.database.read() as session:
        from sqlalchemy import select

        from db.models import Alert

        discussed = session.execute(
            select(Alert).where(Alert.discussion_outcome == "stay_with_plan")
        ).scalars().all()
    assert discussed and discussed[0].status == "resolved"


def test_demo_planned_infusion_is_short_of_tocilizumab(demo_ctx: AppContext) -> None:
    from sqlalchemy import select

    from db.models import Episode

    with demo_ctx.database.read() as session:
        planned = session.execute(select(Episode).where(Episode.status == "planned")).scalar_one()
    readiness = tocilizumab.check_readiness(demo_ctx, HAEM, planned.id)
    assert not readiness.met
    assert "needs" in readiness.missing_text


def test_demo_does_not_seed_twice(demo_ctx: AppContext) -> None:
    assert seed_demo_ward(demo_ctx) == 0


def test_demo_is_not_seeded_on_top_of_a_real_ward(ctx: AppContext, database: Database) -> None:
    from datetime import date

    from app.actor import SYSTEM_ACTOR
    from app.services.patients import register_patient

    register_patient(ctx, SYSTEM_ACTOR, nhs_number="9990000212", hospital_number=None,
                     family_name="Real", given_name="Patient", date_of_birth=date(1970, 1, 1),
                     sex="female")  # fmt: skip
    assert seed_demo_ward(ctx) == 0


def test_demo_old_news2_alerts_were_acknowledged_and_resolved(demo_ctx: AppContext) -> None:
    """A real ward answers NEWS2 alerts: none older than 12 h is left open on the demo."""
    from datetime import timedelta

    from sqlalchemy import select

    from db.models import Alert

    now = demo_ctx.clock()
    rows = list_ward(demo_ctx, HAEM)
    stale = [
        (r.bed, a.kind)
        for r in rows
        for a in r.open_alerts
        if a.kind.startswith("news2") and now - a.raised_at >= timedelta(hours=12)
    ]
    assert stale == []
    with demo_ctx.database.read() as session:
        settled = session.execute(
            select(Alert).where(Alert.kind.startswith("news2"), Alert.status == "resolved")
        ).scalars().all()
        assert settled, "the demo shows resolved NEWS2 alerts"
        for alert in settled:
            assert alert.acknowledged_by == "nurse"
            assert alert.resolved_by == "haem"
            assert alert.resolved_reason == "responded: medical review done"


def test_demo_has_no_tocilizumab_prompt_left_open_after_a_dose(demo_ctx: AppContext) -> None:
    """Giving tocilizumab settles the prompt, so an open prompt must postdate every dose."""
    from sqlalchemy import select

    from db.models import Administration, Alert

    with demo_ctx.database.read() as session:
        prompts = session.execute(
            select(Alert).where(Alert.kind == "tocilizumab_prompt", Alert.status != "resolved")
        ).scalars().all()
        for prompt in prompts:
            doses = session.execute(
                select(Administration.given_at).where(
                    Administration.episode_id == prompt.episode_id,
                    Administration.drug == "tocilizumab",
                )
            ).scalars().all()
            assert all(given < prompt.raised_at for given in doses), prompt.message
