"""Record, amend and correct observation sets (ARCHITECTURE.md "Data flow").

record_assessment: permission -> episode and day window (RULES T2) -> validation (reject
the impossible, confirm the improbable) -> waiver flags from the episode's history (C2)
-> grading -> one transaction: the row with every input and computed grade + alerts
(E1-E4) + one audit event -> a frozen AssessmentRow.

Clinical rows are append-only (SAFETY.md): an amendment is a new row superseding the old
one, "entered in error" is a status, and nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import grading
from app.actor import Actor
from app.audit import record_audit, snapshot
from app.clock import day_number, format_local
from app.context import AppContext
from app.errors import ConfirmationRequired, FieldProblem, StaleEdit, ValidationFailed
from app.permissions import Action, require
from app.rows import AlertRow, AssessmentPreview, AssessmentRow
from app.services.alerts import (
    AlertChange,
    evaluate_assessment_alerts,
    settle_overdue,
    to_alert_row,
)
from app.services.history import (
    CRS_COMPLETENESS_COLUMNS,
    age_on,
    crs_missing_of,
    derive_waiver_flags,
    load_episode,
    load_patient,
)
from app.services.idempotency import stored_by_other_submit, submitted_row
from app.validation import (
    ObservationCheck,
    TimeCheck,
    check_assessment_time,
    parse_assessed_at,
    validate_observation,
)
from db.models import Assessment, AuditEvent, Episode
from grading.inputs import (
    Acvpu,
    AssessmentInputs,
    CapdAnswer,
    CapdItem,
    CerebralEdema,
    Consciousness,
    IceItems,
    MotorFinding,
    OxygenDevice,
    Seizure,
    UnableReason,
    Vasopressor,
)

# Typed by the user (RULES §6 names plus diastolic_bp, item dicts and a comment).
INPUT_COLUMNS = (
    "temperature_c",
    "fever_attributed_to_other_cause",
    "hypotension",
    "systolic_bp",
    "diastolic_bp",
    "heart_rate",
    "respiratory_rate",
    "spo2_percent",
    "acvpu",
    "oxygen_device",
    "oxygen_flow_l_min",
    "vasopressors",
    "ice_items",
    "ice_score",
    "ice_unable_reason",
    "capd_items",
    "capd_score",
    "capd_unable_reason",
    "consciousness",
    "loc_attributable_to_other_cause",
    "seizure",
    "motor_weakness",
    "cerebral_edema",
    "organ_toxicity_ctcae",
    "comment",
)
# Derived from the patient, the episode and its history: never taken from the form.
DERIVED_KEYS = frozenset(
    {
        "age_years",
        "developmental_delay",
        "spo2_scale",
        "crs_previously_diagnosed",
        "antipyretic_or_anticytokine_given",
        "case_id",
    }
)
DUPLICATE_WINDOW = timedelta(minutes=5)  # SAFETY.md "same values within 5 min"
_COMPARED = tuple(c for c in INPUT_COLUMNS if c != "comment")


# --- conversions ------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Enums to their RULES §6 strings, containers to JSON-able lists and dicts."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _enum(kind: type[Any], value: Any) -> Any:
    return None if value is None else kind(value)


def inputs_from_row(
    a: Assessment,
    masking_drug_name: str | None = None,
    masking_drug_given_at: str | None = None,
    *,
    masking_drug_checked: bool = False,
) -> AssessmentInputs:
    """The stored row as the grading engine's input: one path for record, amend, regrade."""
    capd = None
    if a.capd_items:
        capd = tuple(
            (item, CapdAnswer(a.capd_items[item.value]))
            for item in CapdItem
            if item.value in a.capd_items
        )
    return AssessmentInputs(
        age_years=a.age_years,
        developmental_delay=bool(a.developmental_delay),
        temperature_c=a.temperature_c,
        crs_previously_diagnosed=bool(a.crs_previously_diagnosed),
        antipyretic_or_anticytokine_given=bool(a.antipyretic_or_anticytokine_given),
        fever_attributed_to_other_cause=bool(a.fever_attributed_to_other_cause),
        masking_drug_name=masking_drug_name,
        masking_drug_given_at=masking_drug_given_at,
        masking_drug_checked=masking_drug_checked,
        hypotension=a.hypotension,
        systolic_bp=a.systolic_bp,
        vasopressors=tuple(Vasopressor(v) for v in (a.vasopressors or [])),
        oxygen_device=_enum(OxygenDevice, a.oxygen_device),
        oxygen_flow_l_min=a.oxygen_flow_l_min,
        ice_score=a.ice_score,
        ice_items=IceItems(**a.ice_items) if a.ice_items else None,
        ice_unable_reason=_enum(UnableReason, a.ice_unable_reason),
        capd_score=a.capd_score,
        capd_items=capd,
        capd_unable_reason=_enum(UnableReason, a.capd_unable_reason),
        consciousness=_enum(Consciousness, a.consciousness),
        loc_attributable_to_other_cause=bool(a.loc_attributable_to_other_cause),
        seizure=_enum(Seizure, a.seizure),
        motor_weakness=_enum(MotorFinding, a.motor_weakness),
        cerebral_edema=_enum(CerebralEdema, a.cerebral_edema),
        respiratory_rate=a.respiratory_rate,
        spo2_percent=a.spo2_percent,
        spo2_scale=a.spo2_scale,
        heart_rate=a.heart_rate,
        acvpu=_enum(Acvpu, a.acvpu),
        organ_toxicity_ctcae=tuple(sorted((a.organ_toxicity_ctcae or {}).items())),
    )


