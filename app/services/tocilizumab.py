"""Tocilizumab: stock ledger, readiness gate before infusion and the dose hook (RULES E5-E6).

Stock integrity (SAFETY.md): a vial changes status only through one atomic conditional
UPDATE (`... SET status = :to, version = version + 1 WHERE id = :id AND status = :from
[AND expiry_date >= :today]`) whose rowcount says whether this call won. Never
read-modify-write: on PostgreSQL two workstations may pick the same last vial at once and
the database, not Python, decides who gets it. Every change adds a StockMovement row (the
history is never deleted) and every service call writes exactly one audit event.

Expiry: a vial is usable up to and including its expiry date (ward local date); after that
it can never be reserved or issued, whatever its status says (`expire_vials` marks them).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.actor import Actor
from app.audit import record_audit, snapshot
from app.clock import WARD_TZ, format_local, local_date
from app.context import AppContext
from app.errors import (
    ConfirmationRequired,
    FieldProblem,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from app.nhs_number import format_nhs_number
from app.permissions import Action, is_allowed, require
from app.products import Product, ProductTableError, products
from app.rows import EpisodeRow
from app.services.history import load_episode, patient_name
from app.services.patients import to_episode_row
from db.models import Administration, Alert, Episode, Patient, StockMovement, Vial
from grading.tocilizumab import (
    MAX_SINGLE_DOSE_MG,
    VIAL_STRENGTHS_MG,
    LimitBreach,
    VialPlan,
    check_dose_limits,
    dose_mg,
    pick_vials,
    whole_doses,
)

LOCATIONS = ("ward", "pharmacy")
MAX_RECEIVE = 200  # one delivery; more is a typing error
EXPIRING_SOON = timedelta(hours=48)  # RULES E6 board state "expiring"
RESUPPLY_ALERT = "tocilizumab_resupply"
FUTURE_TOLERANCE = timedelta(minutes=5)  # SAFETY.md: times > 5 min ahead are refused
OPEN_EPISODE_STATUSES = ("planned", "active")
# Above this many episodes the board query reads every reserved vial / tocilizumab dose
# instead of a huge IN list (SQLite and psycopg cap bound parameters).
_IN_LIST_LIMIT = 2000


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VialRow:
    id: int
    strength_mg: int
    batch: str
    expiry_date: date
    location: str
    status: str  # in_stock | reserved | issued | wasted | expired
    reserved_episode_id: int | None
    received_at: datetime
    version: int


@dataclass(frozen=True)
class StockLine:
    """Vials of one strength, batch, expiry and location, counted by status."""

    strength_mg: int
    batch: str
    expiry_date: date
    location: str
    in_stock: int
    reserved: int
    issued: int
    wasted: int
    expired: int

    @property
    def usable(self) -> int:
        return self.in_stock + self.reserved


@dataclass(frozen=True)
class ReadinessRow:
    """RULES E6 check for one episode, at the patient's current weight."""

    episode_id: int
    met: bool
    needed_doses: int  # the product's "doses on site per patient"
    dose_mg: float  # one dose at the current weight (RULES E5)
    weight_kg: float
    weight_recorded_on: date
    doses_reserved: int  # whole doses the unexpired reserved vials make
    reserved_mg: int
    missing_text: str  # "" when met, else e.g. "needs 1 dose of 640 mg; reserved 400 mg"
    expiring_within_48h: bool
    requirement_text: str  # from the product table, with its SmPC version
    product_label: str


@dataclass(frozen=True)
class TocilizumabStatus:
    state: str  # ready | short | expiring | not required
    doses_reserved: int
    doses_given: int
    last_dose_at: datetime | None
    resupply_due_at: datetime | None
    text: str


@dataclass(frozen=True)
class DosePreview:
    """What the administration dialog shows before a dose is recorded (RULES E5)."""

    episode_id: int
    weight_kg: float
    weight_recorded_on: date
    mg_per_kg: float
    calculated_mg: float
    capped: bool  # the 800 mg cap applied
    plan: VialPlan  # least-waste vials for the calculated dose (unlimited stock)
    doses_reserved: int
    warnings: tuple[str, ...]  # limits the proposed dose/time would break
    resupply_due_at: datetime | None  # if given at the proposed time

    @property
    def weight_text(self) -> str:
        return f"{self.weight_kg:g} kg (weighed {self.weight_recorded_on:%d %b %Y})"


@dataclass(frozen=True)
class StockEpisode:
    """A patient episode pharmacy reserves for or releases from, identified as the ward
    identifies it (usability audit 10: no screen shows an internal episode number).

    `patient` is the name ("PATEL, Rohan") for ward staff but only the initials ("R P")
    for a pharmacist: the pharmacy page shows no patient names (README "What each role
    sees"); bed, NHS number, product and weight are enough to pick the right patient."""

    episode_id: int
    bed: str
    patient: str
    identifier: str  # "NHS 999 000 0026", or "Hospital no. H12345" when there is no NHS number
    status: str  # planned | active (or a closed episode still holding reserved vials)
    product_label: str
    weight_kg: float
    needed_doses: int  # the product's "doses on site per patient" (RULES E6); 0 if unknown
    doses_reserved: int  # whole doses the unexpired reserved vials make at this weight
    vials_reserved: int  # every reserved vial, expired or not (release acts on these)

    @property
    def open(self) -> bool:
        """Stock may be reserved for it (reserve_for_episode refuses the others)."""
        return self.status in OPEN_EPISODE_STATUSES

    @property
    def readiness_text(self) -> str:
        """"1 dose needed · 0 reserved — short by 1" / "1 dose needed · 2 reserved ✓": the
        need first, so "2 of 1" never reads as an error."""
        if not self.needed_doses:
            return f"reserved {_dose_text(self.doses_reserved)}"
        head = f"{_dose_text(self.needed_doses)} needed · {self.doses_reserved} reserved"
        short = self.needed_doses - self.doses_reserved
        return f"{head} — short by {short}" if short > 0 else f"{head} ✓"


