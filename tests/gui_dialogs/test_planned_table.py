"""The "Awaiting infusion" list: registered patients not yet infused, their tocilizumab
readiness in words, and Enter / double-click asking for the infusion dialog."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt

from app.context import AppContext
from app.services import tocilizumab as toci
from app.services import ward as ward_service
from tests.gui_dialogs.conftest import NURSE, PHARM, active_episode, planned_episode, show
from widgets.planned_table import COL_PATIENT, COL_TOCILIZUMAB, PlannedModel, PlannedTable


def _two_planned(ctx: AppContext) -> tuple[int, int]:
    """Smith (80 kg, one 400 + three 80 mg vials reserved: ready) and Jones (short)."""
    ready = planned_episode(ctx, weight=80.0)
    short = planned_episode(ctx, nhs="9990000026", family="Jones")
    toci.receive_vials(ctx, PHARM, strength_mg=400, batch="B1",
                       expiry_date=date(2026, 12, 31), location="pharmacy", count=1)
    toci.receive_vials(ctx, PHARM, strength_mg=80, batch="C1",
                       expiry_date=date(2026, 12, 31), location="pharmacy", count=3)
    toci.reserve_for_episode(ctx, PHARM, ready, doses=1)
    return ready, short


def _table(qtbot: Any, ctx: AppContext) -> PlannedTable:
    table = PlannedTable()
    show(qtbot, table)
    table.set_rows(ward_service.list_planned(ctx, NURSE))
    return table


def test_model_passes_qtmodeltester(qtmodeltester: Any, dctx: AppContext) -> None:
    _two_planned(dctx)
    model = PlannedModel()
    model.set_rows(ward_service.list_planned(dctx, NURSE))
    assert model.rowCount() == 2
    qtmodeltester.check(model, force_py=True)


def test_title_rows_and_readiness_in_words(qtbot: Any, dctx: AppContext) -> None:
    ready, short = _two_planned(dctx)
    active_episode(dctx, nhs="9990000034")  # infused: not awaiting infusion
    table = _table(qtbot, dctx)
    assert table.title.text() == "Awaiting infusion (2)"
    assert "2" in table.table.accessibleName()
    assert not table.empty_label.isVisible()
    texts = {
        table.model.row_at(n).episode_id: (
            table.model.index(n, COL_PATIENT).data(),
            table.model.index(n, COL_TOCILIZUMAB).data(),
        )
        for n in range(table.model.rowCount())
    }
    assert texts[ready][0] == "SMITH, Anna\nNHS 999 000 0018"
    # The readiness is said in words (the colour only repeats it).
    assert texts[ready][1] == "✓ Ready: 1 dose reserved"
    assert texts[short][1] == "⚠ Short by 1 dose — ask pharmacy"
    tip = table.model.index(list(texts).index(short), COL_TOCILIZUMAB).data(
        Qt.ItemDataRole.ToolTipRole)
    assert tip == "needs 1 dose of 640 mg; reserved 0 mg"


def test_empty_state_says_so(qtbot: Any, dctx: AppContext) -> None:
    table = _table(qtbot, dctx)
    assert table.title.text() == "Awaiting infusion (0)"
    assert table.empty_label.isVisible()
    assert table.empty_label.text() == "No patients awaiting infusion"
    assert not table.table.isVisible()
    assert table.selected_episode_id() is None


def test_enter_and_double_click_ask_for_the_infusion(qtbot: Any, dctx: AppContext) -> None:
    _ready, short = _two_planned(dctx)
    table = _table(qtbot, dctx)
    assert table.select_episode(short)
    assert table.selected_episode_id() == short
    table.focus_table()
    with qtbot.waitSignal(table.infusion_requested, timeout=1000) as signal:
        qtbot.keyClick(table.table, Qt.Key.Key_Return)
    assert signal.args == [short]

    row = next(n for n in range(table.model.rowCount())
               if table.model.row_at(n).episode_id == short)
    rect = table.table.visualRect(table.model.index(row, COL_PATIENT))
    viewport = table.table.viewport()
    with qtbot.waitSignal(table.infusion_requested, timeout=1000) as signal:
        # Qt 6 reports a double-click only after a press and release at the same place.
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    assert signal.args == [short]


def test_selection_survives_a_refresh_and_unknown_episodes_are_refused(
    qtbot: Any, dctx: AppContext
) -> None:
    _ready, short = _two_planned(dctx)
    table = _table(qtbot, dctx)
    assert not table.select_episode(999)
    assert table.select_episode(short)
    planned_episode(dctx, nhs="9990000034", family="Adams")  # a third: the model resets
    table.set_rows(ward_service.list_planned(dctx, NURSE))
    assert table.title.text() == "Awaiting infusion (3)"
    assert table.selected_episode_id() == short
