"""Read models: the ward board, the identity header, a patient's timeline, the course
summary and the trend grid. Reads only (`Database.read()`), a fixed handful of queries
each whatever the ward size (no query per patient), so the board stays fast with
10,000 patients and 174 assessments each (bench/).

Day numbers follow RULES T1 (local calendar dates); a day's grade is the maximum over its
current assessments (T3). The course definitions are in app.services.history.course_of
and README.md ("Services").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.actor import Actor
from app.clock import day_number
from app.context import AppContext
from app.errors import FieldProblem, NotFound, ValidationFailed
from app.nhs_number import format_nhs_number, normalise_nhs_number
from app.permissions import Action, require
from app.rows import (
    AdministrationRow,
    AlertRow,
    AssessmentRow,
    CourseSummary,
    EpisodeHeader,
    PlannedRow,
    SyndromeCourse,
    Timeline,
    TimelineDay,
    TrendRow,
    WardRow,
)
from app.services.administrations import to_administration_row
from app.services.alerts import (
    due_status,
    encephalopathy_assessed,
    open_alerts_for,
    to_alert_row,
)
from app.services.history import (
    CORTICOSTEROIDS,
    CRS_COMPLETENESS_COLUMNS,
    Course,
    GradePoint,
    course_of,
    crs_missing_of,
    day_maxima,
    load_episode,
    load_patient,
    local_date_of_day,
    patient_name,
    whole_years,
)
from db.models import Administration, Alert, Assessment, Episode, Patient

if TYPE_CHECKING:
    from app.services.tocilizumab import ReadinessRow

LAST_DAY = 28
RECENTLY_FINISHED = timedelta(days=35)  # trend grid: infused within this, any status



def _bed_key(bed: str) -> tuple[Any, ...]:
    """Natural order: bed 2 before bed 10; an empty bed last."""
    parts = re.split(r"(\d+)", bed or "~")
    return tuple(int(p) if p.isdigit() else p.lower() for p in parts)


def _tocilizumab_status(
    session: Session, episodes: Sequence[Episode], now: datetime
) -> dict[int, Any]:
    """From the tocilizumab ledger (another module); the board still works without it."""
    try:
        from app.services.tocilizumab import tocilizumab_status_for
    except ImportError:
        return {}
    try:
        return dict(tocilizumab_status_for(session, episodes, now))
    except NotImplementedError:
        return {}


# --- the ward board ---------------------------------------------------------------------


@dataclass
class _EpisodeScan:
    """What the board needs from one episode's current assessments, in one pass."""

    max_crs: int | None = None
    max_icans: int | None = None
    max_crs_day: int | None = None
    max_icans_day: int | None = None
    last_at: datetime | None = None
    last: Any = None
    last_ice_at: datetime | None = None
    last_positive_at: datetime | None = None


def _scan(rows: Sequence[Any], infused_at: datetime, tz: ZoneInfo) -> _EpisodeScan:
    """rows in assessed_at order: maxima and the first day each was reached, the last row,
    the last encephalopathy screen and the last positive grade (RULES E4 inputs).

    The board reads every current set of every patient on the ward (~170 per patient by
    day 28), so the loop reads plain locals and converts a time to a day number only
    for the two maxima, once, at the end."""
    max_crs: int | None = None
    max_icans: int | None = None
    max_crs_at: datetime | None = None
    max_icans_at: datetime | None = None
    last_ice_at: datetime | None = None
    last_positive_at: datetime | None = None
    for r in rows:
        at, crs, icans = r.assessed_at, r.crs_grade, r.icans_grade
        if crs is not None and (max_crs is None or crs > max_crs):
            max_crs, max_crs_at = crs, at
        if icans is not None and (max_icans is None or icans > max_icans):
            max_icans, max_icans_at = icans, at
        if r.encephalopathy:
            last_ice_at = at
        if (crs or 0) >= 1 or (icans or 0) >= 1:
            last_positive_at = at
    last = rows[-1] if rows else None
    return _EpisodeScan(
        max_crs=max_crs,
        max_crs_day=day_number(infused_at, max_crs_at, tz) if max_crs and max_crs_at else None,
        max_icans=max_icans,
        max_icans_day=(day_number(infused_at, max_icans_at, tz)
                       if max_icans and max_icans_at else None),
        last_at=None if last is None else last.assessed_at,
        last=last,
        last_ice_at=last_ice_at,
        last_positive_at=last_positive_at,
    )


