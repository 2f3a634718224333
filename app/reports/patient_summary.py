"""One patient's day 0-28 course on A4 portrait (issue 6).

Identity block on every page (SAFETY.md), then the course summary (onset, maximum,
resolution per syndrome), the daily grade table, the trajectories as vector charts,
drugs given, and alerts with their critical-care discussions.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app.actor import Actor
from app.clock import WARD_TZ, fractional_day
from app.context import AppContext
from app.permissions import Action, require
from app.reports.audit import audit_report
from app.reports.charts import Series, line_chart
from app.reports.handover import OUTCOME_TEXT
from app.reports.pdf_common import (
    FONT,
    FONT_BOLD,
    MARGIN,
    escape,
    render_pdf,
    style,
    write_atomically,
)
from app.rows import (
    AdministrationRow,
    AlertRow,
    AssessmentRow,
    CourseSummary,
    EpisodeHeader,
    SyndromeCourse,
    Timeline,
)

PAGE = A4
LAST_DAY = 28
FRAME_WIDTH = PAGE[0] - 2 * MARGIN
HEADER_HEIGHT = 23 * mm

H2 = style("h2", 10, bold=True, leading=13, spaceBefore=6, spaceAfter=3)
CELL = style("s-cell", 7, leading=8.4)
CELL_BOLD = style("s-cell-bold", 7, bold=True, leading=8.4)
SMALL = style("s-small", 6.5, leading=7.8)
TEXT = style("s-text", 8, leading=10)

BASE_TABLE: list[tuple[Any, ...]] = [
    ("FONTNAME", (0, 0), (-1, -1), FONT),
    ("FONTSIZE", (0, 0), (-1, -1), 7),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
    ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.85, 0.85, 0.85)),
    ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
    ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
    ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
]


@dataclass(frozen=True)
class SummaryData:
    header: EpisodeHeader
    timeline: Timeline
    course: CourseSummary


def gather_summary(ctx: AppContext, actor: Actor, episode_id: int) -> SummaryData:
    from app.services.ward import course_summary, episode_header, patient_timeline

    return SummaryData(
        header=episode_header(ctx, actor, episode_id),
        timeline=patient_timeline(ctx, actor, episode_id),
        course=course_summary(ctx, actor, episode_id),
    )


# ----------------------------------------------------------------------------- pieces


def _date(value: date | None) -> str:
    return "—" if value is None else value.strftime("%d %b %Y")


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return "—" if moment is None else moment.astimezone(tz).strftime("%d %b %Y %H:%M")


def _day_and_date(day: int | None, when: date | None) -> str:
    if day is None:
        return "—"
    return f"D+{day} ({_date(when)})"


def _course_table(course: CourseSummary) -> Table:
    rows: list[list[Any]] = [["Syndrome", "Occurred", "Onset", "Maximum grade (ASTCT)",
                              "Resolution", "Episodes", "Status"]]
    for syndrome in (course.crs, course.icans):
        rows.append(_syndrome_row(syndrome))
    table = Table(rows, colWidths=[44, 40, 90, 120, 90, 40, FRAME_WIDTH - 424])
    table.setStyle(TableStyle(BASE_TABLE))
    return table


def _syndrome_row(s: SyndromeCourse) -> list[Any]:
    if not s.occurred:
        return [s.syndrome, "no", "—", "—", "—", "0", "did not occur"]
    maximum = "—" if s.max_grade is None else f"grade {s.max_grade}"
    if s.max_grade is not None and s.max_day is not None:
        maximum += f" on {_day_and_date(s.max_day, s.max_date)}"
    if s.max_grade == 5:
        status = "FATAL (death attributed to it)"
    elif s.ongoing or s.resolution_day is None:
        status = "ONGOING (not resolved)"
    elif s.episodes > 1:
        status = f"resolved; recurred ({s.episodes} episodes)"
    else:
        status = "resolved"
    return [
        s.syndrome, "yes",
        _day_and_date(s.onset_day, s.onset_date),
        maximum,
        "not resolved" if s.ongoing or s.resolution_day is None
        else _day_and_date(s.resolution_day, s.resolution_date),
        str(s.episodes),
        status,
    ]


def _outcome_lines(course: CourseSummary, tz: ZoneInfo) -> Paragraph:
    if course.alive_at_day_28 is None:
        alive = "not yet known"
    else:
        alive = "yes" if course.alive_at_day_28 else "<b>no</b>"
    parts = [
        f"Tocilizumab doses: <b>{course.tocilizumab_doses}</b>",
        f"Corticosteroid doses: <b>{course.steroid_doses}</b>",
        "ICU transfer: " + (f"<b>yes</b>, {_local(course.icu_transfer_at, tz)}"
                            if course.icu_transfer else "no"),
        f"Alive at day 28: {alive}",
    ]
    if course.died_at is not None:
        parts.append(f"<b>Died {_local(course.died_at, tz)}</b>, attributed cause: "
                     f"{escape(course.death_cause or 'not recorded')}")
    return Paragraph(" · ".join(parts), TEXT)


def _grade_text(value: int | None, at_least: bool = False) -> str:
    if value is None:
        return ""
    return f"≥{value}" if at_least else str(value)


def _daily_table(timeline: Timeline) -> Table:
    """Days as columns (0-28) so the whole course reads on one line per measure."""
    by_day = {d.day: d for d in timeline.days}
    days = list(range(LAST_DAY + 1))
    label_width = 62.0
    col = (FRAME_WIDTH - label_width) / len(days)
    rows: list[list[Any]] = [["Day", *[str(d) for d in days]]]
    dates, crs, icans, news, count, toci, steroid = ([] for _ in range(7))
    for d in days:
        day = by_day.get(d)
        dates.append(day.date.strftime("%d\n%b") if day else "")
        current = day.current_assessments if day else ()
        crs.append(_grade_text(day.crs_max) if day else "")
        icans.append(_grade_text(day.icans_max, day.icans_at_least) if day else "")
        news_values = [a.news2_total for a in current if a.news2_total is not None]
        news.append(str(max(news_values)) if news_values else "")
        count.append(str(len(current)) if current else "")
        given = [a for a in (day.administrations if day else ()) if a.status == "current"]
        toci.append(_count(a for a in given if a.category == "tocilizumab"))
        steroid.append(_count(a for a in given if a.category == "corticosteroid"))
    rows += [
        ["Date", *dates],
        ["CRS (max)", *crs],
        ["ICANS (max)", *icans],
        ["NEWS2 (max)", *news],
        ["Assessments", *count],
        ["Tocilizumab", *toci],
        ["Steroid doses", *steroid],
    ]
    table = Table(rows, colWidths=[label_width] + [col] * len(days))
    table.setStyle(TableStyle([
        *BASE_TABLE,
        ("FONTSIZE", (0, 0), (-1, -1), 6.5),
        ("FONTSIZE", (1, 1), (-1, 1), 5.5),
        ("LEADING", (1, 1), (-1, 1), 6.2),
        ("ALIGN", (1, 0), (-1, -1), "CENTER"),
        ("LEFTPADDING", (1, 0), (-1, -1), 0.5),
        ("RIGHTPADDING", (1, 0), (-1, -1), 0.5),
        ("FONTNAME", (0, 0), (0, -1), FONT_BOLD),
        ("FONTNAME", (1, 2), (-1, 3), FONT_BOLD),
        ("LINEBELOW", (0, 1), (-1, 1), 1.0, colors.black),
    ]))
    return table


def _count(items: Any) -> str:
    n = sum(1 for _ in items)
    return str(n) if n else ""


def _current_assessments(timeline: Timeline) -> list[AssessmentRow]:
    rows = [a for d in timeline.days if d.day >= 0 for a in d.current_assessments
            if not a.is_baseline]
    return sorted(rows, key=lambda a: a.assessed_at)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _charts(timeline: Timeline, tz: ZoneInfo) -> list[Flowable]:
    infused = timeline.infused_at
    assessments = _current_assessments(timeline)

    def x(a: AssessmentRow) -> float:
        assert infused is not None
        return fractional_day(infused, a.assessed_at, tz)

    def points(field: str) -> list[tuple[float, float | None]]:
        return [(x(a), _number(a.inputs.get(field))) for a in assessments] if infused else []

    common: dict[str, Any] = {
        "x_range": (0.0, float(LAST_DAY + 1)),
        "x_ticks": list(range(0, LAST_DAY + 2, 2)),
        "width": FRAME_WIDTH,
    }
    charts: list[Flowable] = [
        line_chart("Temperature (°C)", [Series("Temp", points("temperature_c"))],
                   y_range=(35.0, 41.0), y_ticks=[35, 36, 37, 38, 39, 40, 41],
                   reference=(38.0, "38.0 °C fever"), **common),
        line_chart("Heart rate (/min)", [Series("HR", points("heart_rate"))],
                   y_range=(40.0, 180.0), y_ticks=[40, 60, 80, 100, 120, 140, 160, 180],
                   **common),
        line_chart("Systolic blood pressure (mmHg)", [Series("SBP", points("systolic_bp"))],
                   y_range=(60.0, 200.0), y_ticks=[60, 90, 120, 150, 180],
                   reference=(90.0, "90 mmHg"), **common),
        line_chart("SpO2 (%)", [Series("SpO2", points("spo2_percent"))],
                   y_range=(80.0, 100.0), y_ticks=[80, 85, 90, 95, 100],
                   reference=(94.0, "94 %"), **common),
    ]
    ice = [(x(a), _number(a.ice_total)) for a in assessments] if infused else []
    capd = [(x(a), _number(a.capd_total)) for a in assessments] if infused else []
    if any(v is not None for _x, v in capd) and not any(v is not None for _x, v in ice):
        charts.append(line_chart("CAPD (0 normal; ≥ 9 grade 3)", [Series("CAPD", capd)],
                                 y_range=(0.0, 32.0), y_ticks=[0, 8, 16, 24, 32],
                                 reference=(9.0, "CAPD 9"), **common))
    else:
        charts.append(line_chart("ICE score (10 normal; lower is worse)",
                                 [Series("ICE", ice)], y_range=(0.0, 10.0),
                                 y_ticks=[0, 2, 4, 6, 8, 10], **common))
        if any(v is not None for _x, v in capd):
            charts.append(line_chart("CAPD (0 normal; ≥ 9 grade 3)", [Series("CAPD", capd)],
                                     y_range=(0.0, 32.0), y_ticks=[0, 8, 16, 24, 32],
                                     **common))
    crs = [(x(a), _number(a.crs_grade)) for a in assessments] if infused else []
    icans = [(x(a), _number(a.icans_grade)) for a in assessments] if infused else []
    charts.append(line_chart(
        "CRS and ICANS grade (ASTCT)",
        [Series("CRS", crs, width=1.6, marker="square", step=True),
         Series("ICANS", icans, dashed=True, width=0.9, marker="circle", step=True)],
        y_range=(0.0, 4.0), y_ticks=[0, 1, 2, 3, 4], **common))
    return charts


def _doses_table(timeline: Timeline, tz: ZoneInfo) -> Flowable:
    given: list[AdministrationRow] = sorted(
        (a for d in timeline.days for a in d.administrations),
        key=lambda a: (a.given_at, a.id),
    )
    if not given:
        return Paragraph("No drugs recorded.", TEXT)
    rows: list[list[Any]] = [["Given at", "Day", "Drug", "Dose", "Route", "Entered by",
                              "Notes"]]
    for a in given:
        notes = []
        if a.status != "current":
            notes.append(a.status.replace("_", " ").upper())
        if a.calculated_dose_mg is not None and a.weight_used_kg is not None:
            notes.append(f"calculated {a.calculated_dose_mg:g} mg for {a.weight_used_kg:g} kg")
        notes.extend(a.limit_warnings)
        if a.override_reason:
            notes.append(f"override: {a.override_reason}")
        rows.append([
            _local(a.given_at, tz),
            "" if a.day is None else f"D+{a.day}",
            Paragraph(f"<b>{escape(a.drug)}</b> ({escape(a.category)})", CELL),
            f"{a.dose:g} {a.dose_unit}",
            a.route,
            Paragraph(escape(a.entered_by), CELL),
            Paragraph(escape("; ".join(notes)), CELL),
        ])
    table = Table(rows, colWidths=[70, 30, 110, 50, 34, 70, FRAME_WIDTH - 364], repeatRows=1)
    table.setStyle(TableStyle(BASE_TABLE))
    return table


def _alerts_table(alerts: Sequence[AlertRow], tz: ZoneInfo) -> Flowable:
    if not alerts:
        return Paragraph("No alerts raised.", TEXT)
    rows: list[list[Any]] = [["Raised", "Alert", "Status", "Critical-care discussion"]]
    for a in sorted(alerts, key=lambda a: (a.raised_at, a.id)):
        status = [a.status.upper()]
        if a.acknowledged_at:
            status.append(f"ack. {_local(a.acknowledged_at, tz)} by "
                          f"{escape(a.acknowledged_by or '?')}")
        if a.resolved_at:
            status.append(f"resolved {_local(a.resolved_at, tz)} by "
                          f"{escape(a.resolved_by or '?')}: {escape(a.resolved_reason or '')}")
        if a.discussion_outcome:
            outcome = OUTCOME_TEXT.get(a.discussion_outcome, a.discussion_outcome)
            discussion = (f"{_local(a.discussion_at, tz)} with "
                          f"{escape(a.discussion_clinician or '?')}: <b>{escape(outcome)}</b>")
            if a.discussion_detail:
                discussion += f" — {escape(a.discussion_detail)}"
        elif a.kind == "critical_care":
            discussion = "<b>NOT RECORDED</b>" if a.is_open else "not recorded"
        else:
            discussion = ""
        grade = f" (grade {a.trigger_grade})" if a.trigger_grade is not None else ""
        rows.append([
            _local(a.raised_at, tz),
            Paragraph(f"<b>{escape(a.title)}</b>{grade}<br/>{escape(a.message)}", CELL),
            Paragraph("<br/>".join(status), CELL),
            Paragraph(discussion, CELL),
        ])
    table = Table(rows, colWidths=[70, 170, 130, FRAME_WIDTH - 370], repeatRows=1)
    table.setStyle(TableStyle(BASE_TABLE))
    return table


# ----------------------------------------------------------------------------- layout


def layout_patient_summary(
    data: SummaryData, *, printed_at: datetime, printed_by: str, tz: ZoneInfo = WARD_TZ
) -> bytes:
    """The PDF bytes for one episode (pure: same inputs, same bytes)."""
    h = data.header
    story: list[Flowable] = [
        Paragraph("Course summary", H2),
        _course_table(data.course),
        Spacer(0, 3),
        _outcome_lines(data.course, tz),
        Paragraph("Daily maximum grades, days 0–28", H2),
        _daily_table(data.timeline),
        Paragraph(
            "Empty cell: no assessment that day. \"≥n\": ICANS domains not assessed "
            "(RULES I8). Grades ASTCT 2019; NEWS2 RCP 2017.", SMALL),
        CondPageBreak(120 * mm),
        Paragraph("Observations and grades, day 0–28 (each mark is one assessment)", H2),
    ]
    story += [KeepTogether([c, Spacer(0, 2)]) for c in _charts(data.timeline, tz)]
    story += [
        Paragraph("Drugs given", H2),
        _doses_table(data.timeline, tz),
        Paragraph("Alerts and critical-care discussions", H2),
        _alerts_table(data.timeline.alerts, tz),
    ]
    printed_local = printed_at.astimezone(tz)
    ident = f"NHS {h.nhs_number}" if h.nhs_number else f"Hosp no. {h.hospital_number or '—'}"
    infused = ("not infused" if h.infused_at is None
               else f"infused {_local(h.infused_at, tz)}")

    def on_page(canvas: Canvas, _doc: BaseDocTemplate) -> None:
        width, height = PAGE
        top = height - MARGIN
        canvas.saveState()
        # Identity block on every page (SAFETY.md), boxed so it reads as one unit.
        canvas.setLineWidth(1.2)
        canvas.rect(MARGIN, top - HEADER_HEIGHT + 3 * mm, width - 2 * MARGIN,
                    HEADER_HEIGHT - 3 * mm)
        canvas.setFont(FONT_BOLD, 12)
        canvas.drawString(MARGIN + 4, top - 14, h.name)
        canvas.setFont(FONT_BOLD, 10)
        canvas.drawString(MARGIN + 4, top - 27, ident)
        canvas.drawString(MARGIN + 130, top - 27,
                          f"DOB {h.date_of_birth:%d %b %Y} ({h.age_years} y, {h.sex})")
        canvas.setFont(FONT, 7.5)
        hosp = f"Hosp no. {h.hospital_number}   " if h.hospital_number and h.nhs_number else ""
        canvas.drawString(MARGIN + 4, top - 38,
                          f"{hosp}Ward {h.ward}, bed {h.bed or '—'}   Consultant {h.consultant}")
        canvas.drawString(MARGIN + 4, top - 48,
                          f"{_product_label(h.product_code)} · {infused}")
        canvas.setFont(FONT_BOLD, 8)
        canvas.drawRightString(width - MARGIN - 4, top - 12, "CAR-T course, day 0–28")
        canvas.setFont(FONT, 7.5)
        canvas.drawRightString(width - MARGIN - 4, top - 48,
                               f"Printed {printed_local:%d %b %Y %H:%M} by {printed_by}")
        canvas.restoreState()

    return render_pdf(
        story,
        pagesize=PAGE,
        title=f"CAR-T course summary — {h.name}",
        author=printed_by,
        created_at=printed_at,
        on_page=on_page,
        header_height=HEADER_HEIGHT,
    )


def _product_label(code: str) -> str:
    from app.products import products

    try:
        product = products().get(code)
    except Exception:  # a broken product file must not stop a summary from printing
        product = None
    return product.label if product is not None else code


# ----------------------------------------------------------------------------- API


def build_patient_summary_pdf(ctx: AppContext, actor: Actor, episode_id: int) -> bytes:
    """One episode's course as PDF bytes; audited once ("print_patient_summary")."""
    require(actor, Action.PRINT_HANDOVER)
    printed_at = ctx.clock()
    data = gather_summary(ctx, actor, episode_id)
    pdf = layout_patient_summary(data, printed_at=printed_at, printed_by=actor.label,
                                 tz=ctx.tz)
    audit_report(
        ctx, actor, printed_at, "print_patient_summary",
        entity="episode", entity_id=episode_id, episode_id=episode_id,
        details={"episode_id": episode_id}, data=pdf,
    )
    return pdf


def write_patient_summary(
    ctx: AppContext, actor: Actor, episode_id: int, path: str | os.PathLike[str]
) -> None:
    """`python -m app summary --patient NHS --out FILE.pdf`: build and save atomically."""
    write_atomically(path, build_patient_summary_pdf(ctx, actor, episode_id))
