"""Record how an episode ends or escalates: discharge, death (with its attributed cause) or
transfer to intensive care.

RULES C6: grade 5 CRS or ICANS exists only as a death attributed to it, so the cause is
asked for explicitly (no default). The edit carries the episode version the dialog read;
if another workstation changed the episode meanwhile the service refuses (StaleEdit) and
the message says who changed it — the dialog keeps what was typed and offers *Reload
episode*, which re-reads the episode (its new version is what the next save sends).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QPushButton,
    QRadioButton,
    QWidget,
)

from app.actor import Actor
from app.context import AppContext
from app.errors import ServiceError, StaleEdit
from app.rows import EpisodeHeader
from app.services import patients as patient_service
from app.services import ward as ward_service
from widgets.form_dialog import FormDialog, make_datetime_edit, named, read_datetime
from widgets.identity_header import IdentityHeader

OUTCOMES = {
    "discharge": "D&ischarge",
    "death": "Dea&th",
    "icu_transfer": "&ICU transfer",
}
CAUSE_LABELS = {
    "crs": "CRS (grade 5 CRS)",
    "icans": "ICANS (grade 5 ICANS)",
    "disease_progression": "Disease progression",
    "infection": "Infection",
    "other": "Other cause",
}
TIME_FIELDS = ("discharged_at", "died_at", "icu_transfer_at")


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

    def _load(self) -> None:
        try:
            self.header = ward_service.episode_header(self.ctx, self.actor, self.episode_id)
        except ServiceError as exc:
            self.set_top_error(str(exc))
            return
        self.identity.set_header(self.header)
        self._update_save()

    def show_error(self, error: BaseException) -> None:
        super().show_error(error)  # "Not saved — Changed by X at T — reload and try again."
        stale = isinstance(error, StaleEdit)
        self.reload_button.setVisible(stale)
        if stale:
            self.reload_button.setFocus()

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
        self.save_button.setText({"discharge": "&Save discharge", "death": "&Save death",
                                  "icu_transfer": "&Save ICU transfer"}[self.outcome()])
        self._update_save()

    def can_save(self) -> bool:
        if self.header is None:
            return False
        return self.outcome() != "death" or self.cause.currentIndex() >= 0

    def _update_save(self) -> None:
        self.save_button.setEnabled(self.can_save())
        self.save_button.setToolTip("" if self.can_save() else
                                    "Choose the attributed cause of death first")

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
            self.run(lambda: patient_service.record_discharge(
                ctx, actor, episode_id, at=at, expected_version=version), self.saved)
