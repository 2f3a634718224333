"""The readiness check before infusion (RULES E6) as the user sees it in the dialog."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt

from app.context import AppContext
from app.services import patients
from app.services import tocilizumab as toci
from tests.gui_dialogs.conftest import HAEM, NURSE, PHARM, planned_episode, press, show, type_text
from widgets.infusion_dialog import InfusionDialog


def _short_by_240_mg(ctx: AppContext) -> int:
    """80 kg: one dose is 640 mg; only one 400 mg vial is reserved."""
    episode_id = planned_episode(ctx, weight=80.0)
    vials = toci.receive_vials(ctx, PHARM, strength_mg=400, batch="B1",
                               expiry_date=date(2026, 12, 31), location="pharmacy", count=1)
    toci.reserve_for_episode(ctx, PHARM, episode_id, vial_ids=[vials[0].id])
    return episode_id


def test_short_stock_nurse_cannot_override(qtbot: Any, dctx: AppContext) -> None:
    episode_id = _short_by_240_mg(dctx)
    dialog = InfusionDialog(dctx, NURSE, episode_id)
    show(qtbot, dialog)

    assert "needs 1 dose of 640 mg; reserved 400 mg" in dialog.readiness_label.text()
    assert dialog.readiness_label.text().startswith("NOT READY")
    assert not dialog.save_button.isEnabled()
    assert "haematologist" in dialog.save_button.toolTip()
    assert "nurse may not" in dialog.save_button.toolTip()
    assert not dialog.override_reason.isEnabled()
    assert "haematologist" in dialog.override_reason.toolTip()
    press(qtbot, Qt.Key.Key_Return)  # Enter does nothing while saving is not allowed
    assert patients.get_episode(dctx, NURSE, episode_id).status == "planned"


def test_short_stock_haematologist_overrides_with_reason(qtbot: Any, dctx: AppContext) -> None:
    episode_id = _short_by_240_mg(dctx)
    dialog = InfusionDialog(dctx, HAEM, episode_id)
    show(qtbot, dialog)
    assert dialog.override_reason.isEnabled()
    assert not dialog.save_button.isEnabled()  # a reason first
    dialog.override_reason.setFocus()
    type_text(qtbot, "second dose on its way from pharmacy, ETA 1 h")
    assert dialog.save_button.isEnabled()
    assert "Override" in dialog.save_button.text()
    press(qtbot, Qt.Key.Key_Return)

    assert dialog.result() == dialog.DialogCode.Accepted, dialog.top_error.text()
    episode = patients.get_episode(dctx, HAEM, episode_id)
    assert episode.status == "active"
    assert episode.infused_at == dctx.clock()


def test_ready_when_reserved_and_nurse_records(qtbot: Any, dctx: AppContext) -> None:
    episode_id = planned_episode(dctx, weight=80.0)
    toci.receive_vials(dctx, PHARM, strength_mg=400, batch="B1",
                       expiry_date=date(2026, 12, 31), location="pharmacy", count=1)
    toci.receive_vials(dctx, PHARM, strength_mg=80, batch="C1",
                       expiry_date=date(2026, 12, 31), location="pharmacy", count=3)
    toci.reserve_for_episode(dctx, PHARM, episode_id, doses=1)
    dialog = InfusionDialog(dctx, NURSE, episode_id)
    show(qtbot, dialog)
    assert dialog.readiness_label.text().startswith("READY")
    assert not dialog.override_reason.isVisible()
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.top_error.text()
    assert patients.get_episode(dctx, NURSE, episode_id).status == "active"
