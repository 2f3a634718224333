"""Alerts that cannot be lost (RULES E1-E4, SAFETY.md "Alerts that cannot be lost").

- Created in the same transaction as their cause (an assessment, a dose, the overdue
  check), so a committed cause always has its alert and a rolled-back one never does.
- raised -> acknowledged (by, role, time) -> resolved (by, reason). Acknowledging is not
  resolving. A critical-care alert is resolved by recording the discussion (E1).
- Latched: one open alert per episode and kind (a partial unique index backs this up);
  a higher grade re-raises the open alert (status back to "raised", new message and time);
  after a resolution a later positive assessment raises a new alert.
- Deadlines are stored times (`due_at`) checked by `refresh_overdue_alerts`, at start-up
  and periodically, never only in-memory timers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.actor import SYSTEM_ACTOR, Actor
from app.audit import record_audit, snapshot
from app.clock import day_number, format_local
from app.context import AppContext
from app.errors import FieldProblem, ValidationFailed
from app.permissions import Action, require
from app.rows import ALERT_SEVERITY, AlertRow
from app.services.history import load_episode, versioned_update
from db.models import Alert, Assessment, Episode

DISCUSSION_DEADLINE = timedelta(minutes=30)  # RULES E1: "discussion not recorded"
OUTCOMES = ("transfer", "stay_with_plan", "declined")
OUTCOME_TEXT = {
    "transfer": "transfer to critical care",
    "stay_with_plan": "remain on ward with plan",
    "declined": "declined",
}

# RULES E4 intervals.
INTERVAL_WHILE_POSITIVE = timedelta(hours=4)
INTERVAL_OTHERWISE = timedelta(hours=12)
ICE_INTERVAL = timedelta(hours=12)  # "ICE at least twice daily"
ICE_TWICE_DAILY_LAST_DAY = 10
LAST_MONITORED_DAY = 28

# RULES E3 with the RCP 2017 Chart 4 responses.
NEWS2_URGENT_RESPONSE = (
    "urgent response: inform the medical team now; urgent assessment by a clinician "
    "competent in acute illness; observations at least hourly"
)
NEWS2_EMERGENCY_RESPONSE = (
    "emergency response: inform the medical team now (at least specialist registrar); "
    "emergency assessment by a critical-care-competent team; consider level 2/3 care "
    "(HDU/ICU); continuous monitoring"
)

_ALERT_FIELDS = [
    "id",
    "kind",
    "status",
    "trigger_grade",
    "message",
    "raised_at",
    "due_at",
    "acknowledged_by",
    "resolved_by",
    "resolved_reason",
    "version",
]


def to_alert_row(a: Alert, now: datetime | None = None) -> AlertRow:
    return AlertRow(
        id=a.id,
        episode_id=a.episode_id,
        kind=a.kind,
        status=a.status,
        trigger_grade=a.trigger_grade,
        message=a.message,
        raised_at=a.raised_at,
        raised_by_assessment_id=a.raised_by_assessment_id,
        due_at=a.due_at,
        deadline_passed=bool(
            now is not None and a.due_at is not None and a.status != "resolved" and now >= a.due_at
        ),
        acknowledged_at=a.acknowledged_at,
        acknowledged_by=a.acknowledged_by,
        acknowledged_role=a.acknowledged_role,
        resolved_at=a.resolved_at,
        resolved_by=a.resolved_by,
        resolved_reason=a.resolved_reason,
        discussion_clinician=a.discussion_clinician,
        discussion_at=a.discussion_at,
        discussion_outcome=a.discussion_outcome,
        discussion_detail=a.discussion_detail,
        discussion_recorded_by=a.discussion_recorded_by,
        version=a.version,
    )


@dataclass(frozen=True)
class AlertChange:
    """What a system evaluation did to one alert; the caller's audit event lists these."""

    alert: Alert
    transition: str  # raised | re-raised | resolved | escalated

    def for_audit(self) -> dict[str, Any]:
        return {"transition": self.transition, **snapshot(self.alert, _ALERT_FIELDS)}


