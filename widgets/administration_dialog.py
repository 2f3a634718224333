"""Record a drug given: drug, dose, unit, route, time. For tocilizumab, the dose calculator.

Tocilizumab (RULES E5): `preview_dose` gives the weight and the date it was recorded,
mg/kg, the calculated dose (800 mg cap), the least-waste vial plan, the doses reserved,
the limits the typed dose at the typed time would break, and the resupply deadline (E6).
It is re-read whenever the dose or time changes. A dose that breaks a limit needs a reason:
the reason field appears with the warnings, and a ConfirmationRequired from the service
(e.g. a dose recorded elsewhere meanwhile) reveals it too. Each dialog has one idempotency
key, so a double Enter stores one dose.
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.actor import Actor
from app.clock import format_local
from app.context import AppContext
from app.errors import ConfirmationRequired, ServiceError
from app.services import administrations as administration_service
from app.services import tocilizumab as toci_service
from app.services import ward as ward_service
from app.services.tocilizumab import DosePreview
from widgets.form_dialog import (
    ERROR_STYLE,
    WARNING_PREFIX,
    FormDialog,
    make_datetime_edit,
    named,
    read_datetime,
)
from widgets.identity_header import IdentityHeader

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


def calculator_lines(preview: DosePreview, tz: Any) -> list[tuple[str, str]]:
    """The calculator as (label, value) pairs; the tests read these as the user does."""
    cap = " — capped at the 800 mg maximum" if preview.capped else ""
    lines = [
        ("Weight used", preview.weight_text),
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

        self.identity = IdentityHeader(ctx.tz)
        self.layout_.insertWidget(0, self.identity)
        self.layout_.addLayout(self.form)
        self.drug = named(QComboBox(), "drug")
        for key in administration_service.DRUGS:
            self.drug.addItem(DRUG_LABELS.get(key, key), key)
        self.drug.setPlaceholderText("choose the drug…")
        self.drug.setCurrentIndex(-1)
        self.add_row("&Drug", self.drug, "drug")
        self.dose = named(QDoubleSpinBox(), "dose")
        self.dose.setRange(0.0, administration_service.MAX_DOSE)
        self.dose.setDecimals(1)
        self.dose.setSpecialValueText("not entered")
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
        for label in ("Weight used", "Dose rate", "Calculated dose", "Vials (least waste)",
                      "Doses reserved", "Resupply deadline"):
            value = named(QLabel(), "calc_" + label.split()[0].lower())
            value.setWordWrap(True)
            self.calc_values[label] = value
            calc_form.addRow(label, value)
        self.use_calculated = named(QPushButton("Use &calculated dose"), "use_calculated")
        self.use_calculated.clicked.connect(self._use_calculated)
        calc_form.addRow("", self.use_calculated)
        self.warnings_label = named(QLabel(), "dose_warnings")
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setStyleSheet(ERROR_STYLE)
        calc_form.addRow(self.warnings_label)
        self.layout_.addWidget(self.calculator)
        self.reason_form = QFormLayout()
        self.override_reason = named(QLineEdit(), "override_reason")
        self.override_reason.setPlaceholderText("why this dose is given despite the warning")
        self.reason_label = self.add_row("Reason to &proceed", self.override_reason,
                                         "override_reason", form=self.reason_form)
        self.layout_.addLayout(self.reason_form)
        self.override_reason.textChanged.connect(lambda _t: self._update_save())

        self.drug.currentIndexChanged.connect(self._drug_changed)
        self.dose.valueChanged.connect(lambda _v: self.refresh_preview())
        self.given_at.dateTimeChanged.connect(lambda _v: self.refresh_preview())
        self.finish_layout(self.use_calculated)
        self._load_header()
        self.setMinimumWidth(640)
        self._drug_changed()
        self.drug.setFocus()

    def _load_header(self) -> None:
        try:
            self.identity.set_header(
                ward_service.episode_header(self.ctx, self.actor, self.episode_id))
        except ServiceError as exc:
            self.set_top_error(str(exc))

    # --- calculator ------------------------------------------------------------------------
    @property
    def is_tocilizumab(self) -> bool:
        return bool(self.drug.currentData() == "tocilizumab")

    def _drug_changed(self, _index: int = -1) -> None:
        self.calculator.setVisible(self.is_tocilizumab)
        if self.is_tocilizumab:
            self.unit.setCurrentIndex(self.unit.findData("mg"))
            self.route.setCurrentIndex(self.route.findData("IV"))
            self.refresh_preview()
            if self.preview is not None and self.dose.value() == 0:
                self._use_calculated()
        else:
            self.preview = None
            self._set_reason_needed(False)
        self.adjustSize()

    def _use_calculated(self) -> None:
        if self.preview is not None:
            self.dose.setValue(self.preview.calculated_mg)

    def refresh_preview(self) -> None:
        """Re-read the calculator for the typed dose and time (a read: GUI thread)."""
        if not self.is_tocilizumab:
            return
        dose = self.dose.value() or None
        try:
            self.preview = toci_service.preview_dose(
                self.ctx, self.actor, self.episode_id, dose=dose,
                given_at=read_datetime(self.given_at, self.ctx.tz))
        except (ServiceError, ValueError) as exc:
            self.preview = None
            self.warnings_label.setText(WARNING_PREFIX + f"cannot calculate the dose: {exc}")
            return
        for label, text in calculator_lines(self.preview, self.ctx.tz):
            self.calc_values[label].setText(text)
        if self.preview.resupply_due_at is None:
            self.calc_values["Resupply deadline"].setText("product not in the product table")
        warnings = self.preview.warnings
        self.warnings_label.setText(
            "\n".join(WARNING_PREFIX + w for w in warnings) + "\nA reason is needed to proceed."
            if warnings else ""
        )
        self.warnings_label.setVisible(bool(warnings))
        self._set_reason_needed(bool(warnings))

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
        self.show_problems(error.problems,
                           "Not saved — this dose breaks a limit; give a reason to proceed.")
        self.override_reason.setFocus()

    # --- saving -----------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        reason = self.override_reason.text().strip() if self.needs_reason else ""
        return {
            "drug": self.drug.currentData() or "",
            "dose": self.dose.value(),
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
