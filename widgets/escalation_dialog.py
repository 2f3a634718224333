"""Record the critical-care discussion of RULES E1: who was contacted, when, the outcome.

`values()` gives the keyword arguments of `app.services.alerts.record_discussion`
(clinician, discussed_at, outcome, detail). The service validates; problems come back
next to the fields through `show_problems` and the dialog stays open with what was typed.

Stale edits: when another workstation changed the alert first, `show_error(StaleEdit)`
shows "Changed by X at T — reload and try again" with a *Reload alert* button; it calls
`reload_alert()` (the owner's read of the alert) and `set_alert` shows the fresh alert —
its version is what the next save sends — keeping everything typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDateTime, QTimeZone
from PySide6.QtWidgets import (
    QButtonGroup,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.clock import format_local
from app.errors import FieldProblem, ServiceError, StaleEdit
from app.rows import AlertRow

OUTCOME_LABELS: dict[str, str] = {
    "transfer": "&Transfer to critical care",
    "stay_with_plan": "&Stay on the ward with a plan",
    "declined": "Transfer &declined (give the reason)",
}


class EscalationDialog(QDialog):
    def __init__(
        self,
        alert: AlertRow,
        patient_text: str,
        *,
        now: datetime,
        tz: ZoneInfo,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.alert = alert
        self.tz = tz
        self.submit: Callable[[dict[str, Any]], None] | None = None
        self.reload_alert: Callable[[], AlertRow] | None = None
        self.patient_text = patient_text
        self.setWindowTitle("Record critical-care discussion")
        layout = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setObjectName("heading")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self._show_heading()
        form = QFormLayout()
        self.clinician = QLineEdit()
        self.clinician.setObjectName("clinician")
        self.clinician.setPlaceholderText("name and grade, e.g. Dr A Patel, ICU registrar")
        label = QLabel("Critical-care &clinician")
        label.setBuddy(self.clinician)
        form.addRow(label, self.clinician)
        self.discussed_at = QDateTimeEdit()
        self.discussed_at.setObjectName("discussed_at")
        self.discussed_at.setDisplayFormat("dd MMM yyyy HH:mm")
        self.discussed_at.setTimeZone(QTimeZone(tz.key.encode()))
        self.discussed_at.setDateTime(QDateTime.fromSecsSinceEpoch(int(now.timestamp())))
        label = QLabel("Discussed &at")
        label.setBuddy(self.discussed_at)
        form.addRow(label, self.discussed_at)
        self.outcome_group = QButtonGroup(self)
        self.outcome_buttons: dict[str, QRadioButton] = {}
        outcome_box = QVBoxLayout()
        for key, text in OUTCOME_LABELS.items():
            button = QRadioButton(text)
            button.setObjectName(f"outcome_{key}")
            self.outcome_group.addButton(button)
            self.outcome_buttons[key] = button
            outcome_box.addWidget(button)
        form.addRow("Outcome", outcome_box)
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("detail")
        self.detail.setTabChangesFocus(True)
        self.detail.setFixedHeight(70)
        label = QLabel("&Plan or reason")
        label.setBuddy(self.detail)
        form.addRow(label, self.detail)
        layout.addLayout(form)
        self.problems_label = QLabel()
        self.problems_label.setObjectName("problems")
        self.problems_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.problems_label.setWordWrap(True)
        layout.addWidget(self.problems_label)
        self.reload_button = QPushButton("Re&load alert")
        self.reload_button.setObjectName("reloadAlert")
        self.reload_button.setAutoDefault(False)  # Enter still records the discussion
        self.reload_button.clicked.connect(self.reload)
        self.reload_button.setVisible(False)
        layout.addWidget(self.reload_button)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Record discussion")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Cancel — alert stays open")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 420)

    def _show_heading(self) -> None:
        alert = self.alert
        state = ""
        if alert.status == "acknowledged":
            state = (f"<br>Acknowledged by {alert.acknowledged_by} at "
                     f"{format_local(alert.acknowledged_at, self.tz)}")
        elif alert.status == "resolved":
            state = f"<br><b>Already resolved by {alert.resolved_by}:</b> {alert.resolved_reason}"
        self.heading.setText(
            f"<b>{self.patient_text}</b><br>{alert.message}<br>"
            f"Raised {format_local(alert.raised_at, self.tz)}{state}"
        )

    def set_alert(self, alert: AlertRow) -> None:
        """The alert as it now is (after a reload); what was typed stays."""
        self.alert = alert
        self._show_heading()

    def show_error(self, error: BaseException) -> None:
        """The owner's failure callback: problems by field, a stale edit with a reload."""
        problems = getattr(error, "problems", None)
        self.show_problems(problems if problems else str(error))
        stale = isinstance(error, StaleEdit)
        self.reload_button.setVisible(stale and self.reload_alert is not None)
        if stale and self.reload_alert is not None:
            self.reload_button.setFocus()

    def reload(self) -> None:
        if self.reload_alert is None:
            return
        try:
            alert = self.reload_alert()
        except ServiceError as error:
            self.show_problems(f"Could not reload the alert: {error}")
            return
        self.set_alert(alert)
        self.reload_button.setVisible(False)
        if alert.status == "resolved":
            self.show_problems("Reloaded: someone else has already closed this alert — nothing "
                               "more to record here (Cancel).")
        else:
            self.show_problems("Reloaded: check the alert above, then record the discussion "
                               "again (what you typed is kept).")

    def outcome(self) -> str:
        for key, button in self.outcome_buttons.items():
            if button.isChecked():
                return key
        return ""

    def values(self) -> dict[str, Any]:
        seconds = self.discussed_at.dateTime().toSecsSinceEpoch()
        return {
            "clinician": self.clinician.text().strip(),
            "discussed_at": datetime.fromtimestamp(seconds, tz=self.tz),
            "outcome": self.outcome(),
            "detail": self.detail.toPlainText().strip(),
        }

    def set_values(self, clinician: str, outcome: str, detail: str) -> None:
        self.clinician.setText(clinician)
        if outcome in self.outcome_buttons:
            self.outcome_buttons[outcome].setChecked(True)
        self.detail.setPlainText(detail)

    def show_problems(self, problems: list[FieldProblem] | str) -> None:
        if isinstance(problems, str):
            self.problems_label.setText(problems)
        else:
            self.problems_label.setText("\n".join(f"{p.field}: {p.message}" for p in problems))

    def accept(self) -> None:
        """With a `submit` callable set, OK saves first and closes only on success."""
        if self.submit is None:
            super().accept()
            return
        self.submit(self.values())

    def saved(self) -> None:
        super().accept()
