"""One observation set, entered with the keyboard alone (STYLE.md; issue 4 "Assessment form").

- Every field has a buddy label with a mnemonic and an explicit tab order; Enter saves,
  Esc cancels. Empty means "not assessed", never 0 (RULES I8).
- `values()` returns the `record_assessment` format (RULES §6 keys plus `assessed_at`,
  `diastolic_bp`, `ice_items`, `capd_items`, `comment`); `set_values()` fills the form back.
- The form does not save by itself: it emits `save_requested(values, confirmations, key)`
  and its owner runs the service and answers with `save_succeeded` / `save_failed`.
  Impossible values come back as ValidationFailed (messages next to each field, nothing is
  cleared); improbable ones as ConfirmationRequired (a reason per field, then resubmit).
- One idempotency key per observation set, so a double Enter cannot store it twice.
- Above the fields, read-only: the drugs given since the previous set (`set_drugs_since`),
  because an antipyretic or anti-cytokine drug can mask a fever (RULES C2 waiver, C5 note).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QDateTime,
    QRegularExpression,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QHideEvent, QKeyEvent, QRegularExpressionValidator, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QStyleOptionComboBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

import grading
from app.clock import format_local
from app.errors import ConfirmationRequired, FieldProblem, ServiceError, ValidationFailed
from app.rows import AdministrationRow, AssessmentPreview
from grading.inputs import (
    Acvpu,
    CapdAnswer,
    CapdItem,
    CerebralEdema,
    Consciousness,
    MotorFinding,
    OxygenDevice,
    Seizure,
    UnableReason,
    Vasopressor,
)
from widgets.form_dialog import make_datetime_edit
from widgets.models import Column, RowTableModel

NOT_ASSESSED = "— not assessed"
CLOCK_REFRESH_MS = 15_000  # an untouched "Time assessed" is at most this far behind the clock

OXYGEN_LABELS: dict[str, str] = {
    OxygenDevice.NONE: "Room air",
    OxygenDevice.NASAL_CANNULA: "Nasal cannula",
    OxygenDevice.BLOW_BY: "Blow-by",
    OxygenDevice.HIGH_FLOW_NASAL_CANNULA: "High-flow nasal cannula",
    OxygenDevice.SIMPLE_FACE_MASK: "Simple face mask",
    OxygenDevice.NON_REBREATHER: "Non-rebreather mask",
    OxygenDevice.VENTURI_MASK: "Venturi mask",
    OxygenDevice.CPAP: "CPAP",
    OxygenDevice.BIPAP: "BiPAP",
    OxygenDevice.INVASIVE_VENTILATION: "Invasive ventilation",
}
ACVPU_LABELS: dict[str, str] = {
    Acvpu.ALERT: "Alert",
    Acvpu.NEW_CONFUSION: "New confusion",
    Acvpu.VOICE: "Voice",
    Acvpu.PAIN: "Pain",
    Acvpu.UNRESPONSIVE: "Unresponsive",
}
VASOPRESSOR_LABELS: dict[str, str] = {
    Vasopressor.NOREPINEPHRINE: "norepinephrine",
    Vasopressor.EPINEPHRINE: "epinephrine",
    Vasopressor.PHENYLEPHRINE: "phenylephrine",
    Vasopressor.DOPAMINE: "dopamine",
    Vasopressor.ANGIOTENSIN_II: "angiotensin II",
    Vasopressor.VASOPRESSIN: "vasopressin",
}
CONSCIOUSNESS_LABELS: dict[str, str] = {
    Consciousness.AWAKENS_SPONTANEOUSLY: "Awakens spontaneously",
    Consciousness.AWAKENS_TO_VOICE: "Awakens to voice",
    Consciousness.AWAKENS_ONLY_TO_TACTILE: "Awakens only to touch",
    Consciousness.UNAROUSABLE_OR_VIGOROUS_STIMULI: "Unarousable / needs vigorous stimuli",
}
SEIZURE_LABELS: dict[str, str] = {
    Seizure.NONE: "None",
    Seizure.FOCAL_RESOLVED_RAPIDLY: "Focal, resolved rapidly",
    Seizure.GENERALISED_RESOLVED_RAPIDLY: "Generalised, resolved rapidly",
    Seizure.NONCONVULSIVE_ON_EEG_RESOLVED_WITH_INTERVENTION:
        "Non-convulsive on EEG, resolved with intervention",
    Seizure.PROLONGED_OVER_5_MIN: "Prolonged (> 5 min)",
    Seizure.REPETITIVE_WITHOUT_RETURN_TO_BASELINE: "Repetitive, no return to baseline",
}
MOTOR_LABELS: dict[str, str] = {
    MotorFinding.NONE: "None",
    MotorFinding.TREMOR: "Tremor (recorded, not graded)",
    MotorFinding.MYOCLONUS: "Myoclonus (recorded, not graded)",
    MotorFinding.HEMIPARESIS: "Hemiparesis",
    MotorFinding.PARAPARESIS: "Paraparesis",
}
CEREBRAL_LABELS: dict[str, str] = {
    CerebralEdema.NONE: "None",
    CerebralEdema.FOCAL_ON_NEUROIMAGING: "Focal oedema on imaging",
    CerebralEdema.DIFFUSE_ON_NEUROIMAGING: "Diffuse oedema on imaging",
    CerebralEdema.DECEREBRATE_OR_DECORTICATE_POSTURING: "Decerebrate/decorticate posturing",
    CerebralEdema.CRANIAL_NERVE_VI_PALSY: "Cranial nerve VI palsy",
    CerebralEdema.PAPILLEDEMA: "Papilloedema",
    CerebralEdema.CUSHINGS_TRIAD: "Cushing's triad",
    CerebralEdema.INTRACRANIAL_HAEMORRHAGE_ONLY: "Intracranial haemorrhage only (not ICANS)",
}
UNABLE_LABELS: dict[str, str] = {
    UnableReason.UNAROUSABLE: "Unable: unarousable",
    UnableReason.GLOBAL_APHASIA_AWAKE: "Unable: global aphasia, awake",
}
HYPOTENSION_LABELS: dict[bool, str] = {False: "No", True: "Yes — clinician-confirmed"}

# ICE items in form order with their maxima (RULES I1); digits are the mnemonics.
ICE_ITEMS: tuple[tuple[str, str, int], ...] = (
    ("orientation", "&1 Orientation: year, month, city, hospital", 4),
    ("naming", "&2 Naming three objects", 3),
    ("following_commands", "&3 Following commands", 1),
    ("writing", "&4 Writing a standard sentence", 1),
    ("attention", "&5 Attention: count back from 100 by 10", 1),
)
CAPD_ITEMS: tuple[tuple[CapdItem, str], ...] = (
    (CapdItem.EYE_CONTACT, "&1 Eye contact with caregiver"),
    (CapdItem.PURPOSEFUL_ACTIONS, "&2 Actions are purposeful"),
    (CapdItem.AWARE_OF_SURROUNDINGS, "&3 Aware of surroundings"),
    (CapdItem.COMMUNICATES_NEEDS, "&4 Communicates needs and wants"),
    (CapdItem.RESTLESS, "&5 Restless"),
    (CapdItem.INCONSOLABLE, "&6 Inconsolable"),
    (CapdItem.UNDERACTIVE, "&7 Underactive, very little movement"),
    (CapdItem.SLOW_TO_RESPOND, "&8 Slow to respond to interactions"),
)
CAPD_ANSWERS: tuple[CapdAnswer, ...] = tuple(CapdAnswer)
# Items 1-4 are reverse-scored (RULES I1): "never" making eye contact scores 4.
REVERSE_SCORED_CAPD = frozenset(list(CapdItem)[:4])

NUMBER_FIELDS: tuple[str, ...] = (
    "temperature_c", "heart_rate", "systolic_bp", "diastolic_bp", "respiratory_rate",
    "spo2_percent", "oxygen_flow_l_min",
)
DECIMAL_FIELDS = frozenset({"temperature_c", "oxygen_flow_l_min"})

_INTEGER_RE = QRegularExpression(r"^\d{0,3}$")
_DECIMAL_RE = QRegularExpression(r"^\d{0,3}([.,]\d{0,2})?$")


def capd_item_score(item: CapdItem, answer: CapdAnswer) -> int:
    points = CAPD_ANSWERS.index(answer)
    return 4 - points if item in REVERSE_SCORED_CAPD else points


def capd_total(answers: Mapping[CapdItem, CapdAnswer]) -> int:
    return sum(capd_item_score(item, answer) for item, answer in answers.items())


def uses_capd(age_years: float, developmental_delay: bool) -> bool:
    return bool(grading.uses_capd(age_years, developmental_delay))  # RULES I1


def _combo(options: Mapping[Any, str], empty: str = NOT_ASSESSED) -> QComboBox:
    combo = QComboBox()
    combo.addItem(empty, None)
    for value, label in options.items():
        combo.addItem(label, value)
    _fit_combo(combo)
    return combo


COMBO_MAX_WIDTH = 330  # px: the longest choice whole when there is room, never wider


def _combo_width(combo: QComboBox, text: str) -> int:
    """The width the style needs to show `text` whole in this combo (as QComboBox does)."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    metrics = combo.fontMetrics()
    contents = QSize(metrics.horizontalAdvance(text), metrics.height())
    return combo.style().sizeFromContents(
        QStyle.ContentsType.CT_ComboBox, option, contents, combo).width()