def _apply_grades(a: Assessment, result: grading.GradingResult) -> None:
    crs, icans, news2 = result.crs, result.icans, result.news2
    a.crs_grade = None if crs is None else crs.grade
    a.crs_reasons = [] if crs is None else list(crs.reasons)
    a.crs_notes = [] if crs is None else list(crs.notes)
    a.icans_grade = None if icans is None else icans.grade
    a.icans_tool = None if icans is None else icans.tool
    a.icans_reasons = [] if icans is None else list(icans.reasons)
    a.icans_missing = [] if icans is None else list(icans.missing)
    a.capd_total = None if icans is None else icans.capd_total
    a.news2_total = None if news2 is None else news2.total
    a.news2_risk = None if news2 is None else news2.clinical_risk
    a.news2_subscores = None if news2 is None else dict(news2.subscores)
    a.news2_null_reason = result.news2_null_reason
    a.rules_version = result.rules_version


def _ice_total(a: Assessment) -> int | None:
    if a.ice_score is not None:
        return a.ice_score
    if a.ice_items:
        return sum(int(v) for v in a.ice_items.values())
    return None


def day_of(episode: Episode, moment: datetime, tz: ZoneInfo) -> int | None:
    """RULES T1; before the infusion is recorded, relative to the planned date (baseline)."""
    if episode.infused_at is not None:
        return day_number(episode.infused_at, moment, tz)
    if episode.planned_infusion_date is not None:
        return (moment.astimezone(tz).date() - episode.planned_infusion_date).days
    return None


def to_assessment_row(
    a: Assessment,
    episode: Episode,
    tz: ZoneInfo,
    *,
    superseded_by_id: int | None = None,
    version_ids: tuple[int, ...] = (),
    alerts: tuple[AlertRow, ...] = (),
    already_stored: bool = False,
) -> AssessmentRow:
    return AssessmentRow(
        id=a.id,
        episode_id=a.episode_id,
        assessed_at=a.assessed_at,
        entered_at=a.entered_at,
        entered_by=a.entered_by,
        day=day_of(episode, a.assessed_at, tz),
        is_baseline=a.is_baseline,
        status=a.status,
        supersedes_id=a.supersedes_id,
        superseded_by_id=superseded_by_id,
        amend_reason=a.amend_reason,
        late_entry=a.late_entry,
        confirmations=dict(a.confirmations or {}),
        inputs={name: getattr(a, name) for name in INPUT_COLUMNS},
        crs_grade=a.crs_grade,
        crs_reasons=tuple(a.crs_reasons or ()),
        crs_notes=tuple(a.crs_notes or ()),
        icans_grade=a.icans_grade,
        icans_tool=a.icans_tool,
        icans_reasons=tuple(a.icans_reasons or ()),
        icans_missing=tuple(a.icans_missing or ()),
        capd_total=a.capd_total,
        ice_total=_ice_total(a),
        news2_total=a.news2_total,
        news2_risk=a.news2_risk,
        news2_subscores=None if a.news2_subscores is None else dict(a.news2_subscores),
        news2_null_reason=a.news2_null_reason,
        rules_version=a.rules_version,
        version_ids=version_ids or (a.id,),
        alerts=alerts,
        already_stored=already_stored,
        crs_missing=() if a.crs_grade is None else _crs_missing(a),
    )


