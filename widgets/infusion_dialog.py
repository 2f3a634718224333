"""Record the CAR-T infusion (day 0) behind the tocilizumab readiness check (RULES E6).

The check is shown before anything is typed: met ("1 dose of 640 mg reserved") or short,
in the service's own words ("needs 1 dose of 640 mg; reserved 400 mg"). When short, only a
haematologist may record the infusion, with a reason; for anyone else the reason field and
the save button are disabled and their tooltips say why. The service is still the
authority (it refuses a nurse's override with PermissionDenied).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from app.actor import Actor
from app.clock import format_local
from app.context import AppContext
from app.errors import ConfirmationRequired, ServiceError
from app.permissions import Action, denial_message, is_allowed
from app.rows import EpisodeHeader
from app.services import tocilizumab as toci_service
from app.services import ward as ward_service
from app.services.tocilizumab import ReadinessRow
from widgets.form_dialog import (
    TOP_ERROR_STYLE,
    FormDialog,
    make_datetime_edit,
    named,
    read_datetime,
)
from widgets.identity_header import IdentityHeader

READY_STYLE = (
    "QLabel { background: #e8f5e9; border: 1px solid #81c784; padding: 6px; font-weight: bold; }"
)


ALREADY_STYLE = (
    "QLabel { background: #eceff1; border: 1px solid #90a4ae; padding: 6px; font-weight: bold; }"
)


def already_recorded_text(header: EpisodeHeader, tz: ZoneInfo) -> str:
    """Why an episode that is not planned has no infusion left to record."""
    if header.infused_at is not None:
        text = f"CAR-T infusion already recorded on {format_local(header.infused_at, tz)}"
        if header.day is not None and header.day >= 0:
            text += f" (today is D+{header.day})"
        return text + ". There is nothing more to record here."
    return (f"This episode is {header.status}: its CAR-T infusion can no longer be "
            "recorded. Register a new episode for a new infusion.")


def readiness_text(readiness: ReadinessRow) -> str:
    if readiness.met:
        head = (f"READY for infusion — {readiness.doses_reserved} "
                f"dose{'s' if readiness.doses_reserved != 1 else ''} of "
                f"{readiness.dose_mg:g} mg reserved ({readiness.reserved_mg} mg)")
    else:
        head = f"NOT READY — {readiness.missing_text}"
    lines = [head, f"Dose at {readiness.weight_kg:g} kg (weighed "
                   f"{readiness.weight_recorded_on:%d %b %Y}): {readiness.dose_mg:g} mg"]
    if readiness.requirement_text:
        lines.append(f"{readiness.product_label}: {readiness.requirement_text}")
    if readiness.expiring_within_48h:
        lines.append("Note: a reserved vial expires within 48 h — ask pharmacy to replace it.")
    return "\n".join(lines)


class InfusionDialog(FormDialog):
    def __init__(
        self,
        ctx: AppContext,
        actor: Actor,
        episode_id: int,
        *,
        executor: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, actor, title="Record CAR-T infusion", save_text="&Record infusion",
                         executor=executor, parent=parent)
        self.episode_id = episode_id
        self.readiness: ReadinessRow | None = None
        self.may_override = is_allowed(actor, Action.OVERRIDE_GRADE)

        self.header: EpisodeHeader | None = None

        self.identity = IdentityHeader(ctx.tz)
        self.layout_.insertWidget(0, self.identity)
        self.already_label = named(QLabel(), "alreadyRecorded")
        self.already_label.setWordWrap(True)
        self.already_label.setStyleSheet(ALREADY_STYLE)
        self.already_label.hide()
        self.layout_.addWidget(self.already_label)
        self.readiness_label = named(QLabel(), "readiness")
        self.readiness_label.setWordWrap(True)
        self.layout_.addWidget(self.readiness_label)
        self.layout_.addLayout(self.form)

        self.infused_at = make_datetime_edit(ctx.clock(), ctx.tz, "infused_at")
        self.infused_at_label = self.add_row("Infused &at", self.infused_at, "infused_at")
        self.override_reason = named(QLineEdit(), "override_reason")
        self.override_reason.setPlaceholderText(
            "why the infusion goes ahead without the tocilizumab reserved"
        )
        self.override_label = self.add_row("Override &reason", self.override_reason,
                                           "override_reason", "tocilizumab")
        self.override_reason.textChanged.connect(lambda _t: self._update_buttons())
        self.permission_note = named(QLabel(), "permission_note")
        self.permission_note.setWordWrap(True)
        self.form.addRow("", self.permission_note)
        self.recheck_button = named(QPushButton("Check stoc&k again"), "recheck")
        self.recheck_button.setToolTip("Read the reservation again (pharmacy may have reserved)")
        self.recheck_button.clicked.connect(self.load)
        # The doses the readiness check counts are at the patient's weight (RULES E5/E6): a
        # wrong or old weight is corrected here, and the check read again.
        self.weight_button = named(QPushButton("Update &weight…"), "update_weight")
        self.weight_button.setToolTip("Re-weigh, or correct the weight the doses are "
                                      "calculated from; the check is read again")
        self.weight_button.clicked.connect(self.update_weight)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.weight_button)
        row.addWidget(self.recheck_button)
        self.layout_.addLayout(row)
        self.finish_layout(self.recheck_button)
        self.load()
        (self.infused_at if self.is_planned else self.cancel_button).setFocus()
        self.resize(640, self.sizeHint().height())
        self._fit_height()

    def load(self) -> None:
        """Read the header and the readiness check (a few ms: on the GUI thread)."""
        try:
            header: EpisodeHeader = ward_service.episode_header(self.ctx, self.actor,
                                                                self.episode_id)
            self.header = header
            self.readiness = None
            if header.status == "planned":
                self.readiness = toci_service.check_readiness(self.ctx, self.actor,
                                                              self.episode_id)
        except ServiceError as exc:
            self.set_top_error(str(exc))
            self.readiness = None
            self._update_buttons()
            self._fit_height()
            return
        self.identity.set_header(header)
        self.already_label.setText(already_recorded_text(header, self.ctx.tz))
        self.already_label.setAccessibleName(self.already_label.text())
        self.already_label.setVisible(not self.is_planned)
        # Not planned: there is nothing left to check or record, so nothing says READY.
        for widget in (self.readiness_label, self.recheck_button, self.weight_button,
                       self.infused_at, self.infused_at_label):
            widget.setVisible(self.is_planned)
        if self.readiness is not None:
            self.readiness_label.setText(readiness_text(self.readiness))
            self.readiness_label.setStyleSheet(READY_STYLE if self.readiness.met
                                               else TOP_ERROR_STYLE)
            self.readiness_label.setAccessibleName(self.readiness_label.text())
        self._update_buttons()
        self._fit_height()

    def update_weight(self) -> None:
        from widgets.weight_dialog import WeightDialog

        dialog = WeightDialog(self.ctx, self.actor, self.episode_id, executor=self.executor,
                              parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.load()
        self.weight_button.setFocus()

    @property
    def is_planned(self) -> bool:
        return self.header is None or self.header.status == "planned"

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # The labels' heights are right only once they are polished and laid out.
        QTimer.singleShot(0, self, self._fit_height)

    def _fit_height(self) -> None:
        """Grow to show every line at the present width (an error line, the readiness
        box): word-wrapped labels report their height only for a given width, so the
        layout would rather squeeze the identity header and the box than grow by itself."""
        needed = self.layout_.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def show_error(self, error: BaseException) -> None:
        super().show_error(error)
        self._fit_height()

    @property
    def short(self) -> bool:
        return self.readiness is not None and not self.readiness.met

    def can_save(self) -> bool:
        if self.readiness is None or not self.is_planned:
            return False
        if not self.short:
            return True
        return self.may_override and bool(self.override_reason.text().strip())

    def _update_buttons(self) -> None:
        short = self.short
        self.permission_note.setText("")
        self.permission_note.setVisible(short and not self.may_override)
        self.override_reason.setVisible(short)
        self.override_label.setVisible(short)
        if short and not self.may_override:
            why = (f"{denial_message(self.actor, Action.OVERRIDE_GRADE)} Ask pharmacy to "
                   "reserve tocilizumab, or a haematologist to override.")
            self.override_reason.setEnabled(False)
            self.override_reason.setToolTip(why)
            self.save_button.setToolTip(why)
            self.permission_note.setText("Only a haematologist may record the infusion while "
                                         "the tocilizumab check is not met.")
        elif short:
            self.override_reason.setEnabled(True)
            self.override_reason.setToolTip("Required: the reason is kept in the audit trail")
            self.save_button.setToolTip("Give the override reason first" if not self.can_save()
                                        else "Record the infusion with your override")
        elif not self.is_planned:
            self.save_button.setToolTip(self.already_label.text())
        else:
            self.save_button.setToolTip("")
        self.save_button.setText("&Override and record infusion" if short
                                 else "&Record infusion")
        self.save_button.setEnabled(self.can_save())

    def confirmation_needed(self, error: ConfirmationRequired) -> None:
        # The stock changed since the dialog was opened: show the new state.
        self.load()
        self.show_problems(error.problems, "Not saved — the readiness check is not met:")

    def submit(self) -> None:
        ctx, actor, episode_id = self.ctx, self.actor, self.episode_id
        at = read_datetime(self.infused_at, ctx.tz)
        reason = self.override_reason.text().strip() if self.short else None
        self.run(
            lambda: toci_service.record_infusion(ctx, actor, episode_id, infused_at=at,
                                                 override_reason=reason),
            self.saved,
        )
