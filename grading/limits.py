"""Values the engine refuses to grade: one table for the clinical safety officer to review.

From shared/design/SAFETY.md "Reject (never stored)". The form and the import apply the
same table; values that are only improbable (confirm with a reason) are the app's concern.
"""

from __future__ import annotations

from typing import NamedTuple


class Limit(NamedTuple):
    low: float
    high: float
    unit: str


REJECT_OUTSIDE: dict[str, Limit] = {
    "age_years": Limit(0, 120, "years"),
    "temperature_c": Limit(25.0, 45.0, "°C"),
    "systolic_bp": Limit(30, 300, "mmHg"),
    "heart_rate": Limit(10, 300, "/min"),
    "respiratory_rate": Limit(2, 80, "/min"),
    "spo2_percent": Limit(40, 100, "%"),
    "oxygen_flow_l_min": Limit(0, 80, "L/min"),
    "ice_score": Limit(0, 10, "points"),
    "capd_score": Limit(0, 32, "points"),
}

# A temperature in this range was almost certainly typed in °F (SAFETY.md): refuse it and
# say so, never convert silently.
FAHRENHEIT_LIKELY = Limit(93.0, 113.0, "°F")

ICE_ITEM_MAX: dict[str, int] = {
    "orientation": 4,
    "naming": 3,
    "following_commands": 1,
    "writing": 1,
    "attention": 1,
}

CTCAE_GRADES = range(1, 6)
ORGAN_NAME_MAX_LEN = 64