def _crs_missing(a: Assessment) -> tuple[str, ...]:
    return crs_missing_of(*(getattr(a, column.key) for column in CRS_COMPLETENESS_COLUMNS))


# --- shared steps -----------------------------------------------------------------------


def _split_values(
    values: Mapping[str, Any], tz: ZoneInfo, now: datetime
) -> tuple[dict[str, Any], datetime]:
    raw = {k: v for k, v in values.items() if k not in DERIVED_KEYS}
    when = raw.pop("assessed_at", None)
    if when is None:
        return raw, now
    try:
        return raw, parse_assessed_at(when, tz)
    except ValueError as exc:
        raise ValidationFailed([FieldProblem("assessed_at", str(exc))]) from None


def _day0_reference(episode: Episode, tz: ZoneInfo, is_baseline: bool) -> datetime:
    """Day 0 for the time window: the infusion, or for a baseline before it, the planned
    infusion date (RULES T2: a baseline on day −1 or −2 only)."""
    if episode.infused_at is not None:
        return episode.infused_at
    if is_baseline and episode.planned_infusion_date is not None:
        return datetime.combine(episode.planned_infusion_date, time(12), tz).astimezone(UTC)
    if is_baseline:
        raise ValidationFailed(
            [
                FieldProblem(
                    "assessed_at", "set the planned infusion date before recording a baseline"
                )
            ]
        )
    raise ValidationFailed(
        [
            FieldProblem(
                "assessed_at",
                "the infusion has not been recorded for this episode: record it first, or tick "
                "baseline for observations on day −1 or −2",
            )
        ]
    )


def _check_episode_open(episode: Episode) -> None:
    if episode.status in ("active", "planned"):  # planned: baseline only (_day0_reference)
        return
    raise ValidationFailed(
        [
            FieldProblem(
                "episode",
                f"this episode is {episode.status}: assessments can no longer be recorded",
            )
        ]
    )


def _previous_ice(
    session: Session, episode_id: int, before: datetime, exclude_id: int | None = None
) -> int | None:
    q = select(Assessment.ice_score, Assessment.ice_items).where(
        Assessment.episode_id == episode_id,
        Assessment.status == "current",
        Assessment.assessed_at < before,
        (Assessment.ice_score.is_not(None)) | (Assessment.ice_items.is_not(None)),
    )
    if exclude_id is not None:
        q = q.where(Assessment.id != exclude_id)
    row = session.execute(q.order_by(Assessment.assessed_at.desc()).limit(1)).first()
    if row is None:
        return None
    if row[0] is not None:
        return int(row[0])
    return sum(int(v) for v in (row[1] or {}).values()) if row[1] else None


def _unconfirmed(
    problems: list[FieldProblem], confirmations: Mapping[str, str]
) -> list[FieldProblem]:
    return [p for p in problems if not str(confirmations.get(p.field) or "").strip()]


