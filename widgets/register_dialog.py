"""Register a patient and their CAR-T episode in one keyboard-first form.

One save checks every field of both halves and lists every problem at once
(`patients.registration_problems`, plus the dates this dialog parses); nothing is stored
until all are right. Then one service call (`register_patient_with_episode`) stores the
patient and the episode in one transaction, so a refusal never leaves a patient without
an episode.

When the NHS (or hospital) number already belongs to a patient, the dialog names them and
offers to add the new episode to that patient (Enter: yes; Esc: back to the form). A
patient who still has a planned or active episode gets no second one: the message says
where to find them.

The NHS number is checked as it is typed (modulus 11, `app.nhs_number`); a local hospital
number may be given instead. SpO2 scale 2 (RULES N2) is a clinical decision: only a
haematologist may set it here.
"""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.actor import Actor, Role
from app.context import AppContext
from app.errors import FieldProblem, ServiceError
from app.nhs_number import format_nhs_number, normalise_nhs_number
from app.products import ProductTableError, products
from app.rows import EpisodeRow, PatientRow, Registration
from app.services import patients as patient_service
from app.services.patients import SEX_LABELS, AlreadyRegistered
from widgets.form_dialog import NOTE_STYLE, FormDialog, named, parse_date

__all__ = ["SEX_LABELS", "RegisterDialog", "nhs_live_message"]

SPO2_SCALE_ROLES = (Role.HAEMATOLOGIST,)
OFFER_STYLE = (
    "QLabel { background: #fff8e1; border: 2px solid #f9a825; padding: 6px; color: #212121; }"
)
SAVE_TEXT = "&Save patient and episode"
CANCEL_TEXT = "Cancel"


def nhs_live_message(text: str) -> tuple[bool, str]:
    """(ok, message) for what is typed so far; silent while the 10 digits are being typed."""
    digits = re.sub(r"[\s\-]+", "", text)
    if not digits:
        return True, ""
    if not digits.isdigit() or len(digits) > 10:
        try:
            normalise_nhs_number(text)
        except ValueError as exc:
            return False, str(exc)
    if len(digits) < 10:
        return True, f"{len(digits)} of 10 digits"
    try:
        return True, f"✓ valid NHS number {format_nhs_number(normalise_nhs_number(text))}"
    except ValueError as exc:
        return False, str(exc)


