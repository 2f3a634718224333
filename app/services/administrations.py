"""Drugs given: tocilizumab (with its E5 checks and stock, via the tocilizumab hook),
corticosteroids, antipyretics and other anti-cytokine agents.

The times recorded here feed RULES C2 (fever waiver once CRS is diagnosed and such a drug
was given since) and the C5 "fever may be masked" note, and the course summary's counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.actor import Actor
from app.audit import record_audit, snapshot
from app.clock import day_number, format_local
from app.context import AppContext
from app.errors import ConfirmationRequired, FieldProblem, ValidationFailed
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
DRUG_NAME_MAX = 40  # db.models.Administration.drug holds an "Other" drug's name
# The weight behind a tocilizumab dose (RULES E5) changes over an admission (fluid balance
# in CRS, poor intake): one weighed more than a week ago is worth re-checking.
WEIGHT_STALE_AFTER_DAYS = 7

_TO_MG = {"mg": 1.0, "g": 1000.0, "mcg": 0.001}


@dataclass(frozen=True)
class DoseRange:
    """The usual largest single dose of a listed drug ("reject the impossible, confirm the
    improbable", SAFETY.md).

    `adult_mg`: the most given at once to a patient of 50 kg or more; None when the drug
    is dosed by weight at every age. `per_kg`: the most per kg (children and adults under
    50 kg, and everyone when `adult_mg` is None). `example`: what to type. `why`: the
    source, shown with the warning so the nurse can judge it."""

    adult_mg: float | None
    per_kg: float
    example: str
    why: str

    @property
    def ceiling_mg(self) -> float:
        """The largest usual single dose for the heaviest patient (the impossible limit)."""
        return self.adult_mg if self.adult_mg is not None else self.per_kg * HEAVIEST_KG


# Single doses, deliberately conservative: above them the nurse is asked to check and give
# a reason (ConfirmationRequired); ten times above them (a decimal point or unit slip —
# mg typed as g is a thousand) the dose is refused. Tocilizumab is not here: its limits
# are RULES E5 (app.services.tocilizumab), checked when the dose is stored.
# Sources: BNF / BNF for Children (adult and per-kg single doses); ASTCT 2019 consensus and
# EBMT/JACIE 2022 CAR-T guidance for the CRS/ICANS regimens (dexamethasone 10-20 mg every
# 6 h, methylprednisolone 1 g/day pulses, anakinra); Sylvant SmPC for siltuximab.
DOSE_RANGES: dict[str, DoseRange] = {
    "paracetamol": DoseRange(
        1000, 20, "1000 mg",
        "BNF: adults 0.5–1 g a dose, at most 4 g a day; under 50 kg and children 15 mg/kg, "
        "up to 20 mg/kg as a loading or age-banded dose"),
    "ibuprofen": DoseRange(
        600, 10, "400 mg",
        "BNF: adults 200–400 mg a dose, up to 600 mg, at most 2.4 g a day; "
        "children 5–10 mg/kg"),
    "dexamethasone": DoseRange(
        20, 0.5, "10 mg",
        "ICANS, ASTCT 2019 and EBMT 2022: 10 mg every 6 h, up to 20 mg every 6 h at grade 3–4; "
        "children 0.5 mg/kg"),
    "methylprednisolone": DoseRange(
        1000, 30, "1000 mg",
        "grade 4 ICANS or refractory CRS, EBMT 2022: 1 g a day for 3 days; "
        "children 30 mg/kg, at most 1 g"),
    "hydrocortisone": DoseRange(
        200, 4, "100 mg",
        "BNF: 100 mg, up to 200 mg in anaphylaxis; children 4 mg/kg, at most 100 mg"),
    "prednisolone": DoseRange(
        60, 2, "40 mg",
        "BNF: up to 60 mg once a day in acute illness; children 1–2 mg/kg, at most 60 mg"),
    "anakinra": DoseRange(
        200, 4, "100 mg",
        "CRS/ICANS, EBMT 2022: 100 mg every 6–12 h, up to 200 mg IV every 8 h; "
        "children up to 4 mg/kg a dose"),
    "siltuximab": DoseRange(
        None, 11, "11 mg/kg",
        "Sylvant SmPC: 11 mg/kg IV, the dose used for CRS/ICANS; no maximum in mg"),
}  # fmt: skip
ADULT_WEIGHT_KG = 50.0  # BNF: weight-based doses below 50 kg
HEAVIEST_KG = 150.0  # for the impossible limit of a drug dosed by weight only
ROUNDING = 1.10  # a weight-based dose rounded up to whole ampoules or tablets (as E5's 10 %)
IMPOSSIBLE_FACTOR = 10.0

# Names an "Other" drug must not be recorded under: the listed drugs (and their usual
# brand names) count for the fever waiver (RULES C2) only when chosen from the list.
_LISTED_NAMES = {
    **{key: key for key in DRUGS if key != "other"},
    "acetaminophen": "paracetamol", "panadol": "paracetamol", "perfalgan": "paracetamol",
    "calpol": "paracetamol", "nurofen": "ibuprofen", "brufen": "ibuprofen",
    "actemra": "tocilizumab", "roactemra": "tocilizumab", "kineret": "anakinra",
    "sylvant": "siltuximab", "solu-medrol": "methylprednisolone",
    "solumedrol": "methylprednisolone", "medrone": "methylprednisolone",
    "solu-cortef": "hydrocortisone", "solucortef": "hydrocortisone",
    "efcortesol": "hydrocortisone", "decadron": "dexamethasone",
}  # fmt: skip


def drug_label(drug: str) -> str:
    return drug[:1].upper() + drug[1:]


def dose_example(drug: str) -> str:
    """What to type in Dose for this drug (messages and the dose box's hint)."""
    if drug == "tocilizumab":
        return "640 mg (the calculator shows this patient's dose)"
    found = DOSE_RANGES.get(drug)
    return found.example if found is not None else "10 mg"


def _mg_text(mg: float) -> str:
    return f"{mg / 1000:g} g" if mg >= 1000 else f"{mg:g} mg"


def weight_age_warning(weighed_on: date, today: date) -> str | None:
    """'weighed 12 days ago — re-weigh before dosing?' once the weight is over a week old."""
    days = (today - weighed_on).days
    if days <= WEIGHT_STALE_AFTER_DAYS:
        return None
    return f"weighed {days} days ago — re-weigh before dosing?"


# A comma before exactly three digits is a thousands separator ("1,000"), which the shared
# number parser would read as a decimal comma (1.0): a thousandfold smaller dose stored
# silently (audit re-check 2). Refused for doses only: observations keep "38,5".
_THOUSANDS_COMMA = re.compile(r"\d[,\uff0c]\d{3}(?!\d)")
# A number followed by a unit, e.g. "1 g", "500mcg", "8 mg/kg".
_NUMBER_AND_UNIT = re.compile(r"^\s*([+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+))\s*(mg/kg|mg|g|mcg)\s*$",
                              re.IGNORECASE)


def dose_text_problem(text: str, dose_unit: str) -> FieldProblem | None:
    """A dose typed in a way the number parser would misread or refuse unhelpfully:
    a thousands comma, or a unit that is not the one in the Unit box."""
    if _THOUSANDS_COMMA.search(text):
        shown_text = text.strip()
        plain = re.sub(r"[^\d.]", "", shown_text.replace("\uff0c", ","))
        return FieldProblem(
            "dose", f"'{shown_text}': type {plain} without a comma (or 1.5 with a point)")
    typed = _NUMBER_AND_UNIT.match(text)
    if typed is None:
        return None
    amount, unit = typed.group(1).replace(",", "."), typed.group(2).lower()
    if unit == dose_unit:
        return None
    instead = f"type the dose in {dose_unit}"
    if unit in _TO_MG and dose_unit in _TO_MG:
        converted = float(amount) * _TO_MG[unit] / _TO_MG[dose_unit]
        instead = f"type {converted:g}"
    return FieldProblem(
        "dose", f"You typed {unit} but Unit is {dose_unit} — change Unit to {unit}, or {instead}")


def parse_dose(value: Any, drug: str, dose_unit: str) -> float | FieldProblem:
    """The dose as typed (text from the dialog, a number from a file), or what to type."""
    # Imported here: app.validation (the observation limits) is not needed to paint the
    # ward board, which imports this module for its rows (bench/gui.py start-up).
    from app.validation.parsing import Bad, parse_number

    example = dose_example(drug)
    if isinstance(value, str):
        slip = dose_text_problem(value, dose_unit)
        if slip is not None:
            return slip
    number = parse_number(value, dose_unit if dose_unit in UNITS else "")
    if number is None:
        return FieldProblem("dose", f"Type the dose given, e.g. {example}")
    if isinstance(number, Bad):
        return FieldProblem(
            "dose", f"{number.reason} — type the dose as a number, e.g. {example}")
    if number <= 0:
        return FieldProblem(
            "dose", f"The dose must be more than 0 — type the dose given, e.g. {example}")
    if number > MAX_DOSE:
        return FieldProblem(
            "dose", f"{number:g} is far more than any dose — check the dose and the unit")
    return float(number)


def impossible_dose(drug: str, dose: float, dose_unit: str) -> FieldProblem | None:
    """A unit the drug is never given in, or ten times its largest usual dose."""
    found = DOSE_RANGES.get(drug)
    if found is None or dose_unit not in UNITS:
        return None
    label = drug_label(drug)
    if dose_unit == "mcg":
        return FieldProblem(
            "dose_unit",
            f"{label} is not given in micrograms — choose mg and type the dose, "
            f"e.g. {found.example}")
    if dose_unit == "mg/kg":
        if dose > found.per_kg * IMPOSSIBLE_FACTOR:
            return FieldProblem(
                "dose",
                f"{label} {dose:g} mg/kg is not a possible dose: the usual largest single dose "
                f"is {found.per_kg:g} mg/kg. Check the dose and the unit")
        return None
    mg = dose * _TO_MG[dose_unit]
    if mg <= found.ceiling_mg * IMPOSSIBLE_FACTOR:
        return None
    meant = (f" — did you mean {dose:g} mg?"
             if dose_unit == "g" and dose <= found.ceiling_mg * ROUNDING else "")
    return FieldProblem(
        "dose",
        f"{label} {dose:g} {dose_unit} is not a possible dose: the usual largest single dose is "
        f"{_mg_text(found.ceiling_mg)}. Check the dose and the unit{meant}")


def dose_warnings(drug: str, dose: float, dose_unit: str, weight_kg: float | None) -> list[str]:
    """Why a possible dose is improbable (a reason is needed to record it): above the
    drug's usual largest single dose for this patient's weight. [] when it is usual, when
    the drug has no range (tocilizumab: RULES E5; Other) or the unit is not a weight unit."""
    found = DOSE_RANGES.get(drug)
    if found is None or dose_unit not in ("mg", "g", "mg/kg"):
        return []
    label = drug_label(drug)
    typed = f"{label} {dose:g} {dose_unit}"
    if dose_unit == "mg/kg":
        if dose > found.per_kg * ROUNDING:
            return [f"{typed} is more than the usual largest single dose of "
                    f"{found.per_kg:g} mg/kg ({found.why})"]
        if weight_kg is None:
            return []
        mg = dose * weight_kg
    else:
        mg = dose * _TO_MG[dose_unit]
    if weight_kg is not None and (found.adult_mg is None or weight_kg < ADULT_WEIGHT_KG):
        limit = found.per_kg * weight_kg * ROUNDING
        if found.adult_mg is not None:
            limit = min(limit, found.adult_mg)
        usual = (f"{found.per_kg:g} mg/kg, about {_mg_text(round(found.per_kg * weight_kg))} "
                 f"at {weight_kg:g} kg")
    else:
        limit = found.adult_mg if found.adult_mg is not None else found.ceiling_mg
        usual = _mg_text(limit)
    if mg <= limit:
        return []
    equal = f" ({_mg_text(round(mg, 1))})" if dose_unit == "mg/kg" else ""
    return [f"{typed}{equal} is more than the usual largest single dose of {usual} "
            f"({found.why})"]


def _other_name_problem(name: str) -> FieldProblem | None:
    """The name typed for an "Other" drug: needed, short, and not a listed drug."""
    if not name:
        return FieldProblem(
            "drug_name", "Type the name of the drug given (Other is chosen), e.g. ondansetron")
    if not re.search(r"[^\W\d_]", name):
        return FieldProblem("drug_name", "Type the drug's name in letters, e.g. ondansetron")
    if len(name) > DRUG_NAME_MAX:
        return FieldProblem(
            "drug_name",
            f"The name is too long (at most {DRUG_NAME_MAX} characters) — type just the "
            "drug's name; the dose goes in Dose")
    lowered = name.lower()
    words = {lowered, *re.findall(r"[^\W\d_][\w-]*", lowered)}
    for word in sorted(words):
        if word == "other":
            return FieldProblem("drug_name", "Type the drug's name, not 'other'")
        listed = _LISTED_NAMES.get(word) or _LISTED_NAMES.get(word.replace("-", ""))
        if listed is not None:
            return FieldProblem(
                "drug_name",
                f"{drug_label(listed)} is on the drug list: choose it in Drug instead of "
                "Other, so that it counts for the fever waiver (RULES C2)")
    return None


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
    drug: str, dose: Any, *, dose_unit: str, route: str, given_at: datetime, now: datetime,
    drug_name: str,
) -> tuple[list[FieldProblem], float]:
    """What is impossible about the values, in ward words, and the dose as a number."""
    from app.validation.parsing import shown  # not at import: see parse_dose

    problems = []
    if not drug:
        problems.append(FieldProblem("drug", "Choose the drug from the list"))
    elif drug not in KNOWN_DRUGS:
        problems.append(FieldProblem(
            "drug", f"{shown(drug)} is not on the drug list — choose it from the list, or "
                    "choose Other and type its name"))
    elif drug == "other":
        named = _other_name_problem(drug_name)
        if named is not None:
            problems.append(named)
    amount = parse_dose(dose, drug, dose_unit)
    if isinstance(amount, FieldProblem):
        problems.append(amount)
        amount = 0.0
    if dose_unit not in UNITS:
        problems.append(FieldProblem("dose_unit", f"Choose the unit: {', '.join(UNITS)}"))
    elif amount > 0:
        impossible = impossible_dose(drug, amount, dose_unit)
        if impossible is not None:
            problems.append(impossible)
    if route not in ROUTES:
        problems.append(FieldProblem("route", f"Choose the route: {', '.join(ROUTES)}"))
    if given_at.tzinfo is None:
        problems.append(FieldProblem("given_at", "The time has no time zone — please report"))
    elif given_at > now + FUTURE_TOLERANCE:
        problems.append(FieldProblem(
            "given_at", "The time given is in the future — check the date and time"))
    return problems, amount


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
    dose: float | str,
    dose_unit: str = "mg",
    route: str = "IV",
    given_at: datetime,
    drug_name: str | None = None,
    override_reason: str | None = None,
    idempotency_key: str | None = None,
) -> AdministrationRow:
    """Store one dose. `dose` may be the text typed ("1000", "7,5"): it is parsed here.

    `drug` is a listed key; for "other", `drug_name` is required and is what is stored as
    the drug (the drug column holds the drug given; an unlisted name has the category
    "other" and so never counts for the fever waiver, RULES C2). A listed drug's dose
    above its usual most (DOSE_RANGES, for the patient's weight) needs `override_reason`
    (ConfirmationRequired otherwise); ten times above it, or in a unit the drug is never
    given in, it is refused."""
    require(actor, Action.RECORD_ADMINISTRATION)
    now = ctx.clock()
    drug = (drug or "").strip().lower()
    name = " ".join((drug_name or "").split())
    problems, amount = _problems(drug, dose, dose_unit=dose_unit, route=route,
                                 given_at=given_at, now=now, drug_name=name)
    if problems:
        raise ValidationFailed(problems)
    stored_drug = name if drug == "other" else drug
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
            # Improbable (above the usual most for this weight): asked, as E5 asks for
            # tocilizumab; the accepted warnings are kept on the row with the reason.
            warnings = dose_warnings(drug, amount, dose_unit, episode.weight_kg)
            if warnings and reason is None:
                raise ConfirmationRequired([
                    FieldProblem("dose", f"{w} — check the dose; to record it, give the reason")
                    for w in warnings])  # fmt: skip
            row = Administration(
                episode_id=episode_id,
                drug=stored_drug,
                dose=amount,
                dose_unit=dose_unit,
                route=route,
                given_at=given_at,
                entered_at=now,
                entered_by=actor.username,
                status="current",
                limit_warnings=warnings,
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