def _build_row(
    session: Session,
    episode: Episode,
    typed: Mapping[str, Any],
    assessed_at: datetime,
    *,
    actor: Actor,
    now: datetime,
    tz: ZoneInfo,
    is_baseline: bool,
    exclude_id: int | None = None,
) -> tuple[Assessment, grading.GradingResult]:
    """An unsaved, graded row: typed inputs + derived ones (age, waiver flags C2...)."""
    patient = load_patient(session, episode.patient_id)
    row = Assessment(
        episode_id=episode.id,
        assessed_at=assessed_at,
        entered_at=now,
        entered_by_user_id=actor.user_id,
        entered_by=actor.username,
        is_baseline=is_baseline,
        status="current",
        confirmations={},
        late_entry=False,
        age_years=round(age_on(patient.date_of_birth, assessed_at.astimezone(tz).date()), 4),
        developmental_delay=episode.developmental_delay,
        spo2_scale=episode.spo2_scale,
        vasopressors=[],
        fever_attributed_to_other_cause=False,
        loc_attributable_to_other_cause=False,
        crs_reasons=[],
        crs_notes=[],
        icans_reasons=[],
        icans_missing=[],
        comment="",
    )
    for name in INPUT_COLUMNS:
        if name in typed and typed[name] is not None:
            setattr(row, name, _plain(typed[name]))
    if row.ice_score is None and row.ice_items:
        row.ice_score = sum(int(v) for v in row.ice_items.values())
    flags = derive_waiver_flags(
        session, episode.id, assessed_at, tz=tz, exclude_assessment_id=exclude_id
    )
    row.crs_previously_diagnosed = flags.crs_previously_diagnosed
    row.antipyretic_or_anticytokine_given = flags.antipyretic_or_anticytokine_given
    result = grading.grade_assessment(
        inputs_from_row(row, flags.masking_drug_name, flags.masking_drug_given_at,
                        masking_drug_checked=True)
    )
    _apply_grades(row, result)
    return row, result


def _same_values(a: Assessment, b: Assessment) -> bool:
    return all(getattr(a, c) == getattr(b, c) for c in _COMPARED)


def _duplicate_of(session: Session, row: Assessment, exclude_id: int | None) -> Assessment | None:
    q = select(Assessment).where(
        Assessment.episode_id == row.episode_id,
        Assessment.status == "current",
        Assessment.assessed_at >= row.assessed_at - DUPLICATE_WINDOW,
        Assessment.assessed_at <= row.assessed_at + DUPLICATE_WINDOW,
    )
    if exclude_id is not None:
        q = q.where(Assessment.id != exclude_id)
    for other in session.execute(q).scalars():
        if _same_values(row, other):
            return other
    return None


def _validate_submission(
    session: Session,
    episode: Episode,
    raw: Mapping[str, Any],
    assessed_at: datetime,
    *,
    now: datetime,
    tz: ZoneInfo,
    is_baseline: bool,
    exclude_id: int | None = None,
) -> tuple[ObservationCheck, TimeCheck]:
    """The values and the time of a set to store (recorded or amended; `exclude_id` is the
    set an amendment replaces). Impossible ones raise ValidationFailed and nothing is
    stored; the improbable ones are in the checks' `needs_confirmation`."""
    day0 = _day0_reference(episode, tz, is_baseline)
    patient = load_patient(session, episode.patient_id)
    age = age_on(patient.date_of_birth, assessed_at.astimezone(tz).date())
    check = validate_observation(
        raw,
        age_years=age,
        previous_ice=_previous_ice(session, episode.id, assessed_at, exclude_id=exclude_id),
    )
    timing = check_assessment_time(
        assessed_at, now=now, infused_at=day0, tz=tz, is_baseline=is_baseline
    )
    rejections = (check.rejections + _wrong_tool(check.values, age, episode.developmental_delay)
                  + timing.rejections)
    if rejections:
        raise ValidationFailed(rejections)
    return check, timing


# The encephalopathy screen each tool's values belong to (RULES I1).
_ICE_FIELDS = ("ice_items", "ice_score", "ice_unable_reason")
_CAPD_FIELDS = ("capd_items", "capd_score", "capd_unable_reason")


def _wrong_tool(values: Mapping[str, Any], age: float, delay: bool) -> list[FieldProblem]:
    """RULES I1: an ICE for a patient assessed with CAPD (or the reverse) is refused, as
    `python -m grading` refuses it. Stored, it would grade nothing yet count as the
    encephalopathy screen done (E4) and leave the ICANS domain silently missing."""
    capd = grading.uses_capd(age, delay)
    given = [f for f in (_ICE_FIELDS if capd else _CAPD_FIELDS) if values.get(f) is not None]
    if not given:
        return []
    if capd:
        why = "developmental delay" if delay else f"age {int(age)}, under 12"
        message = (f"ICE does not apply ({why}): this patient is screened with CAPD — enter "
                   "the CAPD items instead")
    else:
        message = (f"CAPD does not apply (age {int(age)}, no developmental delay): this "
                   "patient is screened with ICE — enter the ICE items instead")
    return [FieldProblem(given[0], message)]


