"""Haematologist trend review: patients × days 0-28 of the daily maximum CRS or ICANS grade
(RULES T3), numbers in the cells, onset (▲) and resolution (✓) marked in text; clicking a
cell opens that patient's day."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.products import display_name
from app.rows import TrendRow
from widgets.grade_chip import grade_colours
from widgets.models import ROW_ROLE, SORT_ROLE, RowSortProxy, RowTableModel, sort_key_none_last

COL_PATIENT = 0
FIRST_DAY_COLUMN = 1
DAYS = 29  # days 0-28 (RULES T2)
LAYERS = ("CRS", "ICANS")


def cell_text(grade: int | None, onset: bool, resolution: bool) -> str:
    if grade is None:
        return ""
    return ("▲" if onset else "") + str(grade) + ("✓" if resolution else "")


class TrendModel(RowTableModel[TrendRow]):
    """Columns are computed, so `data` is overridden rather than built from `Column`s."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.layer = "CRS"

    def row_key(self, row: TrendRow) -> int:
        return row.episode_id

    def set_layer(self, layer: str) -> None:
        if layer == self.layer:
            return
        self.layer = layer
        if self._rows:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._rows) - 1, DAYS))

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else DAYS + 1

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if section == COL_PATIENT:
                return "Patient"
            if 0 < section <= DAYS:
                return str(section - FIRST_DAY_COLUMN)
            return None
        return str(section + 1)

    def _grades(self, row: TrendRow) -> tuple[int | None, ...]:
        return row.crs_by_day if self.layer == "CRS" else row.icans_by_day

    def _onset_resolution(self, row: TrendRow) -> tuple[int | None, int | None]:
        if self.layer == "CRS":
            return row.crs_onset_day, row.crs_resolution_day
        return row.icans_onset_day, row.icans_resolution_day

    def grade_at(self, row: TrendRow, day: int) -> int | None:
        grades = self._grades(row)
        return grades[day] if 0 <= day < len(grades) else None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        if not (0 <= index.column() <= DAYS):
            return None
        row = self._rows[index.row()]
        if role == ROW_ROLE:
            return row
        if index.column() == COL_PATIENT:
            if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
                text = f"{row.bed or '—'}  {row.patient_name}  (D+{row.day})"
                return text if role == Qt.ItemDataRole.DisplayRole else (0, text)
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"NHS {row.nhs_number} · {display_name(row.product_code)} · {row.status}"
            return None
        day = index.column() - FIRST_DAY_COLUMN
        grade = self.grade_at(row, day)
        onset, resolution = self._onset_resolution(row)
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(grade, day == onset, day == resolution)
        if role == SORT_ROLE:
            return sort_key_none_last(grade)
        if role == Qt.ItemDataRole.ToolTipRole:
            if grade is not None:
                word = f"max {self.layer} grade {grade}"
            elif row.day is not None and day > row.day:  # a gap and a future day differ
                word = f"not reached yet (today is D+{row.day})"
            else:
                word = "no assessment recorded"
            extra = " — onset" if day == onset else " — resolved" if day == resolution else ""
            return f"{row.patient_name}, day {day}: {word}{extra}"
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            if grade is None:
                return None
            background, foreground = grade_colours(grade)
            return QBrush(background if role == Qt.ItemDataRole.BackgroundRole else foreground)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None


class TrendGrid(QWidget):
    open_day = Signal(int, int)  # episode id, day
    open_episode = Signal(int)  # the patient column: the patient, no particular day

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = TrendModel(self)
        self.proxy = RowSortProxy(self)
        self.proxy.setSourceModel(self.model)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.layer_combo = QComboBox()
        self.layer_combo.setObjectName("trendLayer")
        self.layer_combo.addItems(["CRS — daily maximum grade", "ICANS — daily maximum grade"])
        self.layer_combo.setAccessibleName("Grade layer")
        self.layer_combo.currentIndexChanged.connect(
            lambda number: self.model.set_layer(LAYERS[number]))
        label = QLabel("&Layer")
        label.setBuddy(self.layer_combo)
        top.addWidget(label)
        top.addWidget(self.layer_combo)
        top.addWidget(QLabel("Cells: daily maximum grade · ▲ onset · ✓ resolution · "
                             "blank = no assessment. Enter or click opens that day "
                             "(on the name: the patient)."), 1)
        layout.addLayout(top)
        self.table = QTableView()
        self.table.setObjectName("trendTable")
        self.table.setAccessibleName("Trend grid: patients by day")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_PATIENT, Qt.SortOrder.AscendingOrder)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setDefaultSectionSize(34)
        header.setSectionResizeMode(COL_PATIENT, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.clicked.connect(self._clicked)
        self.table.activated.connect(self._clicked)
        layout.addWidget(self.table)

    def set_layer(self, layer: str) -> None:
        self.layer_combo.setCurrentIndex(LAYERS.index(layer))

    def set_rows(self, rows: list[TrendRow]) -> None:
        self.model.set_rows(rows)

    def selected_episode(self) -> int | None:
        row = self.table.currentIndex().data(ROW_ROLE)
        return row.episode_id if isinstance(row, TrendRow) else None

    def _clicked(self, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if not isinstance(row, TrendRow):
            return
        if index.column() >= FIRST_DAY_COLUMN:
            self.open_day.emit(row.episode_id, index.column() - FIRST_DAY_COLUMN)
        else:
            self.open_episode.emit(row.episode_id)