def open_alert(session: Session, episode_id: int, kind: str) -> Alert | None:
    return session.execute(
        select(Alert).where(
            Alert.episode_id == episode_id, Alert.kind == kind, Alert.status != "resolved"
        )
    ).scalar_one_or_none()


# What "the condition has cleared" means per alert kind: an assessment that no longer meets
# the trigger. Unknown (NULL) grades never count as cleared (fail loud, SAFETY.md).
_CLEARED: dict[str, ColumnElement[bool]] = {
    "critical_care": and_(
        Assessment.icans_grade < 2, or_(Assessment.crs_grade < 3, Assessment.crs_grade.is_(None))
    ),
    "tocilizumab_prompt": Assessment.crs_grade < 2,
    "news2_emergency": Assessment.news2_total < 7,
    "news2_urgent": Assessment.news2_total < 5,
}


def _critical_care_grades_of(session: Session, alert: Alert) -> dict[str, int]:
    """The CRS and ICANS grades that last raised a critical-care alert (its source
    assessment), so a rise is judged per syndrome: ICANS 2 after a handled CRS 4 is new."""
    if alert.raised_by_assessment_id is not None:
        source = session.get(Assessment, alert.raised_by_assessment_id)
        if source is not None:
            return _critical_care_grades(source.crs_grade, source.icans_grade)
    if alert.trigger_grade is None:
        return {}
    return {"CRS": alert.trigger_grade, "ICANS": alert.trigger_grade}


def _rises(grades: dict[str, int], before: dict[str, int]) -> bool:
    return any(g > before.get(name, 0) for name, g in grades.items())


