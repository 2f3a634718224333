"""The audit viewer's query: read-only, scoped by role, filterable, before/after shown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.actor import Actor, Role
from app.audit import record_audit
from app.errors import ValidationFailed
from app.services.audit_query import query_audit
from db.models import AuditEvent


def add_event(ctx: Any, actor: Actor, action: str, entity: str, **kwargs: Any) -> None:
    with ctx.database.transaction() as s:
        record_audit(s, actor, ctx.clock(), action, entity, 1, **kwargs)


@pytest.fixture
def staff(ctx: Any, make_user: Any, fake_clock: Any) -> dict[str, Actor]:
    people = {r.value: make_user(r) for r in (Role.NURSE, Role.HAEMATOLOGIST, Role.PHARMACIST)}
    people["nurse2"] = make_user(Role.NURSE, "nurse2")
    fake_clock.advance(hours=1)
    add_event(ctx, people["nurse"], "assessment.record", "assessment", episode_id=5,
              after={"temperature_c": 38.4})  # fmt: skip
    fake_clock.advance(minutes=1)
    add_event(ctx, people["nurse2"], "assessment.amend", "assessment", episode_id=5,
              before={"temperature_c": 38.4, "heart_rate": 90},
              after={"temperature_c": 37.9, "heart_rate": 90}, reason="typo")  # fmt: skip
    fake_clock.advance(minutes=1)
    add_event(ctx, people["pharmacist"], "stock.receive", "vial", after={"batch": "B1"})
    fake_clock.advance(minutes=1)
    add_event(ctx, people["haematologist"], "alert.resolve", "alert", episode_id=6)
    return people


def test_haematologist_and_admin_see_everything(ctx: Any, admin: Actor, staff: Any) -> None:
    with ctx.database.read() as s:
        total = s.scalar(select(func.count()).select_from(AuditEvent))
    assert len(query_audit(ctx, staff["haematologist"])) == total
    assert len(query_audit(ctx, admin)) == total


def test_nurse_sees_only_own_events(ctx: Any, staff: Any) -> None:
    rows = query_audit(ctx, staff["nurse"])
    assert rows and {r.username for r in rows} == {"nurse1"}
    assert "assessment.amend" not in {r.action for r in rows}


def test_pharmacist_sees_only_stock(ctx: Any, staff: Any) -> None:
    rows = query_audit(ctx, staff["pharmacist"])
    assert [(r.action, r.entity) for r in rows] == [("stock.receive", "vial")]


def test_filters(ctx: Any, staff: Any, fake_clock: Any) -> None:
    h = staff["haematologist"]
    assert {r.action for r in query_audit(ctx, h, episode_id=5)} == {
        "assessment.record", "assessment.amend"}  # fmt: skip
    assert [r.action for r in query_audit(ctx, h, username="NURSE2", action="assessment")] == [
        "assessment.amend"
    ]
    since = fake_clock() - timedelta(minutes=1, seconds=30)
    newest_first = [r.action for r in query_audit(ctx, h, date_from=since)]
    assert newest_first == ["alert.resolve", "stock.receive"]
    assert len(query_audit(ctx, h, limit=2)) == 2


def test_changes_show_before_and_after(ctx: Any, staff: Any) -> None:
    (amend,) = query_audit(ctx, staff["haematologist"], action="assessment.amend")
    assert amend.reason == "typo"
    assert [(c.field, c.before, c.after) for c in amend.changes] == [("temperature_c", 38.4, 37.9)]
    (created,) = query_audit(ctx, staff["haematologist"], action="assessment.record")
    assert [(c.field, c.before, c.after) for c in created.changes] == [
        ("temperature_c", None, 38.4)
    ]


def test_bad_filters_are_explained(ctx: Any, staff: Any, fake_clock: Any) -> None:
    h = staff["haematologist"]
    with pytest.raises(ValidationFailed, match="end must be after the start"):
        query_audit(ctx, h, date_from=fake_clock(), date_to=fake_clock() - timedelta(hours=1))
    with pytest.raises(ValidationFailed, match="time zone"):
        query_audit(ctx, h, date_from=fake_clock().replace(tzinfo=None))


def test_query_is_read_only(ctx: Any, staff: Any) -> None:
    with ctx.database.read() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    query_audit(ctx, staff["nurse"])
    with ctx.database.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_nurse_scope_is_by_user_id_not_name(ctx: Any, staff: Any) -> None:
    outsider = Actor(user_id=999, username="nurse1", role=Role.NURSE)
    assert query_audit(ctx, outsider) == []  # scoped by user id, not by the name typed