def _alerts_after(
    session: Session, row: Assessment, episode: Episode, now: datetime, tz: ZoneInfo
) -> list[AlertChange]:
    changes = evaluate_assessment_alerts(session, row, now, tz)
    if episode.status == "active" and episode.infused_at is not None:
        changes += settle_overdue(session, episode, now, tz)
    return changes


def _audit_after(row: Assessment, changes: list[AlertChange]) -> dict[str, Any]:
    after = snapshot(row)
    if changes:
        after["alerts"] = [c.for_audit() for c in changes]
    return after


def _reasons_text(confirmations: Mapping[str, str]) -> str | None:
    if not confirmations:
        return None
    return "; ".join(f"{k}: {v}" for k, v in confirmations.items())


# --- RULES C2 history changed behind later sets ------------------------------------------


def regrade_later(
    session: Session,
    episode: Episode,
    since: datetime,
    *,
    cause: str,
    actor: Actor,
    now: datetime,
    tz: ZoneInfo,
    skip_id: int | None = None,
) -> tuple[list[dict[str, Any]], list[AlertChange]]:
    """RULES C2 reads the episode's history: "CRS diagnosed earlier" and "an antipyretic or
    anti-cytokine drug given since". When that history changes behind sets already graded —
    a dose recorded late or entered in error, an earlier set recorded late, amended or
    entered in error — every later current set is graded again, oldest first (each one's
    grade feeds the next one's waiver). A set whose CRS grade or reasons change is
    superseded by a re-graded version: the same observations and observer, the new grades,
    and an amendment reason naming the cause, so the timeline shows what changed and why.
    Its alerts are evaluated as for any new grade. Returns (audit entries, alert changes)."""
    later = session.execute(
        select(Assessment)
        .where(
            Assessment.episode_id == episode.id,
            Assessment.status == "current",
            Assessment.is_baseline.is_(False),
            Assessment.assessed_at >= since,
        )
        .order_by(Assessment.assessed_at, Assessment.id)
    ).scalars().all()
    entries: list[dict[str, Any]] = []
    changes: list[AlertChange] = []
    for old in later:
        if old.id == skip_id:
            continue
        typed = {name: getattr(old, name) for name in INPUT_COLUMNS}
        new, _result = _build_row(
            session, episode, typed, old.assessed_at, actor=actor, now=now, tz=tz,
            is_baseline=False, exclude_id=old.id,
        )  # fmt: skip
        if (new.crs_grade, list(new.crs_reasons or ())) == (
            old.crs_grade, list(old.crs_reasons or ())
        ):
            continue  # the waiver changed nothing this set's grade rests on
        _supersede(session, old, "amended", None, tz)
        new.entered_by = old.entered_by  # the observations are still theirs
        new.entered_by_user_id = old.entered_by_user_id
        new.supersedes_id = old.id
        new.amend_reason = f"re-graded by the system: {cause} (RULES C2)"
        new.late_entry = old.late_entry
        new.confirmations = dict(old.confirmations or {})
        session.add(new)
        session.flush()
        entries.append({"assessment": old.id, "re-graded as": new.id,
                        "crs_grade": [old.crs_grade, new.crs_grade]})
        changes += _alerts_after(session, new, episode, now, tz)
    return entries, changes


def audit_with_regrades(
    after: dict[str, Any], entries: list[dict[str, Any]], changes: list[AlertChange]
) -> dict[str, Any]:
    """The triggering write's one audit event lists the re-grades it caused."""
    if entries:
        after["regraded"] = entries
    if changes:
        after.setdefault("alerts", []).extend(c.for_audit() for c in changes)
    return after


# --- use cases --------------------------------------------------------------------------


