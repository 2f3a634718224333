"""Record the critical-care discussion of RULES E1: who was contacted, when, the outcome.

`values()` gives the keyword arguments of `app.services.alerts.record_discussion`
(clinician, discussed_at, outcome, detail). The service validates; problems come back
through `show_problems`: each one under the field it concerns, in ward words (the
service's "outcome is transfer, stay_with_plan or declined" means nothing at the bedside),
listed again in the box at the top, and the keyboard goes to the first field in error in
the dialog's order. The dialog stays open with everything typed.

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

from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
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
from widgets.form_dialog import (
    ERROR_STYLE,
    TOP_ERROR_STYLE,
    WARNING_PREFIX,
    make_datetime_edit,
)

OUTCOME_LABELS: dict[str, str] = {
    "transfer": "&Transfer to critical care",
    "stay_with_plan": "&Stay on the ward with a plan",
    "declined": "Transfer &declined (give the reason)",
}

# The service's field names in the order the dialog shows them: the first one in error
# gets the keyboard, whatever order the service listed its problems in.
FIELD_ORDER: tuple[str, ...] = ("clinician", "discussed_at", "outcome", "detail")

# What each problem means at the bedside. The service's own wording names its internal
# values ("outcome is transfer, stay_with_plan or declined"); the dialog says it in the
# words of its own labels. `detail` depends on the outcome chosen (see `ward_message`).
WARD_MESSAGES: dict[str, str] = {
    "clinician": "Name the critical-care clinician you spoke to",
    "discussed_at": "The discussion time is in the future — check the date and time",
    "outcome": ("Choose the outcome: transfer to critical care, stay on the ward with a "
                "plan, or transfer declined"),
}
# The service refuses a discussion timed well before the alert (a slip of the day or month);
# the dialog names the raise time it shows in its heading, so the nurse sees what to fix.
BEFORE_RAISED_MESSAGE = ("The discussion time is before the alert was raised ({raised}) — "
                         "check the date and time")
DETAIL_MESSAGES: dict[str, str] = {
    "stay_with_plan": "Write the plan for staying on the ward",
    "declined": "Write the reason the transfer was declined",
}


def ward_message(problem: FieldProblem, outcome: str, before_raised: str | None = None) -> str:
    """The problem in ward words; a field the dialog does not know keeps the service's text
    (it is already written for users, e.g. "alert already resolved by …").
    `before_raised`: the alert's raise time when the typed discussion time is before it
    (then a discussion-time problem is that one, not "in the future")."""
    if problem.field == "discussed_at" and before_raised is not None:
        return BEFORE_RAISED_MESSAGE.format(raised=before_raised)
    if problem.field == "detail":
        return DETAIL_MESSAGES.get(outcome, problem.message[:1].upper() + problem.message[1:])
    return WARD_MESSAGES.get(problem.field, problem.message[:1].upper() + problem.message[1:])


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
        # The box for what is not a single field's problem (a stale edit, a reload) and
        # the list of field problems: at the top, where the eye starts (as FormDialog).
        self.problems_label = QLabel()
        self.problems_label.setObjectName("problems")
        self.problems_label.setStyleSheet(TOP_ERROR_STYLE)
        self.problems_label.setWordWrap(True)
        self.problems_label.setAccessibleName("Problems")
        self.problems_label.setVisible(False)
        layout.addWidget(self.problems_label)
        self.reload_button = QPushButton("Re&load alert")
        self.reload_button.setObjectName("reloadAlert")
        self.reload_button.setAutoDefault(False)  # Enter still records the discussion
        self.reload_button.clicked.connect(self.reload)
        self.reload_button.setVisible(False)
        layout.addWidget(self.reload_button)
        form = QFormLayout()
        # service field -> the error line under its widget, and the widget focused for it
        self.field_errors: dict[str, QLabel] = {}
        self.field_widgets: dict[str, QWidget] = {}
        self.clinician = QLineEdit()
        self.clinician.setObjectName("clinician")
        self.clinician.setPlaceholderText("name and grade, e.g. Dr A Patel, ICU registrar")
        label = QLabel("Critical-care &clinician")
        label.setBuddy(self.clinician)
        form.addRow(label, self._with_error_line(self.clinician, "clinician"))
        self.discussed_at = make_datetime_edit(now, tz, "discussed_at")
        label = QLabel("Discussed &at")
        label.setBuddy(self.discussed_at)
        form.addRow(label, self._with_error_line(self.discussed_at, "discussed_at"))
        self.outcome_group = QButtonGroup(self)
        self.outcome_buttons: dict[str, QRadioButton] = {}
        outcome_widget = QWidget()
        outcome_widget.setObjectName("outcome")
        outcome_box = QVBoxLayout(outcome_widget)
        outcome_box.setContentsMargins(0, 0, 0, 0)
        for key, text in OUTCOME_LABELS.items():
            button = QRadioButton(text)
            button.setObjectName(f"outcome_{key}")
            self.outcome_group.addButton(button)
            self.outcome_buttons[key] = button
            outcome_box.addWidget(button)
        form.addRow("Outcome", self._with_error_line(outcome_widget, "outcome"))
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("detail")
        self.detail.setTabChangesFocus(True)
        self.detail.setFixedHeight(70)
        label = QLabel("&Plan or reason")
        label.setBuddy(self.detail)
        form.addRow(label, self._with_error_line(self.detail, "detail"))
        layout.addLayout(form)
        layout.addStretch(1)  # spare height above the buttons, not inside the rows
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Record discussion")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Cancel — alert stays open")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 420)

    def _with_error_line(self, widget: QWidget, field: str) -> QWidget:
        """The widget with its (hidden) error line beneath, as FormDialog.add_row does."""
        error = QLabel()
        error.setObjectName(f"error_{field}")
        error.setWordWrap(True)
        error.setStyleSheet(ERROR_STYLE)
        error.setVisible(False)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        column.addWidget(error)
        column.addStretch(1)  # spare height goes below the error line, never between
        self.field_errors[field] = error
        self.field_widgets[field] = widget
        return box

    def _focus_target(self, field: str) -> QWidget:
        """The widget that takes the keyboard for a field: for the outcome, the chosen
        button (or the first), since the group box itself cannot be typed into."""
        if field == "outcome":
            checked: QAbstractButton | None = self.outcome_group.checkedButton()
            return checked or self.outcome_buttons["transfer"]
        return self.field_widgets[field]

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

    def clear_problems(self) -> None:
        self.problems_label.clear()
        self.problems_label.setVisible(False)
        for field, label in self.field_errors.items():
            label.clear()
            label.setVisible(False)
            self.field_widgets[field].setAccessibleDescription("")

    def show_problems(self, problems: list[FieldProblem] | str) -> None:
        """A message for the whole dialog (str), or the service's field problems: each
        under its field in ward words, listed at the top too (read first by a screen
        reader), and the keyboard on the first field in error in the dialog's order."""
        self.clear_problems()
        if isinstance(problems, str):
            self.problems_label.setText(problems)
            self.problems_label.setVisible(bool(problems))
            return
        outcome = self.outcome()
        before_raised = None
        if self.values()["discussed_at"] < self.alert.raised_at:
            before_raised = format_local(self.alert.raised_at, self.tz)
        summary: list[str] = []
        for problem in problems:
            message = ward_message(problem, outcome, before_raised)
            summary.append(WARNING_PREFIX + message)
            label = self.field_errors.get(problem.field)
            if label is None:  # not one of the dialog's fields: the top box says it
                continue
            text = WARNING_PREFIX + message
            label.setText(f"{label.text()}\n{text}" if label.text() else text)
            label.setVisible(True)
            self.field_widgets[problem.field].setAccessibleDescription(label.text())
        self.problems_label.setText("Not recorded yet:\n" + "\n".join(summary))
        self.problems_label.setVisible(True)
        in_error = {p.field for p in problems}
        first = next((f for f in FIELD_ORDER if f in in_error), None)
        if first is not None:
            self._focus_target(first).setFocus()

    def accept(self) -> None:
        """With a `submit` callable set, OK saves first and closes only on success."""
        if self.submit is None:
            super().accept()
            return
        self.clear_problems()  # the answer brings back whatever is still wrong
        self.submit(self.values())

    def saved(self) -> None:
        super().accept()
