"""The ward handover sheet: every active patient on one A4-landscape table (issue 6).

SBAR-like, one row per patient, read in seconds by the next shift and the critical-care
team. Patients with an open critical-care alert come first and are marked three ways
that survive a black-and-white printer: a heavy border, a grey band and the words
"CRITICAL CARE DISCUSSION PENDING" (RULES E1; colour is never the only signal).
Every row carries name, NHS number and date of birth (SAFETY.md).

Words a reader matches by eye — the bed ("ICU-2"), the NEWS2 band ("low-medium"), the
patient's name — never break inside a word (`unbroken`): reportlab would otherwise cut a
word too long for its column at any letter ("ICU-" / "2"). The columns are sized for the
usual beds and bands; anything longer prints smaller, whole.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Paragraph, Table, TableStyle

from app.actor import Actor
from app.clock import WARD_TZ
from app.context import AppContext
from app.permissions import Action, require
from app.reports.audit import audit_report
from app.reports.charts import grade_sparkline
from app.reports.pdf_common import (
    FONT,
    FONT_BOLD,
    MARGIN,
    escape,
    render_pdf,
    style,
    write_atomically,
)
from app.rows import AlertRow, WardRow

PAGE = landscape(A4)
TREND_HOURS = 72
NOTE_LIMIT = 320  # characters; a row must fit on one page, the full note is in the record
PENDING_TEXT = "CRITICAL CARE DISCUSSION PENDING"
OUTCOME_TEXT = {
    "transfer": "transfer to critical care",
    "stay_with_plan": "stay on ward with plan",
    "declined": "declined",
}

CELL = style("cell", 7, leading=8.4)
CELL_BOLD = style("cell-bold", 7, bold=True, leading=8.4)
HEAD = style("head", 7, bold=True, leading=8.4)
BIG = style("big", 10, bold=True, leading=12)
ALERT_BIG = style("alert-big", 8, bold=True, leading=9.6)
NAME = style("name", 8, bold=True, leading=9.6)

CELL_PADDING = 2.5  # points left and right of every cell (the table style below)
SMALLEST_FIT = 5.0  # points: `unbroken` shrinks a long word no further

# (header, width in points); the note takes what is left of the 277 mm frame. The bed
# column holds "ICU-2" or "SR-12" at full size (10 pt bold), the NEWS2 column "low-medium"
# at 7 pt: cut there, they read as "ICU-" and "2".
BED_WIDTH = 38.0
NEWS2_WIDTH = 48.0
PATIENT_WIDTH = 110.0
COLUMNS: tuple[tuple[str, float], ...] = (
    ("Bed", BED_WIDTH),
    ("Patient<br/>NHS number · DOB", PATIENT_WIDTH),
    ("Product<br/>day", 56),
    ("CRS<br/>now, max", 40),
    ("ICANS<br/>now, max", 40),
    ("72 h trend<br/>— CRS  - - ICANS", 76),
    ("NEWS2", NEWS2_WIDTH),
    ("Assessed<br/>next due", 64),
    ("Open alerts / critical-care discussion", 116),
    ("Tocilizumab<br/>given · available", 86),
)


class TocilizumabStatusLike(Protocol):
    """The fields of app.services.tocilizumab.TocilizumabStatus the sheet prints."""

    state: str
    doses_reserved: int
    doses_given: int
    last_dose_at: datetime | None
    resupply_due_at: datetime | None
    text: str


@dataclass(frozen=True)
class HandoverPatient:
    """One row of the sheet: the ward read model plus what the row needs from the timeline."""

    row: WardRow
    # Current assessments of the last 72 h, oldest first: (assessed_at, CRS, ICANS).
    recent_grades: tuple[tuple[datetime, int | None, int | None], ...] = ()
    # The latest critical-care alert with a discussion recorded (its outcome is printed).
    last_discussion: AlertRow | None = None

    @property
    def critical_care_pending(self) -> bool:
        return any(
            a.kind == "critical_care" and a.discussion_outcome is None
            for a in self.row.open_alerts
        )

    @property
    def critical_care_open(self) -> bool:
        return any(a.kind == "critical_care" for a in self.row.open_alerts)


# ----------------------------------------------------------------------------- data


def gather_handover(ctx: AppContext, actor: Actor, ward: str | None) -> list[HandoverPatient]:
    """Read the ward through the services: the board rows, then the 72-hour grades and the
    last critical-care discussions of all of them in one query each (not a timeline per
    patient: a 30-bed sheet must print in under a second, issue 6)."""
    from app.services.ward import last_discussions, list_ward, recent_grades

    now = ctx.clock()
    rows = list_ward(ctx, actor, ward)
    ids = [row.episode_id for row in rows]
    grades = recent_grades(ctx, actor, ids, since=now - timedelta(hours=TREND_HOURS), until=now)
    discussions = last_discussions(ctx, actor, ids)
    return [
        HandoverPatient(
            row=row,
            recent_grades=grades.get(row.episode_id, ()),
            last_discussion=discussions.get(row.episode_id),
        )
        for row in rows
    ]


def _bed_key(bed: str) -> tuple[Any, ...]:
    """Natural order: bed 2 before bed 10; beds with no number after, empty last."""
    if not bed:
        return (1,)
    return (0, *[(0, int(p), "") if p.isdigit() else (1, 0, p.lower())
                 for p in re.findall(r"\d+|\D+", bed)])


def handover_order(patients: Sequence[HandoverPatient]) -> list[HandoverPatient]:
    """Open critical-care alert first (pending discussion before discussed), then by bed."""
    return sorted(
        patients,
        key=lambda p: (
            not p.critical_care_pending,
            not p.critical_care_open,
            _bed_key(p.row.bed),
            p.row.patient_name,
            p.row.episode_id,
        ),
    )


# ----------------------------------------------------------------------------- cells


def unbroken(text: str, base: ParagraphStyle, width: float,
             smallest: float = SMALLEST_FIT) -> Paragraph:
    """`text` that never breaks inside a word: lines break at spaces only, and the font
    shrinks (to `smallest` at most) until the widest word fits `width` points.

    reportlab splits a word wider than its cell at any letter by default ("ICU-" / "2",
    "low-med" / "ium"); a bed or a risk band read that way is misread. Below `smallest`
    the word runs on whole rather than be cut."""
    widest = max((stringWidth(w, base.fontName, base.fontSize) for w in text.split()),
                 default=0.0)
    size = base.fontSize
    if widest > width:  # down to a tenth of a point, so the word surely fits
        size = max(smallest, math.floor(base.fontSize * width / widest * 10) / 10)
    fitted = ParagraphStyle(f"{base.name}-whole", parent=base, fontSize=size,
                            leading=base.leading * size / base.fontSize, splitLongWords=0)
    return Paragraph(escape(text) or "—", fitted)


def _inside(column_width: float) -> float:
    return column_width - 2 * CELL_PADDING


def _time(moment: datetime | None, now: datetime, tz: ZoneInfo) -> str:
    """ "14:20" today, "Tue 12 Mar 14:20" otherwise (local time)."""
    if moment is None:
        return "—"
    local = moment.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return local.strftime("%H:%M")
    return local.strftime("%a %d %b %H:%M")


def _grade_cell(now: int | None, at_least: bool, maximum: int | None,
                max_day: int | None) -> list[Flowable]:
    shown = "—" if now is None else (f"≥ {now}" if at_least else str(now))
    top = Paragraph(shown, BIG)  # its own 12 pt leading: a 10 pt digit in a 7 pt line
    # overprinted the "max" line below it
    if maximum is None:
        return [top, Paragraph("max —", CELL)]
    day = f" (D+{max_day})" if max_day is not None else ""
    return [top, Paragraph(f"max <b>{maximum}</b>{day}", CELL)]


def _patient_cell(row: WardRow) -> list[Flowable]:
    ident = (f"NHS {escape(row.nhs_number)}" if row.nhs_number
             else f"Hosp no. {escape(row.hospital_number or '—')}")
    return [
        unbroken(row.patient_name, NAME, _inside(PATIENT_WIDTH)),
        Paragraph(f"<b>{ident}</b>", CELL),
        Paragraph(f"DOB {row.date_of_birth.strftime('%d %b %Y')} ({row.age_years} y)", CELL),
    ]


def _product_cell(row: WardRow, now: datetime, tz: ZoneInfo) -> list[Flowable]:
    product = _product_name(row.product_code)
    day = f"D+{row.day}" if row.day is not None else "not infused"
    cells: list[Flowable] = [Paragraph(escape(product), CELL),
                             Paragraph(f"<b>{day}</b>", BIG)]
    if row.infused_at is not None:
        cells.append(Paragraph(f"inf. {row.infused_at.astimezone(tz):%d %b}", CELL))
    return cells


def _product_name(code: str) -> str:
    from app.products import products

    try:
        product = products().get(code)
    except Exception:  # a broken product file must not stop a handover from printing
        product = None
    return product.brand if product is not None else code


def _news2_cell(row: WardRow) -> list[Flowable]:
    if row.news2_total is None:
        return [Paragraph("—", CELL)]
    return [Paragraph(str(row.news2_total), BIG),
            unbroken(row.news2_risk or "", CELL, _inside(NEWS2_WIDTH))]


def _obs_cell(row: WardRow, now: datetime, tz: ZoneInfo) -> list[Flowable]:
    cells: list[Flowable] = [
        Paragraph(f"last {_time(row.last_assessed_at, now, tz)}", CELL),
        Paragraph(f"next {_time(row.next_due_at, now, tz)}", CELL),
    ]
    if row.overdue:
        cells.append(Paragraph("<b>OVERDUE</b>", ALERT_BIG))
    return cells


def _alerts_cell(patient: HandoverPatient, now: datetime, tz: ZoneInfo) -> list[Flowable]:
    cells: list[Flowable] = []
    alerts = sorted(patient.row.open_alerts, key=lambda a: (-a.severity, a.raised_at, a.id))
    for alert in alerts:
        if alert.kind == "critical_care" and alert.discussion_outcome is None:
            cells.append(Paragraph(PENDING_TEXT, ALERT_BIG))
            grade = f", grade {alert.trigger_grade}" if alert.trigger_grade is not None else ""
            late = " — <b>discussion deadline passed</b>" if alert.deadline_passed else ""
            cells.append(Paragraph(
                f"raised {_time(alert.raised_at, now, tz)}{grade}: "
                f"{escape(alert.message)}{late}", CELL))
        elif alert.kind == "critical_care":
            cells.append(Paragraph(_discussion_text(alert, now, tz), CELL_BOLD))
        else:
            state = "acknowledged" if alert.acknowledged_at else "not acknowledged"
            cells.append(Paragraph(
                f"<b>{escape(alert.title)}</b> ({_time(alert.raised_at, now, tz)}, {state})",
                CELL))
    last = patient.last_discussion
    if last is not None and not any(a.id == last.id for a in alerts):
        cells.append(Paragraph(_discussion_text(last, now, tz), CELL))
    if not cells:
        cells.append(Paragraph("none", CELL))
    return cells


def _discussion_text(alert: AlertRow, now: datetime, tz: ZoneInfo) -> str:
    outcome = OUTCOME_TEXT.get(alert.discussion_outcome or "", alert.discussion_outcome or "")
    detail = f" — {escape(alert.discussion_detail)}" if alert.discussion_detail else ""
    return (
        f"Critical care discussed {_time(alert.discussion_at, now, tz)} with "
        f"{escape(alert.discussion_clinician or '?')}: {escape(outcome)}{detail}"
    )


def _tocilizumab_cell(status: TocilizumabStatusLike | None, now: datetime,
                      tz: ZoneInfo) -> list[Flowable]:
    if status is None:
        return [Paragraph("status unavailable — check with pharmacy", CELL)]
    given = f"given <b>{status.doses_given}</b>"
    if status.last_dose_at is not None:
        given += f", last {_time(status.last_dose_at, now, tz)}"
    cells: list[Flowable] = [
        Paragraph(given, CELL),
        Paragraph(f"reserved <b>{status.doses_reserved}</b>", CELL),
    ]
    if status.resupply_due_at is not None:
        cells.append(Paragraph(f"resupply by {_time(status.resupply_due_at, now, tz)}", CELL))
    if status.state not in ("ready", "not required"):
        # The state in capitals, in words (never colour); the service text may already
        # start with it ("short: 0 of 1 dose reserved").
        text = status.text
        if text.lower().startswith(status.state.lower()):
            text = text[len(status.state):].lstrip(" :—-")
        cells.append(Paragraph(f"<b>{escape(status.state.upper())}</b>: {escape(text)}", CELL))
    return cells


def _note_cell(note: str) -> Paragraph:
    text = note.strip()
    if len(text) > NOTE_LIMIT:
        # Say so in words: a silently cut note could hide the important last sentence.
        text = text[:NOTE_LIMIT].rstrip() + " … [note continues in the record]"
    return Paragraph(escape(text).replace("\n", "<br/>") or "—", CELL)


def _trend(patient: HandoverPatient, now: datetime) -> Flowable:
    start = now - timedelta(hours=TREND_HOURS)

    def hours(moment: datetime) -> float:
        return (moment - start).total_seconds() / 3600.0

    crs = [(hours(at), None if c is None else float(c)) for at, c, _i in patient.recent_grades]
    icans = [(hours(at), None if i is None else float(i)) for at, _c, i in patient.recent_grades]
    return grade_sparkline(crs, icans, hours=TREND_HOURS)


# ----------------------------------------------------------------------------- layout


def layout_handover(
    patients: Sequence[HandoverPatient],
    *,
    ward_label: str,
    printed_at: datetime,
    printed_by: str,
    tz: ZoneInfo = WARD_TZ,
) -> bytes:
    """The PDF bytes for these rows (pure: same inputs, same bytes)."""
    ordered = handover_order(patients)
    frame_width = PAGE[0] - 2 * MARGIN
    widths = [w for _h, w in COLUMNS]
    widths.append(frame_width - sum(widths))
    header = [Paragraph(h, HEAD) for h, _w in COLUMNS] + [Paragraph("Nursing note", HEAD)]
    data: list[list[Any]] = [header]
    for patient in ordered:
        row = patient.row
        data.append([
            unbroken(row.bed, BIG, _inside(BED_WIDTH)),
            _patient_cell(row),
            _product_cell(row, printed_at, tz),
            _grade_cell(row.crs_grade, row.crs_at_least, row.max_crs_grade, row.max_crs_day),
            _grade_cell(row.icans_grade, row.icans_at_least, row.max_icans_grade,
                        row.max_icans_day),
            _trend(patient, printed_at),
            _news2_cell(row),
            _obs_cell(row, printed_at, tz),
            _alerts_cell(patient, printed_at, tz),
            _tocilizumab_cell(row.tocilizumab, printed_at, tz),
            _note_cell(row.nursing_note),
        ])
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("LINEBELOW", (0, 0), (-1, 0), 1.2, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.85, 0.85, 0.85)),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for index, patient in enumerate(ordered, start=1):
        if patient.critical_care_open:
            # Heavy border + grey band: visible on any printer, with the words in the row.
            commands.append(("BACKGROUND", (0, index), (-1, index),
                             colors.Color(0.90, 0.90, 0.90)))
            commands.append(("BOX", (0, index), (-1, index), 2.2, colors.black))
    story: list[Flowable] = []
    if ordered:
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle(commands))
        story.append(table)
    else:
        story.append(Paragraph(f"No active patients on {escape(ward_label)}.", BIG))

    pending = sum(1 for p in ordered if p.critical_care_pending)
    printed_local = printed_at.astimezone(tz)

    def on_page(canvas: Canvas, _doc: BaseDocTemplate) -> None:
        width, height = PAGE
        top = height - MARGIN
        canvas.saveState()
        canvas.setFont(FONT_BOLD, 14)
        canvas.drawString(MARGIN, top - 12, f"Ward handover — {ward_label}")
        canvas.setFont(FONT, 8)
        canvas.drawRightString(
            width - MARGIN, top - 6,
            f"Printed {printed_local:%a %d %b %Y %H:%M} ({tz.key}) by {printed_by}")
        summary = f"{len(ordered)} active patient{'s' if len(ordered) != 1 else ''}"
        if pending:
            summary += f" · {pending} CRITICAL CARE DISCUSSION{'S' if pending != 1 else ''} PENDING"
        canvas.setFont(FONT_BOLD if pending else FONT, 8)
        canvas.drawRightString(width - MARGIN, top - 16, summary)
        canvas.setFont(FONT, 6.5)
        canvas.drawString(
            MARGIN, top - 22,
            "Grades: ASTCT 2019 CRS / ICANS (\"≥ n\": ICANS domains not assessed); NEWS2 RCP "
            "2017. D+n = days after CAR-T infusion. Times are ward local time.")
        canvas.restoreState()

    return render_pdf(
        story,
        pagesize=PAGE,
        title=f"Ward handover — {ward_label}",
        author=printed_by,
        created_at=printed_at,
        on_page=on_page,
        header_height=9 * mm,
    )


# ----------------------------------------------------------------------------- API


def build_handover_pdf(
    ctx: AppContext, actor: Actor, *, ward: str | None, printed_by: str
) -> bytes:
    """The handover sheet for `ward` (None: the services' default), audited once.

    The GUI previews, prints and saves exactly these bytes (issue 6: same PDF whether
    saved or printed), so this is the one place the print is audited.
    """
    require(actor, Action.PRINT_HANDOVER)
    printed_at = ctx.clock()
    patients = gather_handover(ctx, actor, ward)
    ward_label = ward or ctx.ward
    data = layout_handover(
        patients, ward_label=ward_label, printed_at=printed_at, printed_by=printed_by,
        tz=ctx.tz,
    )
    audit_report(
        ctx, actor, printed_at, "print_handover",
        entity="ward", entity_id=None,
        details={
            "ward": ward_label,
            "patients": len(patients),
            "episode_ids": sorted(p.row.episode_id for p in patients),
        },
        data=data,
    )
    return data


def write_handover(
    ctx: AppContext, actor: Actor, path: str | os.PathLike[str], ward: str | None = None
) -> None:
    """`python -m app handover [--ward W] --out FILE.pdf`: build and save atomically."""
    data = build_handover_pdf(ctx, actor, ward=ward, printed_by=actor.label)
    write_atomically(path, data)
