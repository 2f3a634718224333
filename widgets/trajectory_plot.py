"""Trajectories over days 0-28 (issue 4 "Trajectories"): temperature with the 38.0 °C fever
line (RULES C1), heart rate, systolic BP, SpO2 with the oxygen device as shaded bands, ICE or
CAPD, and CRS / ICANS grades as step plots, on linked x-axes in fractional days
(`app.clock.fractional_day`). Tocilizumab, steroid and alert markers are labelled vertical
lines whose labels are stacked on rows so none overlap (`label_rows`, redone on zoom and
resize); hovering shows the value and time; "Export PNG…" saves the figure.

pyqtgraph is imported inside the constructor so the main window opens without it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import (
    QFileDialog,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.clock import WARD_TZ, format_local, fractional_day
from app.rows import AssessmentRow, Timeline
from app.services.administrations import drug_label

FEVER_C = 38.0  # RULES C1
STEROIDS = frozenset({"dexamethasone", "methylprednisolone", "hydrocortisone", "prednisolone"})


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    at: datetime


@dataclass(frozen=True)
class Series:
    """The plain numbers one patient's trajectories need (built once per timeline)."""

    temperature: tuple[Point, ...]
    heart_rate: tuple[Point, ...]
    systolic: tuple[Point, ...]
    spo2: tuple[Point, ...]
    tool: str  # "ICE" | "CAPD"
    encephalopathy: tuple[Point, ...]
    crs: tuple[Point, ...]
    icans: tuple[Point, ...]
    oxygen: tuple[tuple[float, float, str], ...]  # start x, end x, device
    markers: tuple[tuple[float, str, str], ...]  # x, label, kind (drug | steroid | alert)
    first_day: int


def _points(rows: list[tuple[float, AssessmentRow]], value: Any) -> tuple[Point, ...]:
    out = []
    for x, row in rows:
        y = value(row)
        if y is not None:
            out.append(Point(x, float(y), row.assessed_at))
    return tuple(out)


def build_series(timeline: Timeline, tz: ZoneInfo = WARD_TZ) -> Series:
    infused = timeline.infused_at
    empty = Series((), (), (), (), "ICE", (), (), (), (), (), 0)
    if infused is None:
        return empty
    rows = sorted(
        ((fractional_day(infused, a.assessed_at, tz), a)
         for day in timeline.days for a in day.current_assessments),
        key=lambda pair: pair[0],
    )
    uses_capd = any(a.capd_total is not None for _, a in rows)
    oxygen: list[tuple[float, float, str]] = []
    for number, (x, row) in enumerate(rows):
        device = row.inputs.get("oxygen_device")
        if device and device != "none":
            end = rows[number + 1][0] if number + 1 < len(rows) else x + 0.25
            if oxygen and oxygen[-1][2] == device and abs(oxygen[-1][1] - x) < 1e-9:
                oxygen[-1] = (oxygen[-1][0], end, device)
            else:
                oxygen.append((x, end, device))
    markers: list[tuple[float, str, str]] = []
    for day in timeline.days:
        for given in day.administrations:
            if given.drug == "tocilizumab":
                kind, label = "drug", f"Toci {given.dose:g} {given.dose_unit}"
            elif given.drug in STEROIDS or given.category == "corticosteroid":
                kind = "steroid"
                label = f"{drug_label(given.drug)} {given.dose:g} {given.dose_unit}"
            else:
                continue
            markers.append((fractional_day(infused, given.given_at, tz), label, kind))
    for alert in timeline.alerts:
        if alert.kind == "critical_care":
            markers.append((fractional_day(infused, alert.raised_at, tz), "⚠ critical care",
                            "alert"))
    first_day = min((int(x) - 1 for x, _ in rows if x < 0), default=0)
    return Series(
        temperature=_points(rows, lambda a: a.inputs.get("temperature_c")),
        heart_rate=_points(rows, lambda a: a.inputs.get("heart_rate")),
        systolic=_points(rows, lambda a: a.inputs.get("systolic_bp")),
        spo2=_points(rows, lambda a: a.inputs.get("spo2_percent")),
        tool="CAPD" if uses_capd else "ICE",
        encephalopathy=_points(rows, lambda a: a.capd_total if uses_capd else a.ice_total),
        crs=_points(rows, lambda a: a.crs_grade),
        icans=_points(rows, lambda a: a.icans_grade),
        oxygen=tuple(oxygen),
        markers=tuple(sorted(markers)),
        first_day=first_day,
    )


