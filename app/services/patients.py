"""Patients and their CAR-T episodes: registration, discharge, death, ICU transfer, notes.

Each function is one transaction with one audit event. Edits of an existing row carry the
version the user saw (`expected_version`): a stale edit fails with StaleEdit, never
overwrites (ARCHITECTURE.md "Concurrency").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from app.actor import Actor
from app.audit import record_audit, snapshot
from app.clock import format_local
from app.context import AppContext
from app.errors import ConfirmationRequired, FieldProblem, ValidationFailed
from app.nhs_number import format_nhs_number, normalise_nhs_number
from app.permissions import Action, require
from app.rows import EpisodeRow, PatientRow, Registration
from app.services.alerts import resolve_by_system
from app.services.history import (
    age_on,
    load_episode,
    load_patient,
    patient_name,
    versioned_update,
)
from db.models import Alert, Episode, Patient

SEXES = ("female", "male", "other", "unknown")
SEX_LABELS = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Not known"}
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
    if not (product_code or "").strip():
        return FieldProblem("product_code", "choose the CAR-T product")
    try:
        from app.products import products as product_table
    except ImportError:  # product table not built yet: accept, it is checked at infusion
        return None
    products = product_table()
    if product_code in products:
        return None
    # The labels the product list shows, never the stored codes (ward words).
    known = ", ".join(sorted(p.label for p in products.values())) or "none configured"
    return FieldProblem(
        "product_code", f"unknown product {product_code!r} — choose one of: {known}"
    )


@dataclass(frozen=True)
class _PatientValues:
    """The identity fields as stored: NHS digits, trimmed names."""

    digits: str | None
    hospital: str | None
    family: str
    given: str
    date_of_birth: date | None
    sex: str


def _patient_problems(
    today: date,
    *,
    nhs_number: str | None,
    hospital_number: str | None,
    family_name: str,
    given_name: str,
    date_of_birth: date | None,
    sex: str,
) -> tuple[list[FieldProblem], _PatientValues]:
    """Every problem with the patient half of a registration (nothing read or stored)."""
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
    if date_of_birth is None:
        problems.append(FieldProblem("date_of_birth", "date of birth is required"))
    elif date_of_birth > today:
        problems.append(FieldProblem("date_of_birth", "date of birth is in the future"))
    elif date_of_birth.year < 1900:
        problems.append(FieldProblem("date_of_birth", "date of birth before 1900 — check the year"))
    if sex not in SEXES:
        choices = ", ".join(SEX_LABELS[s] for s in SEXES[:-1]) + f" or {SEX_LABELS[SEXES[-1]]}"
        problems.append(FieldProblem("sex", f"choose the sex: {choices}"))
    return problems, _PatientValues(digits, hospital, family, given, date_of_birth, sex)


def _episode_problems(
    *, product_code: str, weight_kg: float, consultant: str, ward: str, spo2_scale: int
) -> list[FieldProblem]:
    """Every problem with the episode half of a registration (nothing read or stored)."""
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
    return problems


def _find_registered(
    session: Session, digits: str | None, hospital: str | None
) -> tuple[Patient, str, str] | None:
    """(patient, field, "NHS number 999 000 1234") when either number is already stored."""
    for column, value, label in (
        (Patient.nhs_number, digits, f"NHS number {format_nhs_number(digits)}"),
        (Patient.hospital_number, hospital, f"hospital number {hospital}"),
    ):
        if value is None:
            continue
        existing = session.execute(select(Patient).where(column == value)).scalar_one_or_none()
        if existing is not None:
            return existing, column.key, label
    return None


def _open_episode(session: Session, patient_id: int) -> Episode | None:
    """The patient's planned or active episode (at most one is open at a time)."""
    return session.execute(
        select(Episode)
        .where(Episode.patient_id == patient_id, Episode.status.in_(("planned", "active")))
        .order_by(Episode.id)
    ).scalars().first()



def describe_open_episode(e: Episode | EpisodeRow, tz: ZoneInfo) -> str:
    """"a CAR-T episode awaiting infusion (Yescarta, planned 12 Mar 2026, bed 4)"."""
    from app.products import display_name

    parts = [display_name(e.product_code)]
    if e.status == "planned":
        what = "a CAR-T episode awaiting infusion"
        if e.planned_infusion_date is not None:
            parts.append(f"planned {e.planned_infusion_date:%d %b %Y}")
    else:
        what = "an active CAR-T episode"
        if e.infused_at is not None:
            parts.append(f"infused {e.infused_at.astimezone(tz):%d %b %Y}")
    if e.bed:
        parts.append(f"bed {e.bed}")
    return f"{what} ({', '.join(parts)})"


