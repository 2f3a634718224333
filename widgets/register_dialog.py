"""Register a patient and their CAR-T episode in one keyboard-first form.

Two service calls (`register_patient`, then `register_episode`). If the patient is stored
but the episode is refused, the dialog keeps the stored patient (its fields become
read-only and say so) and only the episode is retried — a second Save never registers the
same person twice.

The NHS number is checked as it is typed (modulus 11, `app.nhs_number`); a local hospital
number may be given instead. SpO2 scale 2 (RULES N2) is a clinical decision: only a
haematologist may set it here.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

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
from app.errors import FieldProblem, ValidationFailed
from app.nhs_number import format_nhs_number, normalise_nhs_number
from app.products import ProductTableError, products
from app.rows import EpisodeRow, PatientRow
from app.services import patients as patient_service
from widgets.form_dialog import NOTE_STYLE, FormDialog, named, parse_date

SEX_LABELS = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Not known"}
SPO2_SCALE_ROLES = (Role.HAEMATOLOGIST,)


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
                         save_text="&Save patient and episode", executor=executor,
                         parent=parent)
        self.patient: PatientRow | None = None
        self.episode: EpisodeRow | None = None

        patient_box = QGroupBox("Patient")
        patient_form = QFormLayout(patient_box)
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
        self.patient_note = named(QLabel(), "patient_note")
        self.patient_note.setWordWrap(True)
        self.patient_note.hide()
        patient_form.addRow(self.patient_note)
        self.layout_.addWidget(patient_box)

        episode_box = QGroupBox("CAR-T episode")
        episode_form = QFormLayout(episode_box)
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
        self.add_row("Carer p&hone", self.carer_phone, "carer_phone", form=episode_form)
        self.developmental_delay = named(
            QCheckBox("&Developmental delay (assess ICANS with CAPD)"), "developmental_delay"
        )
        self.add_row("", self.developmental_delay, "developmental_delay", form=episode_form)
        self.spo2_scale_2 = named(
            QCheckBox("SpO2 scale &2 (hypercapnic respiratory failure, target 88–92 %)"),
            "spo2_scale",
        )
        if actor.role not in SPO2_SCALE_ROLES:
            self.spo2_scale_2.setEnabled(False)
            self.spo2_scale_2.setToolTip(
                f"Set by a haematologist (a clinical decision, RULES N2); a {actor.role.value} "
                "may not set it here."
            )
        self.add_row("", self.spo2_scale_2, "spo2_scale", form=episode_form)
        self.layout_.addWidget(episode_box)
        self.field_errors["patient_id"] = self.top_error  # "already has an open episode"
        self.field_widgets["patient_id"] = self.nhs_number

        self.nhs_number.textChanged.connect(self._nhs_changed)
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
        problems: list[FieldProblem] = []
        dob: date | None = None
        planned: date | None = None
        if not self.date_of_birth.text().strip():
            problems.append(FieldProblem("date_of_birth", "date of birth is required"))
        else:
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

    def patient_values(self, dob: date) -> dict[str, Any]:
        return {
            "nhs_number": self.nhs_number.text().strip() or None,
            "hospital_number": self.hospital_number.text().strip() or None,
            "family_name": self.family_name.text(),
            "given_name": self.given_name.text(),
            "date_of_birth": dob,
            "sex": self.sex.currentData() or "",
        }

    def episode_values(self, planned: date | None) -> dict[str, Any]:
        return {
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

    # --- saving -----------------------------------------------------------------------------
    def submit(self) -> None:
        dob, planned, problems = self._dates()
        if self.patient is not None:
            problems = [p for p in problems if p.field != "date_of_birth"]
        if problems:
            self.show_problems(problems, "Not saved — please correct the marked fields.")
            return
        ctx, actor = self.ctx, self.actor
        episode_values = self.episode_values(planned)

        def save_episode(patient: PatientRow) -> None:
            self._patient_stored(patient)
            self.run(
                lambda: patient_service.register_episode(ctx, actor, patient.id,
                                                         **episode_values),
                self.saved,
            )

        if self.patient is not None:
            save_episode(self.patient)
            return
        assert dob is not None
        patient_values = self.patient_values(dob)
        self.run(lambda: patient_service.register_patient(ctx, actor, **patient_values),
                 save_episode)

    def _patient_stored(self, patient: PatientRow) -> None:
        """Freeze the patient half: it is in the record now; only the episode is retried."""
        if self.patient is not None:
            return
        self.patient = patient
        for widget in (self.nhs_number, self.hospital_number, self.family_name,
                       self.given_name, self.date_of_birth):
            widget.setReadOnly(True)
        self.sex.setEnabled(False)
        self.patient_note.setText(
            f"Patient registered (number {patient.id}). Save again to add the episode."
        )
        self.patient_note.show()

    def show_error(self, error: BaseException) -> None:
        super().show_error(error)
        if isinstance(error, ValidationFailed) and self.patient is not None:
            self.set_top_error(
                f"The patient is registered (number {self.patient.id}); the episode is not yet "
                "— correct it and save again."
            )

    def saved(self, row: Any) -> None:
        self.episode = row
        super().saved(row)