LABEL_GAP_PX = 6  # between two labels on one row
LABEL_MARGIN_PX = 2  # above the first row and below the last


def label_rows(extents: list[tuple[float, float]], gap: float = LABEL_GAP_PX) -> list[int]:
    """Row (0 = top) for each label, given (left, width) in pixels in marker order: the
    first row where it clears the labels already placed, greedily left to right."""
    ends: list[float] = []  # right edge of the last label on each row
    order = sorted(range(len(extents)), key=lambda n: extents[n][0])
    rows = [0] * len(extents)
    for n in order:
        left, width = extents[n]
        row = next((r for r, end in enumerate(ends) if end + gap <= left), len(ends))
        if row == len(ends):
            ends.append(0.0)
        ends[row] = left + width
        rows[n] = row
    return rows


def step_xy(points: tuple[Point, ...], last_x: float) -> tuple[list[float], list[float]]:
    """A grade holds until the next assessment: horizontal then vertical segments."""
    xs: list[float] = []
    ys: list[float] = []
    for number, point in enumerate(points):
        end = points[number + 1].x if number + 1 < len(points) else max(point.x, last_x)
        xs += [point.x, end]
        ys += [point.y, point.y]
    return xs, ys


PLOTS: tuple[tuple[str, str, str, tuple[float, float]], ...] = (
    # key, title, unit, default y range
    ("temperature", "Temperature", "°C", (35.0, 41.0)),
    ("heart_rate", "Heart rate", "/min", (40.0, 180.0)),
    ("systolic", "Systolic BP", "mmHg", (60.0, 180.0)),
    ("spo2", "SpO2 (blue band: on oxygen)", "%", (80.0, 100.0)),
    ("encephalopathy", "ICE", "score", (0.0, 10.0)),
    ("grades", "CRS (solid) and ICANS (dashed) grade", "grade", (0.0, 4.0)),
)


