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


def test_part_entered_ice_is_called_incomplete(window: Any, qtbot: Any, ward: Ward) -> None:
    form = open_form(window, ward.adult)
    preview = window.patient_view.preview
    for name, value in (("orientation", 3), ("naming", 3), ("following_commands", 1),
                        ("writing", 0)):  # fmt: skip
        pick(form.ice_items[name], value)
    assert preview.icans_chip.text() == "ICANS — · incomplete"
    assert preview.icans_missing.text() == (
        "ICE incomplete — 4 of 5 items entered; complete it to grade encephalopathy"
    )
    assert "No ICANS observations" not in preview.summary_text()
    pick(form.ice_items["attention"], 1)
    assert preview.icans_chip.text() == "ICANS ≥ 1 · mild"  # ICE 8; other domains missing
    assert "incomplete" not in preview.summary_text()


def test_part_entered_ice_with_other_domains_still_says_incomplete(
    window: Any, qtbot: Any, ward: Ward
) -> None:
    form = open_form(window, ward.adult)
    preview = window.patient_view.preview
    pick(form.ice_items["orientation"], 4)
    pick(form.seizure, "none")
    assert preview.icans_chip.text() == "ICANS ≥ 0 · partial"  # graded from the seizure answer
    lines = preview.icans_missing.text().splitlines()
    assert lines[0] == (
        "ICE incomplete — 1 of 5 items entered; complete it to grade encephalopathy"
    )
    assert lines[1].startswith("ICANS at least 0 — missing:")