class RegisterDialog(FormDialog):
    def __init__(
        self,
        ctx: AppContext,
        actor: Actor,
        *,
        executor: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, actor, title="Register patient and CAR-T episode",
                         save_text=SAVE_TEXT, executor=executor, parent=parent)
        self.patient: PatientRow | None = None  # after a save: the patient
        self.episode: EpisodeRow | None = None  # after a save: the new episode
        self.episode_id: int | None = None  # after a save: for the window to select it
        self.offer: AlreadyRegistered | None = None  # "add an episode to this patient?"

        patient_box = QGroupBox("Patient")
        patient_form = QFormLayout(patient_box)
        patient_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.nhs_number = named(QLineEdit(), "nhs_number")
        self.nhs_number.setPlaceholderText("10 digits, e.g. 999 000 0018")
        self.nhs_number.setMaxLength(14)
        self.add_row("&NHS number", self.nhs_number, "nhs_number", form=patient_form)
        self.nhs_status = named(QLabel(), "nhs_status")
        self.nhs_status.setStyleSheet(NOTE_STYLE)
        self.nhs_status.setWordWrap(True)
        patient_form.addRow("", self.nhs_status)
        self.hospital_number = named(QLineEdit(), "hospital_number")
        self.hospital_number.setPlaceholderText("if there is no NHS number")
        self.hospital_number.setMaxLength(20)
        self.add_row("&Hospital number", self.hospital_number, "hospital_number",
                     form=patient_form)
        self.family_name = named(QLineEdit(), "family_name")
        self.add_row("&Family name", self.family_name, "family_name", form=patient_form)
        self.given_name = named(QLineEdit(), "given_name")
        self.add_row("&Given name", self.given_name, "given_name", form=patient_form)
        self.date_of_birth = named(QLineEdit(), "date_of_birth")
        self.date_of_birth.setPlaceholderText("dd/mm/yyyy")
        self.add_row("Date of &birth", self.date_of_birth, "date_of_birth", form=patient_form)
        self.sex = named(QComboBox(), "sex")
        for key, text in SEX_LABELS.items():
            self.sex.addItem(text, key)
        self.sex.setPlaceholderText("choose…")
        self.sex.setCurrentIndex(-1)
        self.add_row("Se&x", self.sex, "sex", form=patient_form)
        self.layout_.addWidget(patient_box)

        episode_box = QGroupBox("CAR-T episode")
        episode_form = QFormLayout(episode_box)
        episode_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.product = named(QComboBox(), "product_code")
        try:
            for product in products().values():
                self.product.addItem(product.label, product.code)
        except ProductTableError as exc:  # shown, never a crash: pharmacy must fix the file
            self.set_top_error(str(exc))
        self.product.setPlaceholderText("choose the product…")
        self.product.setCurrentIndex(-1)
        self.add_row("&Product", self.product, "product_code", form=episode_form)
        self.planned_date = named(QLineEdit(), "planned_infusion_date")
        self.planned_date.setPlaceholderText("dd/mm/yyyy (optional)")
        self.add_row("Planned &infusion date", self.planned_date, "planned_infusion_date",
                     form=episode_form)
        self.weight = named(QDoubleSpinBox(), "weight_kg")
        self.weight.setRange(0.0, 350.0)
        self.weight.setDecimals(1)
        self.weight.setSuffix(" kg")
        self.weight.setSpecialValueText("not entered")
        self.add_row("&Weight", self.weight, "weight_kg", form=episode_form)
        self.consultant = named(QLineEdit(), "consultant")
        self.add_row("&Consultant", self.consultant, "consultant", form=episode_form)
        self.ward = named(QLineEdit(ctx.ward), "ward")
        self.add_row("W&ard", self.ward, "ward", form=episode_form)
        self.bed = named(QLineEdit(), "bed")
        self.add_row("B&ed", self.bed, "bed", form=episode_form)
        self.carer_name = named(QLineEdit(), "carer_name")
        self.carer_name.setPlaceholderText("who stays with the patient day and night")
        self.add_row("24 h ca&rer", self.carer_name, "carer_name", form=episode_form)
        self.carer_phone = named(QLineEdit(), "carer_phone")
        self.add_row("Carer ph&one", self.carer_phone, "carer_phone", form=episode_form)
        self.developmental_delay = named(
            QCheckBox("&Developmental delay (assess ICANS with CAPD)"), "developmental_delay"
        )
        self.add_row("", self.developmental_delay, "developmental_delay", form=episode_form)
        # Short box text; the explanation wraps in a note below (it was cut off as one line).
        self.spo2_scale_2 = named(QCheckBox("SpO2 scale &2"), "spo2_scale")
        self.spo2_scale_2.setAccessibleName(
            "SpO2 scale 2: hypercapnic respiratory failure, target 88 to 92 percent")
        self.add_row("", self.spo2_scale_2, "spo2_scale", form=episode_form)
        self.spo2_note = named(QLabel("For hypercapnic respiratory failure: target SpO2 "
                                      "88–92 % (RULES N2). Set by a haematologist."),
                               "spo2_note")
        self.spo2_note.setWordWrap(True)
        self.spo2_note.setStyleSheet(NOTE_STYLE)
        episode_form.addRow("", self.spo2_note)
        if actor.role not in SPO2_SCALE_ROLES:
            self.spo2_scale_2.setEnabled(False)
            self.spo2_scale_2.setToolTip(
                f"Set by a haematologist (a clinical decision, RULES N2); a {actor.role.value} "
                "may not set it here."
            )
        self.layout_.addWidget(episode_box)
        self.field_errors["patient_id"] = self.top_error  # "already has an open episode"
        self.field_widgets["patient_id"] = self.nhs_number

        # "Add the episode to this patient?": shown when the number is already registered.
        self.offer_box = named(QLabel(), "offer")
        self.offer_box.setWordWrap(True)
        self.offer_box.setTextFormat(Qt.TextFormat.RichText)
        self.offer_box.setStyleSheet(OFFER_STYLE)
        self.offer_box.hide()
        self.layout_.addWidget(self.offer_box)
        # When the typed name or date of birth differ from the stored ones, Yes waits for
        # this tick (re-audit finding 7: a different date of birth is the strongest sign of
        # a wrong-patient match, and two Enters must not attach the episode).
        self.same_person = named(QCheckBox(), "same_person")
        self.same_person.hide()
        self.same_person.toggled.connect(self._same_person_toggled)
        self.layout_.addWidget(self.same_person)

        self.nhs_number.textChanged.connect(self._nhs_changed)
        for edit in (self.nhs_number, self.hospital_number):
            edit.textChanged.connect(lambda _t: self.withdraw_offer())
        self.finish_layout()
        self.nhs_number.setFocus()
        self.resize(560, self.sizeHint().height())

    # --- live NHS number check -------------------------------------------------------------
    def _nhs_changed(self, text: str) -> None:
        ok, message = nhs_live_message(text)
        self.nhs_status.setText(message if ok else "⚠ " + message)
        self.nhs_status.setStyleSheet(NOTE_STYLE if ok else "color: #b00020; font-weight: bold;")
        self.nhs_status.setAccessibleName(message)

    # --- values -----------------------------------------------------------------------------
    def _dates(self) -> tuple[date | None, date | None, list[FieldProblem]]:
        """The two typed dates; a date that cannot be read is a problem (an empty date of
        birth is left to the service's own "date of birth is required")."""
        problems: list[FieldProblem] = []
        dob: date | None = None
        planned: date | None = None
        if self.date_of_birth.text().strip():
            try:
                dob = parse_date(self.date_of_birth.text())
            except ValueError as exc:
                problems.append(FieldProblem("date_of_birth", str(exc)))
        if self.planned_date.text().strip():
            try:
                planned = parse_date(self.planned_date.text())
            except ValueError as exc:
                problems.append(FieldProblem("planned_infusion_date", str(exc)))
        return dob, planned, problems

    def values(self, dob: date | None, planned: date | None) -> dict[str, Any]:
        return {
            "nhs_number": self.nhs_number.text().strip() or None,
            "hospital_number": self.hospital_number.text().strip() or None,
            "family_name": self.family_name.text(),
            "given_name": self.given_name.text(),
            "date_of_birth": dob,
            "sex": self.sex.currentData() or "",
            "product_code": self.product.currentData() or "",
            "planned_infusion_date": planned,
            "weight_kg": self.weight.value(),
            "consultant": self.consultant.text(),
            "ward": self.ward.text(),
            "bed": self.bed.text(),
            "carer_name": self.carer_name.text(),
            "carer_phone": self.carer_phone.text(),
            "developmental_delay": self.developmental_delay.isChecked(),
            "spo2_scale": 2 if self.spo2_scale_2.isChecked() else 1,
        }

    def _in_form_order(self, problems: list[FieldProblem]) -> list[FieldProblem]:
        """Top to bottom, so the keyboard lands on the first wrong field down the form."""
        chain = self._tab_chain

        def position(problem: FieldProblem) -> int:
            widget = self.field_widgets.get(problem.field)
            return chain.index(widget) if widget in chain else len(chain)

        return sorted(problems, key=position)

    # --- saving -----------------------------------------------------------------------------
    def submit(self) -> None:
        if self.offer is not None:  # the second Enter: yes, add it to that patient
            if self.needs_same_person_tick():
                self.same_person.setFocus()
                return
            self._save(existing_patient_id=self.offer.patient.id)
            return
        dob, planned, problems = self._dates()
        values = self.values(dob, planned)
        try:
            checked = patient_service.registration_problems(self.ctx, self.actor, **values)
        except ServiceError as exc:
            self.set_top_error(f"Not saved — {exc}")
            return
        parsed = {p.field for p in problems}  # "not a date" already says more than "required"
        problems += [p for p in checked if p.field not in parsed]
        if problems:
            self.show_problems(self._in_form_order(problems),
                               "Not saved — please correct the marked fields. Nothing has "
                               "been stored.")
            self._fit_height()
            return
        self._save(existing_patient_id=None)

    def _save(self, *, existing_patient_id: int | None) -> None:
        dob, planned, _problems = self._dates()
        values = self.values(dob, planned)
        ctx, actor = self.ctx, self.actor
        self.run(
            lambda: patient_service.register_patient_with_episode(
                ctx, actor, existing_patient_id=existing_patient_id, **values),
            self.saved,
        )

    def show_error(self, error: BaseException) -> None:
        self.withdraw_offer()
        if isinstance(error, AlreadyRegistered) and error.open_episode is None:
            self.set_busy(False)
            self.clear_errors()
            self.ask_offer(error)
            return
        super().show_error(error)
        if isinstance(error, AlreadyRegistered):  # with a planned or active episode
            self.top_error.setText("⚠ Not saved — this patient is already registered and "
                                   "still has a CAR-T episode (see below the number). "
                                   "Nothing has been stored.")
        self._fit_height()

    # --- "add a new episode for this patient?" ----------------------------------------------
    def ask_offer(self, error: AlreadyRegistered) -> None:
        patient = error.patient
        lines = [
            f"<b>{html.escape(error.label)} belongs to {html.escape(patient.name)} (born "
            f"{patient.date_of_birth:%d %b %Y}). Add a new CAR-T episode for this patient?</b>"
        ]
        typed_name = (self.family_name.text().strip().upper(), self.given_name.text().strip())
        dob, _planned, _problems = self._dates()
        if (typed_name != (patient.family_name.upper(), patient.given_name)
                or dob != patient.date_of_birth):
            typed = f"{typed_name[0]}, {typed_name[1]}"
            born = f" born {dob:%d %b %Y}" if dob else ""
            lines.append(
                f"<b>⚠ You typed {html.escape(typed)}{born}: check this is the same person. "
                "The stored name and date of birth are kept.</b>")
        differs = len(lines) > 1
        if differs:
            lines.append("Tick the box below once you have checked, then press Yes (Alt+Y); "
                         "Esc goes back to the form.")
        else:
            lines.append("Enter adds the episode to this patient; Esc goes back to the form.")
        self.offer_box.setText("<br>".join(lines))
        self.offer_box.setAccessibleName(re.sub(r"<[^>]+>", "", " ".join(lines)))
        self.offer_box.show()
        self.offer = error
        self.save_button.setText(f"&Yes — add the episode for {patient.name}")
        self.cancel_button.setText("Back &to the form")
        self.same_person.setText(f"I have checked this is the sa&me person (stored date of "
                                 f"birth {patient.date_of_birth:%d %b %Y})")
        self.same_person.setChecked(False)
        self.same_person.setVisible(differs)
        # Enter accepts only when the details match: otherwise Yes is neither the default
        # nor focused, and stays disabled until the tick.
        self.save_button.setDefault(not differs)
        self.save_button.setEnabled(self.can_save())
        self._fit_height()
        (self.same_person if differs else self.save_button).setFocus()

    def _same_person_toggled(self, _checked: bool) -> None:
        self.save_button.setEnabled(self.can_save())

    def can_save(self) -> bool:
        return not self.needs_same_person_tick()

    def needs_same_person_tick(self) -> bool:
        return (self.offer is not None and self.same_person.isVisible()
                and not self.same_person.isChecked())

    def withdraw_offer(self) -> None:
        if self.offer is None:
            return
        self.offer = None
        self.offer_box.hide()
        self.same_person.hide()
        self.same_person.setChecked(False)
        self.save_button.setText(SAVE_TEXT)
        self.save_button.setEnabled(True)
        self.save_button.setDefault(True)
        self.cancel_button.setText(CANCEL_TEXT)

    def reject(self) -> None:
        """Esc (or Back) on the offer goes back to the form; otherwise it cancels."""
        if self.offer is not None:
            self.withdraw_offer()
            self.nhs_number.setFocus()
            return
        super().reject()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # The labels' heights are right only once they are polished and laid out.
        QTimer.singleShot(0, self, self._fit_height)

    def _fit_height(self) -> None:
        """Grow to show every error line and the offer at the present width (word-wrapped
        labels report their height only for a given width)."""
        needed = self.layout_.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def saved(self, row: Any) -> None:
        registration: Registration = row
        self.patient = registration.patient
        self.episode = registration.episode
        self.episode_id = registration.episode.id
        super().saved(row)
