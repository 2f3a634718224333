"""The live preview speaks ward words: NEWS2 parameters as on the observation chart, and a
half-entered ICE called incomplete (not "no ICANS observations entered")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gui.conftest import Ward

pytestmark = pytest.mark.gui


def open_form(window: Any, episode_id: int) -> Any:
    window.open_episode(episode_id)
    form = window.patient_view.form
    assert form is not None
    return form


def pick(combo: Any, value: object) -> None:
    combo.setCurrentIndex(combo.findData(value))


def test_news2_parameters_in_ward_words(window: Any, qtbot: Any, ward: Ward) -> None:
    form = open_form(window, ward.adult)
    for line, text in ((form.temperature, "38.7"), (form.heart_rate, "118"),
                       (form.systolic, "88"), (form.diastolic, "52"),
                       (form.resp_rate, "22"), (form.spo2, "93")):  # fmt: skip
        qtbot.keyClicks(line, text)
    pick(form.acvpu, "alert")
    pick(form.oxygen_device, "nasal_cannula")
    qtbot.keyClicks(form.oxygen_flow, "3")
    preview = window.patient_view.preview
    assert preview.news2_chip.text() == "NEWS2 12 · high"
    assert preview.news2_reasons.text() == (
        "RR 2 · SpO2 2 · oxygen 2 · SBP 3 · pulse 2 · consciousness 0 · temp 1"
    )
