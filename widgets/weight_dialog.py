"""Update weight…: re-weigh the patient, or correct a weight typed wrongly at registration.

The episode's weight is what every tocilizumab dose is calculated from (RULES E5: mg/kg,
the 800 mg cap, 12 mg/kg under 30 kg), so a stale or mistyped weight makes every
calculated dose and the stock reservation wrong. The dialog shows the weight now used
and when it was measured, takes the new weight (kg) and the date it was measured (today
by default), and stores it with `patients.update_weight` through the window's executor.

Bad input is refused next to its field and nothing typed is cleared. The edit carries
the episode version the dialog read: if another workstation changed the episode
meanwhile the service refuses (StaleEdit); *Reload episode* re-reads it, keeping what was
typed, and the next save sends the new version.

An improbable weight (a change of more than 20 %, or an adult falling under 30 kg: RULES
E5) comes back from the service as ConfirmationRequired: the dialog then shows the change
("95 kg → 9.5 kg (−90 %)") and a reason field, and the next save sends the reason, which
the audit event keeps. Changing the weight typed withdraws the question.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget

from app.actor import Actor
from app.context import AppContext
from app.errors import ConfirmationRequired, FieldProblem, ServiceError, StaleEdit
from app.rows import EpisodeHeader
from app.services import administrations as administration_service
from app.services import patients as patient_service
from app.services import ward as ward_service
from app.validation.parsing import Bad, parse_number
from widgets.form_dialog import (
    NOTE_STYLE,
    TOP_ERROR_STYLE,
    FormDialog,
    named,
    parse_date,
)
from widgets.identity_header import IdentityHeader

WEIGHT_EXAMPLE = "e.g. 72.5"


def weight_words(weight_kg: float, weighed_on: date, today: date) -> str:
    """'95 kg, weighed 26 Nov 2026 (12 days ago — re-weigh before dosing?)'."""
    days = (today - weighed_on).days
    age = {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")
    stale = administration_service.weight_age_warning(weighed_on, today)
    return (f"{weight_kg:g} kg, weighed {weighed_on:%d %b %Y} "
            f"({stale if stale else age})")


class WeightDialog(FormDialog):
    def __init__(
        self,
        ctx: AppContext,
        actor: Actor,
        episode_id: int,
        *,
        executor: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, actor, title="Update weight", save_text="&Save weight",
                         executor=executor, parent=parent)
        self.episode_id = episode_id
        self.header: EpisodeHeader | None = None
        self.identity = IdentityHeader(ctx.tz)
        self.layout_.insertWidget(0, self.identity)
        self.reload_button = named(QPushButton("Re&load episode"), "reloadEpisode")
        self.reload_button.clicked.connect(self.reload)
        self.reload_button.setVisible(False)
        self.layout_.insertWidget(self.layout_.indexOf(self.top_error) + 1, self.reload_button)
        self.layout_.addLayout(self.form)

        self.current = named(QLabel("—"), "current_weight")
        self.current.setWordWrap(True)
        self.form.addRow("Weight now used", self.current)
        self.weight = named(QLineEdit(), "weight_kg")
        self.weight.setPlaceholderText(f"kg, {WEIGHT_EXAMPLE}")
        self.add_row("New &weight (kg)", self.weight, "weight_kg")
        self.weighed_on = named(QLineEdit(f"{self._today():%d/%m/%Y}"), "weight_recorded_on")
        self.weighed_on.setPlaceholderText("day/month/year, e.g. 10/03/2026")
        self.add_row("&Date weighed", self.weighed_on, "weight_recorded_on")
        # Shown only when the service asks (ConfirmationRequired): the change, and why.
        self.change = named(QLabel(""), "weight_change")
        self.change.setWordWrap(True)
        self.change.setStyleSheet(TOP_ERROR_STYLE)
        self.change.setVisible(False)
        self.layout_.insertWidget(self.layout_.indexOf(self.form), self.change)
        self.reason = named(QLineEdit(), "reason")
        self.reason.setPlaceholderText("e.g. re-weighed on the ward scales today")
        self.reason_label = self.add_row("&Reason for this weight", self.reason, "reason")
        self.reason.setVisible(False)
        self.reason_label.setVisible(False)
        self.weight.textEdited.connect(lambda _t: self._withdraw_question())
        note = named(QLabel(
            "Tocilizumab doses are calculated from this weight (RULES E5). To correct a "
            "weight typed wrongly, type the right weight and the date it was measured."),
            "weight_note")
        note.setWordWrap(True)
        note.setStyleSheet(NOTE_STYLE)
        self.layout_.addWidget(note)
        self.finish_layout()
        self._load()
        self.weight.setFocus()
        self.resize(520, self.sizeHint().height())

    def _today(self) -> date:
        return self.ctx.clock().astimezone(self.ctx.tz).date()

    def _load(self) -> None:
        try:
            self.header = ward_service.episode_header(self.ctx, self.actor, self.episode_id)
        except ServiceError as exc:
            self.header = None
            self.set_top_error(str(exc))
            self.save_button.setEnabled(False)
            return
        self.identity.set_header(self.header)
        self.current.setText(weight_words(self.header.weight_kg, self.header.weight_recorded_on,
                                          self._today()))
        self.save_button.setEnabled(True)

    def can_save(self) -> bool:
        return self.header is not None

    def show_error(self, error: BaseException) -> None:
        super().show_error(error)  # "Not saved — Changed by X at T — reload and try again."
        stale = isinstance(error, StaleEdit)
        self.reload_button.setVisible(stale)
        if stale:
            self.reload_button.setFocus()
        self._fit_height()

    def confirmation_needed(self, error: ConfirmationRequired) -> None:
        """The weight is improbable (RULES E5): name the change and ask for the reason."""
        weight, _on, _problems = self.typed()
        if self.header is not None and weight is not None:
            self.change.setText(patient_service.weight_change_text(self.header.weight_kg,
                                                                   weight))
            self.change.setVisible(True)
        self.reason.setVisible(True)
        self.reason_label.setVisible(True)
        self.show_problems(error.problems, "Not saved — check this weight:")
        self.reason.setFocus()
        self._fit_height()

    def _withdraw_question(self) -> None:
        """A new weight typed: the reason asked for the old one no longer applies."""
        if self.reason.isHidden():
            return
        self.reason.clear()
        self.reason.setVisible(False)
        self.reason_label.setVisible(False)
        self.change.setVisible(False)
        self.clear_errors()

    def _fit_height(self) -> None:
        """Grow to show every wrapped error line at the present width."""
        needed = self.layout_.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def reload(self) -> None:
        """Re-read the episode another workstation changed; what was typed here stays."""
        self.clear_errors()
        self.reload_button.setVisible(False)
        self._load()
        if self.header is not None:
            self.set_top_error(f"Reloaded: the weight now stored is {self.current.text()}. "
                               "Check, then save again.")
        self.save_button.setFocus()

    # --- values -------------------------------------------------------------------------------
    def typed(self) -> tuple[float | None, date | None, list[FieldProblem]]:
        """The weight and date as typed, or what to put right (ward words)."""
        problems: list[FieldProblem] = []
        weight: float | None = None
        number = parse_number(self.weight.text(), "kg")
        if number is None:
            problems.append(FieldProblem("weight_kg", f"Type the weight in kg, {WEIGHT_EXAMPLE}"))
        elif isinstance(number, Bad):
            problems.append(FieldProblem(
                "weight_kg", f"{number.reason} — type the weight in kg, {WEIGHT_EXAMPLE}"))
        else:
            weight = float(number)
        weighed_on: date | None = None
        if not self.weighed_on.text().strip():
            problems.append(FieldProblem(
                "weight_recorded_on", "Type the date the patient was weighed, e.g. "
                                      f"{self._today():%d/%m/%Y}"))
        else:
            try:
                weighed_on = parse_date(self.weighed_on.text())
            except ValueError as exc:
                problems.append(FieldProblem("weight_recorded_on", str(exc)))
        return weight, weighed_on, problems

    def submit(self) -> None:
        if self.header is None:
            return
        weight, weighed_on, problems = self.typed()
        if problems or weight is None:
            self.show_problems(problems, "Not saved — please correct the marked fields.")
            return
        ctx, actor, episode_id, version = self.ctx, self.actor, self.episode_id, self.header.version
        reason = self.reason.text().strip() if not self.reason.isHidden() else ""
        if not self.reason.isHidden() and not reason:
            self.show_problems([FieldProblem("reason", "Give the reason to store this weight")],
                               "Not saved — check this weight:")
            return
        self.run(lambda: patient_service.update_weight(
            ctx, actor, episode_id, weight, recorded_on=weighed_on, expected_version=version,
            reason=reason or None),
            self.saved)
