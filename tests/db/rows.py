"""Minimal valid rows for the data-layer tests (services build richer ones)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count

from sqlalchemy.orm import Session

from db.models import Episode, Patient

T0 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
_numbers = count(1)


def add_patient(session: Session) -> Patient:
    n = next(_numbers)
    patient = Patient(
        hospital_number=f"H{n:06d}",
        family_name="Test",
        given_name=f"Patient {n}",
        date_of_birth=date(1970, 1, 1),
        sex="female",
        created_at=T0,
    )
    session.add(patient)
    session.flush()
    return patient


def add_episode(session: Session, patient: Patient | None = None) -> Episode:
    patient = patient or add_patient(session)
    episode = Episode(
        patient_id=patient.id,
        product_code="axi-cel",
        infused_at=T0,
        weight_kg=70.0,
        weight_recorded_on=date(2026, 3, 9),
        consultant="Dr Who",
        ward="Haematology",
        status="active",
        created_at=T0,
    )
    session.add(episode)
    session.flush()
    return episode