def list_ward(ctx: AppContext, actor: Actor, ward: str | None = None) -> list[WardRow]:
    """One row per active episode, in bed order. Four queries whatever the ward size:
    episodes, their current assessments (narrow columns, one pass), open alerts, and the
    tocilizumab status (its module's own few queries)."""
    require(actor, Action.VIEW_WARD)
    now = ctx.clock()
    tz = ctx.tz
    with ctx.database.read() as session:
        q = (
            select(Episode, Patient)
            .join(Patient, Patient.id == Episode.patient_id)
            .where(Episode.status == "active", Episode.infused_at.is_not(None))
        )
        if ward is not None:
            q = q.where(Episode.ward == ward)
        pairs = session.execute(q).all()
        if not pairs:
            return []
        episodes = [e for e, _p in pairs]
        ids = [e.id for e in episodes]
        encephalopathy = encephalopathy_assessed()
        by_episode: dict[int, list[Any]] = {}
        for r in session.execute(
            select(
                Assessment.episode_id,
                Assessment.id,
                Assessment.assessed_at,
                Assessment.crs_grade,
                Assessment.icans_grade,
                Assessment.news2_total,
                Assessment.news2_risk,
                encephalopathy.label("encephalopathy"),
            )
            .where(
                Assessment.episode_id.in_(ids),
                Assessment.status == "current",
                Assessment.is_baseline.is_(False),
            )
            .order_by(Assessment.episode_id, Assessment.assessed_at, Assessment.id)
        ):
            by_episode.setdefault(r.episode_id, []).append(r)
        scans = {
            e.id: _scan(by_episode.get(e.id, ()), cast(datetime, e.infused_at), tz)
            for e in episodes
        }
        last_ids = [s.last.id for s in scans.values() if s.last is not None]
        at_least: set[int] = set()
        crs_at_least: set[int] = set()
        if last_ids:  # RULES I8 "≥ N" of the current grades: only the last rows' columns
            for i, missing, *crs_columns in session.execute(
                select(Assessment.id, Assessment.icans_missing, *CRS_COMPLETENESS_COLUMNS)
                .where(Assessment.id.in_(last_ids))
            ):
                if missing:
                    at_least.add(i)
                if crs_missing_of(*crs_columns):
                    crs_at_least.add(i)
        alerts = open_alerts_for(session, ids, now)
        tocilizumab = _tocilizumab_status(session, episodes, now)

    rows = []
    today = now.astimezone(tz).date()
    for episode, patient in pairs:
        assert episode.infused_at is not None
        scan = scans[episode.id]
        last = scan.last
        due = due_status(
            episode, scan.last_at, scan.last_ice_at, scan.last_positive_at, now=now, tz=tz
        )
        rows.append(
            WardRow(
                episode_id=episode.id,
                patient_id=patient.id,
                ward=episode.ward,
                bed=episode.bed,
                patient_name=patient_name(patient),
                nhs_number=format_nhs_number(patient.nhs_number),
                hospital_number=patient.hospital_number,
                date_of_birth=patient.date_of_birth,
                age_years=whole_years(patient.date_of_birth, today),
                product_code=episode.product_code,
                infused_at=episode.infused_at,
                day=day_number(episode.infused_at, now, tz),
                crs_grade=None if last is None else last.crs_grade,
                icans_grade=None if last is None else last.icans_grade,
                icans_at_least=last is not None and last.id in at_least,
                max_crs_grade=scan.max_crs,
                max_crs_day=scan.max_crs_day,
                max_icans_grade=scan.max_icans,
                max_icans_day=scan.max_icans_day,
                news2_total=None if last is None else last.news2_total,
                news2_risk=None if last is None else last.news2_risk,
                last_assessed_at=scan.last_at,
                next_due_at=due.next_due_at,
                overdue=due.overdue,
                open_alerts=tuple(alerts.get(episode.id, ())),
                tocilizumab=tocilizumab.get(episode.id),
                nursing_note=episode.nursing_note,
                version=episode.version,
                crs_at_least=last is not None and last.id in crs_at_least,
            )
        )
    rows.sort(key=lambda r: (_bed_key(r.bed), r.patient_name))
    return rows