def _vial_row(v: Vial) -> VialRow:
    return VialRow(
        id=v.id,
        strength_mg=v.strength_mg,
        batch=v.batch,
        expiry_date=v.expiry_date,
        location=v.location,
        status=v.status,
        reserved_episode_id=v.reserved_episode_id,
        received_at=v.received_at,
        version=v.version,
    )


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _today(ctx: AppContext, now: datetime) -> date:
    return local_date(now, ctx.tz)


def _expiry_end(expiry: date, tz: Any = WARD_TZ) -> datetime:
    """A vial is usable to the end of its expiry date, local time."""
    return datetime.combine(expiry + timedelta(days=1), time(0), tzinfo=tz)


def _product(code: str) -> Product | None:
    try:
        return products().get(code)
    except ProductTableError:
        return None


def _dose_text(n: int) -> str:
    return f"{n} dose" if n == 1 else f"{n} doses"


def _move(
    session: Session,
    vial_id: int,
    *,
    from_statuses: Sequence[str],
    to_status: str,
    today: date | None,
    reserved_for: int | None = None,
    set_episode: int | None = None,
) -> bool:
    """One atomic conditional status change; True if this call made it (rowcount 1).

    `today` set: only an unexpired vial may move (expired vials are never reserved or
    issued). `reserved_for`: only a vial reserved for that episode.
    """
    stmt = update(Vial).where(Vial.id == vial_id, Vial.status.in_(from_statuses))
    if today is not None:
        stmt = stmt.where(Vial.expiry_date >= today)
    if reserved_for is not None:
        stmt = stmt.where(Vial.reserved_episode_id == reserved_for)
    stmt = stmt.values(
        status=to_status, reserved_episode_id=set_episode, version=Vial.version + 1
    ).execution_options(synchronize_session=False)
    result = cast(CursorResult[Any], session.execute(stmt))
    return result.rowcount == 1


def _movement(
    session: Session,
    vial_id: int,
    kind: str,
    actor: Actor,
    at: datetime,
    *,
    episode_id: int | None = None,
    administration_id: int | None = None,
    reason: str | None = None,
) -> None:
    session.add(
        StockMovement(
            vial_id=vial_id,
            kind=kind,
            episode_id=episode_id,
            administration_id=administration_id,
            at=at,
            by=actor.username,
            reason=reason,
        )
    )


def _load_vials(session: Session, ids: Iterable[int]) -> list[VialRow]:
    id_list = list(ids)
    if not id_list:
        return []
    rows = session.scalars(
        select(Vial)
        .where(Vial.id.in_(id_list))
        .order_by(Vial.id)
        .execution_options(populate_existing=True)  # the UPDATEs bypassed the identity map
    ).all()
    return [_vial_row(v) for v in rows]


def _get_vial(session: Session, vial_id: int) -> Vial:
    vial = session.get(Vial, vial_id, populate_existing=True)
    if vial is None:
        raise ValidationFailed([FieldProblem("vial_id", f"no vial with id {vial_id}")])
    return vial


def _stock_episode(session: Session, episode_id: int) -> Episode:
    """The episode a stock action names. Pharmacy has no ward list to reload (the shared
    loader's advice): the number came from the ward or from an old list."""
    episode = session.get(Episode, episode_id)
    if episode is None:
        raise NotFound(f"No patient episode {episode_id} — check the patient with the ward, "
                       "then choose them again from the list.")
    return episode


def _refusal(vial: Vial, wanted: str, today: date) -> FieldProblem:
    if vial.expiry_date < today and vial.status in ("in_stock", "reserved"):
        why = f"expired on {vial.expiry_date:%d %b %Y}"
    else:
        why = f"its status is {vial.status}"
        if vial.reserved_episode_id is not None and vial.status == "reserved":
            why += f" (for episode {vial.reserved_episode_id})"
    return FieldProblem(
        "vial_id",
        f"vial {vial.id} ({vial.strength_mg} mg, batch {vial.batch}) cannot be {wanted}: {why}",
    )


def _reserved_strengths(session: Session, episode_id: int, today: date) -> list[int]:
    return list(
        session.scalars(
            select(Vial.strength_mg).where(
                Vial.status == "reserved",
                Vial.reserved_episode_id == episode_id,
                Vial.expiry_date >= today,
            )
        )
    )


def doses_available(session: Session, episode: Episode, now: datetime) -> int:
    """Whole doses the episode's unexpired reserved vials make at its current weight (E6)."""
    strengths = _reserved_strengths(session, episode.id, local_date(now))
    if not strengths:
        return 0
    return len(whole_doses(dose_mg(episode.weight_kg), strengths))


def _usable_candidates(
    session: Session, today: date, now: datetime, *, episode_id: int | None
) -> list[Vial]:
    """Unexpired vials to choose from: the episode's reservation (episode_id set) or
    unreserved stock. Order: ward before pharmacy, then vials that do not expire within
    48 h, then first-expiry-first-out."""
    stmt = select(Vial).where(Vial.expiry_date >= today)
    if episode_id is not None:
        stmt = stmt.where(Vial.status == "reserved", Vial.reserved_episode_id == episode_id)
    else:
        stmt = stmt.where(Vial.status == "in_stock")
    vials = list(session.scalars(stmt.execution_options(populate_existing=True)))
    vials.sort(
        key=lambda v: (
            v.location != "ward",
            _expiry_end(v.expiry_date) - now <= EXPIRING_SOON,
            v.expiry_date,
            v.id,
        )
    )
    return vials


