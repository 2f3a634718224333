"""Record how an episode ends or escalates: discharge, death (with its attributed cause) or
transfer to intensive care.

RULES C6: grade 5 CRS or ICANS exists only as a death attributed to it, so the cause is
asked for explicitly (no default). The edit carries the episode version the dialog read;
if another workstation changed the episode meanwhile the service refuses (StaleEdit) and
the message says who changed it — the dialog keeps what was typed and offers *Reload
episode*, which re-reads the episode (its new version is what the next save sends).

The episode's open alerts are listed, with what the chosen outcome does to them
(`app.services.patients`): a discharge or a death closes them ("patient discharged",
"patient died"); an ICU transfer leaves them open (the patient is still monitored, and a
critical-care alert closes only with the recorded discussion, RULES E1). While a
critical-care alert is open a discharge needs a reason: the reason field shows before the
first save, and the service's ConfirmationRequired is the authority.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from app.actor import Actor
from app.clock import format_local
from app.context import AppContext
from app.errors import ConfirmationRequired, ServiceError, StaleEdit
from app.rows import AlertRow, EpisodeHeader
from app.services import patients as patient_service
from app.services import ward as ward_service
from widgets.form_dialog import (
    NOTE_STYLE,
    TOP_ERROR_STYLE,
    FormDialog,
    make_datetime_edit,
    named,
    read_datetime,
)
from widgets.identity_header import IdentityHeader

OUTCOMES = {
    "discharge": "D&ischarge",
    "death": "Dea&th",
    "icu_transfer": "IC&U transfer",  # Alt+I is Discharge's
}
CAUSE_LABELS = {
    "crs": "CRS (grade 5 CRS)",
    "icans": "ICANS (grade 5 ICANS)",
    "disease_progression": "Disease progression",
    "infection": "Infection",
    "other": "Other cause",
}
TIME_FIELDS = ("discharged_at", "died_at", "icu_transfer_at")
WHAT_HAPPENS = {
    "discharge": "Saving the discharge closes them as “patient discharged”.",
    "death": "Saving the death closes them as “patient died”.",
    "icu_transfer": "They stay open after the ICU transfer: the patient is still monitored. "
                    "A critical-care alert closes only when the discussion is recorded "
                    "(Record discussion…, outcome “transfer to critical care”).",
}


def alert_line(alert: AlertRow, tz: ZoneInfo) -> str:
    """The critical-care alert with its message (which grade, when); the others by title
    (their full message is in the alerts list)."""
    overdue = " — OVERDUE" if alert.deadline_passed else ""
    raised = f"raised {format_local(alert.raised_at, tz)}"
    if alert.kind == "critical_care":
        return f"⚠ {alert.title}: {alert.message} ({raised}){overdue}"
    return f"• {alert.title} ({raised}){overdue}"


def alerts_text(alerts: tuple[AlertRow, ...], outcome: str, tz: ZoneInfo) -> str:
    """The open alerts and what the chosen outcome does to them; "" when there are none."""
    if not alerts:
        return ""
    lines = [f"Open alerts for this patient ({len(alerts)}):"]
    lines += [alert_line(a, tz) for a in alerts]
    lines.append(WHAT_HAPPENS[outcome])
    return "\n".join(lines)


class OutcomeDialog(FormDialog):
    def __init__(
        self,
        ctx: AppContext,
        actor: Actor,
        episode_id: int,
        *,
        outcome: str = "discharge",
        executor: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, actor, title="Record discharge, death or ICU transfer",
                         save_text="&Save", executor=executor, parent=parent)
        self.episode_id = episode_id
        self.header: EpisodeHeader | None = None
        self.reason_asked = False  # the service asked for a reason (ConfirmationRequired)
        self.identity = IdentityHeader(ctx.tz)
        self.layout_.insertWidget(0, self.identity)
        self.layout_.addLayout(self.form)

        self.outcome_group = QButtonGroup(self)
        self.outcome_buttons: dict[str, QRadioButton] = {}
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        for key, text in OUTCOMES.items():
            button = named(QRadioButton(text), f"outcome_{key}")
            self.outcome_group.addButton(button)
            self.outcome_buttons[key] = button
            row.addWidget(button)
            button.toggled.connect(lambda _on: self._outcome_changed())
        box.setAccessibleName("Outcome")
        self.add_row("Outcome", box, "outcome", "status", tab=False)
        self.at = make_datetime_edit(ctx.clock(), ctx.tz, "at")
        self.add_row("&When", self.at, "at", *TIME_FIELDS)
        self.cause = named(QComboBox(), "cause")
        for key, text in CAUSE_LABELS.items():
            self.cause.addItem(text, key)
        self.cause.setPlaceholderText("choose the attributed cause…")
        self.cause.setCurrentIndex(-1)
        self.cause_label = self.add_row("Attributed &cause", self.cause, "cause")
        self.cause.currentIndexChanged.connect(lambda _i: self._update_save())
        self.reason = named(QLineEdit(), "reason")
        self.reason.setPlaceholderText(
            "why the patient is discharged before the critical-care discussion is recorded")
        self.reason_label = self.add_row("&Reason to discharge now", self.reason, "reason")
        self.reason.textChanged.connect(lambda _t: self._update_save())
        self.alerts_label = named(QLabel(), "openAlerts")
        self.alerts_label.setWordWrap(True)
        self.alerts_label.hide()
        self.layout_.insertWidget(self.layout_.indexOf(self.identity) + 1, self.alerts_label)
        self.reload_button = named(QPushButton("Re&load episode"), "reloadEpisode")
        self.reload_button.clicked.connect(self.reload)
        self.reload_button.setVisible(False)
        self.layout_.insertWidget(self.layout_.indexOf(self.top_error) + 1, self.reload_button)
        self.finish_layout()
        # Arrow keys move between radio buttons; Tab enters the group at the checked one.
        QWidget.setTabOrder(self.outcome_buttons["icu_transfer"], self.at)
        self.outcome_buttons.get(outcome, self.outcome_buttons["discharge"]).setChecked(True)
        self._load()
        self.checked_button().setFocus()
        self.resize(600, self.sizeHint().height())
        self._fit_height()

    def _load(self) -> None:
        try:
            self.header = ward_service.episode_header(self.ctx, self.actor, self.episode_id)
        except ServiceError as exc:
            self.set_top_error(str(exc))
            return
        self.identity.set_header(self.header)
        self._outcome_changed()

    @property
    def open_alerts(self) -> tuple[AlertRow, ...]:
        return () if self.header is None else self.header.open_alerts

    @property
    def critical_care_open(self) -> bool:
        return any(a.kind == "critical_care" for a in self.open_alerts)

    @property
    def needs_reason(self) -> bool:
        """RULES E1: a discharge with the critical-care discussion not recorded."""
        return self.outcome() == "discharge" and self.critical_care_open

    def _show_alerts(self) -> None:
        text = alerts_text(self.open_alerts, self.outcome(), self.ctx.tz)
        if self.needs_reason:
            text += ("\nThe critical-care discussion has not been recorded (RULES E1): "
                     "record it first (Record discussion…), or give the reason to discharge "
                     "now.")
        self.alerts_label.setText(text)
        self.alerts_label.setAccessibleName(text)
        self.alerts_label.setStyleSheet(TOP_ERROR_STYLE if self.needs_reason
                                        else f"QLabel {{ {NOTE_STYLE} }}")
        self.alerts_label.setVisible(bool(text))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # The labels' heights are right only once they are polished and laid out.
        QTimer.singleShot(0, self, self._fit_height)

    def _fit_height(self) -> None:
        """Grow to show the alert list and every error line at the present width."""
        needed = self.layout_.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def confirmation_needed(self, error: ConfirmationRequired) -> None:
        """The service found an open critical-care alert (one raised since the dialog
        opened, perhaps): show it and ask for the reason."""
        self.reason_asked = True
        self._load()
        self.reason.setVisible(True)
        self.reason_label.setVisible(True)
        self.show_problems(error.problems, "Not saved — the critical-care discussion is not "
                                           "recorded:")
        self.reason.setFocus()

    def show_error(self, error: BaseException) -> None:
        super().show_error(error)  # "Not saved — Changed by X at T — reload and try again."
        stale = isinstance(error, StaleEdit)
        self.reload_button.setVisible(stale)
        if stale:
            self.reload_button.setFocus()
        self._fit_height()

    def reload(self) -> None:
        """Re-read the episode another workstation changed; the outcome, time and cause
        typed here stay as they are."""
        self.clear_errors()
        self.reload_button.setVisible(False)
        self._load()
        if self.header is not None:
            self.set_top_error(
                f"Reloaded: the episode is now {self.header.status}. Check, then save again.")
        self.save_button.setFocus()

    def checked_button(self) -> QRadioButton:
        return self.outcome_buttons[self.outcome()]

    def outcome(self) -> str:
        return next((k for k, b in self.outcome_buttons.items() if b.isChecked()), "discharge")

    def _outcome_changed(self) -> None:
        death = self.outcome() == "death"
        self.cause.setVisible(death)
        self.cause_label.setVisible(death)
        asked = self.needs_reason or (self.reason_asked and self.outcome() == "discharge")
        self.reason.setVisible(asked)
        self.reason_label.setVisible(asked)
        self.save_button.setText({"discharge": "&Save discharge", "death": "&Save death",
                                  "icu_transfer": "&Save ICU transfer"}[self.outcome()])
        self._show_alerts()
        self._update_save()
        self._fit_height()

    def can_save(self) -> bool:
        if self.header is None:
            return False
        if self.needs_reason and not self.reason.text().strip():
            return False
        return self.outcome() != "death" or self.cause.currentIndex() >= 0

    def _update_save(self) -> None:
        self.save_button.setEnabled(self.can_save())
        if self.can_save():
            self.save_button.setToolTip("")
        elif self.needs_reason:
            self.save_button.setToolTip(
                "Give the reason to discharge before the critical-care discussion is "
                "recorded, or record the discussion first")
        else:
            self.save_button.setToolTip("Choose the attributed cause of death first")

    def submit(self) -> None:
        if self.header is None:
            return
        ctx, actor, episode_id = self.ctx, self.actor, self.episode_id
        at = read_datetime(self.at, ctx.tz)
        version = self.header.version
        outcome = self.outcome()
        if outcome == "death":
            cause = self.cause.currentData() or ""
            self.run(lambda: patient_service.record_death(
                ctx, actor, episode_id, at=at, cause=cause, expected_version=version),
                self.saved)
        elif outcome == "icu_transfer":
            self.run(lambda: patient_service.record_icu_transfer(
                ctx, actor, episode_id, at=at, expected_version=version), self.saved)
        else:
            asked = self.needs_reason or self.reason_asked
            reason = self.reason.text().strip() if asked else ""
            self.run(lambda: patient_service.record_discharge(
                ctx, actor, episode_id, at=at, expected_version=version,
                reason=reason or None), self.saved)
