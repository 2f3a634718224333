"""Patients registered but not yet infused ("Awaiting infusion"): where the CAR-T infusion
is recorded from. Enter or double-click on a row asks for the infusion dialog
(`infusion_requested`), which applies the RULES E6 readiness gate.

Each row shows the tocilizumab readiness the gate uses, in words ("Ready: 1 dose
reserved", "Short by 1 dose — ask pharmacy"); the colour only repeats what the words say
(STYLE.md: never colour alone). Rows come from `ward.list_planned`, soonest planned date
first.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QVBoxLayout, QWidget

from app.products import brand
from app.rows import PlannedRow
from widgets.models import ROW_ROLE, Column, RowTableModel
from widgets.ward_board import WardTable

COL_BED = 0
COL_PATIENT = 1
COL_AGE = 2
COL_PRODUCT = 3
COL_PLANNED = 4
COL_WEIGHT = 5
COL_TOCILIZUMAB = 6

READY_COLOURS = (QColor("#e8f5e9"), QColor("#1b5e20"))
SHORT_COLOURS = (QColor("#fdecea"), QColor("#b00020"))
EMPTY_TEXT = "No patients awaiting infusion"


def identifier(row: PlannedRow) -> str:
    return f"NHS {row.nhs_number}" if row.nhs_number else f"Hosp {row.hospital_number}"


def planned_text(row: PlannedRow) -> str:
    """"12 Mar 2026 (today)"; "not set" when no date was planned."""
    if row.planned_infusion_date is None:
        return "not set"
    when = f"{row.planned_infusion_date:%d %b %Y}"
    days = row.days_to_infusion
    if days is None:
        return when
    if days == 0:
        return f"{when} (today)"
    if days == 1:
        return f"{when} (tomorrow)"
    if days > 1:
        return f"{when} (in {days} days)"
    return f"{when} ({-days} day{'s' if days != -1 else ''} ago)"


def tocilizumab_text(row: PlannedRow) -> str:
    mark = "✓ " if row.readiness_met else "⚠ "
    return mark + row.readiness_text


class PlannedModel(RowTableModel[PlannedRow]):
    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.columns = (
            Column("Bed", lambda r: r.bed or "—"),
            Column("Patient", lambda r: f"{r.patient_name}\n{identifier(r)}",
                   sort=lambda r: r.patient_name,
                   tooltip=lambda r: f"{r.patient_name}, {identifier(r)}, born "
                                     f"{r.date_of_birth:%d %b %Y}"),
            Column("Age", lambda r: f"{r.age_years} y", sort=lambda r: r.age_years,
                   align_right=True),
            Column("Product", lambda r: brand(r.product_code),
                   tooltip=lambda r: r.product_label),
            Column("Planned infusion", planned_text,
                   sort=lambda r: r.planned_infusion_date),
            Column("Weight", lambda r: f"{r.weight_kg:g} kg ({r.weight_recorded_on:%d %b})",
                   sort=lambda r: r.weight_kg,
                   tooltip=lambda r: f"weighed {r.weight_recorded_on:%d %b %Y}: the "
                                     "tocilizumab dose is calculated from it (RULES E5)"),
            Column("Tocilizumab (RULES E6)", tocilizumab_text,
                   sort=lambda r: r.readiness_met,
                   tooltip=lambda r: r.readiness_detail or r.readiness_text,
                   colours=lambda r: READY_COLOURS if r.readiness_met else SHORT_COLOURS,
                   bold=lambda r: not r.readiness_met),
        )

    def row_key(self, row: PlannedRow) -> int:
        return row.episode_id


class PlannedTable(QWidget):
    """Titled "Awaiting infusion (n)"; the lead window places it and wires the signal."""

    infusion_requested = Signal(int)  # episode id: open "Record CAR-T infusion"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("plannedTable")
        self.model = PlannedModel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel()
        self.title.setObjectName("plannedTitle")
        self.title.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.title)
        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("plannedEmpty")
        layout.addWidget(self.empty_label)
        self.table = WardTable()
        self.table.setObjectName("plannedRows")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(True)
        self.table.setToolTip("Enter or double-click: record the CAR-T infusion")
        self.table.doubleClicked.connect(self._requested)
        self.table.activated_row.connect(self._requested)
        layout.addWidget(self.table)
        self.set_rows([])

    # --- data in ----------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[PlannedRow]) -> None:
        """New rows; the highlighted patient stays highlighted while still listed."""
        kept = self.selected_episode_id()
        self.model.set_rows(rows)
        count = self.model.rowCount()
        self.title.setText(f"Awaiting infusion ({count})")
        name = f"Patients awaiting CAR-T infusion: {count}"
        self.table.setAccessibleName(name)
        self.setAccessibleName(name)
        self.empty_label.setVisible(count == 0)
        self.table.setVisible(count > 0)
        if kept is not None and self.selected_episode_id() != kept:
            self.select_episode(kept)
        self.table.resizeColumnsToContents()

    def rows(self) -> list[PlannedRow]:
        return self.model.rows()

    # --- selection --------------------------------------------------------------------------
    def selected_episode_id(self) -> int | None:
        selection = self.table.selectionModel()
        indexes = selection.selectedRows() if selection is not None else []
        if not indexes:
            return None
        row = indexes[0].data(ROW_ROLE)
        return row.episode_id if isinstance(row, PlannedRow) else None

    def select_episode(self, episode_id: int) -> bool:
        """Highlight the patient's row (and put the keyboard there); False if not listed."""
        for number, row in enumerate(self.model.rows()):
            if row.episode_id == episode_id:
                index = self.model.index(number, COL_PATIENT)
                self.table.selectionModel().setCurrentIndex(
                    index,
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                self.table.scrollTo(index)
                return True
        return False

    def focus_table(self) -> None:
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _requested(self, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if isinstance(row, PlannedRow):
            self.infusion_requested.emit(row.episode_id)
