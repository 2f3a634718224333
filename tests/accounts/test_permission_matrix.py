"""SAFETY.md "Who may do what": every role x action cell, allowed and denied, through the
real service functions. An allowed call must succeed; a denied one must raise
PermissionDenied naming the role, and the denial must be logged."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from app.actor import Actor, Role
from app.context import AppContext
from app.errors import PermissionDenied
from app.permissions import PERMISSIONS, Action
from db.engine import Database
from db.models import Alert, Assessment
from tests.accounts.conftest import PASSWORD
from tests.fakes import FakeClock

N, H, P, A = Role.NURSE, Role.HAEMATOLOGIST, Role.PHARMACIST, Role.ADMIN

# SAFETY.md's table, typed out again here on purpose: the test checks app/permissions.py
# against the safety document, not against itself.
SAFETY_MATRIX: dict[Action, set[Role]] = {
    Action.VIEW_WARD: {N, H},  # pharmacist: stock views only; admin: no clinical data
    Action.VIEW_STOCK: {N, H, P},
    Action.REGISTER_PATIENT: {N, H},
    Action.RECORD_ASSESSMENT: {N, H},
    Action.RECORD_ADMINISTRATION: {N, H},
    Action.AMEND_OWN_ENTRY: {N, H},
    Action.AMEND_OTHERS_ENTRY: {N, H},
    Action.ACKNOWLEDGE_ALERT: {N, H},
    Action.RECORD_DISCUSSION: {N, H},
    Action.RESOLVE_ALERT: {H},
    Action.OVERRIDE_GRADE: {H},
    Action.MANAGE_STOCK: {P},
    Action.PRINT_HANDOVER: {N, H},
    Action.REGISTRY_EXPORT: {H},
    Action.MANAGE_USERS: {A},
    Action.VIEW_AUDIT: {N, H, P, A},
}

VITALS = {
    "temperature_c": 37.2, "heart_rate": 88, "systolic_bp": 122, "diastolic_bp": 74,
    "respiratory_rate": 16, "spo2_percent": 98,
}  # fmt: skip


@dataclass
class Scenario:
    ctx: AppContext
    actors: dict[Role, Actor]
    episode_id: int  # active (infused yesterday)
    planned_episode_id: int  # not infused, not ready (no tocilizumab reserved)
    nurse_assessment_id: int
    haem_assessment_id: int
    alert_id: int
    out_dir: Path


@pytest.fixture
def scenario(
    sqlite_database: Database, fake_clock: FakeClock, tmp_path: Path
) -> Iterator[Scenario]:
    from app.services import assessments, patients, tocilizumab, users
    from app.services.alerts import raise_or_update_alert

    ctx = AppContext(sqlite_database, clock=fake_clock)
    users.create_first_admin(ctx, "admin", "Ada Admin", PASSWORD)
    admin = users.authenticate(ctx, "admin", PASSWORD, "ws")
    actors = {A: admin}
    for role in (N, H, P):
        row = users.create_user(
            ctx, admin, username=f"{role.value}1", display_name=role.value.title(),
            role=role, password=PASSWORD,
        )  # fmt: skip
        actors[role] = Actor(user_id=row.id, username=row.username, role=role, workstation="ws")
    nurse, haem = actors[N], actors[H]
    episodes = []
    for nhs in ("999 000 0018", "999 000 0026"):
        patient = patients.register_patient(
            ctx, nurse, nhs_number=nhs, hospital_number=None, family_name="Test",
            given_name="Pat", date_of_birth=date(1970, 1, 1), sex="female",
        )  # fmt: skip
        episode = patients.register_episode(
            ctx, nurse, patient.id, product_code="axicabtagene_ciloleucel",
            planned_infusion_date=fake_clock().date(), weight_kg=70.0, consultant="Dr Who",
            ward="Haematology", bed=nhs[-2:],
        )  # fmt: skip
        episodes.append(episode.id)
    tocilizumab.record_infusion(
        ctx, haem, episodes[0], infused_at=fake_clock() - timedelta(hours=2),
        override_reason="stock on its way from pharmacy",
    )  # fmt: skip
    fake_clock.advance(minutes=10)
    by_nurse = assessments.record_assessment(
        ctx, nurse, episodes[0], {**VITALS, "assessed_at": fake_clock()}
    )
    fake_clock.advance(minutes=10)
    by_haem = assessments.record_assessment(
        ctx, haem, episodes[0], {**VITALS, "assessed_at": fake_clock(), "heart_rate": 90}
    )
    with sqlite_database.transaction() as s:
        raise_or_update_alert(
            s, episode_id=episodes[0], kind="critical_care", message="test alert",
            now=fake_clock(), trigger_grade=2,
        )  # fmt: skip
    with sqlite_database.read() as s:
        alert_id = s.scalars(select(Alert.id)).one()
    fake_clock.advance(minutes=10)
    yield Scenario(
        ctx, actors, episodes[0], episodes[1], by_nurse.id, by_haem.id, alert_id, tmp_path
    )


def _own_entry(s: Scenario, actor: Actor) -> int:
    """An assessment entered by `actor` (set directly for roles that cannot enter one)."""
    with s.ctx.database.transaction() as session:
        session.execute(
            update(Assessment)
            .where(Assessment.id == s.nurse_assessment_id)
            .values(entered_by_user_id=actor.user_id, entered_by=actor.username)
        )
    return s.nurse_assessment_id


def _amend(s: Scenario, actor: Actor, assessment_id: int) -> Any:
    from app.services.assessments import amend_assessment

    return amend_assessment(
        s.ctx, actor, assessment_id, {**VITALS, "temperature_c": 37.4}, reason="typo"
    )


def _alert_version(s: Scenario) -> int:
    with s.ctx.database.read() as session:
        return int(session.scalars(select(Alert.version).where(Alert.id == s.alert_id)).one())


def _view_ward(s: Scenario, a: Actor) -> Any:
    from app.services.ward import list_ward

    return list_ward(s.ctx, a)


def _view_stock(s: Scenario, a: Actor) -> Any:
    from app.services.tocilizumab import list_stock

    return list_stock(s.ctx, a)


def _register(s: Scenario, a: Actor) -> Any:
    from app.services.patients import register_patient

    return register_patient(
        s.ctx, a, nhs_number="999 000 0034", hospital_number=None, family_name="New",
        given_name="Pat", date_of_birth=date(1980, 2, 2), sex="male",
    )  # fmt: skip


def _assess(s: Scenario, a: Actor) -> Any:
    from app.services.assessments import record_assessment

    values = {**VITALS, "assessed_at": s.ctx.clock(), "heart_rate": 95}
    return record_assessment(s.ctx, a, s.episode_id, values)


def _give(s: Scenario, a: Actor) -> Any:
    from app.services.administrations import record_administration

    return record_administration(
        s.ctx, a, s.episode_id, drug="paracetamol", dose=1000, route="oral",
        given_at=s.ctx.clock(),
    )  # fmt: skip


def _amend_others(s: Scenario, a: Actor) -> Any:
    other = s.haem_assessment_id if a.role is N else s.nurse_assessment_id
    return _amend(s, a, other)


def _acknowledge(s: Scenario, a: Actor) -> Any:
    from app.services.alerts import acknowledge_alert

    return acknowledge_alert(s.ctx, a, s.alert_id, expected_version=_alert_version(s))


def _discussion(s: Scenario, a: Actor) -> Any:
    from app.services.alerts import record_discussion

    return record_discussion(
        s.ctx, a, s.alert_id, clinician="Dr ICU", discussed_at=s.ctx.clock(),
        outcome="stay_with_plan", detail="review in 1 h", expected_version=_alert_version(s),
    )  # fmt: skip


def _resolve(s: Scenario, a: Actor) -> Any:
    from app.services.alerts import open_alert, raise_or_update_alert, resolve_alert

    # A prompt, not the scenario's critical-care alert: that one closes only by discussion.
    with s.ctx.database.transaction() as session:
        raise_or_update_alert(
            session, episode_id=s.episode_id, kind="tocilizumab_prompt", message="CRS 2",
            now=s.ctx.clock(), trigger_grade=2,
        )  # fmt: skip
        prompt = open_alert(session, s.episode_id, "tocilizumab_prompt")
        assert prompt is not None
        prompt_id, version = prompt.id, prompt.version
    return resolve_alert(s.ctx, a, prompt_id, reason="settled", expected_version=version)


def _override(s: Scenario, a: Actor) -> Any:
    from app.services.tocilizumab import record_infusion

    return record_infusion(
        s.ctx, a, s.planned_episode_id, infused_at=s.ctx.clock(), override_reason="urgent"
    )


def _manage_stock(s: Scenario, a: Actor) -> Any:
    from app.services.tocilizumab import receive_vials

    return receive_vials(
        s.ctx, a, strength_mg=400, batch="B1", expiry_date=s.ctx.clock().date()
        + timedelta(days=200), location="ward", count=2,
    )  # fmt: skip


def _handover(s: Scenario, a: Actor) -> Any:
    from app.reports.handover import gather_handover

    return gather_handover(s.ctx, a, None)


def _export(s: Scenario, a: Actor) -> Any:
    from app.reports.registry_export import export_registry_csv

    return export_registry_csv(s.ctx, a, s.out_dir / "registry.csv")


def _manage_users(s: Scenario, a: Actor) -> Any:
    from app.services.users import create_user

    return create_user(
        s.ctx, a, username="newbie", display_name="New Bie", role="nurse", password=PASSWORD
    )


def _audit(s: Scenario, a: Actor) -> Any:
    from app.services.audit_query import query_audit

    return query_audit(s.ctx, a)


CALLS: dict[Action, Callable[[Scenario, Actor], Any]] = {
    Action.VIEW_WARD: _view_ward,
    Action.VIEW_STOCK: _view_stock,
    Action.REGISTER_PATIENT: _register,
    Action.RECORD_ASSESSMENT: _assess,
    Action.RECORD_ADMINISTRATION: _give,
    Action.AMEND_OWN_ENTRY: lambda s, a: _amend(s, a, _own_entry(s, a)),
    Action.AMEND_OTHERS_ENTRY: _amend_others,
    Action.ACKNOWLEDGE_ALERT: _acknowledge,
    Action.RECORD_DISCUSSION: _discussion,
    Action.RESOLVE_ALERT: _resolve,
    Action.OVERRIDE_GRADE: _override,
    Action.MANAGE_STOCK: _manage_stock,
    Action.PRINT_HANDOVER: _handover,
    Action.REGISTRY_EXPORT: _export,
    Action.MANAGE_USERS: _manage_users,
    Action.VIEW_AUDIT: _audit,
}


def test_permission_table_matches_safety_md() -> None:
    assert set(SAFETY_MATRIX) == set(Action) == set(CALLS)
    for action, roles in SAFETY_MATRIX.items():
        assert set(PERMISSIONS[action]) == roles, action


CELLS = [
    pytest.param(action, role, id=f"{action.name}-{role.value}")
    for action in Action
    for role in Role
]


@pytest.mark.parametrize(("action", "role"), CELLS)
def test_cell(
    action: Action, role: Role, scenario: Scenario, caplog: pytest.LogCaptureFixture
) -> None:
    actor = scenario.actors[role]
    call = CALLS[action]
    caplog.set_level(logging.WARNING, logger="carward.permissions")
    if role in SAFETY_MATRIX[action]:
        call(scenario, actor)  # allowed: the real service succeeds
        assert not [r for r in caplog.records if r.name == "carward.permissions"]
        return
    with pytest.raises(PermissionDenied) as denied:
        call(scenario, actor)
    message = str(denied.value)
    assert role.value in message
    denials = [r.getMessage() for r in caplog.records if r.name == "carward.permissions"]
    assert denials, "the denial was not logged"
    assert f"role={role.value}" in denials[-1]
    assert f"user_id={actor.user_id}" in denials[-1]
