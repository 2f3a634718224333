"""Drugs given: tocilizumab (with its E5 checks and stock, via the tocilizumab hook),
corticosteroids, antipyretics and other anti-cytokine agents.

The times recorded here feed RULES C2 (fever waiver once CRS is diagnosed and such a drug
was given since) and the C5 "fever may be masked" note, and the course summary's counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.actor import Actor
from app.audit import record_audit, snapshot
from app.clock import day_number, format_local
from app.context import AppContext
from app.errors import FieldProblem, ValidationFailed
from app.permissions import Action, require
from app.rows import AdministrationRow
from app.services.history import FEVER_MASKING_DRUGS, KNOWN_DRUGS, drug_category, load_episode
from app.services.idempotency import stored_by_other_submit, submitted_row
from db.models import Administration, Assessment, Episode

DRUGS = (
    "tocilizumab", "dexamethasone", "methylprednisolone", "hydrocortisone", "prednisolone",
    "paracetamol", "ibuprofen", "anakinra", "siltuximab", "other",
)  # fmt: skip
UNITS = ("mg", "g", "mg/kg", "mcg")
ROUTES = ("IV", "oral", "SC", "IM", "rectal", "other")
MAX_DOSE = 20_000.0  # any unit: a typing error well before it is a dose
FUTURE_TOLERANCE = timedelta(minutes=5)


def to_administration_row(
    a: Administration, episode: Episode, tz: ZoneInfo, *, already_stored: bool = False
) -> AdministrationRow:
    return AdministrationRow(
        id=a.id,
        episode_id=a.episode_id,
        drug=a.drug,
        category=drug_category(a.drug),
        dose=a.dose,
        dose_unit=a.dose_unit,
        route=a.route,
        given_at=a.given_at,
        day=None if episode.infused_at is None else day_number(episode.infused_at, a.given_at, tz),
        entered_at=a.entered_at,
        entered_by=a.entered_by,
        status=a.status,
        calculated_dose_mg=a.calculated_dose_mg,
        weight_used_kg=a.weight_used_kg,
        limit_warnings=tuple(a.limit_warnings or ()),
        override_reason=a.override_reason,
        already_stored=already_stored,
    )


def _problems(
    drug: str, dose: float, *, dose_unit: str, route: str, given_at: datetime, now: datetime
) -> list[FieldProblem]:
    problems = []
    if drug not in KNOWN_DRUGS:
        problems.append(
            FieldProblem("drug", f"unknown drug {drug!r}; choose one of: {', '.join(DRUGS)}")
        )
    if not isinstance(dose, int | float) or not 0 < float(dose) <= MAX_DOSE:
        problems.append(
            FieldProblem("dose", f"dose must be a number above 0 and at most {MAX_DOSE:g}")
        )
    if dose_unit not in UNITS:
        problems.append(FieldProblem("dose_unit", f"unit must be one of {', '.join(UNITS)}"))
    if route not in ROUTES:
        problems.append(FieldProblem("route", f"route must be one of {', '.join(ROUTES)}"))
    if given_at.tzinfo is None:
        problems.append(FieldProblem("given_at", "time has no time zone — please report"))
    elif given_at > now + FUTURE_TOLERANCE:
        problems.append(FieldProblem("given_at", "the time given is in the future"))
    return problems


def _by_key(session: Session, key: str, episode_id: int, tz: ZoneInfo) -> AdministrationRow | None:
    row = submitted_row(session, Administration, key, episode_id)
    if row is None:
        return None
    return to_administration_row(row, load_episode(session, episode_id), tz, already_stored=True)


def _tocilizumab_hook(
    session: Session,
    ctx: AppContext,
    actor: Actor,
    *,
    episode: Episode,
    administration: Administration,
    override_reason: str | None,
) -> list[str]:
    """RULES E5 limits, vial issue and resupply alert (owned by app.services.tocilizumab)."""
    from app.services import tocilizumab

    try:
        return list(
            tocilizumab.on_tocilizumab_dose(
                session, ctx, actor, episode, administration, override_reason
            )
        )
    except NotImplementedError:  # interface stub before the ledger lands
        return []


def record_administration(
    ctx: AppContext,
    actor: Actor,
    episode_id: int,
    *,
    drug: str,
    dose: float,
    dose_unit: str = "mg",
    route: str = "IV",
    given_at: datetime,
    override_reason: str | None = None,
    idempotency_key: str | None = None,
) -> AdministrationRow:
    require(actor, Action.RECORD_ADMINISTRATION)
    now = ctx.clock()
    drug = (drug or "").strip().lower()
    problems = _problems(drug, dose, dose_unit=dose_unit, route=route, given_at=given_at, now=now)
    if problems:
        raise ValidationFailed(problems)
    reason = (override_reason or "").strip() or None
    try:
        with ctx.database.transaction() as session:
            if idempotency_key is not None:
                stored = _by_key(session, idempotency_key, episode_id, ctx.tz)
                if stored is not None:
                    return stored
            episode = load_episode(session, episode_id)
            if episode.status not in ("active", "planned"):
                raise ValidationFailed(
                    [
                        FieldProblem(
                            "episode",
                            f"this episode is {episode.status}: doses can no longer be recorded",
                        )
                    ]
                )
            if episode.infused_at is not None and given_at < episode.infused_at - timedelta(days=2):
                raise ValidationFailed(
                    [
                        FieldProblem(
                            "given_at",
                            "more than two days before the infusion "
                            f"({format_local(episode.infused_at, ctx.tz)}) — check the date",
                        )
                    ]
                )
            row = Administration(
                episode_id=episode_id,
                drug=drug,
                dose=float(dose),
                dose_unit=dose_unit,
                route=route,
                given_at=given_at,
                entered_at=now,
                entered_by=actor.username,
                status="current",
                limit_warnings=[],
                override_reason=reason,
                idempotency_key=idempotency_key,
            )
            session.add(row)
            session.flush()
            after = snapshot(row)
            if drug == "tocilizumab":
                _tocilizumab_hook(
                    session, ctx, actor, episode=episode, administration=row, override_reason=reason
                )
                session.flush()
                after = snapshot(row)
                settled = _settle_tocilizumab_prompt(session, row, actor, now, ctx.tz)
                if settled is not None:
                    after["alert_resolved"] = settled
            _regrade_after_dose(session, ctx, actor, episode, row, now, after, "recorded")
            record_audit(
                session, actor, now, "record_administration", "administration", row.id,
                episode_id=episode_id, after=after, reason=reason,
            )  # fmt: skip
            return to_administration_row(row, episode, ctx.tz)
    except IntegrityError as conflict:
        return stored_by_other_submit(
            ctx, idempotency_key, lambda s, key: _by_key(s, key, episode_id, ctx.tz), conflict
        )


def _regrade_after_dose(  # noqa: PLR0917 - the write's own context, passed through
    session: Session,
    ctx: AppContext,
    actor: Actor,
    episode: Episode,
    dose: Administration,
    now: datetime,
    after: dict[str, Any],
    what: str,
) -> None:
    """RULES C2: a fever-masking drug counts for the sets graded after it was given; when
    one is recorded late (or withdrawn), those sets are graded again in the same
    transaction (assessments.regrade_later) and the write's audit event lists them."""
    if dose.drug not in FEVER_MASKING_DRUGS:
        return
    from app.services.assessments import audit_with_regrades, regrade_later

    cause = f"{dose.drug} given {format_local(dose.given_at, ctx.tz)} was {what}"
    audit_with_regrades(after, *regrade_later(
        session, episode, dose.given_at, cause=cause, actor=actor, now=now, tz=ctx.tz))


