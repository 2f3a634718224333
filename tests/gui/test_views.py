"""Table models, accessibility, timeline actions, trend grid and trajectories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QToolButton

from app.services.ward import patient_timeline
from tests.gui.conftest import NURSE, Ward, record

pytestmark = pytest.mark.gui


def test_every_table_model_passes_qtmodeltester(busy_window: Any, qtmodeltester: Any) -> None:
    assert busy_window.board.model.rowCount() == 2
    assert busy_window.alerts_panel.model.rowCount() >= 1
    assert busy_window.trend_grid.model.rowCount() == 2
    for model in (busy_window.board.model, busy_window.alerts_panel.model,
                  busy_window.trend_grid.model):
        qtmodeltester.check(model, force_py=True)
    busy_window.trend_grid.set_layer("ICANS")
    qtmodeltester.check(busy_window.trend_grid.model, force_py=True)


def test_board_updates_one_row_in_place(busy_window: Any, qtbot: Any, ward: Ward) -> None:
    model = busy_window.board.model
    with (qtbot.assertNotEmitted(model.modelReset),
          qtbot.waitSignal(model.dataChanged) as changed):
        record(busy_window, ward.adult, hours_ago=0.5, temperature_c=37.1)
        busy_window.refresh()
    assert changed.args[0].row() == changed.args[1].row() == model.row_for_episode(ward.adult)


def test_board_filter_and_open_with_enter(busy_window: Any, qtbot: Any, ward: Ward) -> None:
    from PySide6.QtCore import Qt

    board = busy_window.board
    busy_window.tabs.setCurrentIndex(0)
    qtbot.keyClicks(board.filter_edit, "9990000026".replace("999", "999 ", 1)[:7])
    assert board.proxy.rowCount() >= 1
    board.filter_edit.clear()
    qtbot.keyClicks(board.filter_edit, "JONES")
    assert board.proxy.rowCount() == 1
    board.table.setCurrentIndex(board.proxy.index(0, 0))
    qtbot.keyClick(board.table, Qt.Key.Key_Return)
    assert busy_window.patient_view.episode_id == ward.child
    assert "JONES" in busy_window.patient_view.identity.plain_text()
    assert "999 000 0026" in busy_window.patient_view.identity.plain_text()


def test_no_button_or_action_lacks_a_text_or_accessible_name(
    busy_window: Any, ward: Ward
) -> None:
    busy_window.open_episode(ward.adult)
    busy_window.patient_view.ensure_trajectories()
    nameless = [
        button.objectName() or repr(button)
        for button in busy_window.findChildren(QAbstractButton)
        if not button.text().replace("&", "").strip() and not button.accessibleName().strip()
        and not (isinstance(button, QToolButton) and button.defaultAction() is not None
                 and button.defaultAction().text())
        and button.isVisibleTo(busy_window)
    ]
    assert nameless == []
    unnamed_actions = [a for a in busy_window.findChildren(QAction)
                       if not a.isSeparator() and not a.text().strip()
                       and a.menu() is None and a.parent() is busy_window]
    assert unnamed_actions == []


def test_trend_cell_opens_that_patients_day(busy_window: Any, ward: Ward) -> None:
    grid = busy_window.trend_grid
    model = grid.model
    row = next(r for r in range(model.rowCount())
               if model.rows()[r].episode_id == ward.adult)
    day = 2  # 30 h before 10 Mar 10:00 is 9 Mar (day 2 after a 7 Mar infusion)
    assert model.index(row, 1 + day).data() == "▲1"  # CRS 1 (fever 38.4), its onset day
    grid.open_day.emit(ward.adult, day)
    view = busy_window.patient_view
    assert view.episode_id == ward.adult
    assert view.tabs.currentWidget() is view.timeline_view
    current = view.timeline_view.tree.currentItem()
    assert current is not None and current.text(0).startswith("Day 2")


def test_amend_and_entered_in_error_from_the_timeline(
    busy_window: Any, ward: Ward, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import Qt

    window = busy_window
    window.open_episode(ward.adult)
    tabs = window.patient_view.tabs
    timeline_view = window.patient_view.timeline_view
    tabs.setCurrentWidget(timeline_view)  # the tree is filled when its tab is shown
    day_item = timeline_view.day_items[3]
    timeline_view.tree.setCurrentItem(day_item.child(0))
    original = timeline_view.selected_assessment()
    assert original is not None and original.is_current

    qtbot.mouseClick(timeline_view.amend_button, Qt.MouseButton.LeftButton)
    form = window.patient_view.form
    assert form.amend_target == original and form.temperature.text() == "38.9"
    form.temperature.setText("38.1")
    qtbot.keyClick(form.temperature, Qt.Key.Key_Return)
    assert form.error_labels["reason"].isVisible(), "an amendment needs a reason"
    qtbot.keyClicks(form.amend_reason, "wrong patient's thermometer reading")
    qtbot.keyClick(form.temperature, Qt.Key.Key_Return)

    days = patient_timeline(window.ctx, NURSE, ward.adult).days
    versions = [a for d in days for a in d.assessments if original.id in a.version_ids]
    assert {a.status for a in versions} == {"amended", "current"}
    current = next(a for a in versions if a.is_current)
    assert current.inputs["temperature_c"] == 38.1

    monkeypatch.setattr(window, "ask_reason", lambda title, prompt: "duplicate entry")
    assert tabs.currentWidget() is not timeline_view  # the amendment was typed in the form
    tabs.setCurrentWidget(timeline_view)  # ...and shows once the nurse looks again
    item = next(timeline_view.day_items[3].child(i)
                for i in range(timeline_view.day_items[3].childCount())
                if timeline_view.day_items[3].child(i).text(6).startswith("AMENDED"))
    assert item.childCount() == 1, "the superseded version is kept under its replacement"
    timeline_view.tree.setCurrentItem(item)
    qtbot.mouseClick(timeline_view.error_button, Qt.MouseButton.LeftButton)
    days = patient_timeline(window.ctx, NURSE, ward.adult).days
    statuses = [a.status for d in days for a in d.assessments if original.id in a.version_ids]
    assert "entered_in_error" in statuses


def test_trajectories_hover_and_export(busy_window: Any, ward: Ward, tmp_path: Path) -> None:
    busy_window.open_episode(ward.adult)
    plot = busy_window.patient_view.ensure_trajectories()
    assert [p.y for p in plot.series.temperature] == [38.4, 38.9]
    assert plot.series.tool == "ICE"
    text = plot.hover_at("temperature", 3.4)
    assert text.startswith("T °C 38.9") and "10 Mar 2026 08:00" in text
    assert plot.hover_at("grades", 2.0).startswith(("CRS", "ICANS"))
    out = plot.export_png(tmp_path / "trajectories.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 5000


def test_drug_markers_carry_the_dose_unit(window: Any, ward: Ward) -> None:
    """"Dexamethasone 10" alone reads as 10 mg or 10 mL; the marker says the unit."""
    from datetime import timedelta

    from app.services.administrations import record_administration
    from widgets.trajectory_plot import build_series

    ctx = window.ctx
    record_administration(ctx, NURSE, ward.adult, drug="dexamethasone", dose=10,
                          given_at=ctx.clock() - timedelta(hours=1))
    series = build_series(patient_timeline(ctx, NURSE, ward.adult))
    assert [(label, kind) for _x, label, kind in series.markers] == [
        ("Dexamethasone 10 mg", "steroid")]
