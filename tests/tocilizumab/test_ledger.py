"""The stock ledger: every movement audited once, atomic, roles enforced, expiry honoured."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.context import AppContext
from app.errors import PermissionDenied, ValidationFailed
from app.services.tocilizumab import (
    expire_vials,
    expiring_within,
    list_stock,
    receive_vials,
    release_reservation,
    reserve_for_episode,
    return_vial,
    waste_vial,
)
from db.models import StockMovement, Vial
from tests.fakes import FakeClock
from tests.tocilizumab.helpers import HAEM, NURSE, PHARM, audit_count, give_dose, scalar

TODAY = date(2026, 3, 10)  # the fake clock's date
LATER = TODAY + timedelta(days=180)


def receive(ctx: AppContext, strength: int, count: int = 1, expiry: date = LATER, **kw: str):  # type: ignore[no-untyped-def]
    return receive_vials(
        ctx, PHARM, strength_mg=strength, batch=kw.get("batch", "B1"), expiry_date=expiry,
        location=kw.get("location", "ward"), count=count,
    )  # fmt: skip


def statuses(ctx: AppContext) -> dict[int, str]:
    with ctx.database.read() as session:
        rows = session.execute(select(Vial.id, Vial.status)).all()
        return {row.id: row.status for row in rows}


def test_receive_creates_one_row_per_vial_with_history_and_one_audit(ctx: AppContext) -> None:
    vials = receive(ctx, 400, count=3)
    assert [v.status for v in vials] == ["in_stock"] * 3
    assert len({v.id for v in vials}) == 3
    assert scalar(ctx, select(func.count()).select_from(StockMovement)) == 3
    assert audit_count(ctx, "receive_vials") == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"strength_mg": 100}, "strength_mg"),
        ({"batch": " "}, "batch"),
        ({"expiry_date": TODAY - timedelta(days=1)}, "expiry_date"),
        ({"location": "car park"}, "location"),
        ({"count": 0}, "count"),
    ],
)
def test_receive_refuses_bad_input_naming_the_field(
    ctx: AppContext, kwargs: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {
        "strength_mg": 80, "batch": "B1", "expiry_date": LATER, "location": "ward", "count": 1,
    }  # fmt: skip
    values.update(kwargs)
    with pytest.raises(ValidationFailed) as caught:
        receive_vials(ctx, PHARM, **values)  # type: ignore[arg-type]
    assert [p.field for p in caught.value.problems] == [field]
    assert audit_count(ctx) == 0


@pytest.mark.parametrize("actor", [NURSE, HAEM])
def test_only_pharmacists_manage_stock(
    ctx: AppContext, make_episode: Callable[..., int], actor: object
) -> None:
    episode_id = make_episode()
    vial = receive(ctx, 400)[0]
    with pytest.raises(PermissionDenied, match="pharmacist"):
        receive_vials(
            ctx, actor, strength_mg=400, batch="B", expiry_date=LATER, location="ward", count=1,  # type: ignore[arg-type]
        )  # fmt: skip
    for call in (
        lambda: reserve_for_episode(ctx, actor, episode_id, vial_ids=[vial.id]),  # type: ignore[arg-type]
        lambda: release_reservation(ctx, actor, episode_id),  # type: ignore[arg-type]
        lambda: waste_vial(ctx, actor, vial.id, reason="dropped"),  # type: ignore[arg-type]
        lambda: return_vial(ctx, actor, vial.id),  # type: ignore[arg-type]
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert statuses(ctx) == {vial.id: "in_stock"}
    # Everyone on the ward may look at the stock.
    assert list_stock(ctx, NURSE)[0].in_stock == 1


def test_reserve_named_vials_then_release(
    ctx: AppContext, make_episode: Callable[..., int]
) -> None:
    episode_id = make_episode()
    a, b = receive(ctx, 400, count=2)
    reserved = reserve_for_episode(ctx, PHARM, episode_id, vial_ids=[a.id, b.id])
    assert {(v.status, v.reserved_episode_id) for v in reserved} == {("reserved", episode_id)}
    released = release_reservation(ctx, PHARM, episode_id, vial_ids=[a.id], reason="weight fell")
    assert released[0].status == "in_stock" and released[0].reserved_episode_id is None
    assert statuses(ctx) == {a.id: "in_stock", b.id: "reserved"}
    assert audit_count(ctx, "reserve_vials") == 1
    assert audit_count(ctx, "release_vials") == 1
    kinds = scalar(ctx, select(func.count()).select_from(StockMovement))
    assert kinds == 2 + 2 + 1  # received ×2, reserved ×2, released ×1


def test_reserve_is_all_or_nothing(ctx: AppContext, make_episode: Callable[..., int]) -> None:
    first, second = make_episode(), make_episode()
    a, b = receive(ctx, 400, count=2)
    reserve_for_episode(ctx, PHARM, first, vial_ids=[b.id])
    with pytest.raises(ValidationFailed, match=rf"vial {b.id} .* status is reserved"):
        reserve_for_episode(ctx, PHARM, second, vial_ids=[a.id, b.id])
    assert statuses(ctx) == {a.id: "in_stock", b.id: "reserved"}  # a was rolled back
    assert audit_count(ctx, "reserve_vials") == 1


def test_reserve_by_doses_picks_least_waste_at_the_current_weight(
    ctx: AppContext, make_episode: Callable[..., int]
) -> None:
    episode_id = make_episode(weight_kg=80)  # 640 mg a dose
    receive(ctx, 400, count=2)
    receive(ctx, 200, count=2)
    receive(ctx, 80, count=4)
    reserved = reserve_for_episode(ctx, PHARM, episode_id, doses=1)
    assert sorted(v.strength_mg for v in reserved) == [80, 80, 80, 400]  # 640 mg, no waste
    with pytest.raises(ValidationFailed, match="not enough unexpired stock for dose 2"):
        reserve_for_episode(ctx, PHARM, episode_id, doses=2)


def test_expired_vials_are_never_reserved_and_get_marked(
    ctx: AppContext, make_episode: Callable[..., int], fake_clock: FakeClock
) -> None:
    episode_id = make_episode()
    old = receive(ctx, 400, expiry=TODAY + timedelta(days=1))[0]
    reserved = receive(ctx, 200, expiry=TODAY + timedelta(days=1))[0]
    reserve_for_episode(ctx, PHARM, episode_id, vial_ids=[reserved.id])
    fake_clock.advance(days=2)
    with pytest.raises(ValidationFailed, match="expired on 11 Mar 2026"):
        reserve_for_episode(ctx, PHARM, episode_id, vial_ids=[old.id])
    with pytest.raises(ValidationFailed, match="not enough unexpired stock"):
        reserve_for_episode(ctx, PHARM, episode_id, doses=1)
    assert expire_vials(ctx) == 2
    assert statuses(ctx) == {old.id: "expired", reserved.id: "expired"}
    assert audit_count(ctx, "expire_vials") == 1
    assert expire_vials(ctx) == 0  # nothing left to do: no write, no audit
    assert audit_count(ctx, "expire_vials") == 1


def test_expiring_within_lists_usable_vials_soonest_first(ctx: AppContext) -> None:
    soon = receive(ctx, 80, expiry=TODAY + timedelta(days=10), batch="S")[0]
    edge = receive(ctx, 80, expiry=TODAY + timedelta(days=30), batch="E")[0]
    receive(ctx, 80, expiry=TODAY + timedelta(days=31), batch="L")
    wasted = receive(ctx, 80, expiry=TODAY + timedelta(days=5), batch="W")[0]
    waste_vial(ctx, PHARM, wasted.id, reason="dropped")
    assert [v.id for v in expiring_within(ctx, PHARM)] == [soon.id, edge.id]
    assert [v.id for v in expiring_within(ctx, PHARM, days=10)] == [soon.id]


def test_waste_needs_a_reason_and_cannot_happen_twice(ctx: AppContext) -> None:
    vial = receive(ctx, 80)[0]
    with pytest.raises(ValidationFailed, match="say why"):
        waste_vial(ctx, PHARM, vial.id, reason="  ")
    assert waste_vial(ctx, PHARM, vial.id, reason="cracked").status == "wasted"
    with pytest.raises(ValidationFailed, match="status is wasted"):
        waste_vial(ctx, PHARM, vial.id, reason="again")
    assert audit_count(ctx, "waste_vial") == 1


def test_an_issued_vial_can_be_returned_unopened(
    ctx: AppContext, make_episode: Callable[..., int]
) -> None:
    episode_id = make_episode(weight_kg=50)  # 400 mg
    vial = receive(ctx, 400)[0]
    give_dose(ctx, NURSE, episode_id, 400, given_at=ctx.clock())
    assert statuses(ctx) == {vial.id: "issued"}
    assert return_vial(ctx, PHARM, vial.id, reason="dose not needed").status == "in_stock"
    with pytest.raises(ValidationFailed, match="status is in_stock"):
        return_vial(ctx, PHARM, vial.id)


def test_list_stock_counts_by_batch_expiry_location_and_status(
    ctx: AppContext, make_episode: Callable[..., int]
) -> None:
    episode_id = make_episode()
    a = receive(ctx, 400, count=3, batch="A")
    receive(ctx, 400, count=1, batch="A", location="pharmacy")
    receive(ctx, 80, count=2, batch="C", expiry=TODAY + timedelta(days=20))
    reserve_for_episode(ctx, PHARM, episode_id, vial_ids=[a[0].id])
    waste_vial(ctx, PHARM, a[1].id, reason="dropped")
    lines = {(ln.strength_mg, ln.batch, ln.location): ln for ln in list_stock(ctx, PHARM)}
    ward_a = lines[(400, "A", "ward")]
    assert (ward_a.in_stock, ward_a.reserved, ward_a.wasted, ward_a.usable) == (1, 1, 1, 2)
    assert lines[(400, "A", "pharmacy")].in_stock == 1
    assert list_stock(ctx, PHARM)[0].batch == "C"  # soonest expiry first