# --- awaiting infusion -----------------------------------------------------------------


def _doses(n: int) -> str:
    return f"{n} dose" if n == 1 else f"{n} doses"


def readiness_summary(readiness: ReadinessRow) -> tuple[str, str]:
    """(summary, detail) of the RULES E6 check in ward words:
    "Ready: 2 doses reserved", "Short by 1 dose — ask pharmacy"."""
    detail = readiness.missing_text
    if readiness.met:
        text = f"Ready: {_doses(readiness.doses_reserved)} reserved"
        if readiness.expiring_within_48h:
            text += " — a reserved vial expires within 48 h, ask pharmacy to replace it"
        return text, readiness.requirement_text
    if readiness.needed_doses <= 0:  # product not in the table: the gate is never met
        return "Not ready: product not in the product table — ask pharmacy", detail
    short = readiness.needed_doses - readiness.doses_reserved
    return f"Short by {_doses(short)} — ask pharmacy", detail


def list_planned(ctx: AppContext, actor: Actor, ward: str | None = None) -> list[PlannedRow]:
    """Registered episodes not yet infused (status planned), soonest planned date first
    (no date last), then bed. Each carries the tocilizumab readiness check the infusion gate
    applies (RULES E6, `tocilizumab._readiness`), so the ward sees who can be infused.

    The board (`list_ward`) lists infused episodes only; without this list a planned
    patient appeared on no screen and their infusion could not be recorded. A ward has a
    handful of planned patients, so the readiness check runs per episode (one query each)."""
    # Imported here: the tocilizumab module (and its grading import) is not needed to
    # paint the ward board.
    from app.products import display_name
    from app.services.tocilizumab import _readiness

    require(actor, Action.VIEW_WARD)
    now, tz = ctx.clock(), ctx.tz
    today = now.astimezone(tz).date()
    with ctx.database.read() as session:
        q = (
            select(Episode, Patient)
            .join(Patient, Patient.id == Episode.patient_id)
            .where(Episode.status == "planned")
        )
        if ward is not None:
            q = q.where(Episode.ward == ward)
        pairs = session.execute(q).all()
        checks = {episode.id: _readiness(session, episode, now) for episode, _p in pairs}
    rows = []
    for episode, patient in pairs:
        readiness = checks[episode.id]
        text, detail = readiness_summary(readiness)
        planned = episode.planned_infusion_date
        rows.append(
            PlannedRow(
                episode_id=episode.id,
                patient_id=patient.id,
                ward=episode.ward,
                bed=episode.bed,
                patient_name=patient_name(patient),
                nhs_number=format_nhs_number(patient.nhs_number),
                hospital_number=patient.hospital_number,
                date_of_birth=patient.date_of_birth,
                age_years=whole_years(patient.date_of_birth, today),
                product_code=episode.product_code,
                product_label=display_name(episode.product_code),
                planned_infusion_date=planned,
                days_to_infusion=None if planned is None else (planned - today).days,
                weight_kg=episode.weight_kg,
                weight_recorded_on=episode.weight_recorded_on,
                readiness_met=readiness.met,
                readiness_text=text,
                readiness_detail=detail,
                reserved_vial_expiring=readiness.expiring_within_48h,
                version=episode.version,
            )
        )
    rows.sort(key=lambda r: (r.planned_infusion_date is None, r.planned_infusion_date or today,
                             _bed_key(r.bed), r.patient_name))
    return rows


# --- one episode ------------------------------------------------------------------------


