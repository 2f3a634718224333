"""Fixtures for the tocilizumab tests: an episode factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from app.context import AppContext
from app.services.patients import register_episode, register_patient
from tests.tocilizumab.helpers import NURSE


@pytest.fixture
def make_episode(ctx: AppContext) -> Callable[..., int]:
    counter = iter(range(1, 10_000))

    def make(weight_kg: float = 80.0, product_code: str = "axicabtagene_ciloleucel") -> int:
        n = next(counter)
        patient = register_patient(
            ctx, NURSE, nhs_number=None, hospital_number=f"H{n:05d}", family_name="Test",
            given_name=f"Patient{n}", date_of_birth=date(1970, 1, 1), sex="female",
        )  # fmt: skip
        episode = register_episode(
            ctx, NURSE, patient.id, product_code=product_code, planned_infusion_date=None,
            weight_kg=weight_kg, consultant="Dr Who", ward="Haematology",
        )  # fmt: skip
        return episode.id

    return make
