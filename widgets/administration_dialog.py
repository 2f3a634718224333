"""Record a drug given: drug, dose, unit, route, time. For tocilizumab, the dose calculator.

Tocilizumab (RULES E5): `preview_dose` gives the weight and the date it was recorded,
mg/kg, the calculated dose (800 mg cap), the least-waste vial plan, the doses reserved,
the limits the typed dose at the typed time would break, and the resupply deadline (E6).
It is re-read whenever the dose or time changes. A dose that breaks a limit needs a reason:
the reason field appears with the warnings, and a ConfirmationRequired from the service
(e.g. a dose recorded elsewhere meanwhile) reveals it too. Each dialog has one idempotency
key, so a double Enter stores one dose.

Tocilizumab is never stored by the first Enter: the dose is pre-filled from the calculator,
so "T, Enter" would record 640 mg nobody looked at. Save first shows a confirmation in the
dialog — the patient, the dose, mg/kg and the weight used, the vials, and when it applies
that this dose uses the patient's last reserved dose — and turns the default button into
"Yes — record 640 mg tocilizumab": a second Enter records it, Esc (or *Back to the form*)
returns to the fields. Changing anything the confirmation states withdraws it; any
error line left from an earlier attempt is cleared before it is shown (audit finding 6).

The calculator's "Weight used" row has *Update weight…* (widgets/weight_dialog.py): the
dose is recalculated from the new weight, and a weight over a week old is flagged
("weighed 12 days ago — re-weigh before dosing?").

Other drugs (audit finding 7): the dose is a text box, parsed by the service and refused
next to the field (a spin box silently dropped keys past its maximum). A dose above the
drug's usual largest single dose for the patient's weight (administrations.DOSE_RANGES)
is shown as it is typed and needs a reason, as tocilizumab's limits do; the impossible
(ten times that, or a unit the drug is never given in) is refused with what to type.
*Other* asks for the drug's name, and says that it does not count for the fever waiver
(RULES C2): an antipyretic, steroid or anti-cytokine drug is chosen from the list.
"""

from __future__ import annotations

import html
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.actor import Actor
from app.clock import format_local
from app.context import AppContext
from app.errors import ConfirmationRequired, ServiceError
from app.rows import EpisodeHeader
from app.services import administrations as administration_service
from app.services import tocilizumab as toci_service
from app.services import ward as ward_service
from app.services.tocilizumab import DosePreview
from app.validation.parsing import parse_number
from grading.tocilizumab import MAX_SINGLE_DOSE_MG, vial_combination
from widgets.form_dialog import (
    ERROR_STYLE,
    NOTE_STYLE,
    WARNING_PREFIX,
    FormDialog,
    make_datetime_edit,
    named,
    read_datetime,
)
from widgets.identity_header import IdentityHeader
from widgets.weight_dialog import WeightDialog

DRUG_LABELS = {
    "tocilizumab": "Tocilizumab",
    "dexamethasone": "Dexamethasone",
    "methylprednisolone": "Methylprednisolone",
    "hydrocortisone": "Hydrocortisone",
    "prednisolone": "Prednisolone",
    "paracetamol": "Paracetamol",
    "ibuprofen": "Ibuprofen",
    "anakinra": "Anakinra",
    "siltuximab": "Siltuximab",
    "other": "Other",
}


OTHER_DRUG_NOTE = (
    "A drug recorded as Other does not count towards the fever waiver (RULES C2). If it is "
    "an antipyretic, a corticosteroid or an anti-cytokine drug on the list, choose it from "
    "the list instead.")


def calculator_lines(
    preview: DosePreview, tz: Any, today: date | None = None
) -> list[tuple[str, str]]:
    """The calculator as (label, value) pairs; the tests read these as the user does.
    With `today`, a weight over a week old says so (re-weigh before dosing)."""
    cap = " — capped at the 800 mg maximum" if preview.capped else ""
    stale = (administration_service.weight_age_warning(preview.weight_recorded_on, today)
             if today is not None else None)
    weight = f"{preview.weight_text} {WARNING_PREFIX}{stale}" if stale else preview.weight_text
    lines = [
        ("Weight used", weight),
        ("Dose rate", f"{preview.mg_per_kg:g} mg/kg "
                      f"({'under 30 kg' if preview.mg_per_kg > 8 else '30 kg or more'})"),
        ("Calculated dose", f"{preview.calculated_mg:g} mg{cap}"),
        ("Vials (least waste)", preview.plan.text),
        ("Doses reserved", f"{preview.doses_reserved} for this patient"),
    ]
    if preview.resupply_due_at is not None:
        lines.append(("Resupply deadline",
                      f"a further dose must be obtainable by "
                      f"{format_local(preview.resupply_due_at, tz)} if given at this time"))
    return lines