def _header(session: Session, episode: Episode, now: datetime, tz: ZoneInfo) -> EpisodeHeader:
    patient = load_patient(session, episode.patient_id)
    alerts = open_alerts_for(session, [episode.id], now).get(episode.id, [])
    return EpisodeHeader(
        episode_id=episode.id,
        patient_id=patient.id,
        name=patient_name(patient),
        family_name=patient.family_name,
        given_name=patient.given_name,
        nhs_number=format_nhs_number(patient.nhs_number),
        hospital_number=patient.hospital_number,
        date_of_birth=patient.date_of_birth,
        age_years=whole_years(patient.date_of_birth, now.astimezone(tz).date()),
        sex=patient.sex,
        ward=episode.ward,
        bed=episode.bed,
        product_code=episode.product_code,
        consultant=episode.consultant,
        planned_infusion_date=episode.planned_infusion_date,
        infused_at=episode.infused_at,
        day=None if episode.infused_at is None else day_number(episode.infused_at, now, tz),
        weight_kg=episode.weight_kg,
        weight_recorded_on=episode.weight_recorded_on,
        carer_name=episode.carer_name,
        carer_phone=episode.carer_phone,
        status=episode.status,
        spo2_scale=episode.spo2_scale,
        developmental_delay=episode.developmental_delay,
        nursing_note=episode.nursing_note,
        icu_transfer_at=episode.icu_transfer_at,
        open_alerts=tuple(alerts),
        version=episode.version,
        patient_version=patient.version,
    )


def episode_header(ctx: AppContext, actor: Actor, episode_id: int) -> EpisodeHeader:
    require(actor, Action.VIEW_WARD)
    with ctx.database.read() as session:
        return _header(session, load_episode(session, episode_id), ctx.clock(), ctx.tz)


def find_episode_by_nhs(ctx: AppContext, actor: Actor, nhs_number: str) -> EpisodeHeader:
    """The patient's active episode, else their most recent one."""
    require(actor, Action.VIEW_WARD)
    try:
        digits = normalise_nhs_number(nhs_number)
    except ValueError as exc:
        raise ValidationFailed([FieldProblem("nhs_number", str(exc))]) from None
    with ctx.database.read() as session:
        patient = session.execute(
            select(Patient).where(Patient.nhs_number == digits)
        ).scalar_one_or_none()
        if patient is None:
            raise NotFound(f"No patient with NHS number {format_nhs_number(digits)}.")
        episodes = list(
            session.execute(
                select(Episode)
                .where(Episode.patient_id == patient.id)
                .order_by(Episode.created_at.desc(), Episode.id.desc())
            ).scalars()
        )
        if not episodes:
            raise NotFound(
                f"Patient {format_nhs_number(digits)} has no CAR-T episode — register one."
            )
        active = [e for e in episodes if e.status == "active"]
        return _header(session, (active or episodes)[0], ctx.clock(), ctx.tz)


def _version_chains(
    rows: Sequence[Assessment],
) -> tuple[dict[int, tuple[int, ...]], dict[int, int]]:
    """Every row's chain of versions (oldest first) and its successor, in memory."""
    newer = {r.supersedes_id: r.id for r in rows if r.supersedes_id is not None}
    chains: dict[int, tuple[int, ...]] = {}
    for r in rows:
        if r.supersedes_id is not None and r.supersedes_id in {x.id for x in rows}:
            continue  # not the oldest of its chain
        chain = [r.id]
        while chain[-1] in newer:
            chain.append(newer[chain[-1]])
        for rid in chain:
            chains[rid] = tuple(chain)
    return chains, newer


