"""Who this is, on every patient tab (SAFETY.md: NHS number with name and date of birth on
every screen): name, NHS number, DOB, bed, product, infusion date, D+n, weight.

Two deliberate lines, so nothing wraps on to a stray third one at ward widths: who the
patient is (name, NHS number, born, bed), then the treatment (product, infused, day,
weight). The accessible name keeps every label ("ID: NHS …", "Day: D+7") for screen
readers; on screen the self-explanatory values ("NHS 999 000 0026", "D+7") go unlabelled."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from app.clock import WARD_TZ, format_local
from app.products import display_name
from app.rows import EpisodeHeader


def header_text(header: EpisodeHeader, tz: ZoneInfo = WARD_TZ) -> list[tuple[str, str]]:
    identifier = (f"NHS {header.nhs_number}" if header.nhs_number
                  else f"Hospital no. {header.hospital_number}")
    if header.day is None:
        day = "not infused"
        infusion = (f"planned {header.planned_infusion_date:%d %b %Y}"
                    if header.planned_infusion_date else "not planned")
    else:
        day = f"D+{header.day}" if header.day >= 0 else f"D{header.day}"
        infusion = format_local(header.infused_at, tz)
    return [
        ("Patient", f"{header.name}"),
        ("ID", identifier),
        ("Born", f"{header.date_of_birth:%d %b %Y} ({header.age_years} y, {header.sex})"),
        ("Bed", header.bed or "—"),
        ("Product", display_name(header.product_code)),
        ("Infused", infusion),
        ("Day", day),
        ("Weight", f"{header.weight_kg:g} kg ({header.weight_recorded_on:%d %b})"),
    ]


WHO = ("Patient", "ID", "Born", "Bed")  # first line; the rest is the treatment
UNLABELLED = frozenset({"Patient", "ID", "Day"})  # the value says what it is


def _item_html(name: str, value: str) -> str:
    value = escape(value)
    if name == "Patient":
        return f"<span style='font-size: 12pt'><b>{value}</b></span>"
    return f"<b>{value}</b>" if name in UNLABELLED else f"{name}: <b>{value}</b>"


def header_html(parts: list[tuple[str, str]]) -> str:
    separator = " &nbsp;·&nbsp; "
    who = separator.join(_item_html(n, v) for n, v in parts if n in WHO)
    treatment = separator.join(_item_html(n, v) for n, v in parts if n not in WHO)
    return f"<span style='font-size: 11pt'>{who}<br>{treatment}</span>"


class IdentityHeader(QFrame):
    def __init__(self, tz: ZoneInfo = WARD_TZ, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("identityHeader")
        self.tz = tz
        self.setStyleSheet("#identityHeader { background: #e3f2fd; border: 1px solid #90caf9; }")
        self.label = QLabel("No patient selected")
        self.label.setObjectName("identityText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.addWidget(self.label)

    def set_header(self, header: EpisodeHeader) -> None:
        parts = header_text(header, self.tz)
        self.label.setText(header_html(parts))
        self.setAccessibleName("; ".join(f"{n}: {v}" for n, v in parts))

    def plain_text(self) -> str:
        return self.accessibleName()