CONFIRM_STYLE = (
    "QLabel { background: #fff8e1; border: 2px solid #f9a825; padding: 6px; color: #212121; }"
)


def patient_words(header: EpisodeHeader | None) -> str:
    """Name, NHS number and date of birth (SAFETY.md: positive identification)."""
    if header is None:
        return "this patient (identity not loaded)"
    ident = (f"NHS {header.nhs_number}" if header.nhs_number
             else f"hospital no. {header.hospital_number or '—'}")
    return f"{header.name} ({ident}, born {header.date_of_birth:%d %b %Y})"


def confirmation_lines(
    header: EpisodeHeader | None, preview: DosePreview | None, *, dose: float, route: str,
    given_at: datetime, tz: ZoneInfo,
) -> list[str]:
    """What the nurse confirms before a tocilizumab dose is stored (plain text lines)."""
    lines = [f"Record tocilizumab {dose:g} mg {route} at {format_local(given_at, tz)} "
             f"for {patient_words(header)}?"]
    if preview is None:  # the calculator could not run: say so rather than guess
        lines.append("Dose calculator unavailable: check the dose against the patient's weight.")
        return lines
    per_kg = dose / preview.weight_kg
    if abs(dose - preview.calculated_mg) < 0.05:
        capped = " (capped at 800 mg)" if preview.capped else ""
        lines.append(f"Dose: {dose:g} mg = {preview.mg_per_kg:g} mg/kg × "
                     f"{preview.weight_text}{capped}")
    else:  # a typed dose: its own mg/kg beside the calculated one
        lines.append(f"Dose: {dose:g} mg = {per_kg:.1f} mg/kg × {preview.weight_text}; "
                     f"calculated {preview.calculated_mg:g} mg at {preview.mg_per_kg:g} mg/kg")
    if dose <= MAX_SINGLE_DOSE_MG:
        lines.append(f"Vials: {vial_combination(dose).text}")
    else:  # the warning below says why; a plan for a typing error is no help (and slow)
        lines.append(f"Vials: not worked out above the {MAX_SINGLE_DOSE_MG:g} mg maximum")
    if preview.doses_reserved == 1:
        deadline = (f" by {format_local(preview.resupply_due_at, tz)}"
                    if preview.resupply_due_at else "")
        lines.append("⚠ This uses the patient's LAST RESERVED DOSE: pharmacy must reserve "
                     f"a further dose{deadline} (RULES E6).")
    elif preview.doses_reserved == 0:
        lines.append("⚠ No dose is reserved for this patient: the vials come from ward stock.")
    else:
        left = preview.doses_reserved - 1
        lines.append(f"{left} reserved dose{'s' if left != 1 else ''} left after this one.")
    lines += [f"⚠ {warning}" for warning in preview.warnings]
    return lines


# After Update weight…, a calculated dose that moves by more than this is said out loud
# rather than replaced silently (audit re-check 1: 760 -> 114 mg after a 95 -> 9.5 kg slip).
RECALCULATED_NOTICE = 0.10


def recalculated_text(old_mg: float | None, new_mg: float | None, followed: bool) -> str:
    """'⚠ Dose recalculated: 760 → 114 mg — check …', or '' for a small change."""
    if old_mg is None or new_mg is None or old_mg <= 0:
        return ""
    if abs(new_mg - old_mg) / old_mg <= RECALCULATED_NOTICE:
        return ""
    if followed:
        return (f"{WARNING_PREFIX}Dose recalculated: {old_mg:g} \u2192 {new_mg:g} mg from the "
                "new weight — check it before saving.")
    return (f"{WARNING_PREFIX}Calculated dose changed: {old_mg:g} \u2192 {new_mg:g} mg from the "
            "new weight; the dose typed was kept — check it before saving.")


