"""The audit viewer (issue 7): the audit trail as a read-only table with filters by
patient episode, user, date and action; the selected event's before/after shown as a
field-by-field diff. Which events a user may see is decided by the service
(app.services.audit_query.query_audit), passed in as `query(**filters) -> list[AuditRow]`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.clock import WARD_TZ, format_local
from app.errors import ServiceError


class FieldChangeLike(Protocol):
    @property
    def field(self) -> str: ...

    @property
    def before(self) -> Any: ...

    @property
    def after(self) -> Any: ...


class AuditRow(Protocol):
    """What the viewer reads of app.services.audit_query.AuditRow (not imported: that
    module uses SQLAlchemy, which widgets may not import, even indirectly)."""

    @property
    def at(self) -> datetime: ...

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def workstation(self) -> str: ...

    @property
    def action(self) -> str: ...

    @property
    def entity(self) -> str: ...

    @property
    def entity_id(self) -> int | None: ...

    @property
    def episode_id(self) -> int | None: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def changes(self) -> Sequence[FieldChangeLike]: ...


Query = Callable[..., Sequence[AuditRow]]
AnyIndex = QModelIndex | QPersistentModelIndex

COLUMNS = ("When", "User", "Role", "Workstation", "Action", "Record", "Episode", "Reason")


class AuditTableModel(QAbstractTableModel):
    """Read-only: no setData, flags never editable."""

    def __init__(self, tz: ZoneInfo = WARD_TZ) -> None:
        super().__init__()
        self._rows: list[AuditRow] = []
        self._tz = tz

    def set_rows(self, rows: Sequence[AuditRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, index: int) -> AuditRow:
        return self._rows[index]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.AccessibleTextRole,
        ):
            return None
        r = self._rows[index.row()]
        values = (
            format_local(r.at, self._tz),
            r.username,
            r.role,
            r.workstation,
            r.action,
            f"{r.entity} {r.entity_id}" if r.entity_id is not None else r.entity,
            "" if r.episode_id is None else str(r.episode_id),
            r.reason or "",
        )
        return values[index.column()]


def _show(value: Any) -> str:
    return "—" if value is None else json.dumps(value, ensure_ascii=False, default=str)


def describe_changes(row: AuditRow) -> str:
    """Plain-text diff: one line per changed field, 'field: before → after'."""
    lines = [
        f"{row.action} by {row.username} ({row.role}) at {format_local(row.at)}"
        + (f" — reason: {row.reason}" if row.reason else "")
    ]
    changes = row.changes
    if not changes:
        lines.append("No field changed.")
    lines += [f"{c.field}: {_show(c.before)} → {_show(c.after)}" for c in changes]
    return "\n".join(lines)


class AuditViewer(QWidget):
    def __init__(self, query: Query, parent: QWidget | None = None, tz: ZoneInfo = WARD_TZ):
        super().__init__(parent)
        self._query = query
        self._tz = tz
        self.setAccessibleName("Audit trail")
        self.episode = QLineEdit()
        self.episode.setAccessibleName("Filter by patient episode number")
        self.episode.setPlaceholderText("episode number")
        self.user = QLineEdit()
        self.user.setAccessibleName("Filter by username")
        self.action = QLineEdit()
        self.action.setAccessibleName("Filter by action")
        self.action.setPlaceholderText("e.g. assessment. or user.login")
        self.use_dates = QCheckBox("Between dates")
        self.use_dates.setAccessibleName("Filter by date")
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-7))
        self.date_from.setAccessibleName("From date")
        self.date_to = QDateEdit(today)
        self.date_to.setAccessibleName("To date (inclusive)")
        for date_edit in (self.date_from, self.date_to):
            date_edit.setCalendarPopup(True)
            date_edit.setDisplayFormat("dd MMM yyyy")
        self.apply_button = QPushButton("&Show")
        self.apply_button.setAccessibleName("Apply filters")
        self.apply_button.clicked.connect(self.refresh)
        for edit in (self.episode, self.user, self.action):
            edit.returnPressed.connect(self.refresh)
        self.message = QLabel("")
        self.message.setAccessibleName("Audit message")
        self.message.setWordWrap(True)

        self.model = AuditTableModel(tz)
        self.table = QTableView()
        self.table.setAccessibleName("Audit events")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._show_selected)
        self.diff = QTextEdit()
        self.diff.setReadOnly(True)
        self.diff.setAccessibleName("Before and after")

        filters = QFormLayout()
        filters.addRow("&Episode", self.episode)
        filters.addRow("&User", self.user)
        filters.addRow("&Action", self.action)
        dates = QHBoxLayout()
        dates.addWidget(self.use_dates)
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.date_to)
        dates.addWidget(self.apply_button)
        filters.addRow("&Dates", dates)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.diff)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.message)
        layout.addWidget(split)

    def filters(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        episode = self.episode.text().strip()
        if episode:
            out["episode_id"] = int(episode)  # ValueError handled by refresh
        if self.user.text().strip():
            out["username"] = self.user.text().strip()
        if self.action.text().strip():
            out["action"] = self.action.text().strip()
        if self.use_dates.isChecked():
            start: date = self.date_from.date().toPython()  # type: ignore[assignment]
            end: date = self.date_to.date().toPython()  # type: ignore[assignment]
            out["date_from"] = datetime.combine(start, time(), self._tz).astimezone(UTC)
            # inclusive of the "to" day: up to the next local midnight
            after_end = datetime.combine(end + timedelta(days=1), time(), self._tz)
            out["date_to"] = after_end.astimezone(UTC)
        return out

    def refresh(self) -> None:
        try:
            rows = self._query(**self.filters())
        except ValueError:
            self.message.setText("Episode must be a number, e.g. 12.")
            return
        except ServiceError as error:
            self.message.setText(str(error))
            return
        self.model.set_rows(rows)
        self.diff.clear()
        self.message.setText(f"{len(rows)} event{'s' if len(rows) != 1 else ''}.")
        if rows:
            self.table.selectRow(0)

    def _show_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.diff.setPlainText(describe_changes(self.model.row_at(current.row())))