class AlreadyRegistered(ValidationFailed):
    """The NHS (or hospital) number typed belongs to a stored patient. `patient` is that
    patient; `open_episode` their planned or active episode, if any. With no open episode
    the caller may add the new episode to them (`existing_patient_id`)."""

    def __init__(
        self, field: str, label: str, patient: PatientRow, open_episode: EpisodeRow | None,
        message: str,
    ) -> None:
        super().__init__([FieldProblem(field, message)])
        self.field = field
        self.label = label  # "NHS number 999 000 1308"
        self.patient = patient
        self.open_episode = open_episode


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
    problems, values = _patient_problems(
        now.astimezone(ctx.tz).date(), nhs_number=nhs_number, hospital_number=hospital_number,
        family_name=family_name, given_name=given_name, date_of_birth=date_of_birth, sex=sex,
    )  # fmt: skip
    if problems:
        raise ValidationFailed(problems)

    with ctx.database.transaction() as session:
        found = _find_registered(session, values.digits, values.hospital)
        if found is not None:
            existing, field, label = found
            raise ValidationFailed(
                [
                    FieldProblem(
                        field,
                        f"{label} is already registered to patient {existing.id} "
                        f"({patient_name(existing)}) — open that patient instead",
                    )
                ]
            )
        patient = _add_patient(session, actor, now, values)
        record_audit(
            session, actor, now, "register_patient", "patient", patient.id, after=snapshot(patient)
        )
        return to_patient_row(patient)


def _add_patient(session: Session, actor: Actor, now: datetime, values: _PatientValues) -> Patient:
    assert values.date_of_birth is not None  # checked by _patient_problems
    patient = Patient(
        nhs_number=values.digits,
        hospital_number=values.hospital,
        family_name=values.family,
        given_name=values.given,
        date_of_birth=values.date_of_birth,
        sex=values.sex,
        created_at=now,
        version=1,
        updated_by=actor.username,
        updated_at=now,
    )
    session.add(patient)
    session.flush()
    return patient


def _add_episode(
    session: Session, ctx: AppContext, actor: Actor, *, now: datetime, patient_id: int,
    values: dict[str, Any],
) -> Episode:
    episode = Episode(
        patient_id=patient_id,
        product_code=values["product_code"],
        planned_infusion_date=values["planned_infusion_date"],
        weight_kg=float(values["weight_kg"]),
        weight_recorded_on=now.astimezone(ctx.tz).date(),
        consultant=values["consultant"].strip(),
        ward=values["ward"].strip(),
        bed=values["bed"].strip(),
        carer_name=values["carer_name"].strip(),
        carer_phone=values["carer_phone"].strip(),
        status="planned",
        spo2_scale=values["spo2_scale"],
        developmental_delay=values["developmental_delay"],
        nursing_note="",
        created_at=now,
        version=1,
        updated_by=actor.username,
        updated_at=now,
    )
    session.add(episode)
    session.flush()
    return episode


def _refuse_second_open_episode(session: Session, patient: Patient, tz: ZoneInfo) -> None:
    open_episode = _open_episode(session, patient.id)
    if open_episode is not None:
        raise ValidationFailed(
            [
                FieldProblem(
                    "patient_id",
                    f"{patient_name(patient)} already has an open episode: "
                    f"{describe_open_episode(open_episode, tz)} — discharge it before "
                    "registering another infusion",
                )
            ]
        )


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
    problems = _episode_problems(product_code=product_code, weight_kg=weight_kg,
                                 consultant=consultant, ward=ward, spo2_scale=spo2_scale)
    if problems:
        raise ValidationFailed(problems)
    values = {
        "product_code": product_code, "planned_infusion_date": planned_infusion_date,
        "weight_kg": weight_kg, "consultant": consultant, "ward": ward, "bed": bed,
        "carer_name": carer_name, "carer_phone": carer_phone,
        "developmental_delay": developmental_delay, "spo2_scale": spo2_scale,
    }  # fmt: skip

    with ctx.database.transaction() as session:
        _refuse_second_open_episode(session, load_patient(session, patient_id), ctx.tz)
        episode = _add_episode(session, ctx, actor, now=now, patient_id=patient_id, values=values)
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


