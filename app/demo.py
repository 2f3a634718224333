"""`python -m app --demo`: a realistic demo ward seeded into an empty database.

Twelve patients at different days after infusion (children included) with CRS and ICANS
courses, tocilizumab and steroid doses, latched alerts (one critical-care discussion still
pending), a pharmacy stock with one batch close to expiry, and one planned infusion that is
short of tocilizumab. Everything goes through the real services, so the demo exercises the
same validation, grading, alerting and audit as the ward does.

Seeding replays history: a private clock is moved to a few minutes after each observation,
so entries are on time (not "late entries") and alerts are raised when they would have been.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.actor import SYSTEM_ACTOR, Actor, Role
from app.context import AppContext
from app.errors import ConfirmationRequired
from app.services import administrations, alerts, patients, tocilizumab, users
from app.services.assessments import record_assessment
from db.models import Patient

# Demo accounts (README "Demo accounts"); never use these passwords on a real ward.
DEMO_PASSWORD = "demo-ward-2026"
DEMO_USERS = (
    ("admin", "Ward Administrator", Role.ADMIN),
    ("nurse", "Sam Okafor (RN)", Role.NURSE),
    ("haem", "Dr Priya Shah", Role.HAEMATOLOGIST),
    ("pharm", "Alex Byrne (pharmacist)", Role.PHARMACIST),
)
NURSE = Actor(user_id=None, username="nurse", role=Role.NURSE, workstation="demo")
HAEM = Actor(user_id=None, username="haem", role=Role.HAEMATOLOGIST, workstation="demo")

NORMAL_ICE = {"orientation": 4, "naming": 3, "following_commands": 1, "writing": 1, "attention": 1}
NORMAL_CAPD = {
    "eye_contact": "always",
    "purposeful_actions": "always",
    "aware_of_surroundings": "always",
    "communicates_needs": "always",
    "restless": "never",
    "inconsolable": "never",
    "underactive": "never",
    "slow_to_respond": "never",
}
NEURO_NORMAL = {
    "consciousness": "awakens_spontaneously",
    "seizure": "none",
    "motor_weakness": "none",
    "cerebral_edema": "none",
}


def _vitals(temp: float, hr: int, sbp: int, rr: int = 16, spo2: int = 97) -> dict[str, Any]:
    return {
        "temperature_c": temp,
        "heart_rate": hr,
        "systolic_bp": sbp,
        "diastolic_bp": max(40, sbp - 45),
        "respiratory_rate": rr,
        "spo2_percent": spo2,
        "acvpu": "alert",
        "oxygen_device": "none",
        "vasopressors": [],
        "hypotension": False,
    }


WELL = _vitals(36.8, 78, 124)
FEVER = _vitals(38.6, 104, 112, rr=18)
CRS2_HYPOTENSION = {**_vitals(39.0, 118, 86, rr=22, spo2=95), "hypotension": True}
CRS2_OXYGEN = {
    **_vitals(38.8, 112, 104, rr=22, spo2=94),
    "oxygen_device": "nasal_cannula",
    "oxygen_flow_l_min": 3,
}
CRS3_PRESSOR = {
    **_vitals(39.2, 124, 84, rr=24, spo2=93),
    "hypotension": True,
    "vasopressors": ["norepinephrine"],
    "oxygen_device": "nasal_cannula",
    "oxygen_flow_l_min": 4,
}
AFEBRILE_AFTER_TOCI = _vitals(37.1, 88, 116)


def _ice(total_lost: int) -> dict[str, int]:
    """An ICE with `total_lost` points lost, taken from orientation then naming."""
    items = dict(NORMAL_ICE)
    lost_orientation = min(total_lost, 4)
    items["orientation"] -= lost_orientation
    items["naming"] -= min(total_lost - lost_orientation, 3)
    return items


@dataclass(frozen=True)
class Phase:
    """From `day` (fractional, post-infusion) on, observations look like `values`."""

    day: float
    values: dict[str, Any]


@dataclass
class DemoPatient:
    nhs: str
    family: str
    given: str
    born: date
    sex: str
    product: str
    weight: float
    bed: str
    day_now: float  # how far after infusion "now" is
    phases: list[Phase]
    # (day, drug, dose, route) for each administration
    drugs: list[tuple[float, str, float, str]] = field(default_factory=list)
    discussion: str | None = None  # "stay" records the critical-care discussion; "ack" acknowledges
    uses_capd: bool = False


def _patients(today: date) -> list[DemoPatient]:
    def born(years: float) -> date:
        return today - timedelta(days=int(years * 365.25))

    neuro_ok = {**NEURO_NORMAL, "ice_items": NORMAL_ICE}
    return [
        DemoPatient("999 000 0018", "Hughes", "Margaret", born(64), "female",
                    "axicabtagene_ciloleucel", 71.0, "A1", 3.4,
                    [Phase(0, {**WELL, **neuro_ok}), Phase(1.3, {**FEVER, **neuro_ok}),
                     Phase(2.4, {**CRS2_HYPOTENSION, **neuro_ok}),
                     Phase(2.9, {**AFEBRILE_AFTER_TOCI, **neuro_ok})],
                    drugs=[(1.4, "paracetamol", 1000, "oral"), (2.65, "tocilizumab", 568, "IV")]),
        DemoPatient("999 000 0026", "Patel", "Rohan", born(52), "male",
                    "axicabtagene_ciloleucel", 84.0, "A2", 6.3,
                    [Phase(0, {**WELL, **neuro_ok}), Phase(2.0, {**FEVER, **neuro_ok}),
                     Phase(3.5, {**WELL, **neuro_ok}),
                     Phase(5.6, {**WELL, **NEURO_NORMAL, "ice_items": _ice(2)}),
                     Phase(6.1, {**WELL, **NEURO_NORMAL, "ice_items": _ice(5),
                                 "acvpu": "new_confusion"})],
                    drugs=[(2.1, "paracetamol", 1000, "oral"), (6.15, "dexamethasone", 10, "IV")]),
        DemoPatient("999 000 0034", "O'Neill", "Brendan", born(59), "male",
                    "brexucabtagene_autoleucel", 90.0, "A3", 8.5,
                    [Phase(0, {**WELL, **neuro_ok}), Phase(1.5, {**FEVER, **neuro_ok}),
                     Phase(4.2, {**WELL, **NEURO_NORMAL, "ice_items": _ice(8),
                                 "consciousness": "awakens_to_voice", "acvpu": "voice"}),
                     Phase(5.5, {**WELL, **NEURO_NORMAL, "ice_items": _ice(3)}),
                     Phase(7.0, {**WELL, **NEURO_NORMAL, "ice_items": _ice(1)})],
                    drugs=[(1.6, "paracetamol", 1000, "oral"),
                           (4.25, "dexamethasone", 10, "IV"), (4.6, "dexamethasone", 10, "IV")],
                    discussion="stay"),
        DemoPatient("999 000 0042", "Lewis", "Amelia", born(7.5), "female",
                    "tisagenlecleucel", 24.0, "B1", 4.4,
                    [Phase(0, {**_vitals(36.9, 100, 102, rr=22, spo2=98), **NEURO_NORMAL,
                               "capd_items": NORMAL_CAPD}),
                     Phase(3.2, {**_vitals(38.5, 128, 98, rr=24, spo2=97), **NEURO_NORMAL,
                                 "capd_items": NORMAL_CAPD})],
                    drugs=[(3.3, "paracetamol", 360, "oral")], uses_capd=True),
        DemoPatient("999 000 0050", "Begum", "Yusuf", born(10.2), "male",
                    "tisagenlecleucel", 32.0, "B2", 2.3,
                    [Phase(0, {**_vitals(37.0, 92, 106, rr=20, spo2=98), **NEURO_NORMAL,
                               "capd_items": NORMAL_CAPD}),
                     Phase(1.6, {**_vitals(38.9, 126, 100, rr=26, spo2=94),
                                 "oxygen_device": "nasal_cannula", "oxygen_flow_l_min": 2,
                                 **NEURO_NORMAL, "capd_items": NORMAL_CAPD})],
                    drugs=[(1.8, "tocilizumab", 256, "IV")], uses_capd=True),
        DemoPatient("999 000 0069", "Kowalski", "Anna", born(47), "female",
                    "lisocabtagene_maraleucel", 66.0, "A4", 0.4,
                    [Phase(0, {**WELL, **neuro_ok})]),
        DemoPatient("999 000 0077", "Thompson", "David", born(71), "male",
                    "axicabtagene_ciloleucel", 78.0, "A5", 12.5,
                    [Phase(0, {**WELL, **neuro_ok}), Phase(1.2, {**FEVER, **neuro_ok}),
                     Phase(2.2, {**CRS2_OXYGEN, **neuro_ok}), Phase(4.0, {**WELL, **neuro_ok})],
                    drugs=[(1.3, "paracetamol", 1000, "oral"), (2.3, "tocilizumab", 624, "IV")]),
        DemoPatient("999 000 0085", "Clarke", "Joan", born(66), "female",
                    "tisagenlecleucel", 62.0, "A6", 20.5,
                    [Phase(0, {**WELL, **neuro_ok}), Phase(3.0, {**FEVER, **neuro_ok}),
                     Phase(4.5, {**WELL, **neuro_ok})],
                    drugs=[(3.1, "paracetamol", 1000, "oral")]),
        DemoPatient("999 000 0093", "Ahmed", "Farah", born(38), "female",
                    "axicabtagene_ciloleucel", 58.0, "A7", 1.5,
                    [Phase(0, {**WELL, **neuro_ok}), Phase(1.2, {**FEVER, **neuro_ok})]),
        DemoPatient("999 000 0107", "Williams", "Gareth", born(61), "male",
                    "lisocabtagene_maraleucel", 95.0, "ICU-2", 5.3,
                    [Phase(0, {**WELL, **neuro_ok}), Phase(1.5, {**FEVER, **neuro_ok}),
                     Phase(3.0, {**CRS2_HYPOTENSION, **neuro_ok}),
                     Phase(4.9, {**CRS3_PRESSOR, **neuro_ok})],
                    drugs=[(1.6, "paracetamol", 1000, "oral"), (3.1, "tocilizumab", 760, "IV"),
                           (4.95, "tocilizumab", 760, "IV"),
                           (4.95, "methylprednisolone", 1000, "IV")],
                    discussion="ack"),
        DemoPatient("999 000 0115", "Evans", "Chloe", born(15), "female",
                    "tisagenlecleucel", 52.0, "B3", 9.4,
                    [Phase(0, {**WELL, **neuro_ok}), Phase(2.5, {**FEVER, **neuro_ok}),
                     Phase(3.5, {**WELL, **neuro_ok})],
                    drugs=[(2.6, "paracetamol", 1000, "oral")]),
    ]


class _ReplayClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _observation_times(infused_at: datetime, now: datetime) -> list[datetime]:
    """4-hourly for the first 10 days, then 6-hourly; never in the future."""
    times, t = [], infused_at + timedelta(hours=1)
    while t <= now - timedelta(minutes=20):
        times.append(t)
        day = (t - infused_at).total_seconds() / 86400
        t += timedelta(hours=4 if day < 10 else 6)
    return times


def _values_at(p: DemoPatient, day: float) -> dict[str, Any]:
    current = p.phases[0].values
    for phase in p.phases:
        if phase.day <= day:
            current = phase.values
    return dict(current)


def seed_demo_ward(ctx: AppContext) -> int:
    """Seed the demo ward if the database has no patients; returns the number seeded."""
    with ctx.database.read() as session:
        if session.execute(select(func.count(Patient.id))).scalar_one() > 0:
            return 0
    real_clock = ctx.clock
    now = real_clock()
    replay = _ReplayClock(now - timedelta(days=30))
    seeding = AppContext(database=ctx.database, clock=replay, tz=ctx.tz, ward=ctx.ward)
    try:
        _seed(seeding, replay, now)
    finally:
        ctx.clock = real_clock
    return len(_patients(now.astimezone(ctx.tz).date())) + 1


def _seed(ctx: AppContext, clock: _ReplayClock, now: datetime) -> None:
    today = now.astimezone(ctx.tz).date()
    if not users.any_user_exists(ctx):
        for username, name, role in DEMO_USERS:
            if role is Role.ADMIN:
                users.create_first_admin(ctx, username, name, DEMO_PASSWORD)
            else:
                users.create_user(ctx, SYSTEM_ACTOR, username=username, display_name=name,
                                  role=role.value, password=DEMO_PASSWORD)  # fmt: skip
    demo = _patients(today)
    clock.now = now - timedelta(days=max(p.day_now for p in demo) + 2)
    tocilizumab.receive_vials(ctx, SYSTEM_ACTOR, strength_mg=400, batch="TCZ-4410",
                              expiry_date=today + timedelta(days=240), location="pharmacy",
                              count=24)  # fmt: skip
    tocilizumab.receive_vials(ctx, SYSTEM_ACTOR, strength_mg=200, batch="TCZ-2207",
                              expiry_date=today + timedelta(days=180), location="ward",
                              count=16)  # fmt: skip
    tocilizumab.receive_vials(ctx, SYSTEM_ACTOR, strength_mg=80, batch="TCZ-0803",
                              expiry_date=today + timedelta(days=21), location="ward",
                              count=20)  # fmt: skip

    actions: list[tuple[datetime, Callable[[], object]]] = []
    for p in demo:
        infused_at = now - timedelta(days=p.day_now)
        clock.now = infused_at - timedelta(days=2)
        patient = patients.register_patient(
            ctx, NURSE, nhs_number=p.nhs, hospital_number=None, family_name=p.family,
            given_name=p.given, date_of_birth=p.born, sex=p.sex,
        )  # fmt: skip
        episode = patients.register_episode(
            ctx, NURSE, patient.id, product_code=p.product,
            planned_infusion_date=infused_at.astimezone(ctx.tz).date(), weight_kg=p.weight,
            consultant="Dr Priya Shah", ward=ctx.ward, bed=p.bed, carer_name="Next of kin",
            carer_phone="07700 900123",
        )  # fmt: skip
        tocilizumab.reserve_for_episode(ctx, SYSTEM_ACTOR, episode.id, doses=2)
        clock.now = infused_at + timedelta(minutes=10)
        tocilizumab.record_infusion(ctx, NURSE, episode.id, infused_at=infused_at)
        for t in _observation_times(infused_at, now):
            day = (t - infused_at).total_seconds() / 86400
            values = {**_values_at(p, day), "assessed_at": t}
            actions.append((t, _recorder(ctx, episode.id, values)))
        for day, drug, dose, route in p.drugs:
            given = infused_at + timedelta(days=day)
            actions.append((given, _giver(ctx, episode.id, (drug, dose, route), given)))
        if p.discussion is not None:
            at = infused_at + timedelta(days=p.phases[-1].day if p.discussion == "ack" else 4.3)
            actions.append((at, _discussion(ctx, episode.id, p.discussion, at)))

    for at, action in sorted(actions, key=lambda item: item[0]):
        clock.now = at + timedelta(minutes=5)
        action()
    clock.now = now
    _settle_old_news2_alerts(ctx, now)
    _planned_patient(ctx, clock, today)
    alerts.refresh_overdue_alerts(ctx)


def _recorder(ctx: AppContext, episode_id: int, values: dict[str, Any]) -> Callable[[], object]:
    def record() -> object:
        try:
            return record_assessment(ctx, NURSE, episode_id, values)
        except ConfirmationRequired as prompt:
            # A nurse confirms a falling ICE at the bedside; the demo does the same, with
            # the reason stored in the audit as it would be on the ward.
            reasons = {p.field: "demo: confirmed at the bedside" for p in prompt.problems}
            return record_assessment(ctx, NURSE, episode_id, values, confirmations=reasons)

    return record


def _giver(
    ctx: AppContext, episode_id: int, drug: tuple[str, float, str], given: datetime
) -> Callable[[], object]:
    drug_name, dose, route = drug

    def give() -> object:
        return administrations.record_administration(
            ctx, NURSE, episode_id, drug=drug_name, dose=dose, route=route, given_at=given,
            override_reason="demo: dose as prescribed" if drug_name == "tocilizumab" else None,
        )  # fmt: skip

    return give


def _discussion(ctx: AppContext, episode_id: int, kind: str, at: datetime) -> Callable[[], object]:
    def act() -> object:
        open_alerts = [
            a for a in alerts.list_open_alerts(ctx, HAEM, episode_id) if a.kind == "critical_care"
        ]
        if not open_alerts:
            return None
        alert = open_alerts[0]
        if kind == "ack":
            return alerts.acknowledge_alert(ctx, NURSE, alert.id, expected_version=alert.version)
        return alerts.record_discussion(
            ctx, HAEM, alert.id, clinician="Dr M. Osei (ICU registrar)", discussed_at=at,
            outcome="stay_with_plan", expected_version=alert.version,
            detail="Remain on ward; neuro obs 2-hourly; dexamethasone 10 mg 6-hourly; "
            "ICU to review if ICE falls below 3",
        )  # fmt: skip

    return act


NEWS2_SETTLED_AFTER = timedelta(hours=12)
NEWS2_SETTLED_REASON = "responded: medical review done"


def _settle_old_news2_alerts(ctx: AppContext, now: datetime) -> None:
    """A real ward acknowledges a NEWS2 alert and, after the medical review, resolves it;
    the replay raises them but nobody answers. So once the courses are replayed the demo nurse
    acknowledges and the demo haematologist resolves every NEWS2 alert older than 12 h.
    Younger ones (e.g. the patient now in ICU) stay open, as they would on the ward."""
    for alert in alerts.list_open_alerts(ctx, HAEM):
        if not alert.kind.startswith("news2") or now - alert.raised_at < NEWS2_SETTLED_AFTER:
            continue
        version = alert.version
        if alert.status == "raised":
            seen = alerts.acknowledge_alert(ctx, NURSE, alert.id, expected_version=version)
            version = seen.version
        alerts.resolve_alert(ctx, HAEM, alert.id, reason=NEWS2_SETTLED_REASON,
                             expected_version=version)  # fmt: skip


def _planned_patient(ctx: AppContext, clock: _ReplayClock, today: date) -> None:
    """Infusion planned for tomorrow, not yet ready: no tocilizumab reserved."""
    patient = patients.register_patient(
        ctx, NURSE, nhs_number="999 000 0123", hospital_number=None, family_name="Murphy",
        given_name="Siobhan", date_of_birth=today.replace(year=today.year - 55), sex="female",
    )  # fmt: skip
    patients.register_episode(
        ctx, NURSE, patient.id, product_code="obecabtagene_autoleucel",
        planned_infusion_date=today + timedelta(days=1), weight_kg=68.0,
        consultant="Dr Priya Shah", ward=ctx.ward, bed="A8",
    )  # fmt: skip
