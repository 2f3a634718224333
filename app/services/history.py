"""Shared helpers of the services: loading, versioned updates, and the episode's history
read as the rules need it (C2 waiver flags, day maxima of T3, course definitions).

The course functions are pure: they take plain (time, grade) points so the ward board,
the timeline, the course summary and the registry export agree by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.clock import day_number, format_local
from app.errors import NotFound, StaleEdit
from db.models import Administration, Alert, Assessment, Episode, Patient

T = TypeVar("T", Patient, Episode, Alert)

# RULES C2: drugs that waive the fever criterion once CRS is diagnosed, and (C5) may mask
# a fever. Antipyretics, anti-cytokine agents and corticosteroids.
CORTICOSTEROIDS = frozenset(
    {"dexamethasone", "methylprednisolone", "hydrocortisone", "prednisolone"}
)
ANTIPYRETICS = frozenset({"paracetamol", "ibuprofen"})
ANTI_CYTOKINE = frozenset({"tocilizumab", "anakinra", "siltuximab"})
FEVER_MASKING_DRUGS = CORTICOSTEROIDS | ANTIPYRETICS | ANTI_CYTOKINE
KNOWN_DRUGS = FEVER_MASKING_DRUGS | {"other"}


def drug_category(drug: str) -> str:
    if drug == "tocilizumab":
        return "tocilizumab"
    if drug in CORTICOSTEROIDS:
        return "corticosteroid"
    if drug in ANTIPYRETICS:
        return "antipyretic"
    if drug in ANTI_CYTOKINE:
        return "anti_cytokine"
    return "other"


# --- loading and versioned updates -------------------------------------------------------


def load_episode(session: Session, episode_id: int) -> Episode:
    episode = session.get(Episode, episode_id)
    if episode is None:
        raise NotFound(f"No episode with id {episode_id} — reload the ward list.")
    return episode


def patient_name(p: Patient) -> str:
    """"SMITH, Anna": the family name in capitals, as on every screen and printed page."""
    return f"{p.family_name.upper()}, {p.given_name}"


def load_patient(session: Session, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"No patient with id {patient_id} — reload the ward list.")
    return patient


def versioned_update(
    session: Session,
    model: type[T],
    row_id: int,
    expected_version: int,
    values: Mapping[str, Any],
    *,
    tz: ZoneInfo,
) -> T:
    """`UPDATE … SET …, version = version + 1 WHERE id = :id AND version = :v`.

    Atomic on SQLite and PostgreSQL alike: of two sessions that read the same version,
    exactly one updates a row; the other gets StaleEdit naming who changed it and when,
    and nothing is overwritten (ARCHITECTURE.md "Concurrency").
    """
    result = session.execute(
        update(model)
        .where(model.id == row_id, model.version == expected_version)
        .values(**values, version=model.version + 1)
        .execution_options(synchronize_session=False)
    )
    row = session.get(model, row_id, populate_existing=True)
    if row is None:
        raise NotFound(f"No {model.__tablename__} with id {row_id}.")
    if result.rowcount != 1:  # type: ignore[attr-defined]
        by, at = last_change(session, row)
        raise StaleEdit(by, format_local(at, tz))
    return row


def last_change(session: Session, row: Patient | Episode | Alert) -> tuple[str, datetime | None]:
    """Who changed a row last, and when, for the StaleEdit message."""
    if isinstance(row, Alert):
        candidates: list[tuple[datetime, str]] = []
        if row.raised_at is not None:
            who = "an assessment"
            if row.raised_by_assessment_id is not None:
                source = session.get(Assessment, row.raised_by_assessment_id)
                if source is not None:
                    who = source.entered_by
            candidates.append((row.raised_at, who))
        if row.acknowledged_at is not None:
            candidates.append((row.acknowledged_at, row.acknowledged_by or "?"))
        if row.resolved_at is not None:
            candidates.append((row.resolved_at, row.resolved_by or "?"))
        if not candidates:
            return "another user", None
        at, by = candidates[0]
        for when, who in candidates[1:]:
            if when >= at:  # on a tie the later transition is the latest change
                at, by = when, who
        return by, at
    return (row.updated_by or "another user"), (row.updated_at or row.created_at)


# --- a stored set's CRS completeness (README "Design": CRS ≥ N) -------------------------

# The columns `crs_missing_of` reads, in its argument order.
CRS_COMPLETENESS_COLUMNS = (
    Assessment.temperature_c, Assessment.fever_attributed_to_other_cause,
    Assessment.hypotension, Assessment.vasopressors, Assessment.oxygen_device,
    Assessment.crs_previously_diagnosed, Assessment.antipyretic_or_anticytokine_given,
)


def crs_missing_of(  # noqa: PLR0917 - the stored columns, in CRS_COMPLETENESS_COLUMNS order
    temperature_c: float | None,
    fever_attributed_to_other_cause: bool | None,
    hypotension: bool | None,
    vasopressors: list[str] | None,
    oxygen_device: str | None,
    crs_previously_diagnosed: bool | None,
    antipyretic_or_anticytokine_given: bool | None,
) -> tuple[str, ...]:
    """grading.crs_missing for a stored assessment (only the fields it reads)."""
    from grading import AssessmentInputs, crs_missing
    from grading.inputs import OxygenDevice, Vasopressor

    return crs_missing(AssessmentInputs(
        temperature_c=temperature_c,
        fever_attributed_to_other_cause=bool(fever_attributed_to_other_cause),
        hypotension=hypotension,
        vasopressors=tuple(Vasopressor(v) for v in vasopressors or ()),
        oxygen_device=None if oxygen_device is None else OxygenDevice(oxygen_device),
        crs_previously_diagnosed=bool(crs_previously_diagnosed),
        antipyretic_or_anticytokine_given=bool(antipyretic_or_anticytokine_given),
    ))


# --- the episode's history as RULES C2/C5 need it ---------------------------------------


@dataclass(frozen=True)
class WaiverFlags:
    crs_previously_diagnosed: bool
    antipyretic_or_anticytokine_given: bool
    masking_drug_name: str | None
    masking_drug_given_at: str | None  # local "%d %b %H:%M"


def derive_waiver_flags(
    session: Session,
    episode_id: int,
    assessed_at: datetime,
    *,
    tz: ZoneInfo,
    exclude_assessment_id: int | None = None,
) -> WaiverFlags:
    """RULES C2 and the C5 note, from the episode's own stored history.

    - CRS previously diagnosed: an earlier current assessment graded CRS ≥ 1.
    - Drug given since: an antipyretic / anti-cytokine / corticosteroid given at or after
      the first CRS-positive assessment and at or before this one. Premedication before
      any CRS does not count (case CRS-32).
    - Masking drug (C5 note): the latest such drug given in the 24 h before this time.
    """
    first_positive_q = select(Assessment.assessed_at).where(
        Assessment.episode_id == episode_id,
        Assessment.status == "current",
        Assessment.is_baseline.is_(False),
        Assessment.crs_grade >= 1,
        Assessment.assessed_at < assessed_at,
    )
    if exclude_assessment_id is not None:
        first_positive_q = first_positive_q.where(Assessment.id != exclude_assessment_id)
    first_positive = session.execute(
        first_positive_q.order_by(Assessment.assessed_at).limit(1)
    ).scalar_one_or_none()

    drugs = session.execute(
        select(Administration.drug, Administration.given_at)
        .where(
            Administration.episode_id == episode_id,
            Administration.status == "current",
            Administration.drug.in_(sorted(FEVER_MASKING_DRUGS)),
            Administration.given_at <= assessed_at,
        )
        .order_by(Administration.given_at)
    ).all()

    given_since = first_positive is not None and any(
        given_at >= first_positive for _drug, given_at in drugs
    )
    recent = [(d, g) for d, g in drugs if g >= assessed_at - timedelta(hours=24)]
    masking_name = masking_at = None
    if recent:
        masking_name, given = recent[-1]
        masking_at = given.astimezone(tz).strftime("%d %b %H:%M")
    return WaiverFlags(
        crs_previously_diagnosed=first_positive is not None,
        antipyretic_or_anticytokine_given=given_since,
        masking_drug_name=masking_name,
        masking_drug_given_at=masking_at,
    )


# --- day maxima (RULES T3) and the course of a syndrome --------------------------------


@dataclass(frozen=True)
class GradePoint:
    """One current assessment's grade for one syndrome (None = not graded)."""

    at: datetime
    grade: int | None
    at_least: bool = False  # ICANS with domains missing (RULES I8)


