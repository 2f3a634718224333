"""Small vector charts for the printed reports (reportlab graphics, never screenshots).

Everything must read in black and white: series differ by line style and marker shape,
never by colour alone, and every axis is labelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors

from app.reports.pdf_common import FONT, FONT_BOLD

GRID = colors.Color(0.75, 0.75, 0.75)
INK = colors.black


@dataclass(frozen=True)
class Series:
    """One line on a chart: (x, y) points in x order; y None breaks the line."""

    label: str
    points: Sequence[tuple[float, float | None]]
    dashed: bool = False
    width: float = 1.0
    marker: str = "square"  # square | circle | none
    step: bool = False  # grades hold their value until the next assessment


def _segments(series: Series) -> list[list[tuple[float, float]]]:
    """Split at missing values; a step series holds each value until the next x."""
    segments: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    for x, y in series.points:
        if y is None:
            if current:
                segments.append(current)
            current = []
            continue
        if series.step and current:
            current.append((x, current[-1][1]))
        current.append((x, y))
    if current:
        segments.append(current)
    return segments


def _marker(drawing: Drawing, kind: str, x: float, y: float, size: float) -> None:
    if kind == "square":
        drawing.add(Rect(x - size / 2, y - size / 2, size, size, fillColor=INK, strokeColor=None))
    elif kind == "circle":
        drawing.add(
            Circle(x, y, size / 2, fillColor=colors.white, strokeColor=INK, strokeWidth=0.7)
        )


def grade_sparkline(
    crs: Sequence[tuple[float, float | None]],
    icans: Sequence[tuple[float, float | None]],
    *,
    hours: float = 72.0,
    width: float = 70.0,
    height: float = 30.0,
) -> Drawing:
    """Tiny 72-hour CRS / ICANS step chart for one handover row.

    x is hours since the start of the window (0 .. hours); y is the grade 0-4.
    CRS: solid thick line, filled squares. ICANS: dashed thin line, open circles.
    """
    drawing = Drawing(width, height)
    left, right, bottom, top = 7.0, width - 1.0, 2.0, height - 2.0

    def px(x: float) -> float:
        return left + (right - left) * max(0.0, min(x, hours)) / hours

    def py(y: float) -> float:
        return bottom + (top - bottom) * y / 4.0

    drawing.add(Rect(left, bottom, right - left, top - bottom, fillColor=None,
                     strokeColor=GRID, strokeWidth=0.4))
    for grade in (1, 2, 3):
        drawing.add(Line(left, py(grade), right, py(grade), strokeColor=GRID,
                         strokeWidth=0.3, strokeDashArray=[1, 1]))
    for hour in range(24, int(hours), 24):
        drawing.add(Line(px(hour), bottom, px(hour), top, strokeColor=GRID, strokeWidth=0.3))
    drawing.add(String(0, py(4) - 2.5, "4", fontName=FONT, fontSize=5))
    drawing.add(String(0, py(0), "0", fontName=FONT, fontSize=5))
    for series in (
        Series("CRS", crs, width=1.4, marker="square", step=True),
        Series("ICANS", icans, dashed=True, width=0.8, marker="circle", step=True),
    ):
        for segment in _segments(series):
            points = [(px(x), py(y)) for x, y in segment]
            if len(points) > 1:
                drawing.add(PolyLine(
                    [c for p in points for c in p],
                    strokeColor=INK,
                    strokeWidth=series.width,
                    strokeDashArray=[2, 1.2] if series.dashed else None,
                ))
        # Only the latest value gets a marker: enough to tell the two lines apart in
        # black and white, and a 30-row sheet stays quick to draw.
        last = next(((x, y) for x, y in reversed(series.points) if y is not None), None)
        if last is not None:
            _marker(drawing, series.marker, px(last[0]), py(last[1]), 2.6)
    return drawing


def line_chart(
    title: str,
    series: Sequence[Series],
    *,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    y_ticks: Sequence[float],
    x_ticks: Sequence[float],
    x_label: str = "day after infusion",
    reference: tuple[float, str] | None = None,
    width: float = 520.0,
    height: float = 92.0,
    empty_text: str = "no values recorded",
) -> Drawing:
    """A labelled chart of day (x) against a value (y), with an optional reference line.

    `reference` = (y, label), e.g. (38.0, "38.0 °C fever"): a dashed horizontal line,
    labelled in text so it reads without colour.
    """
    drawing = Drawing(width, height)
    left, right, bottom, top = 34.0, width - 70.0, 16.0, height - 13.0
    x0, x1 = x_range
    y0, y1 = y_range

    def px(x: float) -> float:
        return left + (right - left) * (min(max(x, x0), x1) - x0) / (x1 - x0)

    def py(y: float) -> float:
        return bottom + (top - bottom) * (min(max(y, y0), y1) - y0) / (y1 - y0)

    drawing.add(String(left, height - 9, title, fontName=FONT_BOLD, fontSize=8))
    drawing.add(Rect(left, bottom, right - left, top - bottom, fillColor=None,
                     strokeColor=INK, strokeWidth=0.5))
    for tick in y_ticks:
        drawing.add(Line(left, py(tick), right, py(tick), strokeColor=GRID, strokeWidth=0.3))
        drawing.add(String(left - 3, py(tick) - 2.5, _number(tick), fontName=FONT, fontSize=6,
                           textAnchor="end"))
    for tick in x_ticks:
        drawing.add(Line(px(tick), bottom, px(tick), top, strokeColor=GRID, strokeWidth=0.3))
        drawing.add(String(px(tick), bottom - 8, _number(tick), fontName=FONT, fontSize=6,
                           textAnchor="middle"))
    drawing.add(String(right, 1, x_label, fontName=FONT, fontSize=6, textAnchor="end"))
    if reference is not None:
        ref_y, ref_label = reference
        drawing.add(Line(left, py(ref_y), right, py(ref_y), strokeColor=INK, strokeWidth=0.7,
                         strokeDashArray=[4, 2]))
        drawing.add(String(right + 3, py(ref_y) - 2.5, ref_label, fontName=FONT, fontSize=6))
    has_values = False
    legend_y = top - 7
    for one in series:
        for segment in _segments(one):
            points = [(px(x), py(y)) for x, y in segment]
            if len(points) > 1:
                drawing.add(PolyLine(
                    [c for p in points for c in p],
                    strokeColor=INK,
                    strokeWidth=one.width,
                    strokeDashArray=[3, 1.5] if one.dashed else None,
                ))
        for x, y in one.points:
            if y is not None:
                has_values = True
                _marker(drawing, one.marker, px(x), py(y), 2.2)
        if len(series) > 1:
            # Legend: a sample of the line style and marker beside its name.
            drawing.add(Line(right + 4, legend_y + 2, right + 16, legend_y + 2, strokeColor=INK,
                             strokeWidth=one.width,
                             strokeDashArray=[3, 1.5] if one.dashed else None))
            _marker(drawing, one.marker, right + 10, legend_y + 2, 2.2)
            drawing.add(String(right + 19, legend_y, one.label, fontName=FONT, fontSize=6))
            legend_y -= 9
    if not has_values:
        drawing.add(String((left + right) / 2, (bottom + top) / 2 - 3, empty_text,
                           fontName=FONT, fontSize=7, textAnchor="middle"))
    return drawing


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