def record_assessment(
    ctx: AppContext,
    actor: Actor,
    episode_id: int,
    values: Mapping[str, Any],
    *,
    confirmations: Mapping[str, str] | None = None,
    idempotency_key: str | None = None,
    is_baseline: bool = False,
) -> AssessmentRow:
    require(actor, Action.RECORD_ASSESSMENT)
    confirmations = dict(confirmations or {})
    now = ctx.clock()
    raw, assessed_at = _split_values(values, ctx.tz, now)
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 64):
        raise ValidationFailed([FieldProblem("idempotency_key", "1–64 characters")])
    try:
        with ctx.database.transaction() as session:
            if idempotency_key is not None:
                stored = _by_idempotency_key(session, idempotency_key, episode_id, ctx.tz)
                if stored is not None:
                    return stored  # a double submit: the row already stored, no second row
            episode = load_episode(session, episode_id)
            _check_episode_open(episode)
            # Held for the whole write: the session's identity map keeps only referenced
            # objects, and validation and grading each look the patient up (one SELECT).
            _patient = load_patient(session, episode.patient_id)
            check, timing = _validate_submission(
                session, episode, raw, assessed_at, now=now, tz=ctx.tz, is_baseline=is_baseline
            )
            needed = check.needs_confirmation + timing.needs_confirmation
            row, _result = _build_row(
                session,
                episode,
                check.values,
                assessed_at,
                actor=actor,
                now=now,
                tz=ctx.tz,
                is_baseline=is_baseline,
            )
            duplicate = _duplicate_of(session, row, None)
            if duplicate is not None:
                needed.append(
                    FieldProblem(
                        "duplicate",
                        f"the same values were recorded for this patient at "
                        f"{format_local(duplicate.assessed_at, ctx.tz)} by {duplicate.entered_by}; "
                        "give a reason to store them again",
                    )
                )
            missing = _unconfirmed(needed, confirmations)
            if missing:
                raise ConfirmationRequired(missing)
            row.confirmations = {p.field: confirmations[p.field].strip() for p in needed}
            row.late_entry = timing.late_entry
            row.idempotency_key = idempotency_key
            session.add(row)
            session.flush()
            changes = _alerts_after(session, row, episode, now, ctx.tz)
            regrades = regrade_later(
                session, episode, assessed_at, actor=actor, now=now, tz=ctx.tz, skip_id=row.id,
                cause=f"a set of {format_local(assessed_at, ctx.tz)} was recorded late",
            )  # fmt: skip
            record_audit(
                session,
                actor,
                now,
                "record_assessment",
                "assessment",
                row.id,
                episode_id=episode_id,
                after=audit_with_regrades(_audit_after(row, changes), *regrades),
                reason=_reasons_text(row.confirmations),
            )
            return to_assessment_row(
                row, episode, ctx.tz, alerts=tuple(to_alert_row(c.alert, now) for c in changes)
            )
    except IntegrityError as conflict:
        return stored_by_other_submit(
            ctx,
            idempotency_key,
            lambda s, key: _by_idempotency_key(s, key, episode_id, ctx.tz),
            conflict,
        )


def _by_idempotency_key(
    session: Session, key: str, episode_id: int, tz: ZoneInfo
) -> AssessmentRow | None:
    row = submitted_row(session, Assessment, key, episode_id)
    if row is None:
        return None
    episode = load_episode(session, episode_id)
    return to_assessment_row(
        row, episode, tz, already_stored=True, version_ids=_chain(session, row)
    )


def preview_assessment(
    ctx: AppContext, episode_id: int, values: Mapping[str, Any]
) -> AssessmentPreview:
    """The grades the form would store now (live preview): no write, no audit.

    Fields that fail validation are left out, so the preview never grades an impossible
    value, and are named in `left_out` so it never reads as "not recorded" either.
    """
    now = ctx.clock()
    left_out: list[FieldProblem] = []
    with ctx.database.read() as session:
        episode = load_episode(session, episode_id)
        try:
            raw, assessed_at = _split_values(values, ctx.tz, now)
        except ValidationFailed as refused:
            raw = {k: v for k, v in values.items() if k not in DERIVED_KEYS and k != "assessed_at"}
            assessed_at = now
            left_out += refused.problems
        patient = load_patient(session, episode.patient_id)
        age = age_on(patient.date_of_birth, assessed_at.astimezone(ctx.tz).date())
        check = validate_observation(raw, age_years=age, previous_ice=None)
        left_out += check.rejections
        from app.actor import SYSTEM_ACTOR

        row, result = _build_row(
            session,
            episode,
            check.values,
            assessed_at,
            actor=SYSTEM_ACTOR,
            now=now,
            tz=ctx.tz,
            is_baseline=False,
        )
        return AssessmentPreview(
            result=result,
            crs_missing=() if result.crs is None else _crs_missing(row),
            left_out=tuple((p.field, p.message) for p in left_out),
        )