def registration_problems(
    ctx: AppContext,
    actor: Actor,
    *,
    nhs_number: str | None,
    hospital_number: str | None,
    family_name: str,
    given_name: str,
    date_of_birth: date | None,
    sex: str,
    product_code: str,
    weight_kg: float,
    consultant: str,
    ward: str,
    spo2_scale: int = 1,
    **_other: Any,
) -> list[FieldProblem]:
    """Every problem with both halves of a registration at once, reading and storing
    nothing: the register dialog shows them all in one go (with its own date-parsing
    problems) instead of in rounds. `register_patient_with_episode` applies the same."""
    require(actor, Action.REGISTER_PATIENT)
    problems, _values = _patient_problems(
        ctx.clock().astimezone(ctx.tz).date(), nhs_number=nhs_number,
        hospital_number=hospital_number, family_name=family_name, given_name=given_name,
        date_of_birth=date_of_birth, sex=sex,
    )  # fmt: skip
    return problems + _episode_problems(product_code=product_code, weight_kg=weight_kg,
                                        consultant=consultant, ward=ward, spo2_scale=spo2_scale)


def register_patient_with_episode(
    ctx: AppContext,
    actor: Actor,
    *,
    nhs_number: str | None,
    hospital_number: str | None,
    family_name: str,
    given_name: str,
    date_of_birth: date | None,
    sex: str,
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
    existing_patient_id: int | None = None,
) -> Registration:
    """Register a patient and their CAR-T episode in ONE transaction with one audit event:
    a refusal of either half stores nothing (no patient left without an episode).

    Every field of both halves is checked before anything is read, and all problems are
    raised together (ValidationFailed). When the NHS or hospital number already belongs
    to a patient, AlreadyRegistered names them; the caller may then resubmit with
    `existing_patient_id` to add the episode to that patient (the typed identity fields
    are then not stored: the record keeps the patient's stored identity). A patient with
    a planned or active episode gets no second one."""
    require(actor, Action.REGISTER_PATIENT)
    now = ctx.clock()
    tz = ctx.tz
    problems, values = _patient_problems(
        now.astimezone(tz).date(), nhs_number=nhs_number, hospital_number=hospital_number,
        family_name=family_name, given_name=given_name, date_of_birth=date_of_birth, sex=sex,
    )  # fmt: skip
    if existing_patient_id is not None:
        problems = []  # the stored patient's identity is used, not what was typed
    problems += _episode_problems(product_code=product_code, weight_kg=weight_kg,
                                  consultant=consultant, ward=ward, spo2_scale=spo2_scale)
    if problems:
        raise ValidationFailed(problems)
    episode_values = {
        "product_code": product_code, "planned_infusion_date": planned_infusion_date,
        "weight_kg": weight_kg, "consultant": consultant, "ward": ward, "bed": bed,
        "carer_name": carer_name, "carer_phone": carer_phone,
        "developmental_delay": developmental_delay, "spo2_scale": spo2_scale,
    }  # fmt: skip

    with ctx.database.transaction() as session:
        if existing_patient_id is not None:
            patient = load_patient(session, existing_patient_id)
            _refuse_second_open_episode(session, patient, tz)
            new_patient = False
        else:
            found = _find_registered(session, values.digits, values.hospital)
            if found is not None:
                raise _already_registered(session, *found, tz=tz)
            patient = _add_patient(session, actor, now, values)
            new_patient = True
        episode = _add_episode(session, ctx, actor, now=now, patient_id=patient.id,
                               values=episode_values)
        record_audit(
            session,
            actor,
            now,
            "register_patient_with_episode" if new_patient else "register_episode",
            "episode",
            episode.id,
            episode_id=episode.id,
            after={"patient": snapshot(patient), "episode": snapshot(episode)}
            if new_patient else snapshot(episode),
        )
        return Registration(to_patient_row(patient), to_episode_row(episode), new_patient)