def patient_timeline(ctx: AppContext, actor: Actor, episode_id: int) -> Timeline:
    """Days 0-28 (and baseline days −2/−1 when recorded): every assessment version, the
    day's maximum CRS/ICANS over current assessments (RULES T3), doses and alerts."""
    # Imported here: validation and grading are not needed to paint the ward board.
    from app.services.assessments import day_of, to_assessment_row

    require(actor, Action.VIEW_WARD)
    now, tz = ctx.clock(), ctx.tz
    with ctx.database.read() as session:
        episode = load_episode(session, episode_id)
        assessments = list(
            session.execute(
                select(Assessment)
                .where(Assessment.episode_id == episode_id)
                .order_by(Assessment.assessed_at, Assessment.id)
            ).scalars()
        )
        doses = list(
            session.execute(
                select(Administration)
                .where(Administration.episode_id == episode_id)
                .order_by(Administration.given_at, Administration.id)
            ).scalars()
        )
        alerts = [
            to_alert_row(a, now)
            for a in session.execute(
                select(Alert).where(Alert.episode_id == episode_id).order_by(Alert.raised_at)
            ).scalars()
        ]
        chains, newer = _version_chains(assessments)
        rows = [
            to_assessment_row(
                a,
                episode,
                tz,
                version_ids=chains.get(a.id, (a.id,)),
                superseded_by_id=newer.get(a.id),
            )
            for a in assessments
        ]
        dose_rows = [to_administration_row(d, episode, tz) for d in doses]
        if episode.infused_at is None and episode.planned_infusion_date is None:
            return Timeline(episode_id, None, (), tuple(alerts))
        day0 = (
            episode.infused_at.astimezone(tz).date()
            if episode.infused_at is not None
            else episode.planned_infusion_date
        )
        assert day0 is not None

    def day_key(moment: datetime) -> int | None:
        return day_of(episode, moment, tz)

    by_day_a: dict[int, list[AssessmentRow]] = {}
    for row in rows:
        if row.day is not None:
            by_day_a.setdefault(row.day, []).append(row)
    by_day_d: dict[int, list[AdministrationRow]] = {}
    for dose in dose_rows:
        d = day_key(dose.given_at)
        if d is not None:
            by_day_d.setdefault(d, []).append(dose)
    by_day_alert: dict[int, list[AlertRow]] = {}
    for alert in alerts:
        d = day_key(alert.raised_at)
        if d is not None:
            by_day_alert.setdefault(d, []).append(alert)

    baseline_days = sorted(d for d in {*by_day_a, *by_day_d} if d in (-2, -1))
    days = []
    for d in [*baseline_days, *range(0, LAST_DAY + 1)]:
        day_rows = by_day_a.get(d, [])
        current = [r for r in day_rows if r.is_current]
        crs = [r.crs_grade for r in current if r.crs_grade is not None]
        icans = [r for r in current if r.icans_grade is not None]
        icans_max = max((r.icans_grade for r in icans if r.icans_grade is not None), default=None)
        days.append(
            TimelineDay(
                day=d,
                date=day0 + timedelta(days=d),
                is_baseline=d < 0,
                assessments=tuple(day_rows),
                crs_max=max(crs, default=None),
                icans_max=icans_max,
                icans_at_least=any(r.icans_missing and r.icans_grade == icans_max for r in icans),
                administrations=tuple(by_day_d.get(d, ())),
                alerts=tuple(by_day_alert.get(d, ())),
                crs_at_least=any(
                    r.crs_missing and r.crs_grade == max(crs) for r in current if crs
                ),
            )
        )
    return Timeline(episode_id, episode.infused_at, tuple(days), tuple(alerts))


# --- several episodes at once (the handover sheet) ---------------------------------------


class RecentGrade(NamedTuple):
    """One current assessment's grades, for a short trend line."""

    assessed_at: datetime
    crs_grade: int | None
    icans_grade: int | None


FIRST_TIMELINE_DAY = -2  # baseline days −2/−1 are the earliest a timeline shows


def _timeline_day(
    infused_at: datetime | None, planned: date | None, moment: datetime, tz: ZoneInfo
) -> int | None:
    """RULES T1 day number, as patient_timeline files an assessment (before the infusion
    is recorded, relative to the planned date)."""
    if infused_at is not None:
        return day_number(infused_at, moment, tz)
    if planned is not None:
        return (moment.astimezone(tz).date() - planned).days
    return None


def recent_grades(
    ctx: AppContext, actor: Actor, episode_ids: Sequence[int], since: datetime,
    until: datetime | None = None,
) -> dict[int, tuple[RecentGrade, ...]]:
    """Each episode's current, non-baseline assessments assessed from `since` to `until`
    (default: now), oldest first, in one query for the whole list. Exactly the rows those
    episodes' `patient_timeline` days hold in that window (days −2 to 28)."""
    require(actor, Action.VIEW_WARD)
    end = ctx.clock() if until is None else until
    tz = ctx.tz
    if not episode_ids:
        return {}
    with ctx.database.read() as session:
        rows = session.execute(
            select(
                Assessment.episode_id,
                Assessment.assessed_at,
                Assessment.crs_grade,
                Assessment.icans_grade,
                Episode.infused_at,
                Episode.planned_infusion_date,
            )
            .join(Episode, Episode.id == Assessment.episode_id)
            .where(
                Assessment.episode_id.in_(list(episode_ids)),
                Assessment.status == "current",
                Assessment.is_baseline.is_(False),
                Assessment.assessed_at >= since,
                Assessment.assessed_at <= end,
            )
            .order_by(Assessment.episode_id, Assessment.assessed_at, Assessment.id)
        ).all()
    out: dict[int, list[RecentGrade]] = {}
    for r in rows:
        day = _timeline_day(r.infused_at, r.planned_infusion_date, r.assessed_at, tz)
        if day is None or not FIRST_TIMELINE_DAY <= day <= LAST_DAY:
            continue
        out.setdefault(r.episode_id, []).append(
            RecentGrade(r.assessed_at, r.crs_grade, r.icans_grade)
        )
    return {episode_id: tuple(points) for episode_id, points in out.items()}