def _claim(
    session: Session,
    wanted: Counter[int],
    candidates: list[Vial],
    *,
    from_status: str,
    to_status: str,
    today: date,
    reserved_for: int | None,
    set_episode: int | None,
) -> list[Vial]:
    """Move `wanted` (strength -> count) vials, trying candidates in order. A vial another
    workstation took meanwhile simply fails its UPDATE and the next one is tried."""
    claimed: list[Vial] = []
    need = Counter(wanted)
    for vial in candidates:
        if need[vial.strength_mg] <= 0:
            continue
        if _move(
            session,
            vial.id,
            from_statuses=(from_status,),
            to_status=to_status,
            today=today,
            reserved_for=reserved_for,
            set_episode=set_episode,
        ):
            claimed.append(vial)
            need[vial.strength_mg] -= 1
    return claimed


# --------------------------------------------------------------------------------------------
# Ledger services (pharmacist: MANAGE_STOCK)
# --------------------------------------------------------------------------------------------


def receive_vials(
    ctx: AppContext,
    actor: Actor,
    *,
    strength_mg: int,
    batch: str,
    expiry_date: date,
    location: str,
    count: int,
) -> list[VialRow]:
    """Add `count` vials of one strength, batch and expiry to stock."""
    require(actor, Action.MANAGE_STOCK)
    now = ctx.clock()
    today = _today(ctx, now)
    problems: list[FieldProblem] = []
    if strength_mg not in VIAL_STRENGTHS_MG:
        problems.append(
            FieldProblem(
                "strength_mg",
                f"{strength_mg} mg is not a tocilizumab IV vial; choose "
                + ", ".join(f"{s} mg" for s in VIAL_STRENGTHS_MG),
            )
        )
    batch = (batch or "").strip()
    if not batch or len(batch) > 40:
        problems.append(FieldProblem("batch", "batch number is required (at most 40 characters)"))
    if expiry_date < today:
        problems.append(
            FieldProblem("expiry_date", f"expired on {expiry_date:%d %b %Y}: do not receive it")
        )
    if location not in LOCATIONS:
        problems.append(FieldProblem("location", f"location must be one of {', '.join(LOCATIONS)}"))
    if not 1 <= count <= MAX_RECEIVE:
        problems.append(FieldProblem("count", f"count must be 1-{MAX_RECEIVE} vials"))
    if problems:
        raise ValidationFailed(problems)
    with ctx.database.transaction() as session:
        vials = [
            Vial(
                strength_mg=strength_mg,
                batch=batch,
                expiry_date=expiry_date,
                location=location,
                status="in_stock",
                received_at=now,
            )
            for _ in range(count)
        ]
        session.add_all(vials)
        session.flush()
        for v in vials:
            _movement(session, v.id, "received", actor, now)
        record_audit(
            session,
            actor,
            now,
            "receive_vials",
            "vial",
            vials[0].id,
            after={
                "vial_ids": [v.id for v in vials],
                "strength_mg": strength_mg,
                "batch": batch,
                "expiry_date": expiry_date.isoformat(),
                "location": location,
                "count": count,
            },
        )
        return [_vial_row(v) for v in vials]


def reserve_for_episode(
    ctx: AppContext,
    actor: Actor,
    episode_id: int,
    *,
    vial_ids: Sequence[int] | None = None,
    doses: int | None = None,
) -> list[VialRow]:
    """Reserve named vials, or enough in-stock vials for `doses` more whole doses at the
    patient's current weight (least waste per dose). All or nothing."""
    require(actor, Action.MANAGE_STOCK)
    if (vial_ids is None) == (doses is None):
        raise ValidationFailed(
            [FieldProblem("vial_ids", "give either the vials to reserve or a number of doses")]
        )
    now = ctx.clock()
    today = _today(ctx, now)
    with ctx.database.transaction() as session:
        episode = _stock_episode(session, episode_id)
        if episode.status not in OPEN_EPISODE_STATUSES:
            raise ValidationFailed([FieldProblem(
                "episode_id",
                f"this patient's episode is {episode.status}: tocilizumab is reserved only "
                "for patients awaiting or after their CAR-T infusion (planned or active)",
            )])
        claimed_ids: list[int] = []
        if vial_ids is not None:
            if not vial_ids:
                raise ValidationFailed([FieldProblem("vial_ids", "choose at least one vial")])
            problems: list[FieldProblem] = []
            for vial_id in dict.fromkeys(vial_ids):
                if _move(
                    session,
                    vial_id,
                    from_statuses=("in_stock",),
                    to_status="reserved",
                    today=today,
                    set_episode=episode_id,
                ):
                    claimed_ids.append(vial_id)
                else:
                    problems.append(_refusal(_get_vial(session, vial_id), "reserved", today))
            if problems:
                raise ValidationFailed(problems)  # rolls back the vials already moved
        else:
            assert doses is not None
            if not 1 <= doses <= 10:
                raise ValidationFailed([FieldProblem("doses", "doses must be 1-10")])
            per_dose = dose_mg(episode.weight_kg)
            candidates = _usable_candidates(session, today, now, episode_id=None)
            pool = [v.strength_mg for v in candidates]
            wanted: Counter[int] = Counter()
            for n in range(doses):
                plan = pick_vials(per_dose, list((Counter(pool) - wanted).elements()))
                if plan is None:
                    have = sum((Counter(pool) - wanted).elements())
                    raise ValidationFailed(
                        [
                            FieldProblem(
                                "doses",
                                f"not enough unexpired stock for dose {n + 1} of {per_dose:g} mg"
                                f" ({have} mg left unreserved); receive more vials first",
                            )
                        ]
                    )
                wanted.update(plan.vials)
            claimed = _claim(
                session,
                wanted,
                candidates,
                from_status="in_stock",
                to_status="reserved",
                today=today,
                reserved_for=None,
                set_episode=episode_id,
            )
            if len(claimed) != sum(wanted.values()):
                raise ValidationFailed(
                    [FieldProblem("doses", "stock changed on another workstation; try again")]
                )
            claimed_ids = [v.id for v in claimed]
        for vial_id in claimed_ids:
            _movement(session, vial_id, "reserved", actor, now, episode_id=episode_id)
        resolved = _resolve_resupply_alert_if_covered(session, episode, now, actor)
        record_audit(
            session,
            actor,
            now,
            "reserve_vials",
            "vial",
            claimed_ids[0],
            episode_id=episode_id,
            after={
                "vial_ids": claimed_ids,
                "doses": doses,
                "resolved_alert_id": resolved,
            },
        )
        return _load_vials(session, claimed_ids)


