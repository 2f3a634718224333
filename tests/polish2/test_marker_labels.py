"""Trajectory marker labels never overlap: a dose and a critical-care alert on the same day
(or the same minute) are both readable, at the ward size and after zooming out."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import combinations
from typing import Any

import pytest

from widgets.trajectory_plot import Series, TrajectoryPlot, label_rows

AT = datetime(2026, 11, 22, 1, 5, tzinfo=UTC)


def series(markers: tuple[tuple[float, str, str], ...]) -> Series:
    return Series(temperature=(), heart_rate=(), systolic=(), spo2=(), tool="ICE",
                  encephalopathy=(), crs=(), icans=(), oxygen=(), markers=markers,
                  first_day=0)  # fmt: skip


def label_rects(plot: TrajectoryPlot) -> list[Any]:
    return [label.sceneBoundingRect() for label in plot.marker_labels()]


@pytest.mark.gui
@pytest.mark.parametrize("markers", [
    ((7.0, "Dexamethasone 10", "steroid"), (7.0, "⚠ critical care", "alert")),
    ((7.0, "Dexamethasone 10", "steroid"), (7.6, "⚠ critical care", "alert"),
     (8.2, "Toci 672 mg", "drug"), (8.3, "Dexamethasone 10", "steroid")),
])  # fmt: skip
def test_marker_labels_do_not_overlap(
    qtbot: Any, markers: tuple[tuple[float, str, str], ...]
) -> None:
    plot = TrajectoryPlot()
    qtbot.addWidget(plot)
    plot.resize(1400, 900)
    plot.show()
    qtbot.waitExposed(plot)
    plot.draw_series(series(markers))
    qtbot.wait(50)
    rects = label_rects(plot)
    assert len(rects) == len(markers)
    for first, second in combinations(rects, 2):
        assert not first.intersects(second), (first, second)
    # Inside the temperature plot, not pushed off its top or bottom.
    view = plot.plots["temperature"].vb.sceneBoundingRect()
    assert all(view.contains(rect) for rect in rects)
    # Zoomed out, the same labels are closer together: still apart.
    plot.set_x_range(-10, 60)
    qtbot.wait(50)
    for first, second in combinations(label_rects(plot), 2):
        assert not first.intersects(second), (first, second)


def test_label_rows_only_stack_labels_that_would_collide() -> None:
    # Same x: one below the other; a label clear of the first returns to the top row.
    assert label_rows([(100, 120), (100, 90), (300, 80)]) == [0, 1, 0]
    # Rows are reused greedily: the third fits on row 1 after the second ends.
    assert label_rows([(0, 200), (10, 50), (70, 40), (80, 30)]) == [0, 1, 1, 2]
    assert label_rows([]) == []