def last_discussions(
    ctx: AppContext, actor: Actor, episode_ids: Sequence[int]
) -> dict[int, AlertRow]:
    """Each episode's latest critical-care alert with a discussion recorded (open or
    resolved; latest by discussion time, else raised time), in one query for the list."""
    require(actor, Action.VIEW_WARD)
    if not episode_ids:
        return {}
    now = ctx.clock()
    with ctx.database.read() as session:
        alerts = [
            to_alert_row(a, now)
            for a in session.execute(
                select(Alert).where(
                    Alert.episode_id.in_(list(episode_ids)),
                    Alert.kind == "critical_care",
                    Alert.discussion_outcome.is_not(None),
                )
            ).scalars()
        ]
    alerts.sort(key=lambda a: (a.discussion_at or a.raised_at, a.id))
    return {a.episode_id: a for a in alerts}  # the last one of each episode wins


# --- course summary (registry-style outcome of one episode) ------------------------------


def _points(rows: Sequence[Any]) -> tuple[list[GradePoint], list[GradePoint]]:
    crs = [GradePoint(r.assessed_at, r.crs_grade) for r in rows]
    icans = [GradePoint(r.assessed_at, r.icans_grade, bool(r.icans_missing)) for r in rows]
    return crs, icans


def _syndrome(name: str, course: Course, episode: Episode, tz: ZoneInfo) -> SyndromeCourse:
    assert episode.infused_at is not None
    infused = episode.infused_at

    def on(day: int | None) -> date | None:
        return None if day is None else local_date_of_day(infused, day, tz)

    onset, max_grade, max_day = course.onset_day, course.max_grade, course.max_day
    occurred, episodes, ongoing = course.occurred, course.episodes, course.ongoing
    resolution = course.resolution_day
    # RULES C6: grade 5 exists only as a death attributed to the syndrome.
    if episode.died_at is not None and episode.death_cause == name.lower():
        max_grade, max_day = 5, day_number(infused, episode.died_at, tz)
        onset = max_day if onset is None else onset
        occurred, episodes, ongoing, resolution = True, max(episodes, 1), False, None
    return SyndromeCourse(
        syndrome=name,
        occurred=occurred,
        onset_day=onset,
        onset_date=on(onset),
        max_grade=max_grade,
        max_day=max_day,
        max_date=on(max_day),
        resolution_day=resolution,
        resolution_date=on(resolution),
        episodes=episodes,
        ongoing=ongoing,
    )


def _empty_course(name: str) -> SyndromeCourse:
    return SyndromeCourse(name, False, None, None, None, None, None, None, None, 0, False)


