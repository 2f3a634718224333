"""Frozen rows the services return: plain values, never ORM objects (ARCHITECTURE.md).

Widgets, reports and the CLI read these; they never see SQLAlchemy. Times are aware UTC;
`day` is the post-infusion day number of RULES T1 (None before an infusion is recorded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Worst first: the ward board colours a row by its worst open alert.
ALERT_SEVERITY: dict[str, int] = {
    "critical_care": 6,
    "news2_emergency": 5,
    "news2_urgent": 4,
    "tocilizumab_prompt": 3,
    "overdue": 2,
    "tocilizumab_resupply": 1,
}

ALERT_TITLES: dict[str, str] = {
    "critical_care": "Critical-care discussion",
    "news2_emergency": "NEWS2 emergency response",
    "news2_urgent": "NEWS2 urgent response",
    "tocilizumab_prompt": "Consider tocilizumab",
    "overdue": "Assessment overdue",
    "tocilizumab_resupply": "Tocilizumab resupply",
}


@dataclass(frozen=True)
class PatientRow:
    id: int
    nhs_number: str | None  # ten digits, or None when only a hospital number is known
    nhs_number_display: str  # "999 000 1234" or ""
    hospital_number: str | None
    family_name: str
    given_name: str
    date_of_birth: date
    sex: str
    version: int

    @property
    def name(self) -> str:
        """Ward style: "SMITH, Anna"."""
        return f"{self.family_name.upper()}, {self.given_name}"


@dataclass(frozen=True)
class EpisodeRow:
    id: int
    patient_id: int
    product_code: str
    planned_infusion_date: date | None
    infused_at: datetime | None
    weight_kg: float
    weight_recorded_on: date
    consultant: str
    ward: str
    bed: str
    carer_name: str
    carer_phone: str
    status: str  # planned | active | discharged | died | completed
    spo2_scale: int
    developmental_delay: bool
    assessment_interval_hours: float | None
    nursing_note: str
    icu_transfer_at: datetime | None
    discharged_at: datetime | None
    died_at: datetime | None
    death_cause: str | None
    version: int
    updated_by: str
    updated_at: datetime | None


@dataclass(frozen=True)
class AlertRow:
    id: int
    episode_id: int
    kind: str
    status: str  # raised | acknowledged | resolved
    trigger_grade: int | None
    message: str
    raised_at: datetime
    raised_by_assessment_id: int | None
    due_at: datetime | None
    deadline_passed: bool  # due_at reached while still open (e.g. no discussion in 30 min)
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_role: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolved_reason: str | None
    discussion_clinician: str | None
    discussion_at: datetime | None
    discussion_outcome: str | None
    discussion_detail: str | None
    discussion_recorded_by: str | None
    version: int

    @property
    def is_open(self) -> bool:
        return self.status != "resolved"

    @property
    def severity(self) -> int:
        return ALERT_SEVERITY.get(self.kind, 0)

    @property
    def title(self) -> str:
        return ALERT_TITLES.get(self.kind, self.kind)


@dataclass(frozen=True)
class AssessmentRow:
    id: int
    episode_id: int
    assessed_at: datetime
    entered_at: datetime
    entered_by: str
    day: int | None
    is_baseline: bool
    status: str  # current | amended | entered_in_error
    supersedes_id: int | None
    superseded_by_id: int | None
    amend_reason: str | None
    late_entry: bool
    confirmations: Mapping[str, str]
    inputs: Mapping[str, Any]  # every stored input (RULES §6 names), as stored
    crs_grade: int | None
    crs_reasons: tuple[str, ...]
    crs_notes: tuple[str, ...]
    icans_grade: int | None
    icans_tool: str | None
    icans_reasons: tuple[str, ...]
    icans_missing: tuple[str, ...]
    capd_total: int | None
    ice_total: int | None
    news2_total: int | None
    news2_risk: str | None
    news2_subscores: Mapping[str, int] | None
    news2_null_reason: str | None
    rules_version: str
    # Ids of every version of this observation set, oldest first (this one included).
    version_ids: tuple[int, ...] = ()
    # Alerts this write raised, re-raised or resolved (empty when read back later).
    alerts: tuple[AlertRow, ...] = ()
    # True when an idempotency key matched an already-stored row (double submit).
    already_stored: bool = False
    # CRS observations not recorded that could raise crs_grade (grading.crs_missing).
    crs_missing: tuple[str, ...] = ()

    @property
    def is_current(self) -> bool:
        return self.status == "current"

    @property
    def icans_at_least(self) -> bool:
        """RULES I8: domains not assessed make the grade a lower bound."""
        return bool(self.icans_missing)

    @property
    def icans_display(self) -> str:
        if self.icans_grade is None:
            return "—"
        return f"≥ {self.icans_grade}" if self.icans_missing else str(self.icans_grade)

    @property
    def crs_at_least(self) -> bool:
        """Observations not recorded make the CRS grade a lower bound (README "Design")."""
        return bool(self.crs_missing)

    @property
    def crs_display(self) -> str:
        if self.crs_grade is None:
            return "—"
        return f"≥ {self.crs_grade}" if self.crs_missing else str(self.crs_grade)


@dataclass(frozen=True)
class AssessmentPreview:
    """What the live preview shows before a save: the grades of the values that pass
    validation, the CRS observations whose absence leaves the CRS grade a lower bound, and
    the fields left out because they were refused (so a refused 45.5 °C reads as "refused",
    never as "no temperature recorded")."""

    result: Any  # grading.GradingResult (app.rows stays free of the grading import)
    crs_missing: tuple[str, ...] = ()
    left_out: tuple[tuple[str, str], ...] = ()  # (field, message) of each refused value


@dataclass(frozen=True)
class AdministrationRow:
    id: int
    episode_id: int
    drug: str
    category: str  # tocilizumab | corticosteroid | antipyretic | anti_cytokine | other
    dose: float
    dose_unit: str
    route: str
    given_at: datetime
    day: int | None
    entered_at: datetime
    entered_by: str
    status: str
    calculated_dose_mg: float | None
    weight_used_kg: float | None
    limit_warnings: tuple[str, ...]
    override_reason: str | None
    already_stored: bool = False


@dataclass(frozen=True)
class EpisodeHeader:
    """The identity strip shown on every patient screen and printed page (SAFETY.md)."""

    episode_id: int
    patient_id: int
    name: str
    family_name: str
    given_name: str
    nhs_number: str  # formatted "999 000 1234", or "" when only a hospital number
    hospital_number: str | None
    date_of_birth: date
    age_years: int
    sex: str
    ward: str
    bed: str
    product_code: str
    consultant: str
    planned_infusion_date: date | None
    infused_at: datetime | None
    day: int | None
    weight_kg: float
    weight_recorded_on: date
    carer_name: str
    carer_phone: str
    status: str
    spo2_scale: int
    developmental_delay: bool
    nursing_note: str
    icu_transfer_at: datetime | None
    open_alerts: tuple[AlertRow, ...]
    version: int  # the episode's, for the next edit's expected_version
    patient_version: int


@dataclass(frozen=True)
class WardRow:
    episode_id: int
    patient_id: int
    ward: str
    bed: str
    patient_name: str
    nhs_number: str  # formatted, or "" (then hospital_number identifies)
    hospital_number: str | None
    date_of_birth: date
    age_years: int
    product_code: str
    infused_at: datetime | None
    day: int | None
    crs_grade: int | None  # from the last current assessment
    icans_grade: int | None
    icans_at_least: bool
    max_crs_grade: int | None
    max_crs_day: int | None
    max_icans_grade: int | None
    max_icans_day: int | None
    news2_total: int | None
    news2_risk: str | None
    last_assessed_at: datetime | None
    next_due_at: datetime | None
    overdue: bool
    open_alerts: tuple[AlertRow, ...]
    tocilizumab: Any | None  # app.services.tocilizumab.TocilizumabStatus, when available
    nursing_note: str
    version: int
    crs_at_least: bool = False  # the last set left out observations that could raise CRS

    @property
    def alert_kinds(self) -> tuple[str, ...]:
        return tuple(a.kind for a in self.open_alerts)

    @property
    def worst_alert(self) -> AlertRow | None:
        return max(self.open_alerts, key=lambda a: a.severity, default=None)

    @property
    def icans_display(self) -> str:
        if self.icans_grade is None:
            return "—"
        return f"≥ {self.icans_grade}" if self.icans_at_least else str(self.icans_grade)


@dataclass(frozen=True)
class TimelineDay:
    day: int
    date: date
    is_baseline: bool
    assessments: tuple[AssessmentRow, ...]  # every version, assessed_at order
    crs_max: int | None  # RULES T3: max over the day's current assessments
    icans_max: int | None
    icans_at_least: bool  # the day's max rests on an incomplete ICANS assessment
    administrations: tuple[AdministrationRow, ...]
    alerts: tuple[AlertRow, ...]  # alerts raised that day
    crs_at_least: bool = False  # ... on a CRS assessment with observations not recorded

    @property
    def current_assessments(self) -> tuple[AssessmentRow, ...]:
        return tuple(a for a in self.assessments if a.is_current)


@dataclass(frozen=True)
class Timeline:
    episode_id: int
    infused_at: datetime | None
    days: tuple[TimelineDay, ...]  # baseline days (-2, -1) first when present, then 0-28
    alerts: tuple[AlertRow, ...] = field(default=())  # every alert of the episode


@dataclass(frozen=True)
class SyndromeCourse:
    """One syndrome's course over days 0-28 (definitions: README.md ("Services"))."""

    syndrome: str  # "CRS" | "ICANS"
    occurred: bool
    onset_day: int | None
    onset_date: date | None
    max_grade: int | None  # 5 only from a death attributed to it (RULES C6)
    max_day: int | None
    max_date: date | None
    resolution_day: int | None
    resolution_date: date | None
    episodes: int  # separate episodes: recurrence after a resolution counts again
    ongoing: bool  # positive with no resolving day recorded since


