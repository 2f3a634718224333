"""Reviewing a course: an empty or future day in the trend grid says so instead of showing
the day highlighted before, the patient column opens the patient, the timeline's columns
fit every entry (NEWS2, oxygen) and a refresh keeps the open day and entry, and
entered-in-error names the patient and the set and confirms what it did."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.gui.conftest import Ward, record
from widgets.trend_grid import COL_PATIENT, FIRST_DAY_COLUMN

pytestmark = pytest.mark.gui


def trend_row(window: Any, episode_id: int) -> int:
    rows = window.trend_grid.model.rows()
    return next(number for number, row in enumerate(rows) if row.episode_id == episode_id)


def test_a_future_day_says_not_reached_and_selects_nothing(busy_window: Any,
                                                           ward: Ward) -> None:
    window = busy_window
    window.open_episode_day(ward.adult, 2)  # day 2 highlighted first...
    window.tabs.setCurrentIndex(2)
    model = window.trend_grid.model
    cell = model.index(trend_row(window, ward.adult), FIRST_DAY_COLUMN + 10)
    assert "not reached yet (today is D+3)" in cell.data(Qt.ItemDataRole.ToolTipRole)

    window.trend_grid.open_day.emit(ward.adult, 10)  # ...then the future day 10
    timeline = window.patient_view.timeline_view
    assert timeline.tree.currentItem() is None, "day 2 still highlighted as if it were day 10"
    assert window.statusBar().currentMessage() == "Day 10 is not reached yet (today is D+3)."


def test_a_past_day_without_assessments_says_so(busy_window: Any, ward: Ward) -> None:
    window = busy_window
    model = window.trend_grid.model
    cell = model.index(trend_row(window, ward.adult), FIRST_DAY_COLUMN + 1)
    assert "no assessment recorded" in cell.data(Qt.ItemDataRole.ToolTipRole)
    window.trend_grid.open_day.emit(ward.adult, 1)
    assert window.statusBar().currentMessage() == "No assessments recorded on day 1."


def test_clicking_the_patient_column_opens_the_patient(busy_window: Any, qtbot: Any,
                                                       ward: Ward) -> None:
    window = busy_window
    grid = window.trend_grid
    source = grid.model.index(trend_row(window, ward.child), COL_PATIENT)
    view_index = grid.proxy.mapFromSource(source)
    rect = grid.table.visualRect(view_index)
    qtbot.mouseClick(grid.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.patient_view.episode_id == ward.child


def shown_timeline(window: Any, episode_id: int) -> Any:
    window.open_episode(episode_id)
    view = window.patient_view
    view.tabs.setCurrentWidget(view.timeline_view)
    return view.timeline_view


def test_timeline_columns_fit_the_entries_of_a_day_opened_later(busy_window: Any,
                                                               ward: Ward) -> None:
    timeline = shown_timeline(busy_window, ward.adult)
    tree = timeline.tree
    entry = timeline.day_items[3].child(0)
    metrics = tree.fontMetrics()
    for column in (3, 4, 5):  # NEWS2, ICE / CAPD, observations (SpO2 and O2 at the end)
        assert tree.columnWidth(column) >= metrics.horizontalAdvance(entry.text(column)), (
            f"{entry.text(column)!r} cut off")
    assert entry.toolTip(5) == entry.text(5)


def test_a_refresh_keeps_the_open_day_and_the_entry(busy_window: Any, ward: Ward) -> None:
    window = busy_window
    timeline = shown_timeline(window, ward.adult)
    timeline.day_items[3].setExpanded(True)
    timeline.tree.setCurrentItem(timeline.day_items[3].child(0))
    chosen = timeline.selected_assessment()
    record(window, ward.adult, hours_ago=0.2, temperature_c=37.4)
    window.refresh()
    assert timeline.day_items[3].isExpanded()
    assert timeline.selected_assessment() is not None
    assert timeline.selected_assessment().id == chosen.id


def test_entered_in_error_names_the_set_and_confirms(busy_window: Any, monkeypatch: Any,
                                                     ward: Ward) -> None:
    window = busy_window
    timeline = shown_timeline(window, ward.adult)
    timeline.tree.setCurrentItem(timeline.day_items[3].child(0))
    chosen = timeline.selected_assessment()
    prompts: list[str] = []
    answers = iter([None, "recorded on the wrong patient's chart"])
    monkeypatch.setattr(window, "ask_reason",
                        lambda _title, prompt: prompts.append(prompt) or next(answers))

    timeline.error_button.click()  # cancelled / no reason: nothing happens, and it says so
    assert timeline.selected_assessment().is_current
    assert "Not marked" in window.statusBar().currentMessage()
    assert "SMITH, Anna" in prompts[0] and "999 000 0018" in prompts[0]
    assert "ICANS 2" in prompts[0] and "T 38.9 °C" in prompts[0]

    timeline.error_button.click()
    assert window.statusBar().currentMessage().endswith("marked entered in error.")
    after = timeline.selected_assessment()
    assert after is not None and after.id == chosen.id and after.status == "entered_in_error"


def test_the_days_drugs_read_as_on_the_drug_list(busy_window: Any, ward: Ward) -> None:
    from datetime import timedelta

    from app.services.administrations import record_administration
    from tests.gui.conftest import NURSE

    window = busy_window
    record_administration(window.ctx, NURSE, ward.adult, drug="dexamethasone", dose=10,
                          given_at=window.ctx.clock() - timedelta(minutes=30))
    timeline = shown_timeline(window, ward.adult)
    assert "Given: Dexamethasone 10 mg" in timeline.day_items[3].text(5)
