"""`python -m app generate --patients N`: synthetic ward history at scale, for benchmarks.

10,000 patients × 29 days × 6 observation sets a day is 1.74 million assessments, far too
many for the per-row service (one transaction, validation and alert evaluation each).
So this writes with bulk Core INSERTs (executemany), a few hundred patients per
transaction, but every row is still *true*:

- each observation set is graded by the real engine (`grading.grade_assessment`) on
  exactly the inputs stored, with the C2 waiver flags and C5 masking note derived from
  the episode's own generated history as `derive_waiver_flags` does;
- alerts follow the grades (RULES E1/E2): the first ICANS ≥ 2 or CRS ≥ 3 raises a
  critical-care alert, the first CRS ≥ 2 a tocilizumab prompt (and a tocilizumab dose
  30 min later); alerts of finished episodes are resolved (critical-care ones with a
  recorded discussion), those of patients still on the ward stay open;
- audit: ONE `generate_history` audit event per transaction (not one per row), naming
  the patients, episodes, assessments, administrations and alerts the batch wrote. The
  generated rows are marked `entered_by = "generate"`, so they can never be mistaken
  for clinical entries.

Simplifications (documented, deliberate): no vial ledger movements for generated doses,
no NEWS2 or overdue alerts, and each assessment carries the patient's age on the day of
infusion (the service computes it per assessment date; the grade is computed from the
stored age either way, so stored grades stay consistent with stored inputs).

Timeline: infusions are spaced so that about 30 episodes are within days 0-28 "now" (a
realistic ward: status "active", beds A1…); older episodes are "completed".
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

import grading
from app.actor import SYSTEM_ACTOR
from app.audit import record_audit
from app.context import AppContext
from app.products import load_products
from app.services.history import age_on
from db.models import Assessment, Base, Episode, Patient
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
    Vasopressor,
)

PATIENTS_PER_TRANSACTION = 250
ACTIVE_ON_WARD = 30  # episodes within days 0-28 at "now"
GENERATED_BY = "generate"

NORMAL_ICE = {"orientation": 4, "naming": 3, "following_commands": 1, "writing": 1, "attention": 1}
CAPD_KEYS = [item.value for item in CapdItem]
# CAPD answers per ICANS level (first four items reverse-scored, RULES I1).
CAPD_BY_LEVEL: dict[int, dict[str, str]] = {
    0: dict(zip(CAPD_KEYS, ["always"] * 4 + ["never"] * 4, strict=True)),
    1: dict(
        zip(
            CAPD_KEYS,
            ["often", "always", "often", "always", "rarely", "never", "never", "rarely"],
            strict=True,
        )
    ),
    2: dict(
        zip(
            CAPD_KEYS,
            [
                "sometimes",
                "sometimes",
                "sometimes",
                "often",
                "sometimes",
                "rarely",
                "sometimes",
                "often",
            ],
            strict=True,
        )
    ),
    3: dict(
        zip(
            CAPD_KEYS,
            ["rarely", "rarely", "never", "rarely", "often", "sometimes", "often", "always"],
            strict=True,
        )
    ),
}
FIRST_NAMES = ["Alex", "Sam", "Jo", "Priya", "Tom", "Aisha", "Liam", "Mei", "Owen", "Zara"]
FAMILY_NAMES = ["Smith", "Jones", "Khan", "Evans", "Brown", "Patel", "Wilson", "Hughes"]


@dataclass(frozen=True)
class Course:
    """One patient's planned CRS/ICANS course (the grades stored come from the engine)."""

    crs_max: int
    crs_onset: float  # fractional day
    crs_days: float
    icans_max: int
    icans_onset: float
    icans_days: float


def _course(rng: random.Random) -> Course:
    # Most patients mild (CRS 0-1), some CRS 2-3, a few ICANS (REFERENCE incidences, roughly).
    crs_max = rng.choices([0, 1, 2, 3, 4], [35, 40, 18, 6, 1])[0]
    icans_max = rng.choices([0, 1, 2, 3, 4], [75, 10, 8, 5, 2])[0]
    crs_onset = rng.uniform(0.5, 6.0)
    return Course(
        crs_max=crs_max,
        crs_onset=crs_onset,
        crs_days=rng.uniform(2.0, 6.0),
        icans_max=icans_max,
        icans_onset=crs_onset + rng.uniform(1.0, 4.0),
        icans_days=rng.uniform(1.5, 5.0),
    )