def _already_registered(
    session: Session, existing: Patient, field: str, label: str, *, tz: ZoneInfo
) -> AlreadyRegistered:
    who = f"{patient_name(existing)} (born {existing.date_of_birth:%d %b %Y})"
    open_episode = _open_episode(session, existing.id)
    if open_episode is None:
        message = (f"{label} belongs to {who}. Add the new CAR-T episode to this patient "
                   "instead of registering them again.")
    else:
        where = ("find them under Awaiting infusion" if open_episode.status == "planned"
                 else "find them on the ward board")
        message = (f"{label} belongs to {who}, who already has "
                   f"{describe_open_episode(open_episode, tz)} — {where}. A new episode can "
                   "be added once that one has ended.")
    return AlreadyRegistered(
        field, label, to_patient_row(existing),
        None if open_episode is None else to_episode_row(open_episode), message,
    )  # fmt: skip


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
    close_alerts: Callable[[Alert], str] | None = None,
) -> EpisodeRow:
    """`check(episode)` returns problems (or raises ConfirmationRequired) before anything is
    written; `close_alerts(alert)` gives the reason each open alert of the episode is
    resolved with, by the system, in the same transaction (listed in the audit event)."""
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
        after = snapshot(episode, fields)
        if close_alerts is not None:
            changes = [resolve_by_system(session, alert, now, close_alerts(alert))
                       for alert in _open_alerts(session, episode_id)]
            if changes:
                after["alerts"] = [change.for_audit() for change in changes]
        record_audit(
            session,
            actor,
            now,
            action,
            "episode",
            episode_id,
            episode_id=episode_id,
            before=before,
            after=after,
            reason=reason,
        )
        return to_episode_row(episode)


def _open_alerts(session: Session, episode_id: int) -> list[Alert]:
    return list(
        session.execute(
            select(Alert)
            .where(Alert.episode_id == episode_id, Alert.status != "resolved")
            .order_by(Alert.raised_at, Alert.id)
        ).scalars()
    )


def _critical_care_problem(
    session: Session, episode_id: int, tz: ZoneInfo, outcome: str
) -> FieldProblem | None:
    """RULES E1: an open critical-care alert, named, as the reason a discharge needs."""
    alert = next((a for a in _open_alerts(session, episode_id) if a.kind == "critical_care"),
                 None)
    if alert is None:
        return None
    return FieldProblem(
        "reason",
        f"the critical-care alert “{alert.message}” (raised "
        f"{format_local(alert.raised_at, tz)}) is still open: the discussion with critical "
        f"care has not been recorded (RULES E1). Record the discussion first, or give the "
        f"reason to record the {outcome} with it open",
    )


def record_discharge(
    ctx: AppContext,
    actor: Actor,
    episode_id: int,
    *,
    at: datetime,
    expected_version: int,
    reason: str | None = None,
) -> EpisodeRow:
    """The episode ends with the patient discharged; they leave the board.

    RULES E1: while a critical-care alert is open (no discussion recorded) the discharge
    needs a reason (ConfirmationRequired names the alert): discharging instead of
    recording the ICU transfer, or the wrong highlighted patient, must not make a grade-3
    patient vanish unasked. Every open alert of the episode is then resolved by the system
    ("patient discharged", with the reason for a critical-care one) in the same
    transaction and listed in the audit event — an alert of an ended episode is shown on
    no screen, so it must not stay "open" unseen."""
    require(actor, Action.REGISTER_PATIENT)
    given = (reason or "").strip() or None

    def check(e: Episode) -> list[FieldProblem]:
        if e.status not in ("active", "planned"):
            return [FieldProblem("status", f"episode is already {e.status}")]
        problems = _time_problems(ctx, e, at, "discharged_at")
        if not problems and given is None:
            session = object_session(e)
            assert session is not None
            needed = _critical_care_problem(session, e.id, ctx.tz, "discharge")
            if needed is not None:
                raise ConfirmationRequired([needed])
        return problems

    def close(alert: Alert) -> str:
        if alert.kind == "critical_care" and given is not None:
            return f"patient discharged with the critical-care discussion not recorded: {given}"
        return "patient discharged"

    return _edit_episode(
        ctx,
        actor,
        episode_id,
        expected_version=expected_version,
        action="record_discharge",
        values={"status": "discharged", "discharged_at": at},
        check=check,
        reason=given,
        close_alerts=close,
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
    """RULES C6: a death attributed to CRS or ICANS is how grade 5 enters the record.

    Every open alert of the episode, a critical-care one included, is resolved by the
    system ("patient died") in the same transaction and listed in the audit event: no
    discussion or dose can follow, and the death needs no confirmation."""
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
        close_alerts=lambda _alert: "patient died",
    )