class DoseEdit(QLineEdit):
    """The dose as typed: kept exactly (the service parses it and says what is wrong).

    `value()` is the number typed, 0.0 when there is none yet (the calculator's input),
    read as the service reads it: "640 mg" is 640 while the unit chosen is mg (`unit`);
    `setValue()` fills it in, e.g. with the calculated dose."""

    unit = ""  # the unit chosen beside it

    def value(self) -> float:
        if self.slip() is not None:  # "1,000" is not 1 mg: nothing to calculate with yet
            return 0.0
        number = parse_number(self.text(), self.unit)
        return float(number) if isinstance(number, int | float) and number > 0 else 0.0

    def slip(self) -> str | None:
        """A thousands comma or a unit other than the Unit box, in the service's words."""
        problem = administration_service.dose_text_problem(self.text(), self.unit)
        return problem.message if problem is not None else None

    def setValue(self, value: float) -> None:  # the spin box's name, kept for callers
        self.setText(f"{value:g}")


class AdministrationDialog(FormDialog):
    def __init__(
        self,
        ctx: AppContext,
        actor: Actor,
        episode_id: int,
        *,
        executor: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, actor, title="Record drug given", save_text="&Save dose",
                         executor=executor, parent=parent)
        self.episode_id = episode_id
        self.idempotency_key = uuid.uuid4().hex
        self.preview: DosePreview | None = None
        self.needs_reason = False
        self.header: EpisodeHeader | None = None
        # The values the nurse confirmed (tocilizumab); None: not asked, or withdrawn.
        self.confirmed: dict[str, Any] | None = None

        self.identity = IdentityHeader(ctx.tz)
        self.layout_.insertWidget(0, self.identity)
        self.layout_.addLayout(self.form)
        self.drug = named(QComboBox(), "drug")
        for key in administration_service.DRUGS:
            self.drug.addItem(DRUG_LABELS.get(key, key), key)
        self.drug.setPlaceholderText("choose the drug…")
        self.drug.setCurrentIndex(-1)
        self.add_row("&Drug", self.drug, "drug")
        # Other: the drug's name (stored as the drug given), and why the list comes first.
        self.drug_name = named(QLineEdit(), "drug_name")
        self.drug_name.setPlaceholderText("the name of the drug given, e.g. ondansetron")
        self.drug_name.setMaxLength(administration_service.DRUG_NAME_MAX)
        self.drug_name_label = self.add_row("Drug &name", self.drug_name, "drug_name")
        name_row = self.drug_name.parentWidget()  # the field and its error line
        assert name_row is not None
        self.drug_name_row: QWidget = name_row
        self.other_note = named(QLabel(OTHER_DRUG_NOTE), "other_note")
        self.other_note.setWordWrap(True)
        self.other_note.setStyleSheet(NOTE_STYLE)
        name_column = name_row.layout()
        assert name_column is not None
        name_column.addWidget(self.other_note)  # under the name (and its error line)
        self.dose = named(DoseEdit(), "dose")
        self.dose.setMaxLength(30)
        self.add_row("D&ose", self.dose, "dose")
        self.unit = named(QComboBox(), "dose_unit")
        for unit in administration_service.UNITS:
            self.unit.addItem(unit, unit)
        self.add_row("&Unit", self.unit, "dose_unit")
        self.route = named(QComboBox(), "route")
        for route in administration_service.ROUTES:
            self.route.addItem(route, route)
        self.add_row("Rou&te", self.route, "route")
        self.given_at = make_datetime_edit(ctx.clock(), ctx.tz, "given_at")
        self.add_row("&Given at", self.given_at, "given_at", "episode")

        # --- tocilizumab calculator (RULES E5) ---
        self.calculator = QGroupBox("Tocilizumab dose calculator (RULES E5)")
        self.calculator.setObjectName("calculator")
        calc_form = QFormLayout(self.calculator)
        self.calc_values: dict[str, QLabel] = {}
        self.update_weight_button = named(QPushButton("Update &weight…"), "update_weight")
        self.update_weight_button.setToolTip("Re-weigh, or correct the weight the dose is "
                                             "calculated from")
        self.update_weight_button.clicked.connect(self.update_weight)
        for label in ("Weight used", "Dose rate", "Calculated dose", "Vials (least waste)",
                      "Doses reserved", "Resupply deadline"):
            value = named(QLabel(), "calc_" + label.split()[0].lower())
            value.setWordWrap(True)
            self.calc_values[label] = value
            if label == "Weight used":  # the weight with the way to correct it
                row = QWidget()
                line = QHBoxLayout(row)
                line.setContentsMargins(0, 0, 0, 0)
                line.addWidget(value, 1)
                line.addWidget(self.update_weight_button)
                calc_form.addRow(label, row)
            else:
                calc_form.addRow(label, value)
        self.use_calculated = named(QPushButton("Use &calculated dose"), "use_calculated")
        self.use_calculated.clicked.connect(self._use_calculated)
        calc_form.addRow("", self.use_calculated)
        self.warnings_label = named(QLabel(), "dose_warnings")
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setStyleSheet(ERROR_STYLE)
        self.warnings_label.hide()
        self.layout_.addWidget(self.calculator)
        # In the dialog's own column, not the calculator's form: a wrapped label in a form
        # row is given one line's height and its warnings were clipped (audit re-check 5).
        self.layout_.addWidget(self.warnings_label)
        # After Update weight…: the dose that followed the new weight, said out loud.
        self.recalculated = named(QLabel(), "dose_recalculated")
        self.recalculated.setWordWrap(True)
        self.recalculated.setStyleSheet(ERROR_STYLE)
        self.recalculated.hide()
        self.layout_.addWidget(self.recalculated)
        # Other drugs: a dose above the usual most for this patient (needs a reason).
        self.dose_check = named(QLabel(), "dose_check")
        self.dose_check.setWordWrap(True)
        self.dose_check.setStyleSheet(ERROR_STYLE)
        self.dose_check.hide()
        self.layout_.addWidget(self.dose_check)
        self.reason_form = QFormLayout()
        self.override_reason = named(QLineEdit(), "override_reason")
        self.override_reason.setPlaceholderText("why this dose is given despite the warning")
        self.reason_label = self.add_row("Reason to &proceed", self.override_reason,
                                         "override_reason", form=self.reason_form)
        self.layout_.addLayout(self.reason_form)
        self.override_reason.textChanged.connect(lambda _t: self._update_save())
        self.confirmation = named(QLabel(), "confirmation")
        self.confirmation.setWordWrap(True)
        self.confirmation.setTextFormat(Qt.TextFormat.RichText)
        self.confirmation.setStyleSheet(CONFIRM_STYLE)
        self.confirmation.setAccessibleName("Confirm the tocilizumab dose")
        self.confirmation.hide()
        self.layout_.addWidget(self.confirmation)

        self.dose.unit = self.unit.currentData()
        self.unit.currentIndexChanged.connect(self._unit_changed)  # before the re-reads
        self.drug.currentIndexChanged.connect(self._drug_changed)
        self.dose.textChanged.connect(lambda _v: self.refresh_preview())
        self.unit.currentIndexChanged.connect(lambda _v: self.refresh_preview())
        self.given_at.dateTimeChanged.connect(lambda _v: self.refresh_preview())
        # Anything the confirmation states, changed: it no longer describes the dose.
        for signal in (self.drug.currentIndexChanged, self.dose.textChanged,
                       self.unit.currentIndexChanged, self.route.currentIndexChanged,
                       self.given_at.dateTimeChanged):
            signal.connect(lambda *_args: self.withdraw_confirmation())
        self.finish_layout(self.update_weight_button, self.use_calculated)
        # Register Save as the dialog's own default now that it is inside the dialog (the
        # first setDefault ran before the button box had a parent, so Qt never recorded
        # it): otherwise, once the keyboard has been on the confirmation's button and
        # left it, Enter in the fields would press nothing.
        self.save_button.setDefault(False)
        self.save_button.setDefault(True)
        self.save_text = self.save_button.text()
        self.cancel_text = self.cancel_button.text()
        self._load_header()
        self.setMinimumWidth(640)
        self._drug_changed()
        self.drug.setFocus()

    def _load_header(self) -> None:
        try:
            self.header = ward_service.episode_header(self.ctx, self.actor, self.episode_id)
        except ServiceError as exc:
            self.set_top_error(str(exc))
            return
        self.identity.set_header(self.header)

    # --- calculator ------------------------------------------------------------------------
    @property
    def is_tocilizumab(self) -> bool:
        return bool(self.drug.currentData() == "tocilizumab")

    @property
    def is_other(self) -> bool:
        return bool(self.drug.currentData() == "other")

    def _drug_changed(self, _index: int = -1) -> None:
        self.calculator.setVisible(self.is_tocilizumab)
        self.recalculated.hide()
        for widget in (self.drug_name_label, self.drug_name_row):
            widget.setVisible(self.is_other)
        drug = self.drug.currentData() or ""
        self.dose.setPlaceholderText(
            f"e.g. {administration_service.dose_example(drug)}" if drug else "")
        if self.is_tocilizumab:
            self.unit.setCurrentIndex(self.unit.findData("mg"))
            self.route.setCurrentIndex(self.route.findData("IV"))
            self.refresh_preview()
            if self.preview is not None and self.dose.value() == 0:
                self._use_calculated()
        else:
            self.preview = None
            self.refresh_preview()
        self.adjustSize()

    def _unit_changed(self, _index: int = -1) -> None:
        self.dose.unit = self.unit.currentData() or ""

    def _use_calculated(self) -> None:
        if self.preview is not None:
            self.dose.setValue(self.preview.calculated_mg)

    def _weight_kg(self) -> float | None:
        return self.header.weight_kg if self.header is not None else None

    def _today(self) -> date:
        return self.ctx.clock().astimezone(self.ctx.tz).date()

    def refresh_dose_check(self) -> None:
        """Other drugs: is the dose typed above the usual most for this patient? Then the
        warning and the reason field show as it is typed, as for tocilizumab."""
        drug, unit = self.drug.currentData() or "", self.unit.currentData()
        dose = self.dose.value()
        impossible = (administration_service.impossible_dose(drug, dose, unit)
                      if dose > 0 else None)
        warnings = (administration_service.dose_warnings(drug, dose, unit, self._weight_kg())
                    if dose > 0 and impossible is None else [])
        slip = self.dose.slip()
        if slip is not None:  # "1,000", or "1 g" while Unit is mg: refused when saved
            text = f"{WARNING_PREFIX}{slip}"
        elif impossible is not None:  # refused when saved: no reason can record it
            text = f"{WARNING_PREFIX}{impossible.message}"
        elif warnings:
            text = ("\n".join(WARNING_PREFIX + w for w in warnings)
                    + "\nA reason is needed to proceed.")
        else:
            text = ""
        self.dose_check.setText(text)
        self.dose_check.setVisible(bool(text))
        self._set_reason_needed(bool(warnings))

    def refresh_preview(self) -> None:
        """Re-read the calculator for the typed dose and time (a read: GUI thread)."""
        if not self.is_tocilizumab:
            self.warnings_label.hide()
            self.refresh_dose_check()
            return
        self.dose_check.hide()
        dose = self.dose.value() or None
        try:
            self.preview = toci_service.preview_dose(
                self.ctx, self.actor, self.episode_id, dose=dose,
                given_at=read_datetime(self.given_at, self.ctx.tz))
        except (ServiceError, ValueError) as exc:
            self.preview = None
            self.warnings_label.setText(WARNING_PREFIX + f"cannot calculate the dose: {exc}")
            self.warnings_label.show()
            self._fit_height()
            return
        for label, text in calculator_lines(self.preview, self.ctx.tz, self._today()):
            self.calc_values[label].setText(text)
        if self.preview.resupply_due_at is None:
            self.calc_values["Resupply deadline"].setText("product not in the product table")
        warnings = self.preview.warnings
        slip = self.dose.slip()
        if slip is not None:  # "1,000" typed: say so, rather than calculate with nothing
            self.warnings_label.setText(WARNING_PREFIX + slip)
        else:
            self.warnings_label.setText(
                "\n".join(WARNING_PREFIX + w for w in warnings)
                + "\nA reason is needed to proceed." if warnings else "")
        self.warnings_label.setVisible(bool(warnings) or slip is not None)
        self._set_reason_needed(bool(warnings) and slip is None)
        self._fit_height()

    def _set_reason_needed(self, needed: bool) -> None:
        self.needs_reason = needed
        self.override_reason.setVisible(needed)
        self.reason_label.setVisible(needed)
        self._update_save()

    def _update_save(self) -> None:
        self.save_button.setEnabled(self.can_save())
        self.save_button.setToolTip("" if self.can_save()
                                    else "Give the reason to proceed first")

    def can_save(self) -> bool:
        return not self.needs_reason or bool(self.override_reason.text().strip())

    def confirmation_needed(self, error: ConfirmationRequired) -> None:
        self.refresh_preview()
        self._set_reason_needed(True)
        if not self.is_tocilizumab:  # the service's own words are under the dose
            self.dose_check.hide()
        self.show_problems(error.problems,
                           "Not saved — this dose breaks a limit; give a reason to proceed.")
        self.override_reason.setFocus()

    # --- confirmation (tocilizumab) ------------------------------------------------------
    def needs_confirmation(self) -> bool:
        """A tocilizumab dose the service could store: ask first. A missing dose or a
        wrong unit goes straight to the service, which says what is wrong."""
        return (self.is_tocilizumab and self.dose.value() > 0
                and self.unit.currentData() == "mg")

    def ask_confirmation(self) -> None:
        values = self.values()
        lines = confirmation_lines(
            self.header, self.preview, dose=self.dose.value(), route=values["route"],
            given_at=values["given_at"], tz=self.ctx.tz)
        # The question and every warning in bold: they are what must not be skimmed.
        self.confirmation.setText("<br>".join(
            f"<b>{html.escape(line)}</b>" if number == 0 or line.startswith("⚠")
            else html.escape(line)
            for number, line in enumerate(lines)))
        self.confirmation.show()
        self._fit_height()
        self.confirmed = values
        self.save_button.setText(f"&Yes — record {self.dose.value():g} mg tocilizumab")
        self.cancel_button.setText("&Back to the form")
        self.save_button.setFocus()  # the default button: one more Enter records it

    def _fit_height(self) -> None:
        """Grow to fit the confirmation at the present width. Word-wrapped labels report
        their height only for a given width, so the layout would rather squeeze the
        calculator's lines over one another than grow the window by itself."""
        needed = self.layout_.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def withdraw_confirmation(self) -> None:
        if self.confirmed is None:
            return
        self.confirmed = None
        self.confirmation.hide()
        self.save_button.setText(self.save_text)
        self.cancel_button.setText(self.cancel_text)

    def accept(self) -> None:
        if not self.save_button.isEnabled():
            return
        if self.needs_confirmation() and self.confirmed != self.values():
            self.refresh_preview()  # the limits and reservation as they are now
            if not self.can_save():
                # A limit broken since the form was filled (a dose recorded elsewhere):
                # no confirmation of a dose that cannot be stored as it is. The service
                # refuses it without a reason and names the fields (nothing is stored).
                self.clear_errors()
                self.submit()
                return
            # Errors from an earlier attempt no longer describe the form: they must not
            # stand beside the question (audit finding 6).
            self.clear_errors()
            self.ask_confirmation()
            return
        super().accept()

    def reject(self) -> None:
        """Esc on the confirmation goes back to the fields; Esc on the fields cancels."""
        if self.confirmed is not None:
            self.withdraw_confirmation()
            self.dose.setFocus()
            return
        super().reject()

    def show_error(self, error: BaseException) -> None:
        self.withdraw_confirmation()  # refused: the fields again, with what to put right
        super().show_error(error)

    # --- saving -----------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        reason = self.override_reason.text().strip() if self.needs_reason else ""
        return {
            "drug": self.drug.currentData() or "",
            "drug_name": self.drug_name.text().strip() if self.is_other else None,
            "dose": self.dose.text().strip(),
            "dose_unit": self.unit.currentData(),
            "route": self.route.currentData(),
            "given_at": read_datetime(self.given_at, self.ctx.tz),
            "override_reason": reason or None,
        }

    def submit(self) -> None:
        ctx, actor, episode_id = self.ctx, self.actor, self.episode_id
        values, key = self.values(), self.idempotency_key
        self.run(
            lambda: administration_service.record_administration(
                ctx, actor, episode_id, idempotency_key=key, **values),
            self.saved,
        )

    # --- weight ---------------------------------------------------------------------------
    def update_weight(self) -> None:
        """Update weight… (the calculator's Weight used row): re-weigh or correct the
        weight, then recalculate. A dose still at the old calculated value follows the
        new one; a dose typed by hand is kept (its warnings are re-read)."""
        old = self.preview.calculated_mg if self.preview is not None else None
        dialog = WeightDialog(self.ctx, self.actor, self.episode_id,
                              executor=self.executor, parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self._load_header()
        self.refresh_preview()
        followed = (self.preview is not None and old is not None
                    and abs(self.dose.value() - old) < 0.05)
        if followed:
            self._use_calculated()
        self.recalculated.setText(recalculated_text(
            old, self.preview.calculated_mg if self.preview is not None else None, followed))
        self.recalculated.setVisible(bool(self.recalculated.text()))
        self._fit_height()
        self.update_weight_button.setFocus()