def already_handled(
    session: Session,
    episode_id: int,
    kind: str,
    trigger_grade: int | None,
    assessment: Assessment,
    *,
    grades: dict[str, int] | None = None,
) -> bool:
    """RULES E1 "re-raises if the grade rises again": after an alert was handled (discussion
    recorded or resolved), the same condition persisting must not raise it again. A new alert
    needs a higher grade than the handled one (per syndrome for the critical-care alert,
    `grades`), or the condition to have cleared in between (a current assessment after the
    resolution that no longer met it)."""
    cleared = _CLEARED.get(kind)
    if cleared is None or trigger_grade is None:
        return False
    handled = session.execute(
        select(Alert)
        .where(Alert.episode_id == episode_id, Alert.kind == kind, Alert.status == "resolved")
        .order_by(Alert.resolved_at.desc(), Alert.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if handled is None or handled.resolved_at is None or handled.trigger_grade is None:
        return False
    if grades is not None:
        if _rises(grades, _critical_care_grades_of(session, handled)):
            return False
    elif trigger_grade > handled.trigger_grade:
        return False
    cleared_since = session.execute(
        select(Assessment.id)
        .where(
            Assessment.episode_id == episode_id,
            Assessment.status == "current",
            Assessment.id != assessment.id,
            Assessment.assessed_at > handled.resolved_at,
            Assessment.assessed_at <= assessment.assessed_at,
            cleared,
        )
        .limit(1)
    ).first()
    return cleared_since is None


def raise_or_update_alert(
    session: Session,
    *,
    episode_id: int,
    kind: str,
    message: str,
    now: datetime,
    trigger_grade: int | None = None,
    due_at: datetime | None = None,
    assessment_id: int | None = None,
    rises: bool | None = None,
) -> AlertChange | None:
    """Raise an alert, or re-raise the open one of this kind when the trigger rises.

    `rises` overrides the default test (new trigger_grade > the open alert's). Returns
    None when an open alert already covers this trigger. Writes no audit event: the
    caller's one audit event for its write lists the returned change (SAFETY.md).
    """
    existing = open_alert(session, episode_id, kind)
    if existing is None:
        alert = Alert(
            episode_id=episode_id,
            kind=kind,
            status="raised",
            trigger_grade=trigger_grade,
            message=message,
            raised_at=now,
            raised_by_assessment_id=assessment_id,
            due_at=due_at,
            version=1,
        )
        try:
            with session.begin_nested():  # another workstation may raise the same alert
                session.add(alert)
                session.flush()
        except IntegrityError:
            existing = open_alert(session, episode_id, kind)
            if existing is None:
                raise
        else:
            return AlertChange(alert, "raised")
    if rises is None:
        rises = trigger_grade is not None and (
            existing.trigger_grade is None or trigger_grade > existing.trigger_grade
        )
    if not rises:
        return None
    existing.trigger_grade = trigger_grade
    existing.message = message
    existing.raised_at = now
    existing.raised_by_assessment_id = assessment_id
    existing.status = "raised"
    existing.acknowledged_at = existing.acknowledged_by = existing.acknowledged_role = None
    if due_at is not None:  # keep an earlier unmet deadline
        existing.due_at = due_at if existing.due_at is None else min(existing.due_at, due_at)
    existing.version += 1
    session.flush()
    return AlertChange(existing, "re-raised")


def resolve_by_system(session: Session, alert: Alert, now: datetime, reason: str) -> AlertChange:
    alert.status = "resolved"
    alert.resolved_at = now
    alert.resolved_by = "system"
    alert.resolved_reason = reason
    alert.version += 1
    session.flush()
    return AlertChange(alert, "resolved")


# --- alerts caused by one assessment (E1-E3) -------------------------------------------


def _critical_care_grades(crs: int | None, icans: int | None) -> dict[str, int]:
    """RULES E1/E2: ICANS ≥ 2, CRS ≥ 3 (ICANS ≥ 3 is covered by ICANS ≥ 2)."""
    out: dict[str, int] = {}
    if icans is not None and icans >= 2:
        out["ICANS"] = icans
    if crs is not None and crs >= 3:
        out["CRS"] = crs
    return out


def evaluate_assessment_alerts(
    session: Session, assessment: Assessment, now: datetime, tz: ZoneInfo
) -> list[AlertChange]:
    """Raise or re-raise the E1-E3 alerts an assessment calls for (same transaction)."""
    changes: list[AlertChange | None] = []

    def handled(kind: str, grade: int, grades: dict[str, int] | None = None) -> bool:
        return open_alert(session, episode_id, kind) is None and already_handled(
            session, episode_id, kind, grade, assessment, grades=grades
        )

    when = assessment.assessed_at.astimezone(tz).strftime("%H:%M")
    if day_number(now, assessment.assessed_at, tz) != 0:
        when = assessment.assessed_at.astimezone(tz).strftime("%H:%M on %d %b")
    episode_id = assessment.episode_id

    grades = _critical_care_grades(assessment.crs_grade, assessment.icans_grade)
    if grades and not handled("critical_care", max(grades.values()), grades):
        at_least = "≥ " if assessment.icans_missing and "ICANS" in grades else ""
        parts = [
            f"ICANS grade {at_least}{g}" if name == "ICANS" else f"CRS grade {g}"
            for name, g in grades.items()
        ]
        message = f"{' and '.join(parts)} at {when} — discuss with critical care"
        existing = open_alert(session, episode_id, "critical_care")
        rises = None
        if existing is not None:
            rises = _rises(grades, _critical_care_grades_of(session, existing))
        changes.append(
            raise_or_update_alert(
                session,
                episode_id=episode_id,
                kind="critical_care",
                message=message,
                now=now,
                trigger_grade=max(grades.values()),
                due_at=now + DISCUSSION_DEADLINE,
                assessment_id=assessment.id,
                rises=rises,
            )
        )

    if (
        assessment.crs_grade is not None
        and assessment.crs_grade >= 2
        and not handled("tocilizumab_prompt", assessment.crs_grade)
    ):  # RULES E2
        changes.append(
            raise_or_update_alert(
                session,
                episode_id=episode_id,
                kind="tocilizumab_prompt",
                message=f"CRS grade {assessment.crs_grade} at {when} — "
                "consider tocilizumab per local SOP",
                now=now,
                trigger_grade=assessment.crs_grade,
                assessment_id=assessment.id,
            )
        )

    total = assessment.news2_total  # RULES E3
    news2 = None
    if total is not None and total >= 7:
        news2 = ("news2_emergency", NEWS2_EMERGENCY_RESPONSE)
    elif total is not None and total >= 5:
        news2 = ("news2_urgent", NEWS2_URGENT_RESPONSE)
    if news2 is not None and total is not None and not handled(news2[0], total):
        kind, response = news2
        changes.append(
            raise_or_update_alert(
                session,
                episode_id=episode_id,
                kind=kind,
                message=f"NEWS2 {total} at {when} — {response}",
                now=now,
                trigger_grade=total,
                assessment_id=assessment.id,
            )
        )
    return [c for c in changes if c is not None]


# --- overdue assessments (E4), from stored times ----------------------------------------


@dataclass(frozen=True)
class DueStatus:
    episode_id: int
    last_assessed_at: datetime | None
    last_ice_at: datetime | None
    next_due_at: datetime | None
    overdue: bool
    message: str  # why it is (or will be) due, for the alert and the ward board


def encephalopathy_assessed() -> ColumnElement[bool]:
    """SQL: this assessment includes the ICE or CAPD screen (or why it could not be done)."""
    # CAPD entered item by item stores only capd_total (capd_score is the typed total), so
    # both count: a child screened with CAPD must not show as overdue for ICE (RULES E4, I1).
    return or_(
        Assessment.ice_score.is_not(None),
        Assessment.capd_score.is_not(None),
        Assessment.capd_total.is_not(None),
        Assessment.ice_unable_reason.is_not(None),
        Assessment.capd_unable_reason.is_not(None),
    )


def due_statuses(
    session: Session,
    episodes: Sequence[Episode],
    now: datetime,
    tz: ZoneInfo,
) -> dict[int, DueStatus]:
    """RULES E4 for active episodes, in one grouped query (no per-episode query)."""
    active = [e for e in episodes if e.status == "active" and e.infused_at is not None]
    if not active:
        return {}
    positive = or_(Assessment.crs_grade >= 1, Assessment.icans_grade >= 1)
    rows = session.execute(
        select(
            Assessment.episode_id,
            func.max(Assessment.assessed_at),  # the last assessment
            func.max(case((encephalopathy_assessed(), Assessment.assessed_at))),  # last ICE
            func.max(case((positive, Assessment.assessed_at))),  # last with a grade >= 1
        )
        .where(
            Assessment.episode_id.in_([e.id for e in active]),
            Assessment.status == "current",
            Assessment.is_baseline.is_(False),
        )
        .group_by(Assessment.episode_id)
    ).all()
    last = {r[0]: (_aware(r[1]), _aware(r[2]), _aware(r[3])) for r in rows}
    return {
        e.id: due_status(e, *last.get(e.id, (None, None, None)), now=now, tz=tz)
        for e in active
    }


def _aware(value: Any) -> datetime | None:
    """Aggregates over a UTC column come back as the column type on both databases, but
    SQLite may hand back a string for a CASE expression: normalise to aware UTC."""
    if value is None:
        return None
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def due_status(
    episode: Episode,
    last_at: datetime | None,
    last_ice_at: datetime | None,
    last_positive_at: datetime | None,
    *,
    now: datetime,
    tz: ZoneInfo,
) -> DueStatus:
    """RULES E4: when the next assessment is due, from stored times only.

    The interval is the episode's override, else 4 h while any grade ≥ 1 was recorded in
    the 24 h up to the last assessment, else 12 h; the first is due one interval after the
    infusion. Days 0-10 the ICE (or CAPD) screen is also due 12 h after the last one.
    Nothing is due after day 28.
    """
    assert episode.infused_at is not None
    infused = episode.infused_at
    anchor = last_at or infused
    positive = (
        last_at is not None
        and last_positive_at is not None
        and last_positive_at >= last_at - timedelta(hours=24)
    )
    if episode.assessment_interval_hours:
        interval = timedelta(hours=episode.assessment_interval_hours)
        why = f"every {episode.assessment_interval_hours:g} h as set for this patient"
    elif positive:
        interval, why = INTERVAL_WHILE_POSITIVE, "every 4 h while CRS/ICANS in the last 24 h"
    else:
        interval, why = INTERVAL_OTHERWISE, "every 12 h"
    candidates: list[tuple[datetime, str]] = [(anchor + interval, f"observations ({why})")]
    ice_due = (last_ice_at or infused) + ICE_INTERVAL
    if day_number(infused, ice_due, tz) <= ICE_TWICE_DAILY_LAST_DAY:
        candidates.append((ice_due, "ICE/CAPD screen (at least twice daily, days 0–10)"))
    candidates = [c for c in candidates if day_number(infused, c[0], tz) <= LAST_MONITORED_DAY]
    if not candidates:
        return DueStatus(episode.id, last_at, last_ice_at, None, False, "")
    due_at = min(c[0] for c in candidates)
    late = [c for c in candidates if now >= c[0]]
    if late:
        message = (
            "; ".join(f"{what} due at {format_local(at, tz)}" for at, what in sorted(late))
            + " — overdue"
        )
    else:
        message = f"next due {format_local(due_at, tz)}"
    return DueStatus(episode.id, last_at, last_ice_at, due_at, bool(late), message)


def settle_overdue(
    session: Session, episode: Episode, now: datetime, tz: ZoneInfo
) -> list[AlertChange]:
    """Raise, keep or resolve the one overdue alert of an episode from its stored times."""
    status = due_statuses(session, [episode], now, tz).get(episode.id)
    existing = open_alert(session, episode.id, "overdue")
    if status is None:  # no deadline any more: the episode ended
        if existing is None:
            return []
        return [resolve_by_system(session, existing, now, f"episode is {episode.status}")]
    change = _overdue_change(session, episode.id, status, existing, now=now, tz=tz)
    return [change] if change is not None else []


def _overdue_change(
    session: Session,
    episode_id: int,
    status: DueStatus,
    existing: Alert | None,
    *,
    now: datetime,
    tz: ZoneInfo,
) -> AlertChange | None:
    """RULES E4 for one episode: raise the overdue alert when past due and none is open;
    resolve the open one once an assessment has made the episode no longer due."""
    if status.overdue:
        if existing is not None:
            return None
        return raise_or_update_alert(
            session,
            episode_id=episode_id,
            kind="overdue",
            message=f"Assessment overdue: {status.message}",
            now=now,
            due_at=status.next_due_at,
        )
    if existing is None:
        return None
    last = format_local(status.last_assessed_at, tz)
    return resolve_by_system(session, existing, now, f"assessment recorded at {last}")


def refresh_overdue_alerts(ctx: AppContext, actor: Actor = SYSTEM_ACTOR) -> int:
    """Start-up and periodic check of stored deadlines; returns the number of alerts changed.

    - E4: raise an overdue alert for each active episode past its due time; resolve those
      no longer due (an assessment was recorded, or the episode ended).
    - E1: a critical-care alert acknowledged but with no discussion recorded by its
      deadline goes back to "raised" (acknowledging never silences the deadline).
    Each change is its own audited write.
    """
    now = ctx.clock()
    changed = 0
    with ctx.database.transaction() as session:
        episodes = list(
            session.execute(
                select(Episode).where(Episode.status == "active", Episode.infused_at.is_not(None))
            ).scalars()
        )
        statuses = due_statuses(session, episodes, now, ctx.tz)
        open_overdue = {
            a.episode_id: a
            for a in session.execute(
                select(Alert).where(Alert.kind == "overdue", Alert.status != "resolved")
            ).scalars()
        }
        changes: list[AlertChange] = []
        for episode in episodes:
            status = statuses[episode.id]
            existing = open_overdue.pop(episode.id, None)
            change = _overdue_change(session, episode.id, status, existing, now=now, tz=ctx.tz)
            if change is not None:
                changes.append(change)
        for leftover in open_overdue.values():  # episode no longer active
            changes.append(resolve_by_system(session, leftover, now, "episode no longer active"))

        for alert in session.execute(
            select(Alert).where(
                Alert.kind == "critical_care",
                Alert.status == "acknowledged",
                Alert.due_at.is_not(None),
                Alert.due_at <= now,
                Alert.discussion_at.is_(None),
            )
        ).scalars():
            if (
                alert.acknowledged_at is not None
                and alert.due_at is not None
                and alert.acknowledged_at >= alert.due_at
            ):
                continue  # acknowledged again after the deadline: already escalated once
            alert.status = "raised"
            alert.message = alert.message.split(" — discussion not recorded")[0] + (
                " — discussion not recorded within 30 min"
            )
            alert.version += 1
            session.flush()
            changes.append(AlertChange(alert, "escalated"))

        for change in changes:
            record_audit(
                session,
                actor,
                now,
                f"alert_{change.transition.replace('-', '_')}",
                "alert",
                change.alert.id,
                episode_id=change.alert.episode_id,
                after=change.for_audit(),
            )
        changed = len(changes)
    return changed


# --- user transitions -------------------------------------------------------------------


def _load_open_alert(session: Session, alert_id: int, tz: ZoneInfo) -> Alert:
    """The alert a user acts on: NotFound if there is none, refused if already resolved."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        from app.errors import NotFound

        raise NotFound(f"No alert with id {alert_id} — reload.")
    if alert.status == "resolved":
        raise ValidationFailed(
            [
                FieldProblem(
                    "status",
                    f"alert already resolved by {alert.resolved_by} at "
                    f"{format_local(alert.resolved_at, tz)}",
                )
            ]
        )
    return alert


def _resolved_by(actor: Actor, now: datetime, reason: str) -> dict[str, Any]:
    """The columns a user's resolution sets (SAFETY.md: resolve = by, when, reason)."""
    return {
        "status": "resolved",
        "resolved_at": now,
        "resolved_by": actor.username,
        "resolved_reason": reason,
    }


def acknowledge_alert(
    ctx: AppContext, actor: Actor, alert_id: int, *, expected_version: int
) -> AlertRow:
    """Seen and being acted on; the alert stays open (acknowledging is not resolving)."""
    require(actor, Action.ACKNOWLEDGE_ALERT)
    now = ctx.clock()
    with ctx.database.transaction() as session:
        alert = _load_open_alert(session, alert_id, ctx.tz)
        before = snapshot(alert, _ALERT_FIELDS)
        if alert.status == "acknowledged" and alert.version == expected_version:
            raise ValidationFailed(
                [
                    FieldProblem(
                        "status",
                        f"already acknowledged by {alert.acknowledged_by} at "
                        f"{format_local(alert.acknowledged_at, ctx.tz)}",
                    )
                ]
            )
        alert = versioned_update(
            session,
            Alert,
            alert_id,
            expected_version,
            {
                "status": "acknowledged",
                "acknowledged_at": now,
                "acknowledged_by": actor.username,
                "acknowledged_role": actor.role.value,
            },
            tz=ctx.tz,
        )
        record_audit(
            session,
            actor,
            now,
            "acknowledge_alert",
            "alert",
            alert_id,
            episode_id=alert.episode_id,
            before=before,
            after=snapshot(alert, _ALERT_FIELDS),
        )
        return to_alert_row(alert, now)


# A slip of the day or month must not put an E1 discussion days before the deterioration
# (usability audit 9). The earliest believable time is when the deterioration was known:
# the alert's raised_at is the time the set was *saved*, and a set may be saved late (its
# assessed_at is earlier), so the earlier of the two counts. The tolerance covers a call
# to critical care started while the set was being taken and typed: the nurse often
# phones first and enters the observations afterwards; an hour covers a busy round
# without letting a wrong day through.
DISCUSSION_BEFORE_ALERT_TOLERANCE = timedelta(minutes=60)


def _earliest_discussion(session: Session, alert: Alert) -> datetime:
    """The earliest discussion time believable for `alert` (see the tolerance above)."""
    known = alert.raised_at
    if alert.raised_by_assessment_id is not None:
        assessed_at = session.scalar(
            select(Assessment.assessed_at).where(Assessment.id == alert.raised_by_assessment_id)
        )
        if assessed_at is not None:
            known = min(known, assessed_at)
    return known - DISCUSSION_BEFORE_ALERT_TOLERANCE


def record_discussion(
    ctx: AppContext,
    actor: Actor,
    alert_id: int,
    *,
    clinician: str,
    discussed_at: datetime,
    outcome: str,
    detail: str,
    expected_version: int,
) -> AlertRow:
    """RULES E1: who in critical care was contacted, when, and the outcome; resolves it."""
    require(actor, Action.RECORD_DISCUSSION)
    now = ctx.clock()
    problems = []
    if not (clinician or "").strip():
        problems.append(FieldProblem("clinician", "name the critical-care clinician contacted"))
    if outcome not in OUTCOMES:
        problems.append(FieldProblem("outcome", "outcome is transfer, stay_with_plan or declined"))
    elif outcome == "stay_with_plan" and not (detail or "").strip():
        problems.append(FieldProblem("detail", "write the plan for staying on the ward"))
    elif outcome == "declined" and not (detail or "").strip():
        problems.append(FieldProblem("detail", "write the reason the transfer was declined"))
    timed = discussed_at.tzinfo is not None
    if not timed or discussed_at > now + timedelta(minutes=5):
        problems.append(FieldProblem("discussed_at", "discussion time is in the future"))
    with ctx.database.transaction() as session:
        alert = _load_open_alert(session, alert_id, ctx.tz)
        if alert.kind != "critical_care":
            raise ValidationFailed(
                [FieldProblem("kind", "a discussion is recorded on a critical-care alert only")]
            )
        earliest = _earliest_discussion(session, alert)
        if timed and discussed_at < earliest:
            problems.append(FieldProblem(
                "discussed_at",
                f"the discussion time is before the alert was raised "
                f"({format_local(alert.raised_at, ctx.tz)}) — check the date and time",
            ))
        if problems:
            raise ValidationFailed(problems)  # nothing written yet
        before = snapshot(alert, _ALERT_FIELDS)
        alert = versioned_update(
            session,
            Alert,
            alert_id,
            expected_version,
            {
                **_resolved_by(actor, now, f"critical-care discussion: {OUTCOME_TEXT[outcome]}"),
                "discussion_clinician": clinician.strip(),
                "discussion_at": discussed_at,
                "discussion_outcome": outcome,
                "discussion_detail": (detail or "").strip() or None,
                "discussion_recorded_by": actor.username,
            },
            tz=ctx.tz,
        )
        after = snapshot(
            alert,
            [
                *_ALERT_FIELDS,
                "discussion_clinician",
                "discussion_at",
                "discussion_outcome",
                "discussion_detail",
            ],
        )
        if outcome == "transfer":
            episode = load_episode(session, alert.episode_id)
            if episode.icu_transfer_at is None:
                episode.icu_transfer_at = discussed_at
                episode.updated_by = actor.username
                episode.updated_at = now
                episode.version += 1
                session.flush()
                after["episode_icu_transfer_at"] = discussed_at.isoformat()
        record_audit(
            session,
            actor,
            now,
            "record_discussion",
            "alert",
            alert_id,
            episode_id=alert.episode_id,
            before=before,
            after=after,
        )
        return to_alert_row(alert, now)


def resolve_alert(
    ctx: AppContext, actor: Actor, alert_id: int, *, reason: str, expected_version: int
) -> AlertRow:
    """A haematologist closes an alert with a reason (SAFETY.md: resolve = by, reason).
    Not a critical-care alert: only the recorded discussion closes that one (RULES E1)."""
    require(actor, Action.RESOLVE_ALERT)
    if not (reason or "").strip():
        raise ValidationFailed([FieldProblem("reason", "give the reason for resolving")])
    now = ctx.clock()
    with ctx.database.transaction() as session:
        alert = _load_open_alert(session, alert_id, ctx.tz)
        if alert.kind == "critical_care":  # RULES E1: it stays open until the discussion
            raise ValidationFailed([FieldProblem(
                "kind",
                "a critical-care alert closes only when the discussion with critical care "
                "is recorded (who was contacted, when, the outcome; RULES E1): use "
                "Record discussion… instead",
            )])
        before = snapshot(alert, _ALERT_FIELDS)
        alert = versioned_update(
            session,
            Alert,
            alert_id,
            expected_version,
            _resolved_by(actor, now, reason.strip()),
            tz=ctx.tz,
        )
        record_audit(
            session,
            actor,
            now,
            "resolve_alert",
            "alert",
            alert_id,
            episode_id=alert.episode_id,
            before=before,
            after=snapshot(alert, _ALERT_FIELDS),
            reason=reason.strip(),
        )
        return to_alert_row(alert, now)


def open_alerts_for(
    session: Session, episode_ids: Sequence[int] | None, now: datetime
) -> dict[int, list[AlertRow]]:
    """Open alerts grouped by episode, worst first (one query)."""
    clause: ColumnElement[bool] = (
        true() if episode_ids is None else Alert.episode_id.in_(list(episode_ids))
    )
    rows = session.execute(
        select(Alert).where(clause, Alert.status != "resolved").order_by(Alert.raised_at)
    ).scalars()
    out: dict[int, list[AlertRow]] = {}
    for a in rows:
        out.setdefault(a.episode_id, []).append(to_alert_row(a, now))
    for alerts in out.values():
        alerts.sort(key=lambda r: (-ALERT_SEVERITY.get(r.kind, 0), r.raised_at))
    return out


def list_open_alerts(
    ctx: AppContext, actor: Actor, episode_id: int | None = None
) -> list[AlertRow]:
    require(actor, Action.VIEW_WARD)
    now = ctx.clock()
    with ctx.database.read() as session:
        grouped = open_alerts_for(session, None if episode_id is None else [episode_id], now)
    rows = [r for alerts in grouped.values() for r in alerts]
    rows.sort(key=lambda r: (-r.severity, r.raised_at))
    return rows


def count_pending_discussions(ctx: AppContext) -> int:
    """How many RULES E1 critical-care alerts on the ward wait for their discussion.

    No actor and no permission check, on purpose: the locked workstation shows this
    number while nobody is signed in, so that new E1 alerts are not hidden from whoever
    walks past (usability audit 11). It is a bare count: no patient, bed, grade or time
    leaves this function, so it discloses nothing a permission would protect. Counts the
    open alerts of patients on the ward (active episodes), as the board and Alerts tab
    show them once someone signs in. One indexed COUNT, cheap enough to poll while locked.
    """
    with ctx.database.read() as session:
        return int(session.scalar(
            select(func.count())
            .select_from(Alert)
            .join(Episode, Episode.id == Alert.episode_id)
            .where(
                Alert.kind == "critical_care",
                Alert.status != "resolved",
                Episode.status == "active",
            )
        ) or 0)


def list_alerts(ctx: AppContext, actor: Actor, episode_id: int) -> list[AlertRow]:
    """Every alert of an episode, open and resolved, oldest first (history)."""
    require(actor, Action.VIEW_WARD)
    now = ctx.clock()
    with ctx.database.read() as session:
        return [
            to_alert_row(a, now)
            for a in session.execute(
                select(Alert)
                .where(Alert.episode_id == episode_id)
                .order_by(Alert.raised_at, Alert.id)
            ).scalars()
        ]
