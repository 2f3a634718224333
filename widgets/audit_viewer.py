"""The audit viewer (issue 7): the audit trail as a read-only table with filters by
patient (episode number or NHS number), user, date and action; the selected event's
before/after shown as a field-by-field diff. Which events a user may see is decided by the
service (app.services.audit_query.query_audit), passed in as
`query(**filters) -> list[AuditRow]`.

Usability audit 14: actions are shown in words ("Assessment recorded"; the stored name is
the tooltip; either can be typed as the filter); the newest 500 events
are shown and, when there are more, the viewer says so ("Newest 500 events shown — narrow
the filters, or Show more") instead of a count that reads as the whole trail.
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
COL_ACTION = 4

# The stored action names (app/services/*, app/reports/*) in words. An action not listed
# (a new one) is shown as stored, so nothing is ever hidden.
ACTION_LABELS: dict[str, str] = {
    "record_assessment": "Assessment recorded",
    "amend_assessment": "Assessment amended",
    "mark_entered_in_error": "Assessment marked entered in error",
    "record_administration": "Drug given recorded",
    "mark_administration_in_error": "Drug given marked entered in error",
    "register_patient": "Patient registered",
    "register_episode": "CAR-T episode registered",
    "record_infusion": "CAR-T infusion recorded",
    "record_discharge": "Discharge recorded",
    "record_death": "Death recorded",
    "record_icu_transfer": "ICU transfer recorded",
    "update_nursing_note": "Nursing note changed",
    "update_weight": "Weight changed",
    "update_episode_settings": "Episode settings changed",
    "acknowledge_alert": "Alert acknowledged",
    "record_discussion": "Critical-care discussion recorded",
    "resolve_alert": "Alert resolved",
    "receive_vials": "Tocilizumab vials received",
    "reserve_vials": "Tocilizumab reserved for a patient",
    "release_vials": "Tocilizumab reservation released",
    "return_vial": "Tocilizumab vial returned to stock",
    "waste_vial": "Tocilizumab vial wasted",
    "expire_vials": "Tocilizumab vials marked expired",
    "print_handover": "Handover printed",
    "print_patient_summary": "Patient summary printed",
    "export_registry": "Registry export",
    "generate_history": "Test history generated",
    "user.create_first_admin": "First administrator set up",
    "user.create": "Account created",
    "user.set_password": "Password changed",
    "user.set_pin": "PIN set",
    "user.deactivate": "Account deactivated",
    "user.locked": "Account locked (too many failed attempts)",
    "user.login": "Signed in",
    "user.login_failed": "Sign-in failed",
    "user.login_refused_locked": "Sign-in refused: account locked",
    "user.login_refused_inactive": "Sign-in refused: account deactivated",
    "user.unlock": "Screen unlocked",
    "user.unlock_failed": "Unlock failed",
    "user.unlock_refused_locked": "Unlock refused: account locked",
    "user.unlock_refused_inactive": "Unlock refused: account deactivated",
}

# What the viewer asks for: the newest PAGE_SIZE events, PAGE_SIZE more with each "Show
# more", up to MOST_SHOWN (one more is read to know whether there are more; the service
# allows at most 5000 at a time).
PAGE_SIZE = 500
MOST_SHOWN = 4500


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


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
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == COL_ACTION:
            return f"{action_label(r.action)} (stored as {r.action})"
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return None
        values = (
            format_local(r.at, self._tz),
            r.username,
            r.role,
            r.workstation,
            action_label(r.action),
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
        f"{action_label(row.action)} by {row.username} ({row.role}) at {format_local(row.at)}"
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
        self.shown_limit = PAGE_SIZE
        self.episode = QLineEdit()
        self.episode.setAccessibleName("Filter by patient: episode number or NHS number")
        self.episode.setPlaceholderText("episode number, or the patient's NHS number")
        self.user = QLineEdit()
        self.user.setAccessibleName("Filter by username")
        self.action = QLineEdit()
        self.action.setAccessibleName("Filter by action")
        # Real names (the old example "assessment." matched nothing): an action in words as
        # the table shows it, or the start of a stored name ("user." = every account event).
        self.action.setPlaceholderText(
            "e.g. Assessment recorded, record_assessment, or user. for every account event")
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
        self.more_button = QPushButton(f"Show {PAGE_SIZE} &more")
        self.more_button.setAccessibleName("Show older events")
        self.more_button.clicked.connect(self.show_more)
        self.more_button.hide()

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
        filters.addRow("&Patient", self.episode)
        filters.addRow("&User", self.user)
        filters.addRow("&Action", self.action)
        dates = QHBoxLayout()
        dates.addWidget(self.use_dates)
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.date_to)
        dates.addWidget(self.apply_button)
        # A QLabel with a buddy: addRow("&Dates", layout) has no widget to give the
        # mnemonic to, so it showed a literal "&Dates". Alt+D ticks into the date filter.
        dates_label = QLabel("&Dates")
        dates_label.setBuddy(self.use_dates)
        filters.addRow(dates_label, dates)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.diff)
        message_row = QHBoxLayout()
        message_row.addWidget(self.message, 1)
        message_row.addWidget(self.more_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(message_row)
        layout.addWidget(split)

    def filters(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        patient = self.episode.text().strip()
        digits = patient.replace(" ", "").replace("-", "")
        if len(digits) == 10 and digits.isdigit():  # an NHS number (episode numbers are short)
            out["nhs_number"] = patient
        elif patient:
            out["episode_id"] = int(patient)  # ValueError handled by refresh
        if self.user.text().strip():
            out["username"] = self.user.text().strip()
        action = self.action.text().strip()
        if action:
            by_label = {label.lower(): key for key, label in ACTION_LABELS.items()}
            out["action"] = by_label.get(action.lower(), action)
        if self.use_dates.isChecked():
            start: date = self.date_from.date().toPython()  # type: ignore[assignment]
            end: date = self.date_to.date().toPython()  # type: ignore[assignment]
            out["date_from"] = datetime.combine(start, time(), self._tz).astimezone(UTC)
            # inclusive of the "to" day: up to the next local midnight
            after_end = datetime.combine(end + timedelta(days=1), time(), self._tz)
            out["date_to"] = after_end.astimezone(UTC)
        return out

    def refresh(self) -> None:
        """Apply the filters: the newest PAGE_SIZE events again."""
        self.shown_limit = PAGE_SIZE
        self._load()

    def show_more(self) -> None:
        self.shown_limit = min(self.shown_limit + PAGE_SIZE, MOST_SHOWN)
        self._load()

    def _load(self) -> None:
        try:
            rows = list(self._query(**self.filters(), limit=self.shown_limit + 1))
        except ValueError:
            self._refused("Episode must be a number (e.g. 12) or the patient's NHS number "
                          "(10 digits, e.g. 999 000 0018).")
            return
        except ServiceError as error:
            problems = getattr(error, "problems", None)
            self._refused("; ".join(p.message for p in problems) if problems else str(error))
            return
        more = len(rows) > self.shown_limit
        rows = rows[: self.shown_limit]
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()  # the Action column is read whole
        self.diff.clear()
        if more:
            self.message.setText(
                f"Newest {len(rows)} events shown — there are older ones: narrow the filters"
                + (", or show more." if self.shown_limit < MOST_SHOWN else "."))
        else:
            self.message.setText(f"{len(rows)} event{'s' if len(rows) != 1 else ''}.")
        self.more_button.setVisible(more and self.shown_limit < MOST_SHOWN)
        if rows:
            self.table.selectRow(0)

    def _refused(self, problem: str) -> None:
        """A refused filter empties the table (re-audit finding 10): the rows of the
        previous search under the error read as the filtered ones."""
        self.model.set_rows([])
        self.diff.clear()
        self.more_button.hide()
        self.message.setText(f"{problem} No events shown — correct the filter and press "
                             "Enter.")

    def _show_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.diff.setPlainText(describe_changes(self.model.row_at(current.row())))