def _fit_combo(combo: QComboBox) -> None:
    """A drop-down that fits its column: at least wide enough for the empty choice
    ("— not assessed"), growing to its longest choice (at most COMBO_MAX_WIDTH) when the
    window has room. The open list is always wide enough to show every choice whole, and
    the tooltip repeats the current choice in case it is elided at small widths."""
    # Asks for little and grows (Expanding, stretch in `_row`) up to the longest choice:
    # a narrow window never starts from the widest size and clips it.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(1)
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    texts = [combo.itemText(n) for n in range(combo.count())]
    longest = max((_combo_width(combo, text) for text in texts), default=0)
    combo.setMinimumWidth(_combo_width(combo, texts[0]) if texts else 0)
    combo.setMaximumWidth(max(min(longest, COMBO_MAX_WIDTH), combo.minimumWidth()))
    combo.view().setMinimumWidth(longest)
    combo.setToolTip(combo.currentText())
    combo.currentTextChanged.connect(combo.setToolTip)


def _set_combo(combo: QComboBox, value: Any) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(max(index, 0))


def _parse_number(text: str, decimal: bool) -> float | int | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    return float(text) if decimal else int(text)


def _format_number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return str(value)


class DrugsSinceModel(RowTableModel[AdministrationRow]):
    def __init__(self, tz: ZoneInfo, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = (
            Column("Drug", lambda r: r.drug),
            Column("Dose", lambda r: f"{r.dose:g} {r.dose_unit}", sort=lambda r: r.dose,
                   align_right=True),
            Column("Route", lambda r: r.route),
            Column("Given", lambda r: format_local(r.given_at, tz), sort=lambda r: r.given_at),
            Column("By", lambda r: r.entered_by),
        )

    def row_key(self, row: AdministrationRow) -> int:
        return row.id


class DrugsSinceBox(QGroupBox):
    """Read-only: doses given since the previous current assessment, oldest first."""

    def __init__(self, tz: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__("Drugs given since the last set", parent)
        self.setObjectName("drugsSince")
        self.model = DrugsSinceModel(tz, self)
        self.table = QTableView()
        self.table.setObjectName("drugsSinceTable")
        self.table.setAccessibleName("Drugs given since the last assessment")
        self.table.setModel(self.model)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # outside the form's tab chain
        self.table.setSelectionMode(QTableView.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.summary = QLabel()
        self.summary.setObjectName("drugsSinceSummary")
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        self.set_rows(None)

    def set_rows(self, rows: Sequence[AdministrationRow] | None, problem: str = "") -> None:
        """None: not known (never shown as "none given"); a problem says why."""
        self.model.set_rows(list(rows or ()))
        self.table.setVisible(bool(rows))
        if rows is None:
            self.summary.setText(f"⚠ Could not read the drugs given: {problem}" if problem
                                 else "Not loaded.")
        elif not rows:
            self.summary.setText("None recorded since the last assessment.")
        else:
            # Every category but "other" can mask a fever (RULES C5) and, once CRS is
            # diagnosed, waives the fever criterion (RULES C2).
            masking = sorted({r.drug for r in rows if r.category != "other"})
            self.summary.setText(
                f"⚠ Fever may be masked: {', '.join(masking)} given since the last set "
                "(RULES C2/C5)." if masking else
                f"{len(rows)} dose{'s' if len(rows) != 1 else ''} since the last set.")
            self.table.resizeColumnsToContents()
            header = self.table.horizontalHeader().height()
            height = sum(self.table.rowHeight(n) for n in range(len(rows)))
            self.table.setFixedHeight(header + height + 2 * self.table.frameWidth())
        self.setAccessibleDescription(self.summary.text())

    def drugs(self) -> list[str]:
        return [r.drug for r in self.model.rows()]


class ConfirmationDialog(QDialog):
    """Improbable values (SAFETY.md): one reason per field, each required."""

    def __init__(self, problems: list[FieldProblem], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Confirm unusual values")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            "These values are unusual. Check them; to store them as typed, give a reason "
            "for each (it is kept in the audit trail)."
        ))
        form = QFormLayout()
        self.reason_edits: dict[str, QLineEdit] = {}
        for problem in problems:
            edit = QLineEdit()
            edit.setAccessibleName(f"Reason for {problem.field}")
            edit.textChanged.connect(self._update_ok)
            label = QLabel(problem.message)
            label.setWordWrap(True)
            form.addRow(label, edit)
            self.reason_edits[problem.field] = edit
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Store with these reasons")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Go back and edit")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._update_ok()

    def _update_ok(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(all(e.text().strip() for e in self.reason_edits.values()))

    def reasons(self) -> dict[str, str]:
        return {field: edit.text().strip() for field, edit in self.reason_edits.items()}


class AssessmentForm(QWidget):
    save_requested = Signal(dict, dict, str)  # values, confirmations, idempotency key
    cancelled = Signal()
    values_changed = Signal()

    def __init__(
        self,
        *,
        age_years: float,
        developmental_delay: bool = False,
        now: Callable[[], datetime],
        tz: ZoneInfo,
        preview: Callable[[dict[str, Any]], AssessmentPreview] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("assessmentForm")
        self.age_years = age_years
        self.uses_capd = uses_capd(age_years, developmental_delay)
        self._now = now
        self._tz = tz
        self._preview = preview
        self._loading = False
        self._saving = False
        # Until the nurse edits "Time assessed" it follows the clock (set to the moment of
        # saving, and refreshed while the form is shown); once edited it stays as typed.
        self._time_edited = False
        self._setting_time = False  # our own updates of the time are not the nurse's edits
        self._confirmations: dict[str, str] = {}
        self.idempotency_key = uuid.uuid4().hex
        self.amend_target: Any = None  # the AssessmentRow being amended, if any
        self.preview_panel: Any = None  # set by the owner (PreviewPanel)
        # "SMITH, Anna (NHS 999 000 0018)", set by the owner: questions name the patient.
        self.patient_label = ""
        self.error_labels: dict[str, QLabel] = {}
        self._error_field: dict[QWidget, str] = {}  # editor -> the field its error is for
        self._tab_chain: list[QWidget] = []
        self._tab_order: list[QWidget] = []
        self.clock_timer = QTimer(self)
        self.clock_timer.setInterval(CLOCK_REFRESH_MS)
        self._build()
        self._connect_changes()
        self.clock_timer.timeout.connect(self.follow_clock)
        self.clear()

    # --- construction -------------------------------------------------------------------
    def _error_label(self, field: str) -> QLabel:
        label = QLabel()
        label.setObjectName(f"error_{field}")
        label.setWordWrap(True)
        label.setStyleSheet("color: #b00020; font-weight: bold;")
        label.setVisible(False)
        self.error_labels[field] = label
        return label

    def _row(
        self, form: QFormLayout, text: str, field: str, *editors: QWidget,
        suffix: str | QWidget = "", own_error: bool = True,
    ) -> QLabel:
        """A labelled row: mnemonic label -> first editor; the field's error message goes
        under the editors, where it can wrap over as many lines as it needs (beside them
        it was squeezed into a few characters and cut off at 1280 px)."""
        label = QLabel(text)
        label.setBuddy(editors[0])
        container = QWidget()
        column = QVBoxLayout(container)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        box = QHBoxLayout()
        column.addLayout(box)
        for editor in editors:
            # Free text (comment, reason) takes the row; capped editors keep their size.
            grows = editor.sizePolicy().horizontalPolicy() == QSizePolicy.Policy.Expanding
            box.addWidget(editor, 1 if grows else 0)
            editor.setAccessibleName(label.text().replace("&", ""))
            self._tab_chain.append(editor)
            self._error_field[editor] = field
        if suffix:
            box.addWidget(suffix if isinstance(suffix, QWidget) else QLabel(suffix))
        box.addStretch(1)  # editors stay left, not centred
        if own_error:  # not for ICE/CAPD items: they share one, under the last item
            column.addWidget(self._error_label(field))
        form.addRow(label, container)
        return label

    def _line(self, field: str, width: int = 70) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(field)
        regex = _DECIMAL_RE if field in DECIMAL_FIELDS else _INTEGER_RE
        edit.setValidator(QRegularExpressionValidator(regex, edit))
        edit.setMaximumWidth(width)
        return edit

    def _build(self) -> None:
        # The fields scroll (vertically only); the Save/Cancel row stays below them, so a
        # nurse sees Save at any window height and never scrolls sideways (1280 px up).
        page = QVBoxLayout(self)
        page.setContentsMargins(0, 0, 0, 0)
        fields = QWidget()
        fields.setObjectName("assessmentFields")
        outer = QVBoxLayout(fields)
        self.fields_area = QScrollArea()
        self.fields_area.setObjectName("assessmentFieldsArea")
        self.fields_area.setWidgetResizable(True)
        self.fields_area.setFrameShape(QFrame.Shape.NoFrame)
        self.fields_area.setWidget(fields)
        page.addWidget(self.fields_area, 1)
        self._fields = fields
        self.amend_box = QGroupBox("Amending a saved assessment")
        amend_form = QFormLayout(self.amend_box)
        self.amend_info = QLabel()
        amend_form.addRow(self.amend_info)
        self.amend_reason = QLineEdit()
        self.amend_reason.setObjectName("amend_reason")
        self._row(amend_form, "Reaso&n for amendment", "reason", self.amend_reason)
        self.amend_box.setVisible(False)
        outer.addWidget(self.amend_box)

        self.general_error = QLabel()
        self.general_error.setObjectName("generalError")
        self.general_error.setWordWrap(True)
        self.general_error.setStyleSheet("color: #b00020; font-weight: bold;")
        self.general_error.setVisible(False)

        self.drugs_since = DrugsSinceBox(self._tz)
        self.drugs_since.setVisible(False)  # until the owner has rows to show
        outer.addWidget(self.drugs_since)

        columns = QHBoxLayout()
        outer.addLayout(columns)
        left = QVBoxLayout()
        right = QVBoxLayout()
        # Vital signs keep their natural width; the ICANS column's long choices get the rest.
        columns.addLayout(left, 0)
        columns.addLayout(right, 1)

        # Vital signs and CRS (RULES §2, §4)
        vitals = QGroupBox("Vital signs and CRS")
        form = QFormLayout(vitals)
        self.temperature = self._line("temperature_c")
        self._row(form, "&Temperature", "temperature_c", self.temperature, suffix="°C")
        self.heart_rate = self._line("heart_rate")
        self._row(form, "&Heart rate", "heart_rate", self.heart_rate, suffix="/min")
        self.systolic = self._line("systolic_bp")
        self.diastolic = self._line("diastolic_bp")
        self.systolic.setAccessibleName("Systolic blood pressure")
        bp_label = self._row(
            form, "&Blood pressure", "systolic_bp", self.systolic, self.diastolic, suffix="mmHg"
        )
        self.systolic.setAccessibleName("Systolic blood pressure, mmHg")
        self.diastolic.setAccessibleName("Diastolic blood pressure, mmHg")
        bp_label.setToolTip("Systolic / diastolic, mmHg")
        # The diastolic error shares the blood-pressure row.
        self.error_labels["diastolic_bp"] = self.error_labels["systolic_bp"]
        self.resp_rate = self._line("respiratory_rate")
        self._row(form, "&Respiratory rate", "respiratory_rate", self.resp_rate, suffix="/min")
        self.spo2 = self._line("spo2_percent")
        self._row(form, "S&pO2", "spo2_percent", self.spo2, suffix="%")
        self.acvpu = _combo(ACVPU_LABELS)
        self.acvpu.setObjectName("acvpu")
        self._row(form, "&ACVPU", "acvpu", self.acvpu)
        self.oxygen_device = _combo(OXYGEN_LABELS)
        self.oxygen_device.setObjectName("oxygen_device")
        self._row(form, "&Oxygen device", "oxygen_device", self.oxygen_device)
        self.oxygen_flow = self._line("oxygen_flow_l_min")
        self._row(form, "&Flow", "oxygen_flow_l_min", self.oxygen_flow, suffix="L/min")
        grid_holder = QWidget()
        grid = QGridLayout(grid_holder)
        grid.setContentsMargins(0, 0, 0, 0)
        self.vasopressors: dict[str, QCheckBox] = {}
        for number, (drug, text) in enumerate(VASOPRESSOR_LABELS.items()):
            box = QCheckBox(text)
            box.setObjectName(f"vasopressor_{drug}")
            self._error_field[box] = "vasopressors"
            box.setAccessibleName(f"Vasopressor: {box.text()}")
            grid.addWidget(box, number // 2, number % 2)
            self.vasopressors[drug] = box
            self._tab_chain.append(box)
        vaso_label = QLabel("&Vasopressors")
        vaso_label.setBuddy(self.vasopressors[Vasopressor.NOREPINEPHRINE])
        form.addRow(vaso_label, grid_holder)
        form.addRow(self._error_label("vasopressors"))
        self.hypotension = _combo(HYPOTENSION_LABELS)
        self.hypotension.setObjectName("hypotension")
        self._row(form, "H&ypotension", "hypotension", self.hypotension)
        self.hypotension_hint = QLabel()
        self.hypotension_hint.setObjectName("hypotensionHint")
        self.hypotension_hint.setWordWrap(True)
        self.hypotension_hint.setVisible(False)
        form.addRow(self.hypotension_hint)
        self.fever_other_cause = QCheckBox("Fever &due to another cause (clinician)")
        self.fever_other_cause.setObjectName("fever_attributed_to_other_cause")
        self._tab_chain.append(self.fever_other_cause)
        form.addRow(self.fever_other_cause)
        left.addWidget(vitals)

        when = QGroupBox("Time and comment")
        when_form = QFormLayout(when)
        self.assessed_at = make_datetime_edit(self._now(), self._tz, "assessed_at")
        self.time_hint = QLabel()
        self.time_hint.setObjectName("timeHint")
        self.time_hint.setToolTip(
            "Until you change it, the time follows the clock and is set to the moment you "
            "save. Once you change it, it is kept as typed.")
        self._row(when_form, "Time a&ssessed", "assessed_at", self.assessed_at,
                  suffix=self.time_hint)
        self.comment = QLineEdit()
        self.comment.setObjectName("comment")
        self._row(when_form, "Co&mment", "comment", self.comment)
        left.addWidget(when)
        left.addStretch(1)

        # ICANS (RULES §3): ICE from 12 years, CAPD under 12 or with developmental delay.
        tool = "CAPD" if self.uses_capd else "ICE"
        icans = QGroupBox(f"ICANS — {tool}")
        icans_form = QFormLayout(icans)
        self.ice_items: dict[str, QComboBox] = {}
        self.capd_items: dict[CapdItem, QComboBox] = {}
        if self.uses_capd:
            for item, text in CAPD_ITEMS:
                combo = _combo({a: a.value.capitalize() for a in CAPD_ANSWERS})
                combo.setObjectName(f"capd_{item.value}")
                self._row(icans_form, text, "capd_items", combo, own_error=False)
                self.capd_items[item] = combo
            # Error label shared by all items: one message for the scale.
            icans_form.addRow(self._error_label("capd_items"))
            self.error_labels["capd_score"] = self.error_labels["capd_items"]
        else:
            for name, text, maximum in ICE_ITEMS:
                combo = _combo({n: str(n) for n in range(maximum + 1)})
                combo.setObjectName(f"ice_{name}")
                self._row(icans_form, f"{text} (0–{maximum})", "ice_items", combo,
                          own_error=False)
                self.ice_items[name] = combo
            icans_form.addRow(self._error_label("ice_items"))
            self.error_labels["ice_score"] = self.error_labels["ice_items"]
        self.unable = _combo(UNABLE_LABELS, empty="— able to perform")
        self.unable.setObjectName("unable_reason")
        unable_field = "capd_unable_reason" if self.uses_capd else "ice_unable_reason"
        self._row(icans_form, "&Unable to perform", unable_field, self.unable)
        self.tool_total = QLabel()
        self.tool_total.setObjectName("toolTotal")
        icans_form.addRow("Running total", self.tool_total)
        self.consciousness = _combo(CONSCIOUSNESS_LABELS)
        self.consciousness.setObjectName("consciousness")
        self._row(icans_form, "&Level of consciousness", "consciousness", self.consciousness)
        self.loc_other_cause = QCheckBox("Level of consciousness e&xplained by sedation")
        self.loc_other_cause.setObjectName("loc_attributable_to_other_cause")
        self._tab_chain.append(self.loc_other_cause)
        icans_form.addRow(self.loc_other_cause)
        self.seizure = _combo(SEIZURE_LABELS)
        self.seizure.setObjectName("seizure")
        self._row(icans_form, "Sei&zure", "seizure", self.seizure)
        self.motor = _combo(MOTOR_LABELS)
        self.motor.setObjectName("motor_weakness")
        self._row(icans_form, "Motor wea&kness", "motor_weakness", self.motor)
        self.cerebral = _combo(CEREBRAL_LABELS)
        self.cerebral.setObjectName("cerebral_edema")
        self._row(icans_form, "Cerebral oed&ema / ICP signs", "cerebral_edema", self.cerebral)
        right.addWidget(icans)
        right.addStretch(1)

        # Beside Save, outside the scrolling fields: "Nothing entered yet" is seen.
        page.addWidget(self.general_error)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(9, 0, 9, 0)
        self.save_button = QPushButton("Save (Enter)")
        self.save_button.setObjectName("saveAssessment")
        self.save_button.setAccessibleName("Save assessment")
        self.save_button.clicked.connect(self.request_save)
        self.cancel_button = QPushButton("Cancel (Esc)")
        self.cancel_button.setObjectName("cancelAssessment")
        self.cancel_button.setAccessibleName("Cancel assessment")
        self.cancel_button.clicked.connect(self.request_cancel)
        self.status = QLabel()
        self.status.setObjectName("saveStatus")
        self.status.setWordWrap(True)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        page.addLayout(buttons)
        self._tab_chain += [self.save_button, self.cancel_button]
        # Explicit tab order: vitals top to bottom, ICANS, then time, comment, buttons.
        chain = [w for w in self._tab_chain if w not in (self.assessed_at, self.comment)]
        chain = [self.amend_reason, *chain]
        save_at = chain.index(self.save_button)
        chain[save_at:save_at] = [self.assessed_at, self.comment]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        self._tab_order = chain  # also the order in which problems take the focus
        self._fit_fields_width()

    def _fit_fields_width(self) -> None:
        """The scroll area asks for the width its fields need (plus room for the vertical
        scroll bar), so the page layout narrows the preview instead of cutting the fields
        off behind a sideways scroll bar."""
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.fields_area.setMinimumWidth(self._fields.minimumSizeHint().width() + bar + 2)

    def _connect_changes(self) -> None:
        for edit in (
            self.temperature, self.heart_rate, self.systolic, self.diastolic, self.resp_rate,
            self.spo2, self.oxygen_flow, self.comment,
        ):
            edit.textChanged.connect(self._on_changed)
        for combo in (
            self.acvpu, self.oxygen_device, self.hypotension, self.unable, self.consciousness,
            self.seizure, self.motor, self.cerebral, *self.ice_items.values(),
            *self.capd_items.values(),
        ):
            combo.currentIndexChanged.connect(self._on_changed)
        for box in (*self.vasopressors.values(), self.fever_other_cause, self.loc_other_cause):
            box.toggled.connect(self._on_changed)
        self.assessed_at.dateTimeChanged.connect(self._time_changed)
        self.assessed_at.dateTimeChanged.connect(self._on_changed)
        # A field's message goes as soon as that field is edited: a corrected value must
        # not sit next to the complaint about the old one.
        for editor, field in self._error_field.items():
            def clear(*_args: object, field: str = field) -> None:
                if not self._loading:
                    self._clear_problem(field)

            if isinstance(editor, QLineEdit):
                editor.textChanged.connect(clear)
            elif isinstance(editor, QComboBox):
                editor.currentIndexChanged.connect(clear)
            elif isinstance(editor, QCheckBox):
                editor.toggled.connect(clear)
            elif isinstance(editor, QDateTimeEdit):
                editor.dateTimeChanged.connect(clear)

    # --- state ----------------------------------------------------------------------------
    def clear(self) -> None:
        """An empty form for a new observation set (new idempotency key)."""
        self._loading = True
        try:
            for edit in (
                self.temperature, self.heart_rate, self.systolic, self.diastolic,
                self.resp_rate, self.spo2, self.oxygen_flow, self.comment, self.amend_reason,
            ):
                edit.clear()
            for combo in (
                self.acvpu, self.oxygen_device, self.hypotension, self.unable,
                self.consciousness, self.seizure, self.motor, self.cerebral,
                *self.ice_items.values(), *self.capd_items.values(),
            ):
                combo.setCurrentIndex(0)
            for box in (*self.vasopressors.values(), self.fever_other_cause,
                        self.loc_other_cause):
                box.setChecked(False)
            self._time_edited = False
            self.follow_clock(exact=True)
        finally:
            self._loading = False
        self.idempotency_key = uuid.uuid4().hex
        self._confirmations = {}
        self.amend_target = None
        self.amend_box.setVisible(False)
        self.clear_problems()
        self._on_changed()

    def set_drugs_since(
        self, rows: Sequence[AdministrationRow] | None, problem: str = ""
    ) -> None:
        """The doses given since the previous set (read-only; see DrugsSinceBox)."""
        self.drugs_since.set_rows(rows, problem)
        self.drugs_since.setVisible(True)

    def set_assessed_at(self, moment: datetime) -> None:
        """A definite time (a draft's, an amended row's): kept as given, like a typed one."""
        self._show_time(moment)
        self._time_edited = True
        self._update_time_hint()

    def _show_time(self, moment: datetime) -> None:
        self._setting_time = True
        try:
            self.assessed_at.setDateTime(QDateTime.fromSecsSinceEpoch(int(moment.timestamp())))
        finally:
            self._setting_time = False

    def follow_clock(self, exact: bool = False) -> None:
        """While the time is not edited: show the clock's time. On the timer, only when the
        shown minute has changed (no preview re-run every tick); `exact` to the second,
        when saving or starting a new set."""
        if not self._time_edited:
            now = self._now()
            shown = self.assessed_at_value()
            if exact or (now.replace(second=0, microsecond=0)
                         != shown.replace(second=0, microsecond=0)):
                self._show_time(now)
        self._update_time_hint()

    @property
    def time_edited(self) -> bool:
        return self._time_edited

    def _time_changed(self, *_args: object) -> None:
        if self._setting_time or self._loading:
            return
        self._time_edited = True  # the nurse changed it: keep it as typed from now on
        self._update_time_hint()

    def _update_time_hint(self) -> None:
        self.time_hint.setText("as typed" if self._time_edited else "now (follows the clock)")

    def showEvent(self, event: QShowEvent) -> None:
        # Refreshed while shown: a form left open for an hour shows the time it is now.
        self.follow_clock()
        self.clock_timer.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self.clock_timer.stop()
        super().hideEvent(event)

    def assessed_at_value(self) -> datetime:
        seconds = self.assessed_at.dateTime().toSecsSinceEpoch()
        return datetime.fromtimestamp(seconds, tz=self._tz)

    def _number_edits(self) -> dict[str, QLineEdit]:
        return {
            "temperature_c": self.temperature, "heart_rate": self.heart_rate,
            "systolic_bp": self.systolic, "diastolic_bp": self.diastolic,
            "respiratory_rate": self.resp_rate, "spo2_percent": self.spo2,
            "oxygen_flow_l_min": self.oxygen_flow,
        }

    def values(self) -> dict[str, Any]:
        """The record_assessment values: only what was entered (empty = not assessed)."""
        values: dict[str, Any] = {"assessed_at": self.assessed_at_value().isoformat()}
        for field, edit in self._number_edits().items():
            if not edit.isEnabled():
                continue
            try:
                number: Any = _parse_number(edit.text(), field in DECIMAL_FIELDS)
            except ValueError:
                # Text the input filter lets through but that is no number (".", ","):
                # sent as typed, so the service refuses it next to the field rather than
                # the set being saved as "not assessed".
                number = edit.text().strip()
            if number is not None:
                values[field] = number
        combos: dict[str, QComboBox] = {
            "acvpu": self.acvpu, "oxygen_device": self.oxygen_device,
            "hypotension": self.hypotension, "consciousness": self.consciousness,
            "seizure": self.seizure, "motor_weakness": self.motor,
            "cerebral_edema": self.cerebral,
        }
        for field, combo in combos.items():
            if combo.currentData() is not None:
                values[field] = combo.currentData()
        chosen = [drug for drug, box in self.vasopressors.items() if box.isChecked()]
        if chosen:
            values["vasopressors"] = chosen
        if self.fever_other_cause.isChecked():
            values["fever_attributed_to_other_cause"] = True
        if self.loc_other_cause.isChecked():
            values["loc_attributable_to_other_cause"] = True
        unable = self.unable.currentData()
        if self.uses_capd:
            if unable is not None:
                values["capd_unable_reason"] = unable
            else:
                answers = {i.value: c.currentData() for i, c in self.capd_items.items()
                           if c.currentData() is not None}
                if answers:
                    values["capd_items"] = answers
        elif unable is not None:
            values["ice_unable_reason"] = unable
        else:
            items = {n: c.currentData() for n, c in self.ice_items.items()
                     if c.currentData() is not None}
            if items:
                values["ice_items"] = items
        if self.comment.text().strip():
            values["comment"] = self.comment.text().strip()
        return values

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Fill the form from record_assessment values (a draft, or a row to amend)."""
        self._loading = True
        try:
            for field, edit in self._number_edits().items():
                edit.setText(_format_number(values.get(field)))
            _set_combo(self.acvpu, values.get("acvpu"))
            _set_combo(self.oxygen_device, values.get("oxygen_device"))
            _set_combo(self.hypotension, values.get("hypotension"))
            _set_combo(self.consciousness, values.get("consciousness"))
            _set_combo(self.seizure, values.get("seizure"))
            _set_combo(self.motor, values.get("motor_weakness"))
            _set_combo(self.cerebral, values.get("cerebral_edema"))
            chosen = set(values.get("vasopressors") or ())
            for drug, box in self.vasopressors.items():
                box.setChecked(drug in chosen)
            self.fever_other_cause.setChecked(bool(values.get("fever_attributed_to_other_cause")))
            self.loc_other_cause.setChecked(bool(values.get("loc_attributable_to_other_cause")))
            unable_key = "capd_unable_reason" if self.uses_capd else "ice_unable_reason"
            _set_combo(self.unable, values.get(unable_key))
            ice = values.get("ice_items") or {}
            for name, combo in self.ice_items.items():
                _set_combo(combo, ice.get(name))
            capd = values.get("capd_items") or {}
            for item, combo in self.capd_items.items():
                _set_combo(combo, capd.get(item.value))
            self.comment.setText(str(values.get("comment") or ""))
            at = values.get("assessed_at")
            if isinstance(at, str):
                at = datetime.fromisoformat(at)
            if isinstance(at, datetime):
                self.set_assessed_at(at)
        finally:
            self._loading = False
        self._on_changed()

    def is_dirty(self) -> bool:
        """True when anything besides the time was entered (worth keeping as a draft)."""
        return set(self.values()) != {"assessed_at"} or bool(self.amend_target)

    def draft(self) -> dict[str, Any]:
        return {"values": self.values(), "key": self.idempotency_key,
                "confirmations": dict(self._confirmations),
                "time_edited": self._time_edited}

    def restore_draft(self, draft: Mapping[str, Any]) -> None:
        """The draft as left; its time only if the nurse had typed one (otherwise the set
        is being taken now, so the time follows the clock again)."""
        self.set_values(draft["values"])
        self.idempotency_key = str(draft["key"])
        self._confirmations = dict(draft.get("confirmations") or {})
        if not draft.get("time_edited", False):
            self._time_edited = False
            self.follow_clock(exact=True)

    # --- amend mode -------------------------------------------------------------------------
    def start_amend(self, row: Any, when_text: str) -> None:
        """Load a saved assessment for correction (a new version with a reason)."""
        values = dict(row.inputs)
        values["assessed_at"] = row.assessed_at
        self.set_values(values)
        self.amend_target = row
        self.idempotency_key = uuid.uuid4().hex
        self.amend_info.setText(
            f"Assessment of {when_text} by {row.entered_by}. Saving stores a new version; "
            "the original stays readable in the timeline."
        )
        self.amend_box.setVisible(True)
        self.amend_reason.setFocus()

    def amend_reason_text(self) -> str:
        return self.amend_reason.text().strip()

    # --- live behaviour --------------------------------------------------------------------
    def _on_changed(self, *_args: object) -> None:
        if self._loading:
            return
        device = self.oxygen_device.currentData()
        # Flow means nothing on room air (SAFETY.md rejects > 0 there): disable it.
        flow_enabled = device not in (None, OxygenDevice.NONE)
        self.oxygen_flow.setEnabled(flow_enabled)
        if not flow_enabled:
            self.oxygen_flow.clear()
        unable = self.unable.currentData() is not None
        for combo in (*self.ice_items.values(), *self.capd_items.values()):
            combo.setEnabled(not unable)
        self.tool_total.setText(self._total_text())
        self._update_hypotension_hint()
        self._run_preview()
        self.values_changed.emit()

    def _total_text(self) -> str:
        if self.unable.currentData() is not None:
            return "Not scored: " + UNABLE_LABELS[self.unable.currentData()].lower()
        if self.uses_capd:
            answers = {i: CapdAnswer(c.currentData()) for i, c in self.capd_items.items()
                       if c.currentData() is not None}
            text = f"CAPD {capd_total(answers)} / 32"
            count, expected = len(answers), len(self.capd_items)
        else:
            items = [c.currentData() for c in self.ice_items.values()
                     if c.currentData() is not None]
            text = f"ICE {sum(items)} / 10"
            count, expected = len(items), len(self.ice_items)
        if count == 0:
            return "Not assessed"
        if count < expected:
            return f"{text} so far ({count} of {expected} items)"
        return text

    def _update_hypotension_hint(self) -> None:
        sbp = self.systolic.text().strip()
        suggest = bool(sbp) and bool(
            grading.suggests_hypotension(self.age_years, int(sbp))  # RULES C7
        )
        if suggest and self.hypotension.currentData() is not True:
            threshold = grading.hypotension_threshold_text(self.age_years)
            self.hypotension_hint.setText(
                f"SBP {sbp} mmHg is below {threshold}: consider recording hypotension "
                "(clinician judgement — the form never sets it)."
            )
            self.hypotension_hint.setVisible(True)
        else:
            self.hypotension_hint.setVisible(False)

    def preview_values(self) -> dict[str, Any]:
        """Values for the preview: incomplete ICE/CAPD items are left out (not yet a score)."""
        values = self.values()
        if "ice_items" in values and len(values["ice_items"]) < len(self.ice_items):
            del values["ice_items"]
        if "capd_items" in values and len(values["capd_items"]) < len(self.capd_items):
            del values["capd_items"]
        return values

    def _run_preview(self) -> None:
        if self._preview is None or self.preview_panel is None:
            return
        if not self.is_dirty():
            self.preview_panel.show_nothing_entered()
            return
        try:
            preview = self._preview(self.preview_values())
        except (ServiceError, ValueError) as error:
            self.preview_panel.show_error(str(error))
            return
        self.preview_panel.show_result(preview, incomplete=self.incomplete_scale())

    def incomplete_scale(self) -> tuple[str, int, int] | None:
        """("ICE", 4, 5) while the ICE or CAPD is part-entered: preview_values() leaves it
        out, so the preview says "incomplete" rather than "not assessed"."""
        if self.unable.currentData() is not None:
            return None
        for name, combos in (("ICE", list(self.ice_items.values())),
                             ("CAPD", list(self.capd_items.values()))):  # fmt: skip
            entered = sum(1 for c in combos if c.currentData() is not None)
            if 0 < entered < len(combos):
                return name, entered, len(combos)
        return None

    # --- problems ----------------------------------------------------------------------------
    def clear_problems(self) -> None:
        for label in self.error_labels.values():
            label.clear()
            label.setVisible(False)
        self.general_error.clear()
        self.general_error.setVisible(False)

    def _clear_problem(self, field: str) -> None:
        label = self.error_labels.get(field)
        if label is not None:
            label.clear()
            label.setVisible(False)

    def show_problems(self, problems: list[FieldProblem]) -> None:
        self.clear_problems()
        general: list[str] = []
        wrong: list[QWidget] = []
        for problem in problems:
            label = self.error_labels.get(problem.field)
            message = problem.message
            if problem.suggestion is not None:
                message += f" (suggested: {problem.suggestion})"
            if label is None:
                general.append(message if problem.field == "form"
                               else f"{problem.field}: {message}")
                continue
            label.setText((label.text() + "\n" if label.text() else "") + message)
            label.setVisible(True)
            editor = self._editor_for(problem.field)
            if editor is not None:
                wrong.append(editor)
        if general:
            self.general_error.setText("\n".join(general))
            self.general_error.setVisible(True)
        # The focus goes to the first wrong field down the form (the tab order), not to
        # the first problem in the order the service happened to check them.
        in_order = [w for w in self._tab_order if w in wrong]
        first = in_order[0] if in_order else (wrong[0] if wrong else None)
        if first is not None:
            first.setFocus()
            self.fields_area.ensureWidgetVisible(first)  # scrolled to, not only focused

    def _editor_for(self, field: str) -> QWidget | None:
        found = self.findChild(QWidget, field)
        if found is not None:
            return found
        if field in ("ice_items", "ice_score") and self.ice_items:
            return next(iter(self.ice_items.values()))
        if field in ("capd_items", "capd_score") and self.capd_items:
            return next(iter(self.capd_items.values()))
        return None

    def local_problems(self) -> list[FieldProblem]:
        """What the form itself can tell before asking the service: half-entered scales."""
        problems: list[FieldProblem] = []
        if not self.is_dirty():
            problems.append(FieldProblem(
                "form", "Nothing entered yet — type at least one observation, then Enter"))
        if self.unable.currentData() is None:
            for field, combos, name in (
                ("ice_items", list(self.ice_items.values()), "ICE"),
                ("capd_items", list(self.capd_items.values()), "CAPD"),
            ):
                entered = sum(1 for c in combos if c.currentData() is not None)
                if 0 < entered < len(combos):
                    problems.append(FieldProblem(
                        field,
                        f"{name}: {entered} of {len(combos)} items entered — complete every "
                        "item, or clear them all if not assessed",
                    ))
        if self.amend_target is not None and not self.amend_reason_text():
            problems.append(FieldProblem("reason", "Give a reason for the amendment"))
        return problems

    # --- save / cancel -----------------------------------------------------------------------
    def request_save(self) -> None:
        if self._saving:
            return  # a second Enter while the first save runs
        problems = self.local_problems()
        if problems:
            self.show_problems(problems)
            self.status.setText("Not saved — see the messages next to the fields.")
            return
        self.clear_problems()
        self.follow_clock(exact=True)  # a set opened at 07:42 and saved at 08:32 is 08:32
        self._saving = True
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")
        self.save_requested.emit(self.values(), dict(self._confirmations), self.idempotency_key)

    def save_succeeded(self, summary: str) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        self.clear()
        self.status.setText(summary)
        if self.isVisible():  # ready for the next set, as after opening the patient
            self.temperature.setFocus(Qt.FocusReason.OtherFocusReason)

    def save_failed(self, error: BaseException) -> None:
        """A rejected save keeps every typed value (SAFETY.md)."""
        self._saving = False
        self.save_button.setEnabled(True)
        if isinstance(error, ConfirmationRequired):
            reasons = self.ask_confirmations(error.problems)
            if reasons:
                self._confirmations.update(reasons)
                self.request_save()
                return
            self.show_problems(error.problems)
            self.status.setText("Not saved — check the unusual values.")
            return
        if isinstance(error, ValidationFailed):
            self.show_problems(error.problems)
            self.status.setText("Not saved — see the messages next to the fields.")
            return
        self.general_error.setText(str(error))
        self.general_error.setVisible(True)
        self.status.setText("Not saved.")

    def ask_confirmations(self, problems: list[FieldProblem]) -> dict[str, str] | None:
        """The one seam tests patch: a reason per improbable field, or None to go back."""
        dialog = ConfirmationDialog(problems, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.reasons()
        return None

    def discard_box(self) -> QMessageBox:
        """The question Esc asks when values are typed. "Keep editing" is the default and
        the escape button: Esc then Enter (or Esc twice) must never lose a typed set."""
        who = f" for {self.patient_label}" if self.patient_label else ""
        box = QMessageBox(
            QMessageBox.Icon.Question, "Discard observations?",
            f"Discard the observations typed so far{who}? They have not been saved.",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.No, self)
        keep = box.button(QMessageBox.StandardButton.No)
        keep.setText("Keep editing")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setEscapeButton(keep)
        return box

    def confirm_discard(self) -> bool:
        """Esc with typed values asks first (a seam tests patch)."""
        return self.discard_box().exec() == QMessageBox.StandardButton.Discard

    def request_cancel(self) -> None:
        if self.is_dirty() and not self.confirm_discard():
            return
        self.clear()
        self.status.setText("Cancelled — nothing saved.")
        self.cancelled.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Line edits, combo boxes, check boxes and the time field ignore Enter and Esc,
        # so those keys arrive here wherever the focus is in the form.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            # Outside a dialog a push button ignores Enter, so it lands here too: Enter on
            # a focused button is that button (Cancel must never save), in a field it saves.
            focused = QApplication.focusWidget()
            if isinstance(focused, QPushButton) and self.isAncestorOf(focused):
                focused.click()
            else:
                self.request_save()
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.request_cancel()
            event.accept()
            return
        super().keyPressEvent(event)