class TrajectoryPlot(QWidget):
    def __init__(self, tz: ZoneInfo = WARD_TZ, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg  # deferred: heavy, and only needed once a patient is open

        self._pg = pg
        self.tz = tz
        self.series: Series | None = None
        self.infused_at: datetime | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.caption = QLabel("Days after infusion (day 0 = infusion date)")
        top.addWidget(self.caption, 1)
        self.export_button = QPushButton("E&xport PNG…")
        self.export_button.setObjectName("exportPng")
        self.export_button.setAccessibleName("Export trajectories as PNG")
        self.export_button.clicked.connect(self._export_clicked)
        top.addWidget(self.export_button)
        layout.addLayout(top)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.graphics.setAccessibleName("Trajectory plots")
        # Six readable plots need height; the page scrolls rather than squash them.
        self.graphics.setMinimumHeight(6 * 130)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.graphics)
        layout.addWidget(scroll, 1)
        self.hover_label = QLabel(" ")
        self.hover_label.setObjectName("hoverLabel")
        layout.addWidget(self.hover_label)
        self.plots: dict[str, Any] = {}
        self.curves: dict[str, Any] = {}
        self.hover_text: dict[str, Any] = {}
        self._dynamic: list[tuple[Any, Any]] = []
        first = None
        for row, (key, title, unit, y_range) in enumerate(PLOTS):
            plot = self.graphics.addPlot(row=row, col=0)
            plot.setTitle(title, size="9pt", color="#212121")
            plot.setLabel("left", unit)
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setYRange(*y_range, padding=0.05)
            plot.setMouseEnabled(x=True, y=False)
            plot.getAxis("bottom").setTickSpacing(major=7, minor=1)
            for side in ("left", "bottom"):
                # Axes keep their pixels until their range changes: replaying a dozen
                # axes' text on every repaint was a third of a patient switch.
                plot.getAxis(side).setCacheMode(
                    QGraphicsItem.CacheMode.DeviceCoordinateCache)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self.plots[key] = plot
            text = pg.TextItem("", color="#000000", fill=pg.mkBrush(255, 255, 224, 230),
                               anchor=(0, 1))
            text.setZValue(50)
            text.setVisible(False)
            plot.addItem(text, ignoreBounds=True)
            self.hover_text[key] = text
        self.plots["grades"].setLabel("bottom", "day after infusion")
        self._marker_labels: list[tuple[float, Any]] = []  # (x, InfLineLabel) on temperature
        self._temperature_min_height = self.plots["temperature"].minimumHeight()
        temperature_view = self.plots["temperature"].vb
        temperature_view.sigResized.connect(self._stack_marker_labels)
        temperature_view.sigXRangeChanged.connect(self._stack_marker_labels)
        self.plots["temperature"].addItem(pg.InfiniteLine(
            pos=FEVER_C, angle=0,
            pen=pg.mkPen("#c62828", width=1, style=pg.QtCore.Qt.PenStyle.DashLine),
            label="fever 38.0 °C", labelOpts={"position": 0.05, "color": "#c62828"},
        ))
        symbol = {"symbol": "o", "symbolSize": 5}
        self.curves["temperature"] = self.plots["temperature"].plot(
            pen=pg.mkPen("#d84315", width=2), symbolBrush="#d84315", **symbol)
        self.curves["heart_rate"] = self.plots["heart_rate"].plot(
            pen=pg.mkPen("#6a1b9a", width=2), symbolBrush="#6a1b9a", **symbol)
        self.curves["systolic"] = self.plots["systolic"].plot(
            pen=pg.mkPen("#1565c0", width=2), symbolBrush="#1565c0", **symbol)
        self.curves["spo2"] = self.plots["spo2"].plot(
            pen=pg.mkPen("#00838f", width=2), symbolBrush="#00838f", **symbol)
        self.curves["encephalopathy"] = self.plots["encephalopathy"].plot(
            pen=pg.mkPen("#2e7d32", width=2), symbolBrush="#2e7d32", **symbol)
        legend = self.plots["grades"].addLegend(offset=(5, 5))
        self.curves["crs"] = self.plots["grades"].plot(
            pen=pg.mkPen("#c62828", width=3), name="CRS (solid)")
        self.curves["icans"] = self.plots["grades"].plot(
            pen=pg.mkPen("#283593", width=3, style=pg.QtCore.Qt.PenStyle.DashLine),
            name="ICANS (dashed)")
        legend.setLabelTextColor("#212121")
        self.plots["grades"].getAxis("left").setTicks([[(g, str(g)) for g in range(5)]])
        self._proxy = pg.SignalProxy(self.graphics.scene().sigMouseMoved, rateLimit=30,
                                     slot=self._mouse_moved)
        self.set_x_range(0, 28)

    # --- data -----------------------------------------------------------------------------
    def set_x_range(self, first: float, last: float) -> None:
        plot = self.plots["temperature"]
        plot.setLimits(xMin=first - 1, xMax=last + 1)
        plot.setXRange(first, last + 1, padding=0)

    def set_timeline(self, timeline: Timeline) -> None:
        self.infused_at = timeline.infused_at
        self.series = build_series(timeline, self.tz)
        self.draw_series(self.series)

    def _xy(self, points: tuple[Point, ...]) -> tuple[list[float], list[float]]:
        return [p.x for p in points], [p.y for p in points]

    def draw_series(self, series: Series) -> None:
        pg = self._pg
        for plot, item in self._dynamic:
            plot.removeItem(item)
        self._dynamic = []
        for key in ("temperature", "heart_rate", "systolic", "spo2", "encephalopathy"):
            self.curves[key].setData(*self._xy(getattr(series, key)))
        last_x = max((p.x for p in series.crs + series.icans), default=0.0)
        self.curves["crs"].setData(*step_xy(series.crs, last_x))
        self.curves["icans"].setData(*step_xy(series.icans, last_x))
        tool_range = (0.0, 32.0) if series.tool == "CAPD" else (0.0, 10.0)
        tool_title = ("CAPD (0–32, higher is worse)" if series.tool == "CAPD"
                      else "ICE (0–10, lower is worse)")
        self.plots["encephalopathy"].setTitle(tool_title, size="9pt", color="#212121")
        self.plots["encephalopathy"].setYRange(*tool_range, padding=0.05)
        spo2 = self.plots["spo2"]
        for start, end, device in series.oxygen:
            band = pg.LinearRegionItem(values=(start, end), movable=False,
                                       brush=pg.mkBrush(144, 202, 249, 90),
                                       pen=pg.mkPen(None))
            band.setZValue(-10)
            spo2.addItem(band)
            self._dynamic.append((spo2, band))
            label = pg.TextItem(device.replace("_", " "), color="#0d47a1", anchor=(0, 0))
            label.setPos(start, 100)
            spo2.addItem(label, ignoreBounds=True)
            self._dynamic.append((spo2, label))
        colours = {"drug": "#ef6c00", "steroid": "#6d4c41", "alert": "#b71c1c"}
        self._marker_labels = []
        for x, text, kind in series.markers:
            for key, plot in self.plots.items():
                line = pg.InfiniteLine(
                    pos=x, angle=90,
                    pen=pg.mkPen(colours[kind], width=1,
                                 style=pg.QtCore.Qt.PenStyle.DotLine),
                    label=text if key == "temperature" else None,
                    labelOpts={"position": 0.85, "color": colours[kind],
                               "anchors": [(0, 0.5), (0, 0.5)]},
                )
                plot.addItem(line, ignoreBounds=True)
                self._dynamic.append((plot, line))
                if key == "temperature":
                    self._marker_labels.append((x, line.label))
        self.set_x_range(min(series.first_day, 0), 28)
        self._stack_marker_labels()

    def _stack_marker_labels(self) -> None:
        """Labels whose text would collide (at the current zoom and width) go on rows one
        below the other, so "Dexamethasone 10 mg" and "⚠ critical care" at the same hour are
        both readable; the temperature plot grows when its rows need the height."""
        if not self._marker_labels:
            return
        plot = self.plots["temperature"]
        view = plot.vb
        (first, last), _ = view.viewRange()
        width, height = view.width(), view.height()
        if width <= 0 or height <= 0 or last <= first:
            return  # not laid out yet: sigResized brings us back
        scale = width / (last - first)
        rects = [label.boundingRect() for _, label in self._marker_labels]
        rows = label_rows([((x - first) * scale, rect.width())
                           for (x, _), rect in zip(self._marker_labels, rects, strict=True)])
        row_height = max(rect.height() for rect in rects) + 1  # never touching
        needed = (max(rows) + 1) * row_height + 2 * LABEL_MARGIN_PX
        plot.setMinimumHeight(max(self._temperature_min_height,
                                  plot.height() - height + needed))
        for (_, label), row in zip(self._marker_labels, rows, strict=True):
            centre = LABEL_MARGIN_PX + row_height * (row + 0.5)  # px below the top
            label.setPosition(min(max(1 - centre / height, 0.0), 1.0))

    def marker_labels(self) -> list[Any]:
        """The text items naming the markers (drawn on the temperature plot)."""
        return [label for _, label in self._marker_labels]

    # --- hover ----------------------------------------------------------------------------
    def _series_for(self, key: str) -> tuple[tuple[str, Point], ...]:
        if self.series is None:
            return ()
        if key == "grades":
            return tuple(("CRS", p) for p in self.series.crs) + tuple(
                ("ICANS", p) for p in self.series.icans)
        names = {"temperature": "T °C", "heart_rate": "HR /min", "systolic": "SBP mmHg",
                 "spo2": "SpO2 %", "encephalopathy": self.series.tool}
        return tuple((names[key], p) for p in getattr(self.series, key))

    def hover_at(self, key: str, x: float) -> str:
        """The text shown when hovering at day `x` in one plot (nearest point)."""
        candidates = self._series_for(key)
        if not candidates:
            return ""
        name, point = min(candidates, key=lambda c: abs(c[1].x - x))
        return (f"{name} {point.y:g} — {format_local(point.at, self.tz)} "
                f"(D+{point.x:.2f})")

    def _mouse_moved(self, event: tuple[QPointF]) -> None:
        position = event[0]
        for key, plot in self.plots.items():
            text_item = self.hover_text[key]
            if plot.sceneBoundingRect().contains(position):
                mouse = plot.vb.mapSceneToView(position)
                text = self.hover_at(key, mouse.x())
                self.hover_label.setText(text or " ")
                text_item.setText(text)
                text_item.setPos(mouse.x(), mouse.y())
                text_item.setVisible(bool(text))
            else:
                text_item.setVisible(False)

    # --- export -------------------------------------------------------------------------
    def export_png(self, path: Path) -> Path:
        """Atomic write: render to a temporary file beside the target, then rename."""
        path = Path(path)
        image = self.graphics.grab()
        handle, temporary = tempfile.mkstemp(suffix=".png", dir=path.parent)
        os.close(handle)
        try:
            if not image.save(temporary, "PNG"):
                raise OSError(f"could not write {path}")
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return path

    def ask_export_path(self) -> Path | None:
        """The seam tests patch."""
        name, _ = QFileDialog.getSaveFileName(self, "Export trajectories", "trajectories.png",
                                              "PNG images (*.png)")
        return Path(name) if name else None

    def _export_clicked(self) -> None:
        path = self.ask_export_path()
        if path is not None:
            self.export_png(path)
            self.caption.setText(f"Saved {path}")