def release_reservation(
    ctx: AppContext,
    actor: Actor,
    episode_id: int,
    *,
    vial_ids: Sequence[int] | None = None,
    reason: str = "",
) -> list[VialRow]:
    """Return reserved vials (all of the episode's, or those named) to unreserved stock."""
    require(actor, Action.MANAGE_STOCK)
    now = ctx.clock()
    with ctx.database.transaction() as session:
        _stock_episode(session, episode_id)
        ids = (
            list(vial_ids)
            if vial_ids is not None
            else list(
                session.scalars(
                    select(Vial.id).where(
                        Vial.status == "reserved", Vial.reserved_episode_id == episode_id
                    )
                )
            )
        )
        if not ids:
            raise ValidationFailed(
                [FieldProblem("vial_ids", "no vials are reserved for this patient")]
            )
        problems: list[FieldProblem] = []
        for vial_id in dict.fromkeys(ids):
            if _move(
                session,
                vial_id,
                from_statuses=("reserved",),
                to_status="in_stock",
                today=None,  # an expired reserved vial may still be released (then expired)
                reserved_for=episode_id,
                set_episode=None,
            ):
                _movement(
                    session, vial_id, "released", actor, now, episode_id=episode_id,
                    reason=reason or None,
                )  # fmt: skip
            else:
                problems.append(
                    _refusal(_get_vial(session, vial_id), f"released from episode {episode_id}",
                             _today(ctx, now))
                )  # fmt: skip
        if problems:
            raise ValidationFailed(problems)
        record_audit(
            session,
            actor,
            now,
            "release_vials",
            "vial",
            ids[0],
            episode_id=episode_id,
            after={"vial_ids": ids},
            reason=reason or None,
        )
        return _load_vials(session, ids)


def return_vial(ctx: AppContext, actor: Actor, vial_id: int, *, reason: str = "") -> VialRow:
    """An issued vial came back unopened: it returns to unreserved stock."""
    require(actor, Action.MANAGE_STOCK)
    now = ctx.clock()
    with ctx.database.transaction() as session:
        if not _move(
            session,
            vial_id,
            from_statuses=("issued",),
            to_status="in_stock",
            today=None,
            set_episode=None,
        ):
            raise ValidationFailed(
                [_refusal(_get_vial(session, vial_id), "returned", _today(ctx, now))]
            )
        _movement(session, vial_id, "returned", actor, now, reason=reason or None)
        record_audit(
            session, actor, now, "return_vial", "vial", vial_id,
            before={"status": "issued"}, after={"status": "in_stock"}, reason=reason or None,
        )  # fmt: skip
        return _load_vials(session, [vial_id])[0]


def waste_vial(ctx: AppContext, actor: Actor, vial_id: int, *, reason: str) -> VialRow:
    """A vial broken, contaminated or opened and not used: wasted, with a reason."""
    require(actor, Action.MANAGE_STOCK)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed([FieldProblem("reason", "say why the vial is wasted")])
    now = ctx.clock()
    with ctx.database.transaction() as session:
        before = _get_vial(session, vial_id)
        before_status, episode_id = before.status, before.reserved_episode_id
        if not _move(
            session,
            vial_id,
            from_statuses=("in_stock", "reserved", "issued"),
            to_status="wasted",
            today=None,
            set_episode=None,
        ):
            raise ValidationFailed(
                [_refusal(_get_vial(session, vial_id), "wasted", _today(ctx, now))]
            )
        _movement(session, vial_id, "wasted", actor, now, episode_id=episode_id, reason=reason)
        record_audit(
            session, actor, now, "waste_vial", "vial", vial_id, episode_id=episode_id,
            before={"status": before_status}, after={"status": "wasted"}, reason=reason,
        )  # fmt: skip
        return _load_vials(session, [vial_id])[0]


def expire_vials(ctx: AppContext, actor: Actor | None = None) -> int:
    """Mark in-stock and reserved vials past their expiry date as expired (run at start-up
    and daily). Returns how many; writes one audit event when any changed, none otherwise."""
    from app.actor import SYSTEM_ACTOR

    who = actor or SYSTEM_ACTOR
    now = ctx.clock()
    today = _today(ctx, now)
    with ctx.database.transaction() as session:
        due = session.execute(
            select(Vial.id, Vial.reserved_episode_id).where(
                Vial.status.in_(("in_stock", "reserved")), Vial.expiry_date < today
            )
        ).all()
        changed: list[int] = []
        for vial_id, episode_id in due:
            # Guarded like every move: a vial issued or wasted meanwhile is left alone.
            stmt = (
                update(Vial)
                .where(
                    Vial.id == vial_id,
                    Vial.status.in_(("in_stock", "reserved")),
                    Vial.expiry_date < today,
                )
                .values(status="expired", version=Vial.version + 1)
                .execution_options(synchronize_session=False)
            )
            if cast(CursorResult[Any], session.execute(stmt)).rowcount == 1:
                changed.append(vial_id)
                _movement(session, vial_id, "expired", who, now, episode_id=episode_id)
        if changed:
            record_audit(
                session, who, now, "expire_vials", "vial", changed[0],
                after={"vial_ids": changed, "today": today.isoformat()},
            )  # fmt: skip
        return len(changed)