def _level(top: int, onset: float, length: float, day: float) -> int:
    """0 before onset and after resolution; grade 1 on the way up and down, top between."""
    if top == 0 or not onset <= day < onset + length:
        return 0
    into = day - onset
    return top if 0.5 <= into < length - 0.75 else 1


def _observations(
    rng: random.Random, crs: int, icans: int, child: bool, antipyretic_given: bool
) -> dict[str, Any]:
    """Typed inputs (RULES §6 names) for the intended levels, with bedside noise."""
    fever = crs >= 1 and not (antipyretic_given and crs >= 2 and rng.random() < 0.4)
    temp = round(rng.uniform(38.1, 39.6) if fever else rng.uniform(36.2, 37.4), 1)
    hr = rng.randint(95, 130) if crs >= 1 else rng.randint(60, 95)
    sbp = rng.randint(100, 135)
    values: dict[str, Any] = {
        "temperature_c": temp,
        "heart_rate": hr + (15 if child else 0),
        "systolic_bp": sbp,
        "respiratory_rate": rng.randint(14, 20) + (6 if child else 0),
        "spo2_percent": rng.randint(95, 99),
        "acvpu": "alert",
        "oxygen_device": "none",
        "oxygen_flow_l_min": None,
        "vasopressors": [],
        "hypotension": False,
        "consciousness": "awakens_spontaneously",
        "seizure": "none",
        "motor_weakness": "none",
        "cerebral_edema": "none",
    }
    if crs == 2:
        if rng.random() < 0.5:
            values.update(hypotension=True, systolic_bp=rng.randint(78, 89))
        else:
            values.update(
                oxygen_device="nasal_cannula",
                oxygen_flow_l_min=float(rng.randint(1, 4)),
                spo2_percent=rng.randint(92, 95),
            )
    elif crs == 3:
        values.update(
            hypotension=True, systolic_bp=rng.randint(75, 88), vasopressors=["norepinephrine"]
        )
    elif crs >= 4:
        values.update(
            hypotension=True,
            systolic_bp=rng.randint(70, 85),
            vasopressors=["norepinephrine", "vasopressin"],
            oxygen_device="cpap",
            spo2_percent=rng.randint(88, 93),
        )
    values["diastolic_bp"] = max(35, values["systolic_bp"] - rng.randint(35, 50))
    if child:
        values["capd_items"] = dict(CAPD_BY_LEVEL[min(icans, 3)])
        values["ice_items"] = None
    else:
        lost = {0: 0, 1: rng.randint(1, 3), 2: rng.randint(4, 7), 3: rng.randint(8, 10)}
        points = lost.get(icans, 10)
        items = dict(NORMAL_ICE)
        items["orientation"] -= min(points, 4)
        items["naming"] -= min(max(points - 4, 0), 3)
        items["writing"] -= min(max(points - 7, 0), 1)
        items["attention"] -= min(max(points - 8, 0), 1)
        items["following_commands"] -= min(max(points - 9, 0), 1)
        values["ice_items"] = items
        values["capd_items"] = None
    if icans >= 3:
        values.update(consciousness="awakens_to_voice", acvpu="voice")
    if icans >= 4:
        values.update(consciousness="unarousable_or_vigorous_stimuli", acvpu="unresponsive")
    return values