@dataclass(frozen=True)
class DayGrade:
    day: int
    max_grade: int
    at_least: bool  # the day's maximum rests on an incomplete assessment
    all_confirmed_zero: bool  # every graded assessment that day is a complete 0


def day_maxima(
    points: Iterable[GradePoint], infused_at: datetime, tz: ZoneInfo
) -> dict[int, DayGrade]:
    """RULES T3: a day's grade is the maximum over that day's (current) assessments."""
    by_day: dict[int, list[GradePoint]] = {}
    for p in points:
        if p.grade is None:
            continue
        by_day.setdefault(day_number(infused_at, p.at, tz), []).append(p)
    out: dict[int, DayGrade] = {}
    for day, pts in by_day.items():
        top = max(p.grade for p in pts if p.grade is not None)
        out[day] = DayGrade(
            day=day,
            max_grade=top,
            at_least=any(p.at_least and p.grade == top for p in pts),
            all_confirmed_zero=all(p.grade == 0 and not p.at_least for p in pts),
        )
    return out


@dataclass(frozen=True)
class Course:
    occurred: bool
    onset_day: int | None
    max_grade: int | None
    max_day: int | None
    resolution_day: int | None
    episodes: int
    ongoing: bool


def course_of(days: Mapping[int, DayGrade], *, last_day: int = 28) -> Course:
    """Onset, maximum, resolution and recurrence over days 0..last_day.

    - A positive day has a maximum grade ≥ 1.
    - Onset: the first positive day.
    - Maximum: the highest day grade; its day is the first day it was reached.
    - A syndrome episode resolves on the first later assessed day on which every graded
      assessment is a complete 0 (an ICANS "≥ 0" with missing domains does not confirm
      resolution). Days without assessments neither continue nor end an episode.
    - A positive day after a resolution starts a new episode (recurrence).
    - Resolution day: that of the last episode, None while it is ongoing.
    """
    onset = max_grade = max_day = resolution = None
    episodes = 0
    in_episode = False
    for day in sorted(d for d in days if 0 <= d <= last_day):
        dg = days[day]
        if dg.max_grade >= 1:
            if onset is None:
                onset = day
            if max_grade is None or dg.max_grade > max_grade:
                max_grade, max_day = dg.max_grade, day
            if not in_episode:
                episodes += 1
                in_episode = True
                resolution = None
        elif in_episode and dg.all_confirmed_zero:
            in_episode = False
            resolution = day
    graded = [d for d in days if 0 <= d <= last_day]
    if max_grade is None and graded:
        max_grade = 0
    return Course(
        occurred=episodes > 0,
        onset_day=onset,
        max_grade=max_grade,
        max_day=max_day,
        resolution_day=resolution,
        episodes=episodes,
        ongoing=in_episode,
    )


def local_date_of_day(infused_at: datetime, day: int, tz: ZoneInfo) -> date:
    return infused_at.astimezone(tz).date() + timedelta(days=day)


def age_on(date_of_birth: date, on: date) -> float:
    """Age in years with a fraction that is exactly N.0 on the Nth birthday (RULES I1: ICE
    from 12.0), so a child is never graded with the wrong tool on the day of a birthday."""
    years = whole_years(date_of_birth, on)
    last = _birthday(date_of_birth, date_of_birth.year + years)
    nxt = _birthday(date_of_birth, date_of_birth.year + years + 1)
    return years + (on - last).days / (nxt - last).days


def whole_years(date_of_birth: date, on: date) -> int:
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - before_birthday


def _birthday(dob: date, year: int) -> date:
    try:
        return dob.replace(year=year)
    except ValueError:  # 29 February in a common year: the birthday is taken as 1 March
        return date(year, 3, 1)
