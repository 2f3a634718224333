"""Every assessment by day 0-28 with the day's maximum grades (RULES T3); amended entries
keep their history under the version that replaced them; "entered in error" entries stay
visible, struck through. Amend / entered-in-error act on the selected current entry."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.clock import WARD_TZ, format_local
from app.rows import AssessmentRow, Timeline, TimelineDay
from app.services.administrations import drug_label
from widgets.grade_chip import grade_colours, grade_text, news2_text

ASSESSMENT_ROLE = int(Qt.ItemDataRole.UserRole) + 10
DAY_ROLE = int(Qt.ItemDataRole.UserRole) + 11
HEADERS = ("Day / time", "CRS", "ICANS", "NEWS2", "ICE / CAPD", "Observations", "Entered")


def observations_text(row: AssessmentRow) -> str:
    v = row.inputs
    parts = []
    if v.get("temperature_c") is not None:
        parts.append(f"T {v['temperature_c']} °C")
    if v.get("heart_rate") is not None:
        parts.append(f"HR {v['heart_rate']}")
    if v.get("systolic_bp") is not None:
        parts.append(f"BP {v['systolic_bp']}/{v.get('diastolic_bp') or '?'}")
    if v.get("respiratory_rate") is not None:
        parts.append(f"RR {v['respiratory_rate']}")
    if v.get("spo2_percent") is not None:
        parts.append(f"SpO2 {v['spo2_percent']}%")
    device = v.get("oxygen_device")
    if device and device != "none":
        flow = v.get("oxygen_flow_l_min")
        parts.append(f"O2 {device.replace('_', ' ')}" + (f" {flow} L/min" if flow else ""))
    if v.get("vasopressors"):
        parts.append("vasopressors: " + ", ".join(v["vasopressors"]))
    return " · ".join(parts)


def status_text(row: AssessmentRow, tz: ZoneInfo) -> str:
    text = f"{row.entered_by}, {format_local(row.entered_at, tz)}"
    if row.late_entry:
        text += " (late entry)"
    if row.status == "amended":
        text = f"SUPERSEDED — {text}"
    elif row.status == "entered_in_error":
        text = f"ENTERED IN ERROR ({row.amend_reason or 'no reason'}) — {text}"
    elif row.supersedes_id is not None:
        text = f"AMENDED: {row.amend_reason or ''} — {text}"
    return text


def tool_text(row: AssessmentRow) -> str:
    if row.capd_total is not None:
        return f"CAPD {row.capd_total}/32"
    if row.ice_total is not None:
        return f"ICE {row.ice_total}/10"
    return "—"


def day_label(day: TimelineDay) -> str:
    name = "Baseline" if day.is_baseline else "Day"
    return f"{name} {day.day} · {day.date:%a %d %b}"


class TimelineView(QWidget):
    amend_requested = Signal(object)  # AssessmentRow
    error_requested = Signal(object)  # AssessmentRow

    def __init__(self, tz: ZoneInfo = WARD_TZ, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tz = tz
        layout = QVBoxLayout(self)
        self.tree = QTreeWidget()
        self.tree.setObjectName("timelineTree")
        self.tree.setAccessibleName("Assessments by day")
        self.tree.setHeaderLabels(list(HEADERS))
        self.tree.setAlternatingRowColors(True)
        self.tree.currentItemChanged.connect(self._update_buttons)
        layout.addWidget(self.tree)
        buttons = QHBoxLayout()
        self.amend_button = QPushButton("&Amend selected…")
        self.amend_button.setObjectName("amendAssessment")
        self.amend_button.clicked.connect(self._amend)
        self.error_button = QPushButton("Mark entered in &error…")
        self.error_button.setObjectName("enteredInError")
        self.error_button.clicked.connect(self._error)
        buttons.addStretch(1)
        buttons.addWidget(self.amend_button)
        buttons.addWidget(self.error_button)
        layout.addLayout(buttons)
        self.day_items: dict[int, QTreeWidgetItem] = {}
        self._update_buttons()

    def set_timeline(self, timeline: Timeline) -> None:
        # A refresh (every poll, every write) must not collapse the days being read or lose
        # the entry being looked at: remember both and put them back.
        expanded = {day for day, item in self.day_items.items() if item.isExpanded()}
        current = self.tree.currentItem()
        current_row = current.data(0, ASSESSMENT_ROLE) if current is not None else None
        current_day = current.data(0, DAY_ROLE) if current is not None else None
        self.tree.clear()
        self.day_items = {}
        for day in timeline.days:
            if not day.assessments and not day.administrations:
                continue
            self.tree.addTopLevelItem(self._day_item(day))
            self.day_items[day.day].setExpanded(day.day in expanded)
        restored = (self.select_assessment(current_row.id)
                    if isinstance(current_row, AssessmentRow) else False)
        if not restored and isinstance(current_day, int) and current_day in self.day_items:
            self.tree.setCurrentItem(self.day_items[current_day])
        self._fit_columns()
        self._update_buttons()

    def _all_items(self) -> Iterator[QTreeWidgetItem]:
        """Every item, days and their entries (amended versions included), in order."""
        def below(item: QTreeWidgetItem) -> Iterator[QTreeWidgetItem]:
            yield item
            for number in range(item.childCount()):
                if (child := item.child(number)) is not None:
                    yield from below(child)

        for number in range(self.tree.topLevelItemCount()):
            if (top := self.tree.topLevelItem(number)) is not None:
                yield from below(top)

    def _fit_columns(self) -> None:
        """Fit the columns to every entry, collapsed ones included (Qt measures only the
        rows showing), so NEWS2 or the oxygen device is never cut off when a day opens."""
        plain = self.tree.fontMetrics()
        bold_font = QFont(self.tree.font())
        bold_font.setBold(True)
        bold = QFontMetrics(bold_font)
        widths = [plain.horizontalAdvance(text) for text in HEADERS]
        for item in self._all_items():
            is_day = item.data(0, DAY_ROLE) is not None
            metrics = bold if is_day else plain
            indent = self.tree.indentation() * (1 if is_day else 2)
            for column in range(len(HEADERS) - 1):
                width = metrics.horizontalAdvance(item.text(column))
                widths[column] = max(widths[column], width + (indent if column == 0 else 0))
        for column in range(len(HEADERS) - 1):
            self.tree.setColumnWidth(column, widths[column] + 24)

    def select_assessment(self, assessment_id: int) -> bool:
        """Highlight one entry (its day opened), e.g. after marking it entered in error."""
        for item in self._all_items():
            row = item.data(0, ASSESSMENT_ROLE)
            if isinstance(row, AssessmentRow) and row.id == assessment_id:
                day = item
                while (parent := day.parent()) is not None:
                    day = parent
                day.setExpanded(True)
                self.tree.setCurrentItem(item)
                self.tree.scrollToItem(item)
                return True
        return False

    def clear_current(self) -> None:
        self.tree.setCurrentIndex(QModelIndex())
        self.tree.clearSelection()

    def _day_item(self, day: TimelineDay) -> QTreeWidgetItem:
        drugs = ", ".join(
            f"{drug_label(a.drug)} {a.dose:g} {a.dose_unit} "
            f"{format_local(a.given_at, self.tz)[-5:]}"
            for a in day.administrations
        )
        item = QTreeWidgetItem([
            day_label(day),
            "max " + grade_text("CRS", day.crs_max, day.crs_at_least),
            "max " + grade_text("ICANS", day.icans_max, day.icans_at_least),
            "", "", f"Given: {drugs}" if drugs else "",
            f"{len(day.current_assessments)} assessments",
        ])
        item.setData(0, DAY_ROLE, day.day)
        font = QFont()
        font.setBold(True)
        for column in range(len(HEADERS)):
            item.setFont(column, font)
        for column, grade, at_least in ((1, day.crs_max, day.crs_at_least),
                                        (2, day.icans_max, day.icans_at_least)):
            background, foreground = grade_colours(grade, at_least)
            item.setBackground(column, background)
            item.setForeground(column, foreground)
        rows = {row.id: row for row in day.assessments}
        children: dict[int, QTreeWidgetItem] = {}
        for row in day.assessments:
            if row.status != "amended":
                child = self._assessment_item(row)
                children[row.id] = child
                item.addChild(child)
        for row in day.assessments:
            if row.status == "amended":  # older versions under the version replacing them
                newest = next((c for rid, c in children.items()
                               if row.id in rows[rid].version_ids), None)
                (newest or item).addChild(self._assessment_item(row))
        self.day_items[day.day] = item
        return item

    def _assessment_item(self, row: AssessmentRow) -> QTreeWidgetItem:
        item = QTreeWidgetItem([
            format_local(row.assessed_at, self.tz)[-5:],
            grade_text("CRS", row.crs_grade, row.crs_at_least),
            grade_text("ICANS", row.icans_grade, row.icans_at_least),
            news2_text(row.news2_total, row.news2_risk),
            tool_text(row),
            observations_text(row),
            status_text(row, self.tz),
        ])
        item.setData(0, ASSESSMENT_ROLE, row)
        for column in range(len(HEADERS)):
            item.setToolTip(column, item.text(column))
        if not row.is_current:
            font = QFont()
            font.setStrikeOut(True)
            for column in range(1, len(HEADERS) - 1):
                item.setFont(column, font)
                item.setForeground(column, QColor("#616161"))
        return item

    def show_day(self, day: int) -> bool:
        item = self.day_items.get(day)
        if item is None:
            return False
        item.setExpanded(True)
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)
        return True

    def selected_assessment(self) -> AssessmentRow | None:
        item = self.tree.currentItem()
        row = item.data(0, ASSESSMENT_ROLE) if item is not None else None
        return row if isinstance(row, AssessmentRow) else None

    def _update_buttons(self, *_args: object) -> None:
        row = self.selected_assessment()
        can_act = row is not None and row.is_current
        self.amend_button.setEnabled(can_act)
        self.error_button.setEnabled(can_act)

    def _amend(self) -> None:
        row = self.selected_assessment()
        if row is not None and row.is_current:
            self.amend_requested.emit(row)

    def _error(self) -> None:
        row = self.selected_assessment()
        if row is not None and row.is_current:
            self.error_requested.emit(row)