def list_stock(ctx: AppContext, actor: Actor) -> list[StockLine]:
    """Every strength / batch / expiry / location with its vials counted by status."""
    require(actor, Action.VIEW_STOCK)
    with ctx.database.read() as session:
        rows = session.execute(
            select(
                Vial.strength_mg,
                Vial.batch,
                Vial.expiry_date,
                Vial.location,
                Vial.status,
                func.count(),
            ).group_by(Vial.strength_mg, Vial.batch, Vial.expiry_date, Vial.location, Vial.status)
        ).all()
    counts: dict[tuple[int, str, date, str], Counter[str]] = defaultdict(Counter)
    for strength, batch, expiry, location, status, n in rows:
        counts[(strength, batch, expiry, location)][status] += n
    return [
        StockLine(
            strength_mg=key[0],
            batch=key[1],
            expiry_date=key[2],
            location=key[3],
            in_stock=c["in_stock"],
            reserved=c["reserved"],
            issued=c["issued"],
            wasted=c["wasted"],
            expired=c["expired"],
        )
        for key, c in sorted(counts.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1]))
    ]


def expiring_within(ctx: AppContext, actor: Actor, days: int = 30) -> list[VialRow]:
    """Usable (in-stock or reserved) vials whose expiry date is within `days` days,
    including any already past expiry that `expire_vials` has not marked yet."""
    require(actor, Action.VIEW_STOCK)
    today = _today(ctx, ctx.clock())
    with ctx.database.read() as session:
        vials = session.scalars(
            select(Vial)
            .where(
                Vial.status.in_(("in_stock", "reserved")),
                Vial.expiry_date <= today + timedelta(days=days),
            )
            .order_by(Vial.expiry_date, Vial.strength_mg, Vial.id)
        ).all()
        return [_vial_row(v) for v in vials]


VIAL_STATUSES = ("in_stock", "reserved", "issued", "wasted", "expired")


def list_vials(
    ctx: AppContext, actor: Actor, *, statuses: Sequence[str] = ("in_stock", "reserved")
) -> list[VialRow]:
    """Individual vials with one of `statuses` (default: the usable ones), soonest expiry
    first, then in the order they were received (id)."""
    require(actor, Action.VIEW_STOCK)
    unknown = sorted(set(statuses) - set(VIAL_STATUSES))
    if unknown or not statuses:
        raise ValidationFailed(
            [
                FieldProblem(
                    "statuses",
                    f"unknown vial status {', '.join(map(repr, unknown)) or '(none given)'}; "
                    f"choose from {', '.join(VIAL_STATUSES)}",
                )
            ]
        )
    with ctx.database.read() as session:
        vials = session.scalars(
            select(Vial)
            .where(Vial.status.in_(list(statuses)))
            .order_by(Vial.expiry_date, Vial.id)
        ).all()
        return [_vial_row(v) for v in vials]


# --------------------------------------------------------------------------------------------
# Readiness before infusion (RULES E6)
# --------------------------------------------------------------------------------------------


def _readiness(session: Session, episode: Episode, now: datetime) -> ReadinessRow:
    product = _product(episode.product_code)
    per_dose = dose_mg(episode.weight_kg)
    reserved = session.execute(
        select(Vial.strength_mg, Vial.expiry_date).where(
            Vial.status == "reserved",
            Vial.reserved_episode_id == episode.id,
            Vial.expiry_date >= local_date(now),
        )
    ).all()
    strengths = [s for s, _ in reserved]
    doses = len(whole_doses(per_dose, strengths)) if strengths else 0
    reserved_mg = sum(strengths)
    expiring = any(_expiry_end(e) - now <= EXPIRING_SOON for _, e in reserved)
    if product is None:
        # Unknown product: we cannot know the requirement, so we never call it met.
        return ReadinessRow(
            episode_id=episode.id, met=False, needed_doses=0, dose_mg=per_dose,
            weight_kg=episode.weight_kg, weight_recorded_on=episode.weight_recorded_on,
            doses_reserved=doses, reserved_mg=reserved_mg,
            missing_text=f"product {episode.product_code!r} is not in the product table",
            expiring_within_48h=expiring, requirement_text="", product_label=episode.product_code,
        )  # fmt: skip
    needed = product.tocilizumab_doses_on_site
    met = doses >= needed
    missing = (
        "" if met else f"needs {_dose_text(needed)} of {per_dose:g} mg; reserved {reserved_mg} mg"
    )
    return ReadinessRow(
        episode_id=episode.id,
        met=met,
        needed_doses=needed,
        dose_mg=per_dose,
        weight_kg=episode.weight_kg,
        weight_recorded_on=episode.weight_recorded_on,
        doses_reserved=doses,
        reserved_mg=reserved_mg,
        missing_text=missing,
        expiring_within_48h=expiring,
        requirement_text=product.requirement_text,
        product_label=product.label,
    )


def _initials(given_name: str, family_name: str) -> str:
    return " ".join(n[:1].upper() for n in (given_name, family_name) if n.strip())


def list_stock_episodes(ctx: AppContext, actor: Actor) -> list[StockEpisode]:
    """The episodes pharmacy may reserve for (planned and active) and any other episode
    still holding reserved vials (to release them), in bed order. Three queries."""
    require(actor, Action.VIEW_STOCK)
    show_names = is_allowed(actor, Action.VIEW_WARD)
    now = ctx.clock()
    today = local_date(now, ctx.tz)
    with ctx.database.read() as session:
        holding = select(Vial.reserved_episode_id).where(Vial.status == "reserved")
        pairs = session.execute(
            select(Episode, Patient)
            .join(Patient, Patient.id == Episode.patient_id)
            .where(Episode.status.in_(OPEN_EPISODE_STATUSES) | Episode.id.in_(holding))
        ).all()
        reserved: dict[int, list[tuple[int, date]]] = defaultdict(list)
        for episode_id, strength, expiry in session.execute(
            select(Vial.reserved_episode_id, Vial.strength_mg, Vial.expiry_date).where(
                Vial.status == "reserved"
            )
        ):
            if episode_id is not None:
                reserved[episode_id].append((strength, expiry))
    out: list[StockEpisode] = []
    for episode, patient in pairs:
        vials = reserved.get(episode.id, [])
        usable = [strength for strength, expiry in vials if expiry >= today]
        try:
            doses = len(whole_doses(dose_mg(episode.weight_kg), usable)) if usable else 0
        except ValueError:
            doses = 0
        product = _product(episode.product_code)
        identifier = (
            f"NHS {format_nhs_number(patient.nhs_number)}" if patient.nhs_number
            else f"Hospital no. {patient.hospital_number}"
        )
        out.append(StockEpisode(
            episode_id=episode.id,
            bed=episode.bed,
            patient=(patient_name(patient) if show_names
                     else _initials(patient.given_name, patient.family_name)),
            identifier=identifier,
            status=episode.status,
            product_label=product.label if product else episode.product_code,
            weight_kg=episode.weight_kg,
            needed_doses=product.tocilizumab_doses_on_site if product else 0,
            doses_reserved=doses,
            vials_reserved=len(vials),
        ))  # fmt: skip
    out.sort(key=lambda r: (not r.open, r.bed == "", r.bed, r.patient, r.episode_id))
    return out


