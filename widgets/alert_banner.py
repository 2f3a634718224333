"""The persistent alert banner of the patient view (RULES E1).

An open critical-care alert cannot be closed from here: the only ways on are "Record
discussion…" (clinician, time, outcome: resolves it) and "Acknowledge — discussion
pending" (seen, it stays). Other open alerts are listed as text. When the banner's alert is
of another kind (say a tocilizumab resupply) the button is a plain "Acknowledge": RULES E1's
discussion belongs to the critical-care alert only, and acknowledging any alert only
records that it was seen (app.services.alerts.acknowledge_alert). Colour is a second cue
only: every line starts with a word ("CRITICAL-CARE", "Acknowledged by …").

When another workstation changed the alert first (StaleEdit), `show_conflict(message)`
puts the message ("Changed by X at T — reload and try again") in the banner with a
"Reload alert" button (`reload_requested`); the next `set_alerts` shows the alert as it now
is and clears the message. The patient's unsaved form is a separate widget: untouched.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.clock import WARD_TZ, format_local
from app.rows import AlertRow

ACKNOWLEDGE_SHORTCUT = "Ctrl+Shift+K"


def acknowledge_texts(alert: AlertRow) -> tuple[str, str]:
    """(button text, accessible name) for acknowledging this alert: "discussion pending"
    only where a discussion is what closes it (RULES E1, critical care)."""
    if alert.kind == "critical_care":
        return (f"Acknowledge — discussion pending ({ACKNOWLEDGE_SHORTCUT})",
                "Acknowledge alert, discussion pending")
    return f"Acknowledge ({ACKNOWLEDGE_SHORTCUT})", f"Acknowledge alert: {alert.title}"


def alert_age(alert: AlertRow, now: datetime) -> str:
    minutes = max(int((now - alert.raised_at).total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} days"


def alert_state_text(alert: AlertRow, tz: ZoneInfo = WARD_TZ) -> str:
    if alert.status == "acknowledged":
        seen = (f"Acknowledged by {alert.acknowledged_by} at "
                f"{format_local(alert.acknowledged_at, tz)}")
        # Only a critical-care alert waits for a discussion (RULES E1).
        return seen + (" — discussion still to be recorded"
                       if alert.kind == "critical_care" else "")
    if alert.status == "resolved":
        return f"Resolved by {alert.resolved_by}: {alert.resolved_reason}"
    return "Not yet acknowledged"


class AlertBanner(QFrame):
    record_discussion_requested = Signal(object)  # AlertRow
    acknowledge_requested = Signal(object)  # AlertRow
    reload_requested = Signal()

    def __init__(self, tz: ZoneInfo = WARD_TZ, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertBanner")
        self.tz = tz
        self.critical: AlertRow | None = None
        self.alerts: tuple[AlertRow, ...] = ()
        self.setStyleSheet(
            "#alertBanner { background: #b71c1c; border: 2px solid #4a0000; }"
            " #alertBanner QLabel { color: white; }"
        )
        layout = QHBoxLayout(self)
        text_box = QVBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("alertTitle")
        self.title.setWordWrap(True)
        self.detail = QLabel()
        self.detail.setObjectName("alertDetail")
        self.detail.setWordWrap(True)
        self.conflict = QLabel()
        self.conflict.setObjectName("alertConflict")
        self.conflict.setWordWrap(True)
        self.conflict.setVisible(False)
        text_box.addWidget(self.title)
        text_box.addWidget(self.detail)
        text_box.addWidget(self.conflict)
        layout.addLayout(text_box, 1)
        self.reload_button = QPushButton("Re&load alert")
        self.reload_button.setObjectName("reloadAlert")
        self.reload_button.setAccessibleName("Reload the alert as it now is")
        self.reload_button.clicked.connect(self.reload_requested)
        self.reload_button.setVisible(False)
        layout.addWidget(self.reload_button)
        self.discussion_button = QPushButton("Record discussion… (Ctrl+Shift+D)")
        self.discussion_button.setObjectName("recordDiscussion")
        self.discussion_button.setAccessibleName("Record critical-care discussion")
        self.discussion_button.clicked.connect(self._discussion)
        self.acknowledge_button = QPushButton(f"Acknowledge ({ACKNOWLEDGE_SHORTCUT})")
        self.acknowledge_button.setObjectName("acknowledgeAlert")
        self.acknowledge_button.setAccessibleName("Acknowledge alert")  # set per alert
        self.acknowledge_button.clicked.connect(self._acknowledge)
        layout.addWidget(self.discussion_button)
        layout.addWidget(self.acknowledge_button)
        self.setVisible(False)

    def show_conflict(self, message: str) -> None:
        """Someone else changed the alert first: say who and when, offer to reload."""
        self.conflict.setText(f"<b>⚠ Not done:</b> {message}")
        self.conflict.setVisible(True)
        self.reload_button.setVisible(True)
        self.reload_button.setFocus()
        self.setVisible(True)

    def set_alerts(self, alerts: tuple[AlertRow, ...], now: datetime) -> None:
        self.conflict.clear()
        self.conflict.setVisible(False)
        self.reload_button.setVisible(False)
        self.alerts = tuple(sorted((a for a in alerts if a.is_open), key=lambda a: -a.severity))
        self.critical = next((a for a in self.alerts if a.kind == "critical_care"), None)
        if not self.alerts:
            self.setVisible(False)
            self.setAccessibleName("")
            return
        first = self.critical or self.alerts[0]
        prefix = "CRITICAL-CARE DISCUSSION NEEDED" if self.critical else "OPEN ALERT"
        overdue = " — DISCUSSION OVERDUE" if first.deadline_passed else ""
        self.title.setText(
            f"<b>⚠ {prefix}{overdue}:</b> {first.message} "
            f"(raised {format_local(first.raised_at, self.tz)}, {alert_age(first, now)} ago)"
        )
        lines = [alert_state_text(first, self.tz)]
        others = [f"{a.title} ({alert_age(a, now)})" for a in self.alerts if a is not first]
        if others:
            lines.append("Also open: " + " · ".join(others))
        self.detail.setText("\n".join(lines))
        self.setToolTip("\n".join(f"{a.title}: {a.message}" for a in self.alerts))
        self.discussion_button.setVisible(self.critical is not None)
        # The button acknowledges `first` (see _acknowledge): its words fit that alert.
        text, accessible = acknowledge_texts(first)
        self.acknowledge_button.setText(text)
        self.acknowledge_button.setAccessibleName(accessible)
        self.acknowledge_button.setVisible(first.status == "raised")
        self.setAccessibleName(f"{prefix}: {first.message}")
        self.setVisible(True)

    def _discussion(self) -> None:
        if self.critical is not None:
            self.record_discussion_requested.emit(self.critical)

    def _acknowledge(self) -> None:
        first = self.critical or (self.alerts[0] if self.alerts else None)
        if first is not None:
            self.acknowledge_requested.emit(first)
