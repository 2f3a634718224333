"""Issue 4: the assessment form lists the drugs given since the last set (RULES C2/C5)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.errors import PermissionDenied
from app.services import administrations
from tests.gui.conftest import NURSE, Ward

pytestmark = pytest.mark.gui

NORMAL: dict[str, Any] = {
    "temperature_c": 37.0, "heart_rate": 80, "systolic_bp": 120, "diastolic_bp": 70,
    "respiratory_rate": 16, "spo2_percent": 97, "oxygen_device": "none", "acvpu": "alert",
    "ice_items": {"orientation": 4, "naming": 3, "following_commands": 1, "writing": 1,
                  "attention": 1},
    "consciousness": "awakens_spontaneously", "seizure": "none", "motor_weakness": "none",
    "cerebral_edema": "none",
}


def test_paracetamol_is_listed_until_the_next_set(window: Any, qtbot: Any, ward: Ward) -> None:
    ctx = window.ctx
    given_at = ctx.clock() - timedelta(minutes=20)  # 09:40 UTC = 09:40 GMT
    administrations.record_administration(
        ctx, NURSE, ward.adult, drug="paracetamol", dose=1000, route="oral", given_at=given_at)

    window.open_episode(ward.adult)
    form = window.patient_view.form
    box = form.drugs_since
    assert box.isVisible()
    assert box.drugs() == ["paracetamol"]
    model = box.model
    assert [model.index(0, c).data() for c in range(model.columnCount())] == [
        "paracetamol", "1000 mg", "oral", "10 Mar 2026 09:40", "nurse.jones"]
    assert "Fever may be masked: paracetamol" in box.summary.text()
    # Another patient's form does not show it.
    window.open_episode(ward.child)
    assert window.patient_view.form.drugs_since.drugs() == []
    assert "None recorded" in window.patient_view.form.drugs_since.summary.text()

    window.open_episode(ward.adult)
    form = window.patient_view.form
    form.set_values(dict(NORMAL, assessed_at=ctx.clock()))
    qtbot.keyClick(form.temperature, Qt.Key.Key_Return)
    assert form.status.text().startswith("Saved")
    assert form.drugs_since.drugs() == []
    assert form.drugs_since.summary.text() == "None recorded since the last assessment."


def test_section_hidden_without_a_source_and_says_why_a_read_failed(
    window: Any, ward: Ward
) -> None:
    # Without a source: no section at all, rather than a false "none given".
    window.patient_view.drugs_source = None
    window.open_episode(ward.adult)
    assert not window.patient_view.form.drugs_since.isVisible()

    def refused(_episode_id: int) -> list[Any]:
        raise PermissionDenied("A admin may not view ward and patients.")

    window.patient_view.drugs_source = refused
    window.open_episode(ward.child)
    box = window.patient_view.form.drugs_since
    assert box.isVisible()
    assert box.summary.text() == (
        "⚠ Could not read the drugs given: A admin may not view ward and patients.")
    assert not box.table.isVisible()
