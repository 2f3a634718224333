"""Every open alert on the ward with its age (RULES E1-E4), worst first; Enter or
double-click opens the patient. Built from the ward rows, so it refreshes with the board.
The alert commands (record discussion, acknowledge, resolve) act on the highlighted alert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.clock import WARD_TZ, format_local
from app.rows import AlertRow, WardRow
from widgets.alert_banner import alert_age, alert_state_text
from widgets.models import ROW_ROLE, Column, RowSortProxy, RowTableModel
from widgets.ward_board import WardTable

COL_AGE = 0
COL_ALERT = 1
COL_PATIENT = 2
COL_BED = 3
COL_STATE = 4
COL_MESSAGE = 5


@dataclass(frozen=True)
class WardAlert:
    alert: AlertRow
    episode_id: int
    patient: str
    bed: str


def ward_alerts(rows: list[WardRow]) -> list[WardAlert]:
    items = [
        WardAlert(alert, row.episode_id,
                  f"{row.patient_name} ({row.nhs_number or row.hospital_number})", row.bed)
        for row in rows for alert in row.open_alerts if alert.is_open
    ]
    return sorted(items, key=lambda item: (-item.alert.severity, item.alert.raised_at))


class AlertsModel(RowTableModel[WardAlert]):
    def __init__(self, tz: ZoneInfo = WARD_TZ, parent: object = None) -> None:
        super().__init__(parent)
        self.tz = tz
        self.now: datetime | None = None
        critical = (QColor("#b71c1c"), QColor("#ffffff"))
        self.columns = (
            Column("Age", self._age, sort=lambda w: -w.alert.raised_at.timestamp(),
                   tooltip=lambda w: f"raised {format_local(w.alert.raised_at, self.tz)}"),
            Column("Alert", lambda w: ("⚠ " if w.alert.kind == "critical_care" else "")
                   + w.alert.title, sort=lambda w: -w.alert.severity,
                   colours=lambda w: critical if w.alert.kind == "critical_care" else None,
                   bold=lambda w: w.alert.kind == "critical_care"),
            Column("Patient", lambda w: w.patient),
            Column("Bed", lambda w: w.bed or "—"),
            Column("State", lambda w: alert_state_text(w.alert, self.tz)
                   + (" — OVERDUE" if w.alert.deadline_passed else "")),
            Column("Message", lambda w: w.alert.message, tooltip=lambda w: w.alert.message),
        )

    def row_key(self, row: WardAlert) -> int:
        return row.alert.id

    def _age(self, item: WardAlert) -> str:
        return alert_age(item.alert, self.now) if self.now else "—"


class AlertsPanel(QWidget):
    open_episode = Signal(int)

    def __init__(self, tz: ZoneInfo = WARD_TZ, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = AlertsModel(tz, self)
        self.proxy = RowSortProxy(self)
        self.proxy.setSourceModel(self.model)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.summary = QLabel()
        top.addWidget(self.summary, 1)
        self.command_row = top  # the window's alert actions, as buttons (`add_commands`)
        layout.addLayout(top)
        self.table = WardTable()
        self.table.setObjectName("alertsTable")
        self.table.setAccessibleName("Open alerts on the ward")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_ALERT, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self._open)
        self.table.activated_row.connect(self._open)
        layout.addWidget(self.table)

    def set_rows(self, rows: list[WardRow], now: datetime) -> None:
        self.model.now = now
        items = ward_alerts(rows)
        self.model.set_rows(items)
        if self.model.rowCount():  # ages move on even when the alerts did not change
            last = self.model.index(self.model.rowCount() - 1, COL_AGE)
            self.model.dataChanged.emit(self.model.index(0, COL_AGE), last)
        critical = sum(1 for i in items if i.alert.kind == "critical_care")
        self.summary.setText(f"{len(items)} open alerts · {critical} critical-care")
        self.table.resizeColumnsToContents()

    def add_commands(self, actions: list[QAction]) -> None:
        """Buttons for the window's alert actions, so they sit beside the list they act on
        (each follows its action's text, shortcut, permission and enabled state)."""
        for action in actions:
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setAccessibleName(action.text().replace("&", "").rstrip("…"))
            self.command_row.addWidget(button)

    def selected_alert(self) -> WardAlert | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(
                index.row(), index.parent()):
            return None
        item = index.siblingAtColumn(0).data(ROW_ROLE)
        return item if isinstance(item, WardAlert) else None

    def _open(self, index: QModelIndex) -> None:
        item = index.data(ROW_ROLE)
        if isinstance(item, WardAlert):
            self.open_episode.emit(item.episode_id)