def check_readiness(ctx: AppContext, actor: Actor, episode_id: int) -> ReadinessRow:
    require(actor, Action.VIEW_STOCK)
    with ctx.database.read() as session:
        return _readiness(session, _stock_episode(session, episode_id), ctx.clock())


def record_infusion(
    ctx: AppContext,
    actor: Actor,
    episode_id: int,
    *,
    infused_at: datetime,
    override_reason: str | None = None,
) -> EpisodeRow:
    """Record the CAR-T infusion (day 0, RULES T1) behind the RULES E6 readiness gate.

    Not ready: ConfirmationRequired with the exact shortfall, unless a haematologist
    records it with `override_reason` (a nurse's override is refused: PermissionDenied).
    """
    require(actor, Action.RECORD_ADMINISTRATION)
    now = ctx.clock()
    if infused_at.tzinfo is None:
        raise ValidationFailed([FieldProblem("infused_at", "time must carry a timezone")])
    if infused_at > now + FUTURE_TOLERANCE:
        raise ValidationFailed(
            [FieldProblem("infused_at", "infusion time is in the future — check the date")]
        )
    reason = (override_reason or "").strip() or None
    with ctx.database.transaction() as session:
        episode = load_episode(session, episode_id)
        if episode.status != "planned":
            raise ValidationFailed(
                [
                    FieldProblem(
                        "infused_at",
                        f"the infusion of episode {episode_id} cannot be recorded: the episode "
                        f"is {episode.status}",
                    )
                ]
            )
        readiness = _readiness(session, episode, now)
        overridden = False
        if not readiness.met:
            if reason is None:
                raise ConfirmationRequired(
                    [
                        FieldProblem(
                            "tocilizumab",
                            f"not ready for infusion: {readiness.missing_text} (RULES E6). "
                            "Ask pharmacy to reserve vials, or a haematologist must override "
                            "with a reason",
                        )
                    ]
                )
            try:
                require(actor, Action.OVERRIDE_GRADE)  # logs a denial (SAFETY.md)
            except PermissionDenied:
                raise PermissionDenied(
                    f"Not ready for infusion: {readiness.missing_text}. A haematologist must "
                    f"override the tocilizumab readiness check with a reason; a "
                    f"{actor.role.value} may not."
                ) from None
            overridden = True
        before = snapshot(episode, ["status", "infused_at", "version"])
        values: dict[str, Any] = {
            "infused_at": infused_at,
            "status": "active",
            "updated_by": actor.username,
            "updated_at": now,
            "version": Episode.version + 1,
        }
        if overridden:
            values["readiness_override_reason"] = reason
            values["readiness_override_by"] = actor.username
        # Conditional on "planned": two workstations cannot both record the infusion.
        result = session.execute(
            update(Episode)
            .where(Episode.id == episode_id, Episode.status == "planned")
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], result).rowcount != 1:
            raise ValidationFailed(
                [FieldProblem("infused_at", "the infusion was just recorded elsewhere — reload")]
            )
        session.refresh(episode)
        record_audit(
            session,
            actor,
            now,
            "record_infusion",
            "episode",
            episode_id,
            episode_id=episode_id,
            before=before,
            after={
                **snapshot(episode, ["status", "infused_at", "version"]),
                "readiness_met": readiness.met,
                "readiness_missing": readiness.missing_text,
                "readiness_override_by": actor.username if overridden else None,
            },
            reason=reason if overridden else None,
        )
        return to_episode_row(episode)


# --------------------------------------------------------------------------------------------
# Dose hook (called by record_administration inside its transaction) — RULES E5
# --------------------------------------------------------------------------------------------


def _previous_dose_times(
    session: Session, episode_id: int, exclude_id: int | None
) -> list[datetime]:
    stmt = select(Administration.given_at).where(
        Administration.episode_id == episode_id,
        Administration.drug == "tocilizumab",
        Administration.status == "current",
    )
    if exclude_id is not None:
        stmt = stmt.where(Administration.id != exclude_id)
    return list(session.scalars(stmt))


