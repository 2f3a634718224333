"""The ward record (ARCHITECTURE.md "Records").

Clinical rows are append-only: an amendment is a new row that supersedes the old one with a
reason, "entered in error" is a status, and nothing clinical is deleted (SAFETY.md).
Mutable rows (patient, episode, alert, user, vial) carry `version` for optimistic
concurrency: a stale write fails instead of overwriting (ARCHITECTURE.md).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON as SA_JSON
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.types import UtcDateTime

# Python None is stored as SQL NULL, not as the JSON text 'null': otherwise a row given
# None explicitly and one given nothing differ, and `column IS NULL` misses the first.
JSON = SA_JSON(none_as_null=True)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class Patient(Base):
    __tablename__ = "patient"
    id: Mapped[int] = mapped_column(primary_key=True)
    nhs_number: Mapped[str | None] = mapped_column(String(10), unique=True)  # digits only
    hospital_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(10))  # female / male / other / unknown
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime | None]
    __table_args__ = (
        CheckConstraint(
            "nhs_number IS NOT NULL OR hospital_number IS NOT NULL", name="has_identifier"
        ),
    )


class Episode(Base):
    """One CAR-T infusion; day 0 is the local calendar date of infused_at (RULES T1)."""

    __tablename__ = "episode"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    product_code: Mapped[str] = mapped_column(String(40))  # key into resources/products.json
    planned_infusion_date: Mapped[date | None] = mapped_column(Date)
    infused_at: Mapped[datetime | None]  # None until the infusion is recorded
    weight_kg: Mapped[float] = mapped_column(Float)
    weight_recorded_on: Mapped[date] = mapped_column(Date)
    consultant: Mapped[str] = mapped_column(String(100))
    ward: Mapped[str] = mapped_column(String(60))
    bed: Mapped[str] = mapped_column(String(20), default="")
    carer_name: Mapped[str] = mapped_column(String(100), default="")
    carer_phone: Mapped[str] = mapped_column(String(40), default="")
    # planned -> active (infused) -> discharged | died | completed (day 28 reached)
    status: Mapped[str] = mapped_column(String(20), default="planned", index=True)
    spo2_scale: Mapped[int] = mapped_column(Integer, default=1)  # RULES N2: set by a clinician
    developmental_delay: Mapped[bool] = mapped_column(Boolean, default=False)  # RULES I1
    assessment_interval_hours: Mapped[float | None] = mapped_column(Float)  # RULES E4 override
    nursing_note: Mapped[str] = mapped_column(Text, default="")
    readiness_override_reason: Mapped[str | None] = mapped_column(Text)
    readiness_override_by: Mapped[str | None] = mapped_column(String(80))
    icu_transfer_at: Mapped[datetime | None]
    discharged_at: Mapped[datetime | None]
    died_at: Mapped[datetime | None]
    death_cause: Mapped[str | None] = mapped_column(String(40))  # crs / icans / disease / ...
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime | None]


class Assessment(Base):
    """One observation set, with every input of RULES §6 and its computed grades."""

    __tablename__ = "assessment"
    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id"))
    assessed_at: Mapped[datetime]  # the time the observations describe (UTC)
    entered_at: Mapped[datetime]  # when it was typed; late entry if > 1 h after assessed_at
    entered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    entered_by: Mapped[str] = mapped_column(String(80))
    is_baseline: Mapped[bool] = mapped_column(Boolean, default=False)  # RULES T2: day -1/-2
    # current | amended (superseded by a newer version) | entered_in_error
    status: Mapped[str] = mapped_column(String(20), default="current")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"))
    amend_reason: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    confirmations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # field -> reason
    late_entry: Mapped[bool] = mapped_column(Boolean, default=False)
    # Inputs (RULES §6 names)
    age_years: Mapped[float | None] = mapped_column(Float)
    developmental_delay: Mapped[bool] = mapped_column(Boolean, default=False)
    temperature_c: Mapped[float | None] = mapped_column(Float)
    fever_attributed_to_other_cause: Mapped[bool] = mapped_column(Boolean, default=False)
    crs_previously_diagnosed: Mapped[bool] = mapped_column(Boolean, default=False)  # derived
    antipyretic_or_anticytokine_given: Mapped[bool] = mapped_column(Boolean, default=False)
    hypotension: Mapped[bool | None] = mapped_column(Boolean)
    systolic_bp: Mapped[int | None] = mapped_column(Integer)
    diastolic_bp: Mapped[int | None] = mapped_column(Integer)
    heart_rate: Mapped[int | None] = mapped_column(Integer)
    respiratory_rate: Mapped[int | None] = mapped_column(Integer)
    spo2_percent: Mapped[int | None] = mapped_column(Integer)
    spo2_scale: Mapped[int] = mapped_column(Integer, default=1)
    acvpu: Mapped[str | None] = mapped_column(String(20))
    oxygen_device: Mapped[str | None] = mapped_column(String(40))
    oxygen_flow_l_min: Mapped[float | None] = mapped_column(Float)
    vasopressors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    ice_items: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ice_score: Mapped[int | None] = mapped_column(Integer)
    ice_unable_reason: Mapped[str | None] = mapped_column(String(40))
    capd_items: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    capd_score: Mapped[int | None] = mapped_column(Integer)
    capd_unable_reason: Mapped[str | None] = mapped_column(String(40))
    consciousness: Mapped[str | None] = mapped_column(String(40))
    loc_attributable_to_other_cause: Mapped[bool] = mapped_column(Boolean, default=False)
    seizure: Mapped[str | None] = mapped_column(String(60))
    motor_weakness: Mapped[str | None] = mapped_column(String(20))
    cerebral_edema: Mapped[str | None] = mapped_column(String(60))
    organ_toxicity_ctcae: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text, default="")
    # Computed (grading/), with the rules version that produced them
    crs_grade: Mapped[int | None] = mapped_column(Integer)
    crs_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    crs_notes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    icans_grade: Mapped[int | None] = mapped_column(Integer)
    icans_tool: Mapped[str | None] = mapped_column(String(10))
    icans_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    icans_missing: Mapped[list[Any]] = mapped_column(JSON, default=list)
    capd_total: Mapped[int | None] = mapped_column(Integer)
    news2_total: Mapped[int | None] = mapped_column(Integer)
    news2_risk: Mapped[str | None] = mapped_column(String(20))
    news2_subscores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    news2_null_reason: Mapped[str | None] = mapped_column(Text)
    rules_version: Mapped[str] = mapped_column(String(40))
    __table_args__ = (
        Index("ix_assessment_episode_time", "episode_id", "assessed_at"),
        Index("ix_assessment_status_episode", "status", "episode_id"),
    )


class Administration(Base):
    """A drug given: tocilizumab, corticosteroids, antipyretics, anakinra, siltuximab..."""

    __tablename__ = "administration"
    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id"), index=True)
    drug: Mapped[str] = mapped_column(String(40))
    dose: Mapped[float] = mapped_column(Float)
    dose_unit: Mapped[str] = mapped_column(String(10), default="mg")
    route: Mapped[str] = mapped_column(String(20), default="IV")
    given_at: Mapped[datetime]
    entered_at: Mapped[datetime]
    entered_by: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="current")  # / entered_in_error
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("administration.id"))
    calculated_dose_mg: Mapped[float | None] = mapped_column(Float)  # tocilizumab (RULES E5)
    weight_used_kg: Mapped[float | None] = mapped_column(Float)
    limit_warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    override_reason: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)


class Alert(Base):
    """Latched alerts (RULES E1-E4, SAFETY.md): raised -> acknowledged -> resolved."""

    __tablename__ = "alert"
    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id"), index=True)
    # critical_care | tocilizumab_prompt | news2_urgent | news2_emergency | overdue |
    # tocilizumab_resupply
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="raised")
    trigger_grade: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime]
    raised_by_assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"))
    due_at: Mapped[datetime | None]  # stored deadline, checked at start-up and periodically
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(80))
    acknowledged_role: Mapped[str | None] = mapped_column(String(20))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    resolved_reason: Mapped[str | None] = mapped_column(Text)
    # The critical-care discussion record (RULES E1)
    discussion_clinician: Mapped[str | None] = mapped_column(String(100))
    discussion_at: Mapped[datetime | None]
    discussion_outcome: Mapped[str | None] = mapped_column(String(30))  # transfer/stay/declined
    discussion_detail: Mapped[str | None] = mapped_column(Text)  # plan or reason declined
    discussion_recorded_by: Mapped[str | None] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __table_args__ = (
        # One open alert per patient episode and condition (SAFETY.md "Alerts").
        Index(
            "uq_alert_open_per_kind",
            "episode_id",
            "kind",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
    )


class UserAccount(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)


class LoginAttempt(Base):
    __tablename__ = "login_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[datetime]
    succeeded: Mapped[bool] = mapped_column(Boolean)
    workstation: Mapped[str] = mapped_column(String(80), default="")


class AuditEvent(Base):
    """Exactly one per write, in the write's transaction (SAFETY.md). Never updated."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(80), index=True)
    role: Mapped[str] = mapped_column(String(20))
    workstation: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    episode_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)


class Vial(Base):
    """One tocilizumab vial; its status moves by atomic conditional UPDATEs, never RMW."""

    __tablename__ = "vial"
    id: Mapped[int] = mapped_column(primary_key=True)
    strength_mg: Mapped[int] = mapped_column(Integer)  # 80, 200 or 400
    batch: Mapped[str] = mapped_column(String(40))
    expiry_date: Mapped[date] = mapped_column(Date, index=True)
    location: Mapped[str] = mapped_column(String(40))  # ward / pharmacy
    # in_stock | reserved | issued | wasted | expired
    status: Mapped[str] = mapped_column(String(20), default="in_stock", index=True)
    reserved_episode_id: Mapped[int | None] = mapped_column(ForeignKey("episode.id"), index=True)
    received_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)


class StockMovement(Base):
    """History of every vial: received, reserved, released, issued, returned, wasted, expired."""

    __tablename__ = "stock_movement"
    id: Mapped[int] = mapped_column(primary_key=True)
    vial_id: Mapped[int] = mapped_column(ForeignKey("vial.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episode.id"))
    administration_id: Mapped[int | None] = mapped_column(ForeignKey("administration.id"))
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