def _inputs(
    values: dict[str, Any], age: float, flags: tuple[bool, bool, str | None, str | None]
) -> AssessmentInputs:
    previously, given, masking_name, masking_at = flags
    ice = values["ice_items"]
    capd = values["capd_items"]
    return AssessmentInputs(
        age_years=age,
        temperature_c=values["temperature_c"],
        crs_previously_diagnosed=previously,
        antipyretic_or_anticytokine_given=given,
        masking_drug_name=masking_name,
        masking_drug_given_at=masking_at,
        masking_drug_checked=True,
        hypotension=values["hypotension"],
        systolic_bp=values["systolic_bp"],
        vasopressors=tuple(Vasopressor(v) for v in values["vasopressors"]),
        oxygen_device=OxygenDevice(values["oxygen_device"]),
        oxygen_flow_l_min=values["oxygen_flow_l_min"],
        ice_score=None if ice is None else sum(ice.values()),
        ice_items=None if ice is None else IceItems(**ice),
        capd_items=None
        if capd is None
        else tuple((item, CapdAnswer(capd[item.value])) for item in CapdItem),
        consciousness=Consciousness(values["consciousness"]),
        seizure=Seizure(values["seizure"]),
        motor_weakness=MotorFinding(values["motor_weakness"]),
        cerebral_edema=CerebralEdema(values["cerebral_edema"]),
        respiratory_rate=values["respiratory_rate"],
        spo2_percent=values["spo2_percent"],
        spo2_scale=1,
        heart_rate=values["heart_rate"],
        acvpu=Acvpu(values["acvpu"]),
    )


def _assessment_row(
    episode_id: int,
    *,
    at: datetime,
    age: float,
    values: dict[str, Any],
    flags: tuple[bool, bool, str | None, str | None],
    result: grading.GradingResult,
) -> dict[str, Any]:
    """Every column of `assessment`, as `record_assessment` would store it."""
    crs, icans, news2 = result.crs, result.icans, result.news2
    ice = values["ice_items"]
    return {
        "episode_id": episode_id,
        "assessed_at": at,
        "entered_at": at + timedelta(minutes=5),
        "entered_by_user_id": None,
        "entered_by": GENERATED_BY,
        "is_baseline": False,
        "status": "current",
        "supersedes_id": None,
        "amend_reason": None,
        "idempotency_key": None,
        "confirmations": {},
        "late_entry": False,
        "age_years": age,
        "developmental_delay": False,
        "temperature_c": values["temperature_c"],
        "fever_attributed_to_other_cause": False,
        "crs_previously_diagnosed": flags[0],
        "antipyretic_or_anticytokine_given": flags[1],
        "hypotension": values["hypotension"],
        "systolic_bp": values["systolic_bp"],
        "diastolic_bp": values["diastolic_bp"],
        "heart_rate": values["heart_rate"],
        "respiratory_rate": values["respiratory_rate"],
        "spo2_percent": values["spo2_percent"],
        "spo2_scale": 1,
        "acvpu": values["acvpu"],
        "oxygen_device": values["oxygen_device"],
        "oxygen_flow_l_min": values["oxygen_flow_l_min"],
        "vasopressors": list(values["vasopressors"]),
        "ice_items": ice,
        "ice_score": None if ice is None else sum(ice.values()),
        "ice_unable_reason": None,
        "capd_items": values["capd_items"],
        "capd_score": None,
        "capd_unable_reason": None,
        "consciousness": values["consciousness"],
        "loc_attributable_to_other_cause": False,
        "seizure": values["seizure"],
        "motor_weakness": values["motor_weakness"],
        "cerebral_edema": values["cerebral_edema"],
        "organ_toxicity_ctcae": None,
        "comment": "",
        "crs_grade": None if crs is None else crs.grade,
        "crs_reasons": [] if crs is None else list(crs.reasons),
        "crs_notes": [] if crs is None else list(crs.notes),
        "icans_grade": None if icans is None else icans.grade,
        "icans_tool": None if icans is None else icans.tool,
        "icans_reasons": [] if icans is None else list(icans.reasons),
        "icans_missing": [] if icans is None else list(icans.missing),
        "capd_total": None if icans is None else icans.capd_total,
        "news2_total": None if news2 is None else news2.total,
        "news2_risk": None if news2 is None else news2.clinical_risk,
        "news2_subscores": None if news2 is None else dict(news2.subscores),
        "news2_null_reason": result.news2_null_reason,
        "rules_version": result.rules_version,
    }


@dataclass
class _Batch:
    """What one transaction writes, collected before the bulk INSERTs."""

    assessments: list[dict[str, Any]]
    administrations: list[dict[str, Any]]
    # (episode_id, assessed_at, kind, grade, message, resolve?) to link after insert
    alerts: list[tuple[int, datetime, str, int, str, bool]]


