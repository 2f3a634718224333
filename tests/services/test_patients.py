"""Patients and episodes: NHS numbers, registration, versioned edits (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.context import AppContext
from app.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from app.nhs_number import format_nhs_number, normalise_nhs_number
from app.services import patients, ward
from db.engine import Database
from tests.services.conftest import HAEM, NURSE, NURSE2, PHARMACIST, make_episode


@pytest.mark.parametrize(
    ("typed", "digits"),
    [("999 000 0018", "9990000018"), ("999-000-0026", "9990000026"), ("9990000034", "9990000034"),
     (" 943 476 5919 ", "9434765919")],
)  # fmt: skip
def test_nhs_number_normalised(typed, digits):
    assert normalise_nhs_number(typed) == digits


def test_nhs_number_errors_say_what_to_fix():
    with pytest.raises(ValueError, match=r"NHS number 999 123 4567 fails its check digit — "
                                         r"check for a typing error"):  # fmt: skip
        normalise_nhs_number("999 123 4567")
    with pytest.raises(ValueError, match="has 9 digits"):
        normalise_nhs_number("999 000 001")
    with pytest.raises(ValueError, match="other than digits"):
        normalise_nhs_number("999 OOO 0018")
    with pytest.raises(ValueError, match="empty"):
        normalise_nhs_number("  ")
    assert format_nhs_number("9990001234") == "999 000 1234"


def test_every_check_digit_of_the_999_range():
    # Exactly one last digit (or none, when the check would be 10) validates nine digits.
    for stem in ("999000001", "999123456", "999999999", "999000000"):
        valid = [d for d in "0123456789" if _valid(stem + d)]
        assert len(valid) <= 1


def _valid(text):
    try:
        normalise_nhs_number(text)
    except ValueError:
        return False
    return True


def test_register_patient_and_duplicate_nhs_number_names_the_patient(ctx):
    p = patients.register_patient(
        ctx, NURSE, nhs_number="999 000 0018", hospital_number=None, family_name="Smith",
        given_name="Anna", date_of_birth=date(1970, 5, 1), sex="female",
    )  # fmt: skip
    assert (p.nhs_number, p.nhs_number_display, p.name) == (
        "9990000018", "999 000 0018", "SMITH, Anna")  # fmt: skip
    with pytest.raises(ValidationFailed) as err:
        patients.register_patient(
            ctx, NURSE, nhs_number="9990000018", hospital_number=None, family_name="Smyth",
            given_name="Ann", date_of_birth=date(1970, 5, 1), sex="female",
        )  # fmt: skip
    assert f"already registered to patient {p.id} (SMITH, Anna)" in str(err.value)


def test_hospital_number_alone_is_enough_but_one_is_required(ctx):
    p = patients.register_patient(
        ctx, HAEM, nhs_number=None, hospital_number="RX12345", family_name="Doe",
        given_name="Jo", date_of_birth=date(2015, 1, 1), sex="unknown",
    )  # fmt: skip
    assert p.nhs_number is None and p.nhs_number_display == ""
    with pytest.raises(ValidationFailed) as err:
        patients.register_patient(
            ctx, NURSE, nhs_number="", hospital_number="", family_name="", given_name="X",
            date_of_birth=date(2030, 1, 1), sex="f",
        )  # fmt: skip
    assert {p.field for p in err.value.problems} == {
        "nhs_number", "family_name", "date_of_birth", "sex"}  # fmt: skip


def test_pharmacist_cannot_register(ctx):
    with pytest.raises(PermissionDenied):
        patients.register_patient(
            ctx, PHARMACIST, nhs_number="9990000018", hospital_number=None, family_name="S",
            given_name="A", date_of_birth=date(1970, 1, 1), sex="male",
        )  # fmt: skip


def test_episode_needs_a_known_product(ctx):
    p = patients.register_patient(
        ctx, NURSE, nhs_number="9990000018", hospital_number=None, family_name="Smith",
        given_name="Anna", date_of_birth=date(1970, 5, 1), sex="female",
    )  # fmt: skip
    with pytest.raises(ValidationFailed, match="unknown product 'kymriah'"):
        patients.register_episode(
            ctx, NURSE, p.id, product_code="kymriah", planned_infusion_date=None,
            weight_kg=70, consultant="Dr B", ward="Haematology",
        )  # fmt: skip
    e = patients.register_episode(
        ctx, NURSE, p.id, product_code="tisagenlecleucel", planned_infusion_date=None,
        weight_kg=70, consultant="Dr B", ward="Haematology",
    )  # fmt: skip
    assert e.status == "planned" and e.version == 1
    with pytest.raises(ValidationFailed, match="already has an open episode"):
        patients.register_episode(
            ctx, NURSE, p.id, product_code="tisagenlecleucel", planned_infusion_date=None,
            weight_kg=70, consultant="Dr B", ward="Haematology",
        )  # fmt: skip


def test_two_sessions_editing_one_episode(ctx, episode_id, db_url, fake_clock):
    """Two workstations read version v; one saves, the other gets "changed by X"."""
    other_db = Database(db_url)
    try:
        other = AppContext(other_db, clock=fake_clock)
        seen_here = patients.get_episode(ctx, NURSE, episode_id).version
        seen_there = patients.get_episode(other, NURSE2, episode_id).version
        fake_clock.advance(minutes=3)
        saved = patients.update_nursing_note(
            other, NURSE2, episode_id, "Family visiting 18:00", expected_version=seen_there
        )
        assert saved.version == seen_there + 1
        with pytest.raises(StaleEdit) as err:
            patients.update_nursing_note(
                ctx, NURSE, episode_id, "Quiet night", expected_version=seen_here
            )
        assert err.value.changed_by == "nurse.patel"
        assert "Changed by nurse.patel at 10 Mar 2026 10:03" in str(err.value)
        assert patients.get_episode(ctx, NURSE, episode_id).nursing_note == "Family visiting 18:00"
    finally:
        other_db.dispose()


def test_discharge_death_weight_and_note(ctx, episode_id, fake_clock):
    v = patients.get_episode(ctx, NURSE, episode_id).version
    e = patients.update_weight(ctx, NURSE, episode_id, 68.5, expected_version=v)
    assert (e.weight_kg, e.weight_recorded_on) == (68.5, date(2026, 3, 10))
    with pytest.raises(ValidationFailed, match="weight"):
        patients.update_weight(ctx, NURSE, episode_id, 0, expected_version=e.version)
    with pytest.raises(ValidationFailed, match="cause must be one of"):
        patients.record_death(ctx, NURSE, episode_id, at=fake_clock(), cause="old age",
                              expected_version=e.version)  # fmt: skip
    with pytest.raises(ValidationFailed, match="future"):
        patients.record_discharge(
            ctx, NURSE, episode_id, at=datetime(2026, 3, 11, tzinfo=UTC), expected_version=e.version
        )
    d = patients.record_discharge(ctx, NURSE, episode_id, at=fake_clock(),
                                  expected_version=e.version)  # fmt: skip
    assert d.status == "discharged"
    assert ward.list_ward(ctx, NURSE) == []  # the board lists active episodes only
    with pytest.raises(NotFound):
        patients.get_episode(ctx, NURSE, 999)


def test_find_episode_by_nhs_and_header(ctx, episode_id):
    header = ward.find_episode_by_nhs(ctx, NURSE, "999 000 0018")
    assert header.episode_id == episode_id
    assert (header.name, header.nhs_number, header.date_of_birth) == (
        "SMITH, Anna", "999 000 0018", date(1970, 5, 1))  # fmt: skip
    assert header.day == 2 and header.age_years == 55 and header.weight_kg == 70.0
    with pytest.raises(ValidationFailed, match="check digit"):
        ward.find_episode_by_nhs(ctx, NURSE, "999 000 0019")
    with pytest.raises(NotFound):
        ward.find_episode_by_nhs(ctx, NURSE, "999 000 0026")
    with pytest.raises(PermissionDenied):
        ward.list_ward(ctx, PHARMACIST)


def test_ward_board_rows(ctx, fake_clock):
    a = make_episode(ctx, nhs="9990000026", bed="10", family="Young")
    b = make_episode(ctx, nhs="9990000034", bed="2", family="Adams")
    rows = ward.list_ward(ctx, NURSE)
    assert [r.episode_id for r in rows] == [b, a]  # natural bed order
    r = rows[0]
    assert (r.patient_name, r.nhs_number, r.day, r.crs_grade, r.last_assessed_at) == (
        "ADAMS, Anna", "999 000 0034", 2, None, None)  # fmt: skip
    # Never assessed since the infusion on 8 March 09:00: due 12 h later, overdue now.
    assert r.next_due_at == datetime(2026, 3, 8, 21, 0, tzinfo=UTC) and r.overdue
    assert r.open_alerts == () and r.worst_alert is None
