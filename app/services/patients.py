"""Patients and their CAR-T episodes: registration, discharge, death, ICU transfer, notes.

Each function is one transaction with one audit event. Edits of an existing row carry the
version the user saw (`expected_version`): a stale edit fails with StaleEdit, never
overwrites (ARCHITECTURE.md "Concurrency").
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.actor import Actor
from app.audit import record_audit, snapshot
from app.context import AppContext
from app.errors import FieldProblem, ValidationFailed
from app.nhs_number import format_nhs_number, normalise_nhs_number
from app.permissions import Action, require
from app.rows import EpisodeRow, PatientRow
from app.services.history import load_episode, load_patient, versioned_update
from db.models import Episode, Patient

SEXES = ("female", "male", "other", "unknown")
# RULES C6: grade 5 CRS/ICANS exists only as a death attributed to it.
DEATH_CAUSES = ("crs", "icans", "disease_progression", "infection", "other")
WEIGHT_LIMITS_KG = (0.5, 350.0)
FUTURE_TOLERANCE = timedelta(minutes=5)


def to_patient_row(p: Patient) -> PatientRow:
    return PatientRow(
        id=p.id,
        nhs_number=p.nhs_number,
        nhs_number_display=format_nhs_number(p.nhs_number),
        hospital_number=p.hospital_number,
        family_name=p.family_name,
        given_name=p.given_name,
        date_of_birth=p.date_of_birth,
        sex=p.sex,
        version=p.version,
    )


def to_episode_row(e: Episode) -> EpisodeRow:
    return EpisodeRow(
        id=e.id,
        patient_id=e.patient_id,
        product_code=e.product_code,
        planned_infusion_date=e.planned_infusion_date,
        infused_at=e.infused_at,
        weight_kg=e.weight_kg,
        weight_recorded_on=e.weight_recorded_on,
        consultant=e.consultant,
        ward=e.ward,
        bed=e.bed,
        carer_name=e.carer_name,
        carer_phone=e.carer_phone,
        status=e.status,
        spo2_scale=e.spo2_scale,
        developmental_delay=e.developmental_delay,
        assessment_interval_hours=e.assessment_interval_hours,
        nursing_note=e.nursing_note,
        icu_transfer_at=e.icu_transfer_at,
        discharged_at=e.discharged_at,
        died_at=e.died_at,
        death_cause=e.death_cause,
        version=e.version,
        updated_by=e.updated_by,
        updated_at=e.updated_at,
    )


def _product_problem(product_code: str) -> FieldProblem | None:
    """The product must be in the product table (resources/, owned by app.products)."""
    try:
        from app.products import products as product_table
    except ImportError:  # product table not built yet: accept, it is checked at infusion
        return None
    products = product_table()
    if product_code in products:
        return None
    known = ", ".join(sorted(products)) or "none configured"
    return FieldProblem(
        "product_code", f"unknown product {product_code!r} — choose one of: {known}"
    )


def register_patient(
    ctx: AppContext,
    actor: Actor,
    *,
    nhs_number: str | None,
    hospital_number: str | None,
    family_name: str,
    given_name: str,
    date_of_birth: date,
    sex: str,
) -> PatientRow:
    require(actor, Action.REGISTER_PATIENT)
    now = ctx.clock()
    problems: list[FieldProblem] = []
    digits: str | None = None
    if nhs_number and nhs_number.strip():
        try:
            digits = normalise_nhs_number(nhs_number)
        except ValueError as exc:
            problems.append(FieldProblem("nhs_number", str(exc)))
    hospital = (hospital_number or "").strip() or None
    if digits is None and hospital is None and not problems:
        problems.append(FieldProblem("nhs_number", "give an NHS number or a local hospital number"))
    if hospital is not None and len(hospital) > 20:
        problems.append(FieldProblem("hospital_number", "at most 20 characters"))
    family, given = (family_name or "").strip(), (given_name or "").strip()
    if not family:
        problems.append(FieldProblem("family_name", "family name is required"))
    if not given:
        problems.append(FieldProblem("given_name", "given name is required"))
    today = now.astimezone(ctx.tz).date()
    if date_of_birth > today:
        problems.append(FieldProblem("date_of_birth", "date of birth is in the future"))
    elif date_of_birth.year < 1900:
        problems.append(FieldProblem("date_of_birth", "date of birth before 1900 — check the year"))
    if sex not in SEXES:
        problems.append(FieldProblem("sex", f"sex must be one of {', '.join(SEXES)}"))
    if problems:
        raise ValidationFailed(problems)

    with ctx.database.transaction() as session:
        for column, value, label in (
            (Patient.nhs_number, digits, f"NHS number {format_nhs_number(digits)}"),
            (Patient.hospital_number, hospital, f"hospital number {hospital}"),
        ):
            if value is None:
                continue
            existing = session.execute(select(Patient).where(column == value)).scalar_one_or_none()
            if existing is not None:
                who = f"{existing.family_name.upper()}, {existing.given_name}"
                raise ValidationFailed(
                    [
                        FieldProblem(
                            column.key,
                            f"{label} is already registered to patient {existing.id} ({who}) — "
                            "open that patient instead",
                        )
                    ]
                )
        patient = Patient(
            nhs_number=digits,
            hospital_number=hospital,
            family_name=family,
            given_name=given,
            date_of_birth=date_of_birth,
            sex=sex,
            created_at=now,
            version=1,
            updated_by=actor.username,
            updated_at=now,
        )
        session.add(patient)
        session.flush()
        record_audit(
            session, actor, now, "register_patient", "patient", patient.id, after=snapshot(patient)
        )
        return to_patient_row(patient)


def register_episode(
    ctx: AppContext,
    actor: Actor,
    patient_id: int,
    *,
    product_code: str,
    planned_infusion_date: date | None,
    weight_kg: float,
    consultant: str,
    ward: str,
    bed: str = "",
    carer_name: str = "",
    carer_phone: str = "",
    developmental_delay: bool = False,
    spo2_scale: int = 1,
) -> EpisodeRow:
    require(actor, Action.REGISTER_PATIENT)
    now = ctx.clock()
    problems: list[FieldProblem] = []
    product_problem = _product_problem(product_code)
    if product_problem is not None:
        problems.append(product_problem)
    problems += _weight_problems(weight_kg)
    if not (consultant or "").strip():
        problems.append(FieldProblem("consultant", "the responsible consultant is required"))
    if not (ward or "").strip():
        problems.append(FieldProblem("ward", "ward is required"))
    if spo2_scale not in (1, 2):
        problems.append(FieldProblem("spo2_scale", "SpO2 scale is 1 or 2 (RULES N2)"))
    if problems:
        raise ValidationFailed(problems)

    with ctx.database.transaction() as session:
        load_patient(session, patient_id)
        open_episode = session.execute(
            select(Episode.id).where(
                Episode.patient_id == patient_id, Episode.status.in_(("planned", "active"))
            )
        ).scalar()
        if open_episode is not None:
            raise ValidationFailed(
                [
                    FieldProblem(
                        "patient_id",
                        f"patient {patient_id} already has an open episode ({open_episode}) — "
                        "discharge it before registering another infusion",
                    )
                ]
            )
        episode = Episode(
            patient_id=patient_id,
            product_code=product_code,
            planned_infusion_date=planned_infusion_date,
            weight_kg=float(weight_kg),
            weight_recorded_on=now.astimezone(ctx.tz).date(),
            consultant=consultant.strip(),
            ward=ward.strip(),
            bed=bed.strip(),
            carer_name=carer_name.strip(),
            carer_phone=carer_phone.strip(),
            status="planned",
            spo2_scale=spo2_scale,
            developmental_delay=developmental_delay,
            nursing_note="",
            created_at=now,
            version=1,
            updated_by=actor.username,
            updated_at=now,
        )
        session.add(episode)
        session.flush()
        record_audit(
            session,
            actor,
            now,
            "register_episode",
            "episode",
            episode.id,
            episode_id=episode.id,
            after=snapshot(episode),
        )
        return to_episode_row(episode)


def _weight_problems(weight_kg: float) -> list[FieldProblem]:
    low, high = WEIGHT_LIMITS_KG
    if not isinstance(weight_kg, int | float) or not (low <= float(weight_kg) <= high):
        return [FieldProblem("weight_kg", f"weight must be {low:g}–{high:g} kg")]
    return []


def _time_problems(
    ctx: AppContext, episode: Episode, at: datetime, field: str
) -> list[FieldProblem]:
    if at.tzinfo is None:
        return [FieldProblem(field, "time has no time zone — internal error, please report")]
    if at > ctx.clock() + FUTURE_TOLERANCE:
        return [FieldProblem(field, "time is in the future")]
    if episode.infused_at is not None and at < episode.infused_at:
        return [FieldProblem(field, "time is before the infusion")]
    return []


def _edit_episode(
    ctx: AppContext,
    actor: Actor,
    episode_id: int,
    *,
    expected_version: int,
    action: str,
    values: dict[str, Any],
    check: Any = None,
    reason: str | None = None,
) -> EpisodeRow:
    now = ctx.clock()
    with ctx.database.transaction() as session:
        episode = load_episode(session, episode_id)
        if check is not None:
            problems = check(episode)
            if problems:
                raise ValidationFailed(problems)
        fields = [*values, "version"]
        before = snapshot(episode, fields)
        episode = versioned_update(
            session,
            Episode,
            episode_id,
            expected_version,
            {**values, "updated_by": actor.username, "updated_at": now},
            tz=ctx.tz,
        )
        record_audit(
            session,
            actor,
            now,
            action,
            "episode",
            episode_id,
            episode_id=episode_id,
            before=before,
            after=snapshot(episode, fields),
            reason=reason,
        )
        return to_episode_row(episode)


def record_discharge(
    ctx: AppContext, actor: Actor, episode_id: int, *, at: datetime, expected_version: int
) -> EpisodeRow:
    require(actor, Action.REGISTER_PATIENT)

    def check(e: Episode) -> list[FieldProblem]:
        if e.status not in ("active", "planned"):
            return [FieldProblem("status", f"episode is already {e.status}")]
        return _time_problems(ctx, e, at, "discharged_at")

    return _edit_episode(
        ctx,
        actor,
        episode_id,
        expected_version=expected_version,
        action="record_discharge",
        values={"status": "discharged", "discharged_at": at},
        check=check,
    )


def record_death(
    ctx: AppContext,
    actor: Actor,
    episode_id: int,
    *,
    at: datetime,
    cause: str,
    expected_version: int,
) -> EpisodeRow:
    """RULES C6: a death attributed to CRS or ICANS is how grade 5 enters the record."""
    require(actor, Action.REGISTER_PATIENT)

    def check(e: Episode) -> list[FieldProblem]:
        problems = []
        if cause not in DEATH_CAUSES:
            problems.append(
                FieldProblem("cause", f"cause must be one of {', '.join(DEATH_CAUSES)}")
            )
        if e.status == "died":
            problems.append(FieldProblem("status", "a death is already recorded"))
        return problems + _time_problems(ctx, e, at, "died_at")

    return _edit_episode(
        ctx,
        actor,
        episode_id,
        expected_version=expected_version,
        action="record_death",
        values={"status": "died", "died_at": at, "death_cause": cause},
        check=check,
    )


def record_icu_transfer(
    ctx: AppContext, actor: Actor, episode_id: int, *, at: datetime, expected_version: int
) -> EpisodeRow:
    require(actor, Action.RECORD_ASSESSMENT)

    def check(e: Episode) -> list[FieldProblem]:
        return _time_problems(ctx, e, at, "icu_transfer_at")

    return _edit_episode(
        ctx,
        actor,
        episode_id,
        expected_version=expected_version,
        action="record_icu_transfer",
        values={"icu_transfer_at": at},
        check=check,
    )


def update_nursing_note(
    ctx: AppContext, actor: Actor, episode_id: int, note: str, *, expected_version: int
) -> EpisodeRow:
    require(actor, Action.RECORD_ASSESSMENT)

    def check(_e: Episode) -> list[FieldProblem]:
        if len(note) > 2000:
            return [FieldProblem("nursing_note", "at most 2,000 characters")]
        return []

    return _edit_episode(
        ctx,
        actor,
        episode_id,
        expected_version=expected_version,
        action="update_nursing_note",
        values={"nursing_note": note.strip()},
        check=check,
    )


def update_weight(
    ctx: AppContext,
    actor: Actor,
    episode_id: int,
    weight_kg: float,
    *,
    recorded_on: date | None = None,
    expected_version: int,
) -> EpisodeRow:
    """The weight tocilizumab doses are calculated from (RULES E5)."""
    require(actor, Action.RECORD_ASSESSMENT)
    on = recorded_on or ctx.clock().astimezone(ctx.tz).date()

    def check(_e: Episode) -> list[FieldProblem]:
        problems = _weight_problems(weight_kg)
        if on > ctx.clock().astimezone(ctx.tz).date():
            problems.append(FieldProblem("weight_recorded_on", "date is in the future"))
        return problems

    return _edit_episode(
        ctx,
        actor,
        episode_id,
        expected_version=expected_version,
        action="update_weight",
        values={"weight_kg": float(weight_kg), "weight_recorded_on": on},
        check=check,
    )


def update_episode_settings(
    ctx: AppContext,
    actor: Actor,
    episode_id: int,
    *,
    bed: str | None = None,
    spo2_scale: int | None = None,
    developmental_delay: bool | None = None,
    assessment_interval_hours: float | None = None,
    clear_assessment_interval: bool = False,
    expected_version: int,
) -> EpisodeRow:
    """Bed, SpO2 scale (RULES N2), developmental delay (I1) and the E4 interval override."""
    require(actor, Action.REGISTER_PATIENT)
    values: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    if bed is not None:
        values["bed"] = bed.strip()
    if spo2_scale is not None:
        if spo2_scale not in (1, 2):
            problems.append(FieldProblem("spo2_scale", "SpO2 scale is 1 or 2 (RULES N2)"))
        values["spo2_scale"] = spo2_scale
    if developmental_delay is not None:
        values["developmental_delay"] = developmental_delay
    if clear_assessment_interval:
        values["assessment_interval_hours"] = None
    elif assessment_interval_hours is not None:
        if not 0.25 <= assessment_interval_hours <= 24:
            problems.append(
                FieldProblem("assessment_interval_hours", "interval must be 0.25–24 hours")
            )
        values["assessment_interval_hours"] = float(assessment_interval_hours)
    if problems:
        raise ValidationFailed(problems)
    if not values:
        raise ValidationFailed([FieldProblem("settings", "nothing to change")])
    return _edit_episode(
        ctx,
        actor,
        episode_id,
        expected_version=expected_version,
        action="update_episode_settings",
        values=values,
    )


def get_patient(ctx: AppContext, actor: Actor, patient_id: int) -> PatientRow:
    require(actor, Action.VIEW_WARD)
    with ctx.database.read() as session:
        return to_patient_row(load_patient(session, patient_id))


def get_episode(ctx: AppContext, actor: Actor, episode_id: int) -> EpisodeRow:
    require(actor, Action.VIEW_WARD)
    with ctx.database.read() as session:
        return to_episode_row(load_episode(session, episode_id))