def _simulate_episode(
    rng: random.Random,
    batch: _Batch,
    *,
    episode_id: int,
    infused_at: datetime,
    now: datetime,
    age: float,
    weight_kg: float,
    days: int,
    per_day: int,
    finished: bool,
    tz: Any,
) -> None:
    course = _course(rng)
    child = age < 12
    step = timedelta(hours=24 / per_day)
    first_positive: datetime | None = None
    drugs: list[tuple[str, datetime]] = []  # fever-masking drugs given (RULES C2/C5)
    raised: set[str] = set()
    for n in range(days * per_day):
        at = infused_at + timedelta(hours=1) + n * step
        if at > now - timedelta(minutes=10):
            break
        day = (at - infused_at).total_seconds() / 86400
        crs = _level(course.crs_max, course.crs_onset, course.crs_days, day)
        icans = _level(course.icans_max, course.icans_onset, course.icans_days, day)
        given_since = first_positive is not None and any(g >= first_positive for _d, g in drugs)
        values = _observations(rng, crs, icans, child, given_since)
        recent = [(d, g) for d, g in drugs if g >= at - timedelta(hours=24)]
        masking = (
            (recent[-1][0], recent[-1][1].astimezone(tz).strftime("%d %b %H:%M"))
            if recent
            else (None, None)
        )
        flags = (first_positive is not None, given_since, masking[0], masking[1])
        result = grading.grade_assessment(_inputs(values, age, flags))
        batch.assessments.append(
            _assessment_row(episode_id, at=at, age=age, values=values, flags=flags, result=result)
        )
        crs_grade = result.crs.grade if result.crs is not None else None
        icans_grade = result.icans.grade if result.icans is not None else None
        if crs_grade is not None and crs_grade >= 1 and first_positive is None:
            first_positive = at  # RULES C2: from here an antipyretic waives the fever
            paracetamol = 15.0 * weight_kg if child else 1000.0
            drugs.append(("paracetamol", at + timedelta(minutes=20)))
            batch.administrations.append(
                _dose(episode_id, "paracetamol", paracetamol, "oral", at + timedelta(minutes=20))
            )
        when = at.astimezone(tz).strftime("%H:%M on %d %b")
        cc = {
            k: g
            for k, g in (("ICANS", icans_grade), ("CRS", crs_grade))
            if g is not None and g >= (2 if k == "ICANS" else 3)
        }
        if cc and "critical_care" not in raised:  # RULES E1
            raised.add("critical_care")
            text = " and ".join(f"{k} grade {g}" for k, g in cc.items())
            batch.alerts.append(
                (
                    episode_id,
                    at,
                    "critical_care",
                    max(cc.values()),
                    f"{text} at {when} — discuss with critical care",
                    finished,
                )
            )
        if crs_grade is not None and crs_grade >= 2 and "tocilizumab_prompt" not in raised:
            raised.add("tocilizumab_prompt")  # RULES E2, and the dose that follows
            batch.alerts.append(
                (
                    episode_id,
                    at,
                    "tocilizumab_prompt",
                    crs_grade,
                    f"CRS grade {crs_grade} at {when} — consider tocilizumab per local SOP",
                    True,
                )
            )
            given = at + timedelta(minutes=30)
            if given < now:
                dose = min(8.0 * weight_kg, 800.0)
                drugs.append(("tocilizumab", given))
                row = _dose(episode_id, "tocilizumab", dose, "IV", given)
                row.update(calculated_dose_mg=dose, weight_used_kg=weight_kg)
                batch.administrations.append(row)


def _dose(episode_id: int, drug: str, dose: float, route: str, given: datetime) -> dict[str, Any]:
    return {
        "episode_id": episode_id,
        "drug": drug,
        "dose": round(dose, 1),
        "dose_unit": "mg",
        "route": route,
        "given_at": given,
        "entered_at": given + timedelta(minutes=5),
        "entered_by": GENERATED_BY,
        "status": "current",
        "supersedes_id": None,
        "calculated_dose_mg": None,
        "weight_used_kg": None,
        "limit_warnings": [],
        "override_reason": None,
        "idempotency_key": None,
    }


