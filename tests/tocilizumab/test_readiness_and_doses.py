"""RULES E6 readiness gate before infusion, the RULES E5 dose hook and the board status."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.context import AppContext
from app.errors import ConfirmationRequired, PermissionDenied, ValidationFailed
from app.services.tocilizumab import (
    check_readiness,
    expire_vials,
    preview_dose,
    receive_vials,
    record_infusion,
    reserve_for_episode,
    tocilizumab_status_for,
)
from db.models import Administration, Alert, AuditEvent, Episode, StockMovement, Vial
from tests.fakes import FakeClock
from tests.tocilizumab.helpers import HAEM, NURSE, PHARM, audit_count, give_dose

LATER = date(2026, 9, 1)


def stock(ctx: AppContext, strength: int, count: int = 1, expiry: date = LATER) -> list[int]:
    vials = receive_vials(
        ctx, PHARM, strength_mg=strength, batch="B", expiry_date=expiry, location="ward",
        count=count,
    )  # fmt: skip
    return [v.id for v in vials]


def vial_status(ctx: AppContext, vial_id: int) -> str:
    with ctx.database.read() as session:
        return str(session.scalar(select(Vial.status).where(Vial.id == vial_id)))


def open_alerts(ctx: AppContext, episode_id: int) -> list[Alert]:
    with ctx.database.read() as session:
        return list(
            session.scalars(
                select(Alert).where(Alert.episode_id == episode_id, Alert.status != "resolved")
            )
        )


def board(ctx: AppContext, *episode_ids: int):  # type: ignore[no-untyped-def]
    with ctx.database.read() as session:
        episodes = list(session.scalars(select(Episode).where(Episode.id.in_(episode_ids))))
        return tocilizumab_status_for(session, episodes, ctx.clock())


# --- readiness ------------------------------------------------------------------------------


def test_short_readiness_says_exactly_what_is_missing(
    ctx: AppContext, make_episode: Callable[..., int]
) -> None:
    episode_id = make_episode(weight_kg=80)  # 640 mg
    reserve_for_episode(ctx, PHARM, episode_id, vial_ids=stock(ctx, 400))
    readiness = check_readiness(ctx, NURSE, episode_id)
    assert not readiness.met
    assert readiness.missing_text == "needs 1 dose of 640 mg; reserved 400 mg"
    assert (readiness.needed_doses, readiness.doses_reserved, readiness.reserved_mg) == (1, 0, 400)
    with pytest.raises(ConfirmationRequired, match="needs 1 dose of 640 mg; reserved 400 mg"):
        record_infusion(ctx, NURSE, episode_id, infused_at=ctx.clock())
    assert audit_count(ctx, "record_infusion") == 0


def test_met_readiness_records_the_infusion(
    ctx: AppContext, make_episode: Callable[..., int]
) -> None:
    episode_id = make_episode(weight_kg=80)
    stock(ctx, 400, count=2)
    reserve_for_episode(ctx, PHARM, episode_id, doses=1)
    readiness = check_readiness(ctx, NURSE, episode_id)
    assert readiness.met and readiness.missing_text == ""
    assert readiness.dose_mg == 640 and readiness.weight_kg == 80
    row = record_infusion(ctx, NURSE, episode_id, infused_at=ctx.clock())
    assert row.status == "active" and row.infused_at == ctx.clock()
    assert audit_count(ctx, "record_infusion") == 1
    with pytest.raises(ValidationFailed, match="episode is active"):
        record_infusion(ctx, NURSE, episode_id, infused_at=ctx.clock())


def test_haematologist_overrides_with_a_reason(
    ctx: AppContext, make_episode: Callable[..., int]
) -> None:
    episode_id = make_episode()
    row = record_infusion(
        ctx, HAEM, episode_id, infused_at=ctx.clock(), override_reason="vials arriving 11:00"
    )
    assert row.status == "active"
    with ctx.database.read() as session:
        episode = session.get(Episode, episode_id)
        assert episode is not None
        assert episode.readiness_override_reason == "vials arriving 11:00"
        assert episode.readiness_override_by == "hana"
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "record_infusion")
        ).one()
    assert event.reason == "vials arriving 11:00"
    assert event.after is not None and event.after["readiness_missing"].startswith("needs 1 dose")


def test_a_nurse_cannot_override_and_is_told_a_haematologist_must(
    ctx: AppContext, make_episode: Callable[..., int]
) -> None:
    episode_id = make_episode()
    with pytest.raises(PermissionDenied, match="haematologist must override"):
        record_infusion(ctx, NURSE, episode_id, infused_at=ctx.clock(), override_reason="urgent")
    assert audit_count(ctx, "record_infusion") == 0


def test_expired_reserved_vials_do_not_count_and_expiring_ones_are_flagged(
    ctx: AppContext, make_episode: Callable[..., int], fake_clock: FakeClock
) -> None:
    episode_id = make_episode(weight_kg=50)  # 400 mg
    reserve_for_episode(ctx, PHARM, episode_id, vial_ids=stock(ctx, 400, expiry=date(2026, 3, 11)))
    readiness = check_readiness(ctx, NURSE, episode_id)
    assert readiness.met and readiness.expiring_within_48h
    assert board(ctx, episode_id)[episode_id].state == "expiring"
    fake_clock.advance(days=2)  # 12 Mar: the vial expired yesterday
    readiness = check_readiness(ctx, NURSE, episode_id)
    assert not readiness.met and readiness.reserved_mg == 0
    assert board(ctx, episode_id)[episode_id].state == "short"


# --- dose hook ------------------------------------------------------------------------------


def test_a_dose_issues_the_patients_reserved_vials_first_and_stores_the_calculation(
    ctx: AppContext, make_episode: Callable[..., int]
) -> None:
    episode_id = make_episode(weight_kg=80)
    ward = stock(ctx, 400, count=2) + stock(ctx, 80, count=3)
    reserved = stock(ctx, 400) + stock(ctx, 80, count=3)
    reserve_for_episode(ctx, PHARM, episode_id, vial_ids=reserved)
    admin_id, warnings = give_dose(ctx, NURSE, episode_id, 640, given_at=ctx.clock())
    assert warnings == []
    assert [vial_status(ctx, v) for v in reserved] == ["issued"] * 4
    assert [vial_status(ctx, v) for v in ward] == ["in_stock"] * 5
    with ctx.database.read() as session:
        admin = session.get(Administration, admin_id)
        assert admin is not None
        assert (admin.calculated_dose_mg, admin.weight_used_kg) == (640, 80)
        moves = session.scalars(
            select(StockMovement).where(StockMovement.administration_id == admin_id)
        ).all()
    assert sorted(m.vial_id for m in moves) == sorted(reserved)
    assert {m.kind for m in moves} == {"issued"}


def test_ward_stock_tops_up_a_short_reservation_with_least_waste(
    ctx: AppContext, make_episode: Callable[..., int]
) -> None:
    episode_id = make_episode(weight_kg=80)
    reserved = stock(ctx, 400)
    reserve_for_episode(ctx, PHARM, episode_id, vial_ids=reserved)
    big = stock(ctx, 400)
    small = stock(ctx, 80, count=4)
    give_dose(ctx, NURSE, episode_id, 640, given_at=ctx.clock())
    assert vial_status(ctx, reserved[0]) == "issued"
    assert vial_status(ctx, big[0]) == "in_stock"  # 400 + 3 × 80 = 640: no waste
    assert sorted(vial_status(ctx, v) for v in small) == ["in_stock", "issued", "issued", "issued"]


def test_expired_vials_are_never_issued(
    ctx: AppContext, make_episode: Callable[..., int], fake_clock: FakeClock
) -> None:
    episode_id = make_episode(weight_kg=50)  # 400 mg
    old = stock(ctx, 400, expiry=date(2026, 3, 10))
    fake_clock.advance(days=1)  # not yet marked expired, but past its date
    _, warnings = give_dose(ctx, NURSE, episode_id, 400, given_at=ctx.clock())
    assert vial_status(ctx, old[0]) == "in_stock"
    assert any("no vials were issued" in w for w in warnings)
    assert expire_vials(ctx) == 1


@pytest.mark.parametrize(
    ("hours_between", "dose", "expected"),
    [
        (6, 640, ["given_at"]),  # < 8 h since the last dose
        (8, 960, ["dose", "dose"]),  # above 800 mg and > 10 % off the calculated dose
        (8, 500, ["dose"]),  # > 10 % below the calculated dose
    ],
)
def test_each_broken_limit_needs_a_reason(  # noqa: PLR0917 - pytest fixtures
    ctx: AppContext,
    make_episode: Callable[..., int],
    fake_clock: FakeClock,
    hours_between: int,
    dose: float,
    expected: list[str],
) -> None:
    episode_id = make_episode(weight_kg=80)
    stock(ctx, 400, count=6)
    first = ctx.clock()
    give_dose(ctx, NURSE, episode_id, 640, given_at=first)
    fake_clock.advance(hours=hours_between)
    with pytest.raises(ConfirmationRequired) as caught:
        give_dose(ctx, NURSE, episode_id, dose, given_at=ctx.clock())
    assert [p.field for p in caught.value.problems] == expected
    assert all("RULES E5" in p.message for p in caught.value.problems)
    admin_id, warnings = give_dose(
        ctx, NURSE, episode_id, dose, given_at=ctx.clock(), override_reason="consultant advised"
    )
    assert len(warnings) == len(expected)
    with ctx.database.read() as session:
        admin = session.get(Administration, admin_id)
        assert admin is not None
        assert admin.limit_warnings == warnings
        assert admin.override_reason == "consultant advised"


def test_fourth_in_24h_and_fifth_overall_are_warned(
    ctx: AppContext, make_episode: Callable[..., int], fake_clock: FakeClock
) -> None:
    episode_id = make_episode(weight_kg=50)
    stock(ctx, 400, count=6)
    reason = "refractory CRS, discussed with consultant"
    for _ in range(3):  # three doses 7 h apart (each after the first needs a reason)
        give_dose(ctx, NURSE, episode_id, 400, given_at=ctx.clock(), override_reason=reason)
        fake_clock.advance(hours=7)
    fake_clock.advance(hours=1)  # 8 h after the third, 22 h after the first
    with pytest.raises(ConfirmationRequired, match="dose 4 within 24 h"):
        give_dose(ctx, NURSE, episode_id, 400, given_at=ctx.clock())
    give_dose(ctx, NURSE, episode_id, 400, given_at=ctx.clock(), override_reason=reason)
    fake_clock.advance(hours=24)
    with pytest.raises(ConfirmationRequired, match="dose 5 overall"):
        give_dose(ctx, NURSE, episode_id, 400, given_at=ctx.clock())


def test_resupply_alert_when_no_further_dose_is_reserved(
    ctx: AppContext, make_episode: Callable[..., int], fake_clock: FakeClock
) -> None:
    episode_id = make_episode(weight_kg=50)  # 400 mg
    reserve_for_episode(ctx, PHARM, episode_id, vial_ids=stock(ctx, 400, count=2))
    given_at = ctx.clock()
    give_dose(ctx, NURSE, episode_id, 400, given_at=given_at)
    assert open_alerts(ctx, episode_id) == []  # a second dose is still reserved
    status = board(ctx, episode_id)[episode_id]
    assert status.resupply_due_at == given_at + timedelta(hours=8)
    assert status.text == "1 dose reserved · 1 given 10:00 · next dose by 18:00"

    fake_clock.advance(hours=9)
    give_dose(ctx, NURSE, episode_id, 400, given_at=ctx.clock())
    (alert,) = open_alerts(ctx, episode_id)
    assert alert.kind == "tocilizumab_resupply"
    assert alert.due_at == ctx.clock() + timedelta(hours=8)
    assert "by 11 Mar 03:00" in alert.message

    fake_clock.advance(hours=9)  # a third dose from ward stock: the open alert is updated
    stock(ctx, 400)
    give_dose(ctx, NURSE, episode_id, 400, given_at=ctx.clock())
    (again,) = open_alerts(ctx, episode_id)
    assert again.id == alert.id and again.due_at == ctx.clock() + timedelta(hours=8)
    assert board(ctx, episode_id)[episode_id].state == "short"

    stock(ctx, 400)
    reserve_for_episode(ctx, PHARM, episode_id, doses=1)  # a further dose reserved
    assert open_alerts(ctx, episode_id) == []


def test_dose_preview_shows_weight_date_band_and_vials(
    ctx: AppContext, make_episode: Callable[..., int]
) -> None:
    episode_id = make_episode(weight_kg=29.9)
    preview = preview_dose(ctx, NURSE, episode_id)
    assert (preview.mg_per_kg, preview.calculated_mg, preview.capped) == (12.0, 358.8, False)
    assert preview.weight_text == "29.9 kg (weighed 10 Mar 2026)"
    assert preview.plan.vials == (200, 80, 80)
    assert preview.warnings == ()
    heavy = make_episode(weight_kg=120)
    capped = preview_dose(ctx, NURSE, heavy, dose=960)
    assert capped.capped and capped.calculated_mg == 800
    assert len(capped.warnings) == 2


def test_board_status_for_many_episodes_in_two_queries(
    ctx: AppContext, make_episode: Callable[..., int]
) -> None:
    ready, short = make_episode(weight_kg=50), make_episode(weight_kg=50)
    reserve_for_episode(ctx, PHARM, ready, vial_ids=stock(ctx, 400, count=2))
    from sqlalchemy import event

    statements: list[str] = []
    with ctx.database.read() as session:
        episodes = list(session.scalars(select(Episode)))
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(ctx.database.engine, "before_cursor_execute", listener)
        try:
            result = tocilizumab_status_for(session, episodes, ctx.clock())
        finally:
            event.remove(ctx.database.engine, "before_cursor_execute", listener)
    assert len(statements) == 2
    assert result[ready].state == "ready" and result[ready].doses_reserved == 2
    assert result[ready].text == "2 doses reserved"
    assert result[short].state == "short"
    assert result[short].text == "short: 0 of 1 dose reserved"


def test_through_record_administration_one_audit_event_and_the_dose_fields(
    ctx: AppContext, make_episode: Callable[..., int], fake_clock: FakeClock
) -> None:
    from app.services.administrations import record_administration

    episode_id = make_episode(weight_kg=80)
    vials = stock(ctx, 400) + stock(ctx, 80, count=3)
    reserve_for_episode(ctx, PHARM, episode_id, vial_ids=vials)
    row = record_administration(
        ctx, NURSE, episode_id, drug="tocilizumab", dose=640, given_at=ctx.clock()
    )
    assert (row.calculated_dose_mg, row.weight_used_kg, row.limit_warnings) == (640, 80, ())
    assert [vial_status(ctx, v) for v in vials] == ["issued"] * 4
    assert audit_count(ctx, "record_administration") == 1
    assert open_alerts(ctx, episode_id)[0].kind == "tocilizumab_resupply"
    fake_clock.advance(hours=2)
    with pytest.raises(ConfirmationRequired, match="at least 8 h between doses"):
        record_administration(
            ctx, NURSE, episode_id, drug="tocilizumab", dose=640, given_at=ctx.clock()
        )
    assert audit_count(ctx, "record_administration") == 1  # nothing stored


def test_board_status_for_ten_thousand_episodes_stays_two_queries(
    ctx: AppContext, make_episode: Callable[..., int]
) -> None:
    real = make_episode(weight_kg=50)
    reserve_for_episode(ctx, PHARM, real, vial_ids=stock(ctx, 400))
    from sqlalchemy import event

    statements: list[str] = []
    with ctx.database.read() as session:
        stored = session.get(Episode, real)
        assert stored is not None
        # The board hands over whatever episodes it shows; unsaved look-alikes are enough here.
        others = [
            Episode(id=100_000 + i, product_code="axicabtagene_ciloleucel", weight_kg=70,
                    status="active")
            for i in range(9_999)
        ]  # fmt: skip
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(ctx.database.engine, "before_cursor_execute", listener)
        try:
            result = tocilizumab_status_for(session, [stored, *others], ctx.clock())
        finally:
            event.remove(ctx.database.engine, "before_cursor_execute", listener)
    assert len(statements) == 2
    assert len(result) == 10_000
    assert result[real].state == "ready"
    assert result[100_000].state == "short"
