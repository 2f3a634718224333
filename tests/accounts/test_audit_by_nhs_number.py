"""The audit trail of one patient found by NHS number (usability audit 14: nobody knows
an episode number): every event of the patient's episodes and of the patient record,
none of anyone else's; a mistyped or unknown number says what is wrong."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.actor import Actor, Role
from app.errors import NotFound, ValidationFailed
from app.services import patients
from app.services.audit_query import query_audit
from tests.accounts.test_audit_query import add_event


def _patient(ctx: Any, actor: Actor, nhs: str, family: str) -> tuple[int, int]:
    p = patients.register_patient(
        ctx, actor, nhs_number=nhs, hospital_number=None, family_name=family,
        given_name="Anna", date_of_birth=date(1970, 5, 1), sex="female",
    )  # fmt: skip
    e = patients.register_episode(
        ctx, actor, p.id, product_code="axicabtagene_ciloleucel",
        planned_infusion_date=date(2026, 3, 10), weight_kg=70.0, consultant="Dr Brown",
        ward="Haematology", bed="3",
    )  # fmt: skip
    return p.id, e.id


def test_an_nhs_number_finds_the_patients_events(ctx: Any, make_user: Any) -> None:
    haem = make_user(Role.HAEMATOLOGIST)
    _smith, smith_episode = _patient(ctx, haem, "9990000018", "Smith")
    _jones, jones_episode = _patient(ctx, haem, "9990000026", "Jones")
    add_event(ctx, haem, "record_assessment", "assessment", episode_id=smith_episode)
    add_event(ctx, haem, "record_assessment", "assessment", episode_id=jones_episode)

    found = query_audit(ctx, haem, nhs_number="999 000 0018")
    assert [r.action for r in found] == [
        "record_assessment", "register_episode", "register_patient"]  # newest first
    assert {r.episode_id for r in found} == {smith_episode, None}
    assert query_audit(ctx, haem, nhs_number="9990000018", action="register_") == found[1:]


def test_a_wrong_number_says_what_is_wrong(ctx: Any, make_user: Any) -> None:
    haem = make_user(Role.HAEMATOLOGIST)
    _patient(ctx, haem, "9990000018", "Smith")
    with pytest.raises(ValidationFailed) as err:
        query_audit(ctx, haem, nhs_number="999 000 0019")
    assert "fails its check digit" in err.value.problems[0].message
    with pytest.raises(NotFound, match=r"No patient with NHS number 999 000 0026\."):
        query_audit(ctx, haem, nhs_number="9990000026")


def test_a_nurse_still_sees_only_her_own_events(ctx: Any, make_user: Any) -> None:
    nurse = make_user(Role.NURSE)
    haem = make_user(Role.HAEMATOLOGIST)
    _smith, episode = _patient(ctx, haem, "9990000018", "Smith")
    add_event(ctx, nurse, "record_assessment", "assessment", episode_id=episode)
    assert [r.username for r in query_audit(ctx, nurse, nhs_number="9990000018")] == [
        nurse.username]
