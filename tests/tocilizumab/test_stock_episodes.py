"""The patients pharmacy reserves for (usability audit 10): `list_stock_episodes` lists
planned and active episodes, and closed ones still holding reserved vials, identified as
the ward identifies them; a pharmacist gets initials, never the name (README "What each
role sees"). Stock refusals speak of the patient, not an episode number."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.context import AppContext
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.services import patients
from app.services.tocilizumab import (
    check_readiness,
    list_stock_episodes,
    receive_vials,
    record_infusion,
    release_reservation,
    reserve_for_episode,
)
from db.models import Episode
from tests.services.conftest import ADMIN, HAEM, NURSE, PHARMACIST

LATER = date(2026, 9, 1)


def _episode(ctx: AppContext, *, nhs: str | None, bed: str, family: str, given: str,
             weight: float = 80.0, hospital: str | None = None) -> int:
    p = patients.register_patient(
        ctx, NURSE, nhs_number=nhs, hospital_number=hospital, family_name=family,
        given_name=given, date_of_birth=date(1970, 5, 1), sex="female",
    )  # fmt: skip
    e = patients.register_episode(
        ctx, NURSE, p.id, product_code="axicabtagene_ciloleucel",
        planned_infusion_date=date(2026, 3, 10), weight_kg=weight, consultant="Dr Brown",
        ward="Haematology", bed=bed,
    )  # fmt: skip
    return e.id


def _stock(ctx: AppContext, strength: int, count: int) -> list[int]:
    return [v.id for v in receive_vials(ctx, PHARMACIST, strength_mg=strength, batch="B",
                                        expiry_date=LATER, location="ward", count=count)]


def _close(ctx: AppContext, episode_id: int) -> None:
    """Set-up only: the episode ended (discharged), whatever its alerts."""
    with ctx.database.transaction() as session:
        episode = session.get(Episode, episode_id)
        assert episode is not None
        episode.status = "discharged"
        episode.version += 1


@pytest.fixture
def ward(ctx: AppContext) -> dict[str, int]:
    planned = _episode(ctx, nhs="9990000018", bed="B1", family="Patel", given="Rohan")
    active = _episode(ctx, nhs="9990000026", bed="A2", family="Hughes", given="Margaret",
                      weight=50.0)
    record_infusion(ctx, HAEM, active, infused_at=datetime(2026, 3, 8, 9, 0, tzinfo=UTC),
                    override_reason="test: stock checked by hand")
    gone = _episode(ctx, nhs=None, hospital="H12345", bed="C3", family="Murphy",
                    given="Siobhan")
    reserve_for_episode(ctx, PHARMACIST, gone, vial_ids=_stock(ctx, 400, 2))
    reserve_for_episode(ctx, PHARMACIST, active, vial_ids=_stock(ctx, 400, 1))  # 50 kg
    _close(ctx, gone)  # its reservation was left behind
    _close(ctx, _episode(ctx, nhs="9990000034", bed="D4", family="Ng", given="Li"))
    return {"planned": planned, "active": active, "gone": gone}


def test_a_pharmacist_sees_bed_initials_and_identifiers(
    ctx: AppContext, ward: dict[str, int]
) -> None:
    rows = list_stock_episodes(ctx, PHARMACIST)
    assert [(r.bed, r.patient, r.identifier, r.status) for r in rows] == [
        ("A2", "M H", "NHS 999 000 0026", "active"),
        ("B1", "R P", "NHS 999 000 0018", "planned"),
        ("C3", "S M", "Hospital no. H12345", "discharged"),  # holds vials: may be released
    ]  # the discharged patient with nothing reserved is not offered
    a2, b1, c3 = rows
    assert a2.product_label == "Yescarta (axicabtagene ciloleucel)" and a2.weight_kg == 50
    assert (a2.doses_reserved, a2.needed_doses, a2.vials_reserved) == (1, 1, 1)
    assert a2.readiness_text == "1 dose needed · 1 reserved ✓"
    assert b1.readiness_text == "1 dose needed · 0 reserved — short by 1" and b1.open
    assert not c3.open and c3.vials_reserved == 2


def test_ward_staff_see_the_name_as_every_other_screen(
    ctx: AppContext, ward: dict[str, int]
) -> None:
    assert [r.patient for r in list_stock_episodes(ctx, NURSE)] == [
        "HUGHES, Margaret", "PATEL, Rohan", "MURPHY, Siobhan"]


def test_read_like_the_other_stock_views(
    ctx: AppContext, ward: dict[str, int]
) -> None:
    with pytest.raises(PermissionDenied):
        list_stock_episodes(ctx, ADMIN)


def test_refusals_speak_of_the_patient(
    ctx: AppContext, ward: dict[str, int]
) -> None:
    with pytest.raises(ValidationFailed) as err:
        reserve_for_episode(ctx, PHARMACIST, ward["gone"], doses=1)
    message = err.value.problems[0].message
    assert message.startswith("this patient's episode is discharged")
    assert f"episode {ward['gone']}" not in message
    with pytest.raises(ValidationFailed, match=r"no vials are reserved for this patient$"):
        release_reservation(ctx, PHARMACIST, ward["planned"])
    with pytest.raises(NotFound) as missing:
        check_readiness(ctx, PHARMACIST, 99)
    assert str(missing.value) == ("No patient episode 99 — check the patient with the ward, "
                                  "then choose them again from the list.")
    assert "reload the ward list" not in str(missing.value)