def _nhs_number(n: int) -> str:
    """A valid NHS number (mod-11 check digit) from a 9-digit stem; stems with check 10 skip."""
    while True:
        stem = f"{n % 1_000_000_000:09d}"
        total = sum(int(d) * w for d, w in zip(stem, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return stem + str(check)
        n += 1


def generate_history(
    ctx: AppContext, *, patients: int, days: int = 29, per_day: int = 6, seed: int = 1
) -> int:
    """Write `patients` synthetic patients with one episode each; returns episodes made."""
    if patients < 1 or not 1 <= days <= 29 or not 1 <= per_day <= 48:
        raise ValueError("generate: patients ≥ 1, days 1-29, per-day 1-48")
    rng = random.Random(seed)
    products = sorted(load_products())
    now = ctx.clock()
    today = now.astimezone(ctx.tz).date()
    # ~ACTIVE_ON_WARD episodes inside days 0-28 now; the rest finished, one after another.
    spacing = timedelta(days=29) / ACTIVE_ON_WARD
    with ctx.database.read() as session:
        offset = session.execute(select(func.coalesce(func.max(Patient.id), 0))).scalar_one()
    made = 0
    for start in range(0, patients, PATIENTS_PER_TRANSACTION):
        count = min(PATIENTS_PER_TRANSACTION, patients - start)
        with ctx.database.transaction() as session:
            made += _write_chunk(
                session,
                ctx,
                rng=rng,
                products=products,
                now=now,
                today=today,
                spacing=spacing,
                first=start,
                count=count,
                total=patients,
                offset=offset,
                days=days,
                per_day=per_day,
                seed=seed,
            )
    return made


def _write_chunk(
    session: Session,
    ctx: AppContext,
    *,
    rng: random.Random,
    products: Sequence[str],
    now: datetime,
    today: date,
    spacing: timedelta,
    first: int,
    count: int,
    total: int,
    offset: int,
    days: int,
    per_day: int,
    seed: int,
) -> int:
    patient_rows: list[dict[str, Any]] = []
    plans: list[tuple[datetime, float, float, date]] = []
    for i in range(first, first + count):
        serial = offset + i + 1
        child = rng.random() < 0.06
        age_years = rng.uniform(3, 11.9) if child else rng.uniform(18, 80)
        ago = (total - 1 - i) * spacing + timedelta(minutes=rng.randint(0, 180))
        infused_at = now - ago - timedelta(hours=2)
        infusion_day = infused_at.astimezone(ctx.tz).date()
        born = infusion_day - timedelta(days=int(age_years * 365.25))
        weight = round(rng.uniform(15, 45) if child else rng.uniform(50, 110), 1)
        plans.append((infused_at, age_on(born, infusion_day), weight, born))
        patient_rows.append(
            {
                "nhs_number": _nhs_number(900_000_000 + serial * 7 + seed * 100_003),
                "hospital_number": f"GEN{seed % 1000:03d}-{serial:08d}",
                "family_name": rng.choice(FAMILY_NAMES),
                "given_name": rng.choice(FIRST_NAMES),
                "date_of_birth": born,
                "sex": rng.choice(["female", "male"]),
                "created_at": infused_at - timedelta(days=3),
                "version": 1,
                "updated_by": GENERATED_BY,
                "updated_at": infused_at - timedelta(days=3),
            }
        )
    patient_ids = list(
        session.scalars(
            insert(Patient).returning(Patient.id, sort_by_parameter_order=True), patient_rows
        )
    )
    episode_rows = []
    active_beds = 0
    for pid, (infused_at, _age, weight, _born) in zip(patient_ids, plans, strict=True):
        active = (now - infused_at) < timedelta(days=28)
        if active:
            active_beds += 1
        episode_rows.append(
            {
                "patient_id": pid,
                "product_code": rng.choice(products),
                "planned_infusion_date": infused_at.astimezone(ctx.tz).date(),
                "infused_at": infused_at,
                "weight_kg": weight,
                "weight_recorded_on": (infused_at - timedelta(days=3)).astimezone(ctx.tz).date(),
                "consultant": "Dr Synthetic",
                "ward": ctx.ward,
                "bed": f"G{pid % 1000}" if active else "",
                "carer_name": "",
                "carer_phone": "",
                "status": "active" if active else "completed",
                "spo2_scale": 1,
                "developmental_delay": False,
                "nursing_note": "",
                "created_at": infused_at - timedelta(days=3),
                "version": 1,
                "updated_by": GENERATED_BY,
                "updated_at": infused_at,
            }
        )
    episode_ids = list(
        session.scalars(
            insert(Episode).returning(Episode.id, sort_by_parameter_order=True), episode_rows
        )
    )
    batch = _Batch([], [], [])
    for eid, (infused_at, age, weight, _born) in zip(episode_ids, plans, strict=True):
        finished = (now - infused_at) >= timedelta(days=28)
        _simulate_episode(
            rng,
            batch,
            episode_id=eid,
            infused_at=infused_at,
            now=now,
            age=round(age, 4),
            weight_kg=weight,
            days=days,
            per_day=per_day,
            finished=finished,
            tz=ctx.tz,
        )
    # Core executemany on the Table (not the ORM bulk path, about 3x slower here).
    conn = session.connection()
    for part in range(0, len(batch.assessments), 20_000):
        conn.execute(
            insert(Base.metadata.tables["assessment"]), batch.assessments[part : part + 20_000]
        )
    if batch.administrations:
        conn.execute(insert(Base.metadata.tables["administration"]), batch.administrations)
    alert_rows = _alert_rows(session, batch, now)
    if alert_rows:
        conn.execute(insert(Base.metadata.tables["alert"]), alert_rows)
    record_audit(
        session,
        SYSTEM_ACTOR,
        now,
        "generate_history",
        "patient",
        patient_ids[0],
        after={
            "seed": seed,
            "patient_ids": [patient_ids[0], patient_ids[-1]],
            "episode_ids": [episode_ids[0], episode_ids[-1]],
            "patients": len(patient_ids),
            "assessments": len(batch.assessments),
            "administrations": len(batch.administrations),
            "alerts": len(alert_rows),
            "active_episodes": active_beds,
        },
        reason="synthetic history for benchmarks (python -m app generate)",
    )
    return len(episode_ids)


_RESOLUTION_COLUMNS = (
    "resolved_at",
    "resolved_by",
    "resolved_reason",
    "discussion_clinician",
    "discussion_at",
    "discussion_outcome",
    "discussion_detail",
    "discussion_recorded_by",
)


def _alert_rows(session: Session, batch: _Batch, now: datetime) -> list[dict[str, Any]]:
    rows = []
    for episode_id, at, kind, grade, message, resolve in batch.alerts:
        source = session.execute(
            select(Assessment.id).where(
                Assessment.episode_id == episode_id, Assessment.assessed_at == at
            )
        ).scalar_one()
        raised_at = at + timedelta(minutes=5)
        row: dict[str, Any] = {
            "episode_id": episode_id,
            "kind": kind,
            "status": "raised",
            "trigger_grade": grade,
            "message": message,
            "raised_at": raised_at,
            "raised_by_assessment_id": source,
            "due_at": raised_at + timedelta(minutes=30) if kind == "critical_care" else None,
            "version": 1,
            # executemany needs the same keys in every row
            **dict.fromkeys(_RESOLUTION_COLUMNS),
        }
        if resolve:
            done = min(raised_at + timedelta(minutes=20), now)
            row.update(status="resolved", resolved_at=done, resolved_by=GENERATED_BY, version=2)
            if kind == "critical_care":
                row.update(
                    discussion_clinician="ICU registrar (synthetic)",
                    discussion_at=done,
                    discussion_outcome="stay_with_plan",
                    discussion_detail="Remain on ward with neuro obs 2-hourly",
                    discussion_recorded_by=GENERATED_BY,
                    resolved_reason="critical-care discussion: remain on ward with plan",
                )
            else:
                row["resolved_reason"] = "tocilizumab given"
        rows.append(row)
    return rows