def _settle_tocilizumab_prompt(
    session: Session, dose: Administration, actor: Actor, now: datetime, tz: ZoneInfo
) -> int | None:
    """RULES E2: the "consider tocilizumab" prompt has been acted on once a dose is given;
    it is resolved in the same transaction (and, like any handled alert, raised again only
    if CRS rises further — see alerts.already_handled)."""
    from app.services.alerts import open_alert, resolve_by_system

    prompt = open_alert(session, dose.episode_id, "tocilizumab_prompt")
    if prompt is None:
        return None
    given = format_local(dose.given_at, tz)
    resolve_by_system(session, prompt, now, f"tocilizumab given {given} (by {actor.username})")
    return prompt.id


def mark_administration_in_error(
    ctx: AppContext, actor: Actor, administration_id: int, *, reason: str
) -> AdministrationRow:
    """A state, not a delete: the dose stays visible, struck through, and stops counting
    for the fever waiver (C2) and the course summary."""
    if not (reason or "").strip():
        raise ValidationFailed([FieldProblem("reason", "give the reason it was entered in error")])
    now = ctx.clock()
    with ctx.database.transaction() as session:
        row = session.get(Administration, administration_id)
        if row is None:
            from app.errors import NotFound

            raise NotFound(f"No administration with id {administration_id}.")
        own = row.entered_by == actor.username
        require(actor, Action.AMEND_OWN_ENTRY if own else Action.AMEND_OTHERS_ENTRY)
        before = snapshot(row, ["id", "status"])
        result = session.execute(
            update(Administration)
            .where(Administration.id == row.id, Administration.status == "current")
            .values(status="entered_in_error")
            .execution_options(synchronize_session=False)
        )
        session.refresh(row)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ValidationFailed(
                [FieldProblem("status", "this dose is already marked entered in error")]
            )
        after = snapshot(row, ["id", "status"])
        episode = load_episode(session, row.episode_id)
        _regrade_after_dose(session, ctx, actor, episode, row, now, after,
                            "marked entered in error")
        record_audit(
            session, actor, now, "mark_administration_in_error", "administration", row.id,
            episode_id=row.episode_id, before=before, after=after, reason=reason.strip(),
        )  # fmt: skip
        return to_administration_row(row, load_episode(session, row.episode_id), ctx.tz)