def _chain(session: Session, row: Assessment) -> tuple[int, ...]:
    """Ids of every version of this observation set, oldest first."""
    ids = [row.id]
    current = row
    while current.supersedes_id is not None:
        older = session.get(Assessment, current.supersedes_id)
        if older is None:
            break
        ids.insert(0, older.id)
        current = older
    newest = row.id
    while True:
        newer = session.execute(
            select(Assessment.id).where(Assessment.supersedes_id == newest)
        ).scalar_one_or_none()
        if newer is None:
            break
        ids.append(newer)
        newest = newer
    return tuple(ids)


def _who_changed(session: Session, a: Assessment) -> tuple[str, datetime | None]:
    newer = session.execute(
        select(Assessment).where(Assessment.supersedes_id == a.id)
    ).scalar_one_or_none()
    if newer is not None:
        return newer.entered_by, newer.entered_at
    event = session.execute(
        select(AuditEvent)
        .where(AuditEvent.entity == "assessment", AuditEvent.entity_id == a.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if event is not None:
        return event.username, event.at
    return "another user", None


def _require_amend_permission(actor: Actor, a: Assessment) -> None:
    own = (a.entered_by_user_id is not None and a.entered_by_user_id == actor.user_id) or (
        a.entered_by_user_id is None and a.entered_by == actor.username
    )
    require(actor, Action.AMEND_OWN_ENTRY if own else Action.AMEND_OTHERS_ENTRY)


def _supersede(
    session: Session, a: Assessment, status: str, reason: str | None, tz: ZoneInfo
) -> None:
    """Atomically move a current row to `status`; StaleEdit if someone got there first."""
    values: dict[str, Any] = {"status": status}
    if reason is not None:
        values["amend_reason"] = reason
    result = session.execute(
        update(Assessment)
        .where(Assessment.id == a.id, Assessment.status == "current")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(a)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        by, at = _who_changed(session, a)
        raise StaleEdit(by, format_local(at, tz))


def _load_current(session: Session, assessment_id: int, tz: ZoneInfo) -> Assessment:
    a = session.get(Assessment, assessment_id)
    if a is None:
        from app.errors import NotFound

        raise NotFound(f"No assessment with id {assessment_id} — reload.")
    if a.status != "current":
        by, at = _who_changed(session, a)
        what = "amended" if a.status == "amended" else "marked entered in error"
        raise StaleEdit(by, format_local(at, tz) + f" (already {what})")
    return a


def amend_assessment(
    ctx: AppContext,
    actor: Actor,
    assessment_id: int,
    values: Mapping[str, Any],
    *,
    reason: str,
    confirmations: Mapping[str, str] | None = None,
) -> AssessmentRow:
    """A corrected version: the original becomes "amended" and stays readable; the new row
    supersedes it with the reason, its grades recomputed and its alerts re-evaluated."""
    if not (reason or "").strip():
        raise ValidationFailed([FieldProblem("reason", "give the reason for the amendment")])
    confirmations = dict(confirmations or {})
    now = ctx.clock()
    with ctx.database.transaction() as session:
        original = session.get(Assessment, assessment_id)
        if original is not None:
            _require_amend_permission(actor, original)
        original = _load_current(session, assessment_id, ctx.tz)
        episode = load_episode(session, original.episode_id)
        merged = dict(values)
        merged.setdefault("assessed_at", original.assessed_at)
        raw, assessed_at = _split_values(merged, ctx.tz, now)
        check, _timing = _validate_submission(
            session,
            episode,
            raw,
            assessed_at,
            now=now,
            tz=ctx.tz,
            is_baseline=original.is_baseline,
            exclude_id=original.id,
        )
        # The amendment's reason covers the late time; only value checks need a reason.
        needed = list(check.needs_confirmation)
        missing = _unconfirmed(needed, confirmations)
        if missing:
            raise ConfirmationRequired(missing)
        before = snapshot(original)
        _supersede(session, original, "amended", None, ctx.tz)
        row, _result = _build_row(
            session,
            episode,
            check.values,
            assessed_at,
            actor=actor,
            now=now,
            tz=ctx.tz,
            is_baseline=original.is_baseline,
            exclude_id=original.id,
        )
        row.supersedes_id = original.id
        row.amend_reason = reason.strip()
        row.late_entry = original.late_entry
        row.confirmations = {
            **dict(original.confirmations or {}),
            **{p.field: confirmations[p.field].strip() for p in needed},
        }
        session.add(row)
        session.flush()
        changes = _alerts_after(session, row, episode, now, ctx.tz)
        regrades = regrade_later(
            session, episode, min(original.assessed_at, row.assessed_at), actor=actor, now=now,
            tz=ctx.tz, skip_id=row.id,
            cause=f"the set of {format_local(original.assessed_at, ctx.tz)} was amended",
        )  # fmt: skip
        record_audit(
            session,
            actor,
            now,
            "amend_assessment",
            "assessment",
            row.id,
            episode_id=episode.id,
            before=before,
            after=audit_with_regrades(_audit_after(row, changes), *regrades),
            reason=reason.strip(),
        )
        return to_assessment_row(
            row,
            episode,
            ctx.tz,
            version_ids=_chain(session, row),
            alerts=tuple(to_alert_row(c.alert, now) for c in changes),
        )


def mark_entered_in_error(
    ctx: AppContext, actor: Actor, assessment_id: int, *, reason: str
) -> AssessmentRow:
    """A state, not a delete: the row stays readable, marked, and leaves the grades.

    Alerts it raised stay open until a clinician handles them: an alert is never
    withdrawn silently. The overdue check is re-run, since the row no longer counts.
    """
    if not (reason or "").strip():
        raise ValidationFailed([FieldProblem("reason", "give the reason it was entered in error")])
    now = ctx.clock()
    with ctx.database.transaction() as session:
        a = session.get(Assessment, assessment_id)
        if a is not None:
            _require_amend_permission(actor, a)
        a = _load_current(session, assessment_id, ctx.tz)
        episode = load_episode(session, a.episode_id)
        before = snapshot(a, ["id", "status", "amend_reason"])
        _supersede(session, a, "entered_in_error", reason.strip(), ctx.tz)
        changes: list[AlertChange] = []
        if episode.status == "active" and episode.infused_at is not None:
            changes = settle_overdue(session, episode, now, ctx.tz)
        after = snapshot(a, ["id", "status", "amend_reason"])
        if changes:
            after["alerts"] = [c.for_audit() for c in changes]
        if not a.is_baseline:
            audit_with_regrades(after, *regrade_later(
                session, episode, a.assessed_at, actor=actor, now=now, tz=ctx.tz,
                cause=f"the set of {format_local(a.assessed_at, ctx.tz)} was entered in error",
            ))  # fmt: skip
        record_audit(
            session,
            actor,
            now,
            "mark_entered_in_error",
            "assessment",
            a.id,
            episode_id=episode.id,
            before=before,
            after=after,
            reason=reason.strip(),
        )
        return to_assessment_row(a, episode, ctx.tz, version_ids=_chain(session, a))


def get_assessment(ctx: AppContext, actor: Actor, assessment_id: int) -> AssessmentRow:
    require(actor, Action.VIEW_WARD)
    with ctx.database.read() as session:
        a = session.get(Assessment, assessment_id)
        if a is None:
            from app.errors import NotFound

            raise NotFound(f"No assessment with id {assessment_id}.")
        episode = load_episode(session, a.episode_id)
        chain = _chain(session, a)
        newer = chain[chain.index(a.id) + 1] if chain.index(a.id) + 1 < len(chain) else None
        return to_assessment_row(a, episode, ctx.tz, version_ids=chain, superseded_by_id=newer)