def _issue_for_dose(
    session: Session,
    episode: Episode,
    *,
    administration_id: int,
    dose: float,
    actor: Actor,
    now: datetime,
    today: date,
) -> tuple[list[Vial], str | None]:
    """Issue the least-waste vials covering `dose`: the patient's reservation first, then
    unreserved stock. Returns the vials issued and a note when stock could not cover it."""
    reserved = _usable_candidates(session, today, now, episode_id=episode.id)
    stock = _usable_candidates(session, today, now, episode_id=None)
    for _attempt in range(3):  # re-plan if another workstation took a chosen vial
        plan = pick_vials(dose, [v.strength_mg for v in reserved + stock])
        if plan is None:
            on_site = sum(v.strength_mg for v in reserved + stock)
            return [], (
                f"stock: only {on_site} mg of unexpired tocilizumab on site, which does not "
                f"cover {dose:g} mg; no vials were issued — pharmacy must reconcile"
            )
        wanted = Counter(plan.vials)
        # Within the chosen strengths, the patient's own reserved vials go first.
        from_reserved = Counter(
            {s: min(n, sum(1 for v in reserved if v.strength_mg == s)) for s, n in wanted.items()}
        )
        issued = _claim(
            session, from_reserved, reserved, from_status="reserved", to_status="issued",
            today=today, reserved_for=episode.id, set_episode=episode.id,
        )  # fmt: skip
        still = wanted - Counter(v.strength_mg for v in issued)
        issued += _claim(
            session, still, stock, from_status="in_stock", to_status="issued",
            today=today, reserved_for=None, set_episode=episode.id,
        )  # fmt: skip
        if Counter(v.strength_mg for v in issued) == wanted:
            for v in issued:
                _movement(
                    session, v.id, "issued", actor, now, episode_id=episode.id,
                    administration_id=administration_id,
                )  # fmt: skip
            return issued, None
        # Lost a race for some vial: put back what we took and choose again from what is left.
        for v in issued:
            back_to = "reserved" if v.reserved_episode_id == episode.id else "in_stock"
            session.execute(
                update(Vial)
                .where(Vial.id == v.id, Vial.status == "issued")
                .values(
                    status=back_to,
                    reserved_episode_id=episode.id if back_to == "reserved" else None,
                    version=Vial.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
        reserved = _usable_candidates(session, today, now, episode_id=episode.id)
        stock = _usable_candidates(session, today, now, episode_id=None)
    return [], "stock: vials changed on other workstations; no vials were issued — try again"


def _raise_or_update_resupply_alert(
    session: Session, episode: Episode, now: datetime, due_at: datetime, message: str
) -> Alert:
    """One open alert per episode and kind (partial unique index): update the open one."""
    open_alert = session.scalars(
        select(Alert).where(
            Alert.episode_id == episode.id,
            Alert.kind == RESUPPLY_ALERT,
            Alert.status != "resolved",
        )
    ).first()
    if open_alert is not None:
        open_alert.due_at = due_at
        open_alert.message = message
        open_alert.version = open_alert.version + 1
        return open_alert
    alert = Alert(
        episode_id=episode.id,
        kind=RESUPPLY_ALERT,
        status="raised",
        message=message,
        raised_at=now,
        due_at=due_at,
    )
    try:
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        # Another workstation raised it between our SELECT and INSERT: update that one.
        return _raise_or_update_resupply_alert(session, episode, now, due_at, message)
    return alert


def _resolve_resupply_alert_if_covered(
    session: Session, episode: Episode, now: datetime, actor: Actor
) -> int | None:
    """A further dose is now reserved: the stock condition of the alert has ended."""
    alert = session.scalars(
        select(Alert).where(
            Alert.episode_id == episode.id,
            Alert.kind == RESUPPLY_ALERT,
            Alert.status != "resolved",
        )
    ).first()
    if alert is None or doses_available(session, episode, now) < 1:
        return None
    alert.status = "resolved"
    alert.resolved_at = now
    alert.resolved_by = actor.username
    alert.resolved_reason = "a further tocilizumab dose was reserved for the patient"
    alert.version = alert.version + 1
    return alert.id


def _limit_breaches(
    previous: Sequence[datetime], given_at: datetime, dose: float, calculated: float,
    tz: Any,
) -> list[LimitBreach]:
    """RULES E5 limits the dose breaks, their times in the app's one format.

    The pure grading package words the interval breach with its own time format
    ("03 Dec 13:56 GMT"); every other screen says "03 Dec 2026 13:56" (app.clock), so the
    nurse reads the time of the earlier dose the way she reads it on the timeline.
    """
    local_previous = [t.astimezone(tz) for t in previous]
    local_at = given_at.astimezone(tz)
    breaches = check_dose_limits(local_previous, local_at, dose, calculated)
    if not local_previous:
        return breaches
    # The same dose grading picked as the nearest: its text is replaced, not reworded.
    # (compared in UTC as grading does: wall clocks differ by an hour across a clock change)
    at_utc = given_at.astimezone(UTC)
    nearest = min(local_previous, key=lambda d: abs(at_utc - d.astimezone(UTC)))
    grading_text = f"{nearest:%d %b %H:%M %Z}"
    return [
        LimitBreach(b.code, b.message.replace(grading_text, format_local(nearest, tz)))
        if b.code == "interval" else b
        for b in breaches
    ]


def on_tocilizumab_dose(  # noqa: PLR0917 - fixed hook signature (docs/HELPERS.md)
    session: Session,
    ctx: AppContext,
    actor: Actor,
    episode: Episode,
    administration: Administration,
    override_reason: str | None,
) -> list[str]:
    """RULES E5 limits, vial issue and resupply tracking for one tocilizumab dose.

    Runs inside record_administration's transaction (which writes the one audit event).
    Raises ConfirmationRequired listing each broken limit unless `override_reason` is given;
    returns the warnings accepted (also stored on the administration row).
    """
    if administration.dose_unit != "mg":
        raise ValidationFailed(
            [FieldProblem("dose_unit", "record tocilizumab in mg (e.g. 640 mg, not mL)")]
        )
    now = ctx.clock()
    today = _today(ctx, now)
    calculated = dose_mg(episode.weight_kg)
    administration.calculated_dose_mg = calculated
    administration.weight_used_kg = episode.weight_kg
    previous = _previous_dose_times(session, episode.id, administration.id)
    breaches = _limit_breaches(
        previous, administration.given_at, administration.dose, calculated, ctx.tz
    )
    reason = (override_reason or "").strip() or None
    if breaches and reason is None:
        fields = {"interval": "given_at", "per_24h": "given_at", "total": "given_at"}
        raise ConfirmationRequired(
            [FieldProblem(fields.get(b.code, "dose"), b.message) for b in breaches]
        )
    warnings = [b.message for b in breaches]
    if breaches:
        administration.override_reason = reason
    if administration.id is None:
        session.flush()  # the stock movements refer to the administration
    _issued, note = _issue_for_dose(
        session,
        episode,
        administration_id=administration.id,
        dose=administration.dose,
        actor=actor,
        now=now,
        today=today,
    )
    if note:
        warnings.append(note)
    administration.limit_warnings = warnings

    product = _product(episode.product_code)
    window = product.resupply_window_hours if product else 8.0
    due_at = administration.given_at + timedelta(hours=window)
    if doses_available(session, episode, now) < 1:
        _raise_or_update_resupply_alert(
            session,
            episode,
            now,
            due_at,
            f"No further tocilizumab dose ({calculated:g} mg) is reserved for this patient: "
            f"a further dose must be obtainable by {due_at.astimezone(ctx.tz):%d %b %H:%M} "
            f"({window:g} h after the dose at "
            f"{administration.given_at.astimezone(ctx.tz):%H:%M}; RULES E6). "
            "Ask pharmacy to reserve one.",
        )
    return warnings


def preview_dose(
    ctx: AppContext,
    actor: Actor,
    episode_id: int,
    *,
    dose: float | None = None,
    given_at: datetime | None = None,
) -> DosePreview:
    """The dose calculator: calculated dose, weight and date used, vials, and the limits a
    proposed dose at a proposed time would break (nothing is written)."""
    require(actor, Action.VIEW_STOCK)
    now = ctx.clock()
    at = given_at or now
    with ctx.database.read() as session:
        episode = load_episode(session, episode_id)
        calculated = dose_mg(episode.weight_kg)
        previous = _previous_dose_times(session, episode_id, None)
        breaches = _limit_breaches(
            previous, at, calculated if dose is None else dose, calculated, ctx.tz
        )
        product = _product(episode.product_code)
        per_kg = 8.0 if episode.weight_kg >= 30 else 12.0
        from grading.tocilizumab import vial_combination

        return DosePreview(
            episode_id=episode_id,
            weight_kg=episode.weight_kg,
            weight_recorded_on=episode.weight_recorded_on,
            mg_per_kg=per_kg,
            calculated_mg=calculated,
            capped=per_kg * episode.weight_kg > MAX_SINGLE_DOSE_MG,
            plan=vial_combination(calculated),
            doses_reserved=doses_available(session, episode, now),
            warnings=tuple(b.message for b in breaches),
            resupply_due_at=(
                at + timedelta(hours=product.resupply_window_hours) if product else None
            ),
        )


# --------------------------------------------------------------------------------------------
# Ward board (RULES E6): one status per episode, two queries for any number of episodes
# --------------------------------------------------------------------------------------------


def _hhmm(moment: datetime, now: datetime) -> str:
    local, today = moment.astimezone(WARD_TZ), now.astimezone(WARD_TZ)
    return f"{local:%H:%M}" if local.date() == today.date() else f"{local:%d %b %H:%M}"


def tocilizumab_status_for(
    session: Session, episodes: Sequence[Episode], now: datetime
) -> dict[int, TocilizumabStatus]:
    """episode id -> TocilizumabStatus, for the board and the patient header."""
    if not episodes:
        return {}
    ids = [e.id for e in episodes]
    today = local_date(now)
    vial_q = select(
        Vial.reserved_episode_id, Vial.strength_mg, Vial.expiry_date, func.count()
    ).where(Vial.status == "reserved", Vial.expiry_date >= today)
    dose_q = select(
        Administration.episode_id, func.count(), func.max(Administration.given_at)
    ).where(Administration.drug == "tocilizumab", Administration.status == "current")
    if len(ids) <= _IN_LIST_LIMIT:
        vial_q = vial_q.where(Vial.reserved_episode_id.in_(ids))
        dose_q = dose_q.where(Administration.episode_id.in_(ids))
    vial_q = vial_q.group_by(Vial.reserved_episode_id, Vial.strength_mg, Vial.expiry_date)
    dose_q = dose_q.group_by(Administration.episode_id)

    reserved: dict[int, list[int]] = defaultdict(list)
    expiring: set[int] = set()
    for episode_id, strength, expiry, n in session.execute(vial_q):
        if episode_id is None:
            continue
        reserved[episode_id].extend([strength] * n)
        if _expiry_end(expiry) - now <= EXPIRING_SOON:
            expiring.add(episode_id)
    given: dict[int, tuple[int, datetime]] = {}
    for episode_id, n, last in session.execute(dose_q):
        given[episode_id] = (n, last)

    out: dict[int, TocilizumabStatus] = {}
    for e in episodes:
        product = _product(e.product_code)
        n_given, last_at = given.get(e.id, (0, None))
        strengths = reserved.get(e.id, [])
        try:
            n_reserved = len(whole_doses(dose_mg(e.weight_kg), strengths)) if strengths else 0
        except ValueError:
            n_reserved = 0
        window = product.resupply_window_hours if product else 8.0
        due = last_at + timedelta(hours=window) if last_at is not None else None
        if e.status not in OPEN_EPISODE_STATUSES:
            state = "not required"
        elif product is None or n_reserved < product.tocilizumab_doses_on_site:
            state = "short"
        elif e.id in expiring:
            state = "expiring"
        else:
            state = "ready"
        parts = [f"{_dose_text(n_reserved)} reserved"]
        if product is None:
            parts = [f"unknown product {e.product_code!r}", *parts]
        elif state == "short":
            parts[0] = f"short: {n_reserved} of {_dose_text(product.tocilizumab_doses_on_site)}"
            parts[0] += " reserved"
        if state == "expiring":
            parts.append("a reserved vial expires within 48 h")
        if n_given and last_at is not None:
            parts.append(f"{n_given} given {_hhmm(last_at, now)}")
            if due is not None and due > now and state != "not required":
                parts.append(f"next dose by {_hhmm(due, now)}")
        out[e.id] = TocilizumabStatus(
            state=state,
            doses_reserved=n_reserved,
            doses_given=n_given,
            last_dose_at=last_at,
            resupply_due_at=due,
            text=" · ".join(parts) if state != "not required" or n_given else "not required",
        )
    return out