def list_administrations(ctx: AppContext, actor: Actor, episode_id: int) -> list[AdministrationRow]:
    require(actor, Action.VIEW_WARD)
    with ctx.database.read() as session:
        episode = load_episode(session, episode_id)
        return [
            to_administration_row(a, episode, ctx.tz)
            for a in session.execute(
                select(Administration)
                .where(Administration.episode_id == episode_id)
                .order_by(Administration.given_at, Administration.id)
            ).scalars()
        ]


def drugs_since_last_assessment(
    ctx: AppContext, actor: Actor, episode_id: int
) -> list[AdministrationRow]:
    """Doses given after the episode's latest current assessment (all of them when there is
    none yet), oldest first: what the nurse must know before the next set, because an
    antipyretic or anti-cytokine drug can mask fever (RULES C2 waiver, C5 note).

    Current doses only (entered-in-error ones no longer count); amended or erroneous
    assessments do not move the boundary. One query."""
    require(actor, Action.VIEW_WARD)
    last_set = (
        select(func.max(Assessment.assessed_at))
        .where(Assessment.episode_id == episode_id, Assessment.status == "current")
        .scalar_subquery()
    )
    with ctx.database.read() as session:
        rows = session.execute(
            select(Administration, Episode)
            .join(Episode, Episode.id == Administration.episode_id)
            .where(
                Administration.episode_id == episode_id,
                Administration.status == "current",
                # At or before a set, a dose is already accounted for by that set.
                or_(last_set.is_(None), Administration.given_at > last_set),
            )
            .order_by(Administration.given_at, Administration.id)
        ).all()
        return [to_administration_row(a, episode, ctx.tz) for a, episode in rows]