@dataclass(frozen=True)
class CourseSummary:
    episode_id: int
    infused_at: datetime | None
    crs: SyndromeCourse
    icans: SyndromeCourse
    tocilizumab_doses: int
    steroid_doses: int
    icu_transfer: bool
    icu_transfer_at: datetime | None
    alive_at_day_28: bool | None  # None until day 28 has passed or a death is recorded
    died_at: datetime | None
    death_date: date | None
    death_cause: str | None


@dataclass(frozen=True)
class TrendRow:
    episode_id: int
    patient_name: str
    nhs_number: str
    bed: str
    product_code: str
    status: str
    infused_at: datetime
    day: int  # today's day number
    crs_by_day: tuple[int | None, ...]  # index = day 0..28; None = no assessment that day
    icans_by_day: tuple[int | None, ...]
    crs_onset_day: int | None
    crs_resolution_day: int | None
    icans_onset_day: int | None
    icans_resolution_day: int | None


@dataclass(frozen=True)
class PlannedRow:
    """One registered episode not yet infused (status planned): the "Awaiting infusion"
    list, where the infusion is recorded from. `readiness_text` is the RULES E6 gate's own
    check (app.services.tocilizumab), in ward words."""

    episode_id: int
    patient_id: int
    ward: str
    bed: str
    patient_name: str  # "MURPHY, Siobhan"
    nhs_number: str  # formatted "999 000 1234", or "" (then hospital_number identifies)
    hospital_number: str | None
    date_of_birth: date
    age_years: int
    product_code: str
    product_label: str  # "Yescarta (axicabtagene ciloleucel)", or the code when unknown
    planned_infusion_date: date | None
    days_to_infusion: int | None  # planned date minus today (ward dates); < 0: date passed
    weight_kg: float
    weight_recorded_on: date
    readiness_met: bool  # RULES E6 requirement met: the infusion may be recorded
    readiness_text: str  # "Ready: 2 doses reserved" / "Short by 1 dose — ask pharmacy"
    readiness_detail: str  # the gate's detail, e.g. "needs 1 dose of 640 mg; reserved 400 mg"
    reserved_vial_expiring: bool  # a reserved vial expires within 48 h
    version: int


@dataclass(frozen=True)
class Registration:
    """What registering a patient with their first (or a further) CAR-T episode stored."""

    patient: PatientRow
    episode: EpisodeRow
    new_patient: bool  # False: the episode was added to a patient already registered
