"""Tocilizumab dose maths for CRS (RULES E5, REFERENCE §3.2). Pure: no I/O, no database.

- `dose_mg(weight)`: 8 mg/kg at >= 30 kg, 12 mg/kg under 30 kg, never above 800 mg.
- `vial_combination(dose)`: the vials that cover a dose with the least waste, then the
  fewest vials (80 mg/4 mL, 200 mg/10 mL, 400 mg/20 mL).
- `pick_vials(dose, available)`: the same choice, limited to the vials actually on hand.
- `check_dose_limits(...)`: the limits a recorded dose may break; the app warns and asks for
  a reason for each (RULES E5), it never silently refuses a dose a clinician has given.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# RULES E5 / REFERENCE §3.2 — one table a clinical safety officer can review.
ADULT_MG_PER_KG = 8.0
CHILD_MG_PER_KG = 12.0
WEIGHT_BAND_KG = 30.0  # >= 30 kg uses 8 mg/kg (so 30 kg gives LESS than 29 kg: 240 vs 348 mg)
MAX_SINGLE_DOSE_MG = 800.0
MIN_INTERVAL = timedelta(hours=8)
MAX_DOSES_PER_24H = 3
MAX_DOSES_TOTAL = 4
DOSE_TOLERANCE = 0.10  # a recorded dose more than 10 % off the calculated one is queried
VIAL_STRENGTHS_MG: tuple[int, ...] = (80, 200, 400)

# Weights outside this range are typing errors (grams, pounds), not patients.
MIN_WEIGHT_KG = 0.5
MAX_WEIGHT_KG = 350.0


def dose_mg(weight_kg: float) -> float:
    """Calculated single dose in mg (RULES E5), rounded to 0.1 mg.

    Raises ValueError for a weight that cannot be a patient's, naming the accepted range.
    """
    if not math.isfinite(weight_kg) or not MIN_WEIGHT_KG <= weight_kg <= MAX_WEIGHT_KG:
        raise ValueError(
            f"weight {weight_kg} kg is not plausible: enter the weight in kg "
            f"({MIN_WEIGHT_KG:g}-{MAX_WEIGHT_KG:g} kg)"
        )
    per_kg = ADULT_MG_PER_KG if weight_kg >= WEIGHT_BAND_KG else CHILD_MG_PER_KG
    return round(min(per_kg * weight_kg, MAX_SINGLE_DOSE_MG), 1)


@dataclass(frozen=True)
class VialPlan:
    """Vials chosen for one dose, largest first."""

    dose_mg: float
    vials: tuple[int, ...]  # strengths in mg, e.g. (400, 200, 80)

    @property
    def total_mg(self) -> int:
        return sum(self.vials)

    @property
    def waste_mg(self) -> float:
        return round(self.total_mg - self.dose_mg, 1)

    @property
    def counts(self) -> dict[int, int]:
        """strength -> number of vials, largest strength first."""
        return dict(sorted(Counter(self.vials).items(), reverse=True))

    @property
    def text(self) -> str:
        """e.g. "1 × 400 mg + 2 × 80 mg (560 mg; 0 mg waste)"."""
        parts = " + ".join(f"{n} × {s} mg" for s, n in self.counts.items()) or "no vials"
        return f"{parts} ({self.total_mg} mg; {self.waste_mg:g} mg waste)"


def _best(dose: float, limits: dict[int, int]) -> VialPlan | None:
    """Least total (least waste), then fewest vials, among counts within `limits`."""
    target = dose - 1e-9  # a vial total equal to the dose covers it despite float noise
    strengths = sorted(limits, reverse=True)
    best: tuple[int, int, tuple[int, ...]] | None = None
    for counts in itertools.product(*(range(limits[s] + 1) for s in strengths)):
        total = sum(n * s for n, s in zip(counts, strengths, strict=True))
        if total < target:
            continue
        key = (total, sum(counts))
        if best is None or key < best[:2]:
            vials = tuple(s for s, n in zip(strengths, counts, strict=True) for _ in range(n))
            best = (total, sum(counts), vials)
    return None if best is None else VialPlan(dose_mg=dose, vials=best[2])


def _check_dose(dose: float) -> None:
    if not math.isfinite(dose) or dose <= 0:
        raise ValueError(f"dose {dose} mg must be a positive number of mg")


def vial_combination(
    dose_mg: float, strengths: Sequence[int] = VIAL_STRENGTHS_MG
) -> VialPlan:
    """Vials covering `dose_mg` with least waste, then fewest vials (unlimited stock)."""
    _check_dose(dose_mg)
    if not strengths or any(s <= 0 for s in strengths):
        raise ValueError(f"vial strengths must be positive mg values, got {tuple(strengths)}")
    # More than ceil(dose / s) vials of one strength can never reduce waste.
    limits = {s: math.ceil(dose_mg / s) for s in set(strengths)}
    plan = _best(dose_mg, limits)
    assert plan is not None  # ceil(dose / s) vials of any strength always cover the dose
    return plan


def pick_vials(dose_mg: float, available: Sequence[int]) -> VialPlan | None:
    """Like `vial_combination` but only from the vials on hand (strengths, repeats allowed);
    None if they cannot cover the dose."""
    _check_dose(dose_mg)
    on_hand = Counter(available)
    limits = {s: min(n, math.ceil(dose_mg / s)) for s, n in on_hand.items() if s > 0}
    if sum(s * n for s, n in on_hand.items()) < dose_mg - 1e-9:
        return None
    return _best(dose_mg, limits)


def whole_doses(dose_mg: float, available: Sequence[int]) -> tuple[VialPlan, ...]:
    """How the vials on hand split into whole doses: repeatedly take the least-waste cover.

    Used for "doses available" (RULES E6): 2 × 400 mg at 640 mg per dose is 1 dose, not 1.25.
    """
    remaining = Counter(available)
    plans: list[VialPlan] = []
    while True:
        plan = pick_vials(dose_mg, list(remaining.elements()))
        if plan is None:
            return tuple(plans)
        plans.append(plan)
        remaining -= Counter(plan.vials)


@dataclass(frozen=True)
class LimitBreach:
    """One RULES E5 limit a dose breaks; `message` is shown to the nurse as is."""

    code: str  # interval | per_24h | total | above_max | off_calculated
    message: str


def _hours_minutes(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def check_dose_limits(
    previous_doses: Sequence[datetime],
    new_at: datetime,
    dose_mg: float,
    calculated_mg: float,
) -> list[LimitBreach]:
    """Every RULES E5 limit the new dose breaks (empty list: none).

    `previous_doses` are the times of the episode's earlier current tocilizumab doses (a late
    entry may sit between them, so the interval check looks both ways).
    """
    breaches: list[LimitBreach] = []
    # Elapsed time is real time: Python subtracts two times in the same zone by their wall
    # clocks, which is an hour out across a clock change, so the limits are checked in UTC
    # and only the message shows the caller's local time.
    new_utc = new_at.astimezone(UTC)
    if previous_doses:
        nearest = min(previous_doses, key=lambda d: abs(new_utc - d.astimezone(UTC)))
        gap = new_utc - nearest.astimezone(UTC)
        if abs(gap) < MIN_INTERVAL:
            breaches.append(
                LimitBreach(
                    "interval",
                    f"only {_hours_minutes(gap)} from the dose at "
                    f"{nearest:%d %b %H:%M %Z}; at least 8 h between doses (RULES E5)",
                )
            )
    times = sorted([*(d.astimezone(UTC) for d in previous_doses), new_utc])
    window = timedelta(hours=24)
    worst = max(
        sum(1 for t in times if start <= t < start + window)
        for start in times
        if start <= new_utc < start + window
    )
    if worst > MAX_DOSES_PER_24H:
        breaches.append(
            LimitBreach(
                "per_24h",
                f"dose {worst} within 24 h; at most {MAX_DOSES_PER_24H} doses in 24 h "
                "(RULES E5)",
            )
        )
    if len(previous_doses) + 1 > MAX_DOSES_TOTAL:
        breaches.append(
            LimitBreach(
                "total",
                f"dose {len(previous_doses) + 1} overall; at most {MAX_DOSES_TOTAL} doses in "
                "total (RULES E5)",
            )
        )
    if dose_mg > MAX_SINGLE_DOSE_MG + 1e-9:
        breaches.append(
            LimitBreach(
                "above_max",
                f"{dose_mg:g} mg is above the {MAX_SINGLE_DOSE_MG:g} mg maximum single dose "
                "(RULES E5)",
            )
        )
    if abs(dose_mg - calculated_mg) > DOSE_TOLERANCE * calculated_mg + 1e-9:
        off = (dose_mg - calculated_mg) / calculated_mg * 100 if calculated_mg else math.inf
        breaches.append(
            LimitBreach(
                "off_calculated",
                f"{dose_mg:g} mg is {off:+.0f} % from the calculated {calculated_mg:g} mg "
                "(more than 10 % off; RULES E5)",
            )
        )
    return breaches