def record_icu_transfer(
    ctx: AppContext, actor: Actor, episode_id: int, *, at: datetime, expected_version: int
) -> EpisodeRow:
    """The patient moved to intensive care. The episode stays active (monitoring goes on,
    the patient stays on the board) and so do its alerts: the transfer is not the RULES E1
    record of who in critical care was contacted, when and with what outcome, so an open
    critical-care alert still closes only by recording that discussion (outcome
    "transfer"); NEWS2 and overdue alerts clear with the next assessment as usual."""
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


# RULES E5: the weight drives every tocilizumab dose. "Reject the impossible, confirm the
# improbable": a change of more than a fifth (a decimal slip, 95 -> 9.5 kg) or an adult
# falling under 30 kg (the 12 mg/kg paediatric rate) needs a reason (audit re-check 1).
WEIGHT_CHANGE_CONFIRM = 0.20
PAEDIATRIC_RATE_UNDER_KG = 30.0
ADULT_AGE_YEARS = 18


def weight_change_text(old_kg: float, new_kg: float) -> str:
    """'95 kg → 9.5 kg (−90 %)': the change a confirmation names."""
    percent = round((new_kg - old_kg) / old_kg * 100) if old_kg > 0 else 0
    sign = "+" if percent > 0 else "\u2212" if percent < 0 else "±"
    return f"{old_kg:g} kg \u2192 {new_kg:g} kg ({sign}{abs(percent)} %)"


def _weight_confirmation(e: Episode, weight_kg: float, on: date) -> FieldProblem | None:
    """An improbable new weight (RULES E5): what the reason is asked for, or None."""
    old = e.weight_kg
    why: list[str] = []
    if old > 0 and abs(weight_kg - old) / old > WEIGHT_CHANGE_CONFIRM:
        why.append(f"more than a {WEIGHT_CHANGE_CONFIRM * 100:g} % change (a decimal point slip?)")
    session = object_session(e)
    patient = session.get(Patient, e.patient_id) if session is not None else None
    adult = patient is not None and age_on(patient.date_of_birth, on) >= ADULT_AGE_YEARS
    if adult and weight_kg < PAEDIATRIC_RATE_UNDER_KG <= old:
        why.append(f"under {PAEDIATRIC_RATE_UNDER_KG:g} kg an adult's tocilizumab dose "
                   "moves to the 12 mg/kg rate")
    if on < e.weight_recorded_on:
        # Correcting a weight mistyped at registration may give the day it was really
        # measured, before the stored date; anything else replaces a newer weight.
        why.append(f"weighed before the weight it replaces ({e.weight_recorded_on:%d %b %Y}):"
                   " a correction of a mistyped weight?")
    if not why:
        return None
    return FieldProblem(
        "reason", f"{weight_change_text(old, weight_kg)}: {' and '.join(why)} (RULES E5). "
                  "Check the weight, then give the reason to store it")


def update_weight(
    ctx: AppContext,
    actor: Actor,
    episode_id: int,
    weight_kg: float,
    *,
    recorded_on: date | None = None,
    expected_version: int,
    reason: str | None = None,
) -> EpisodeRow:
    """The weight tocilizumab doses are calculated from (RULES E5).

    An improbable weight or date (see _weight_confirmation: a change over 20 %, an adult
    under 30 kg, a date before the stored weight's) raises ConfirmationRequired until
    `reason` is given; the reason is kept in the audit event."""
    require(actor, Action.RECORD_ASSESSMENT)
    on = recorded_on or ctx.clock().astimezone(ctx.tz).date()
    given = (reason or "").strip() or None

    def check(e: Episode) -> list[FieldProblem]:
        problems = _weight_problems(weight_kg)
        if on > ctx.clock().astimezone(ctx.tz).date():
            problems.append(FieldProblem("weight_recorded_on", "date is in the future"))
        if not problems and given is None:
            needed = _weight_confirmation(e, float(weight_kg), on)
            if needed is not None:
                raise ConfirmationRequired([needed])
        return problems

    return _edit_episode(
        ctx,
        actor,
        episode_id,
        expected_version=expected_version,
        action="update_weight",
        values={"weight_kg": float(weight_kg), "weight_recorded_on": on},
        check=check,
        reason=given,
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