def course_summary(ctx: AppContext, actor: Actor, episode_id: int) -> CourseSummary:
    require(actor, Action.VIEW_WARD)
    now, tz = ctx.clock(), ctx.tz
    with ctx.database.read() as session:
        episode = load_episode(session, episode_id)
        rows = session.execute(
            select(
                Assessment.assessed_at,
                Assessment.crs_grade,
                Assessment.icans_grade,
                Assessment.icans_missing,
            )
            .where(
                Assessment.episode_id == episode_id,
                Assessment.status == "current",
                Assessment.is_baseline.is_(False),
            )
            .order_by(Assessment.assessed_at)
        ).all()
        drugs = session.execute(
            select(Administration.drug, func.count())
            .where(Administration.episode_id == episode_id, Administration.status == "current")
            .group_by(Administration.drug)
        ).all()
    counts: dict[str, int] = {d: int(n) for d, n in drugs}
    infused = episode.infused_at
    if infused is None:
        crs_course, icans_course = _empty_course("CRS"), _empty_course("ICANS")
        alive: bool | None = None
    else:
        crs_points, icans_points = _points(rows)
        crs_course = _syndrome("CRS", course_of(day_maxima(crs_points, infused, tz)), episode, tz)
        icans_course = _syndrome(
            "ICANS", course_of(day_maxima(icans_points, infused, tz)), episode, tz
        )
        alive = _alive_at_day_28(episode, now, tz)
    return CourseSummary(
        episode_id=episode_id,
        infused_at=infused,
        crs=crs_course,
        icans=icans_course,
        tocilizumab_doses=counts.get("tocilizumab", 0),
        steroid_doses=sum(n for d, n in counts.items() if d in CORTICOSTEROIDS),
        icu_transfer=episode.icu_transfer_at is not None,
        icu_transfer_at=episode.icu_transfer_at,
        alive_at_day_28=alive,
        died_at=episode.died_at,
        death_date=None if episode.died_at is None else episode.died_at.astimezone(tz).date(),
        death_cause=episode.death_cause,
    )


def _alive_at_day_28(episode: Episode, now: datetime, tz: ZoneInfo) -> bool | None:
    """False for a death recorded on or before day 28; True once day 28 has ended with no
    such death recorded; None while day 28 has not ended (not yet known)."""
    assert episode.infused_at is not None
    if (
        episode.died_at is not None
        and day_number(episode.infused_at, episode.died_at, tz) <= LAST_DAY
    ):
        return False
    if day_number(episode.infused_at, now, tz) > LAST_DAY:
        return True
    return None


# --- trend grid: day maxima for the ward ------------------------------------------------


def trend_grid(ctx: AppContext, actor: Actor, ward: str | None = None) -> list[TrendRow]:
    """Daily maximum CRS and ICANS (days 0-28) for active and recently finished episodes."""
    require(actor, Action.VIEW_WARD)
    now, tz = ctx.clock(), ctx.tz
    with ctx.database.read() as session:
        q = (
            select(Episode, Patient)
            .join(Patient, Patient.id == Episode.patient_id)
            .where(
                Episode.infused_at.is_not(None),
                or_(Episode.status == "active", Episode.infused_at >= now - RECENTLY_FINISHED),
            )
        )
        if ward is not None:
            q = q.where(Episode.ward == ward)
        pairs = session.execute(q).all()
        ids = [e.id for e, _p in pairs]
        points: dict[int, list[Any]] = {}
        if ids:
            for r in session.execute(
                select(
                    Assessment.episode_id,
                    Assessment.assessed_at,
                    Assessment.crs_grade,
                    Assessment.icans_grade,
                    Assessment.icans_missing,
                ).where(
                    Assessment.episode_id.in_(ids),
                    Assessment.status == "current",
                    Assessment.is_baseline.is_(False),
                )
            ).all():
                points.setdefault(r.episode_id, []).append(r)
    out = []
    for episode, patient in pairs:
        infused = episode.infused_at
        assert infused is not None
        crs_points, icans_points = _points(points.get(episode.id, []))
        crs_days = day_maxima(crs_points, infused, tz)
        icans_days = day_maxima(icans_points, infused, tz)
        crs_course, icans_course = course_of(crs_days), course_of(icans_days)
        out.append(
            TrendRow(
                episode_id=episode.id,
                patient_name=patient_name(patient),
                nhs_number=format_nhs_number(patient.nhs_number),
                bed=episode.bed,
                product_code=episode.product_code,
                status=episode.status,
                infused_at=infused,
                day=day_number(infused, now, tz),
                crs_by_day=tuple(
                    crs_days[d].max_grade if d in crs_days else None for d in range(LAST_DAY + 1)
                ),
                icans_by_day=tuple(
                    icans_days[d].max_grade if d in icans_days else None
                    for d in range(LAST_DAY + 1)
                ),
                crs_onset_day=crs_course.onset_day,
                crs_resolution_day=crs_course.resolution_day,
                icans_onset_day=icans_course.onset_day,
                icans_resolution_day=icans_course.resolution_day,
            )
        )
    out.sort(key=lambda r: (r.status != "active", _bed_key(r.bed), r.patient_name))
    return out
