"""THE table of input limits: the one place a trust's clinical safety officer reviews.

SAFETY.md "Bad input: reject the impossible, confirm the improbable" asks for each limit to
live in one table, not scattered in code. This module is that table. It lives in grading/
because grading/ is pure and may not import app/; both readers use it:

- `grading.parse_inputs` (`python -m grading`) refuses values outside the reject limits;
- `app.validation` (the form and the import file) refuses values outside the reject limits
  and asks for a reason for values outside the confirm limits.

So changing a limit here changes the engine, the form, the import file and the README
table together (`limits_markdown()` prints it).

Each row says, for one field and one age band, which values are impossible (rejected,
never stored) and which are improbable (stored only with a reason the user types, kept in
the audit). A value equal to a limit is allowed: reject means strictly below `reject_low`
or strictly above `reject_high`, confirm means strictly below `confirm_low` or strictly
above `confirm_high`.

Paediatric bands (heart and respiratory rate only, as SAFETY.md asks). The age bands are
those of APLS (Advanced Paediatric Life Support, 6th ed., ALSG 2016: < 1, 1-4, 5-11, >= 12
years) and of the NHS England national PEWS charts (2023), so a nurse recognises them.
The confirm limits sit well outside the 1st and 99th centiles of healthy children
(Fleming et al., Lancet 2011;377:1011-18, "Normal ranges of heart rate and respiratory rate
in children from birth to 18 years") because febrile children with CRS are often beyond
the 99th centile and a prompt on every reading would be ignored; they flag what is more
likely a typing or counting error than a physiological reading. Infants breathe faster than
adults can, so the respiratory reject limit is raised for the two youngest bands.
These are project defaults, to be reviewed locally (SAFETY.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import timedelta

from .inputs import OxygenDevice


@dataclass(frozen=True)
class AgeBand:
    """Ages from `min_years` (inclusive) up to `max_years` (exclusive)."""

    label: str
    min_years: float
    max_years: float

    def contains(self, age_years: float) -> bool:
        return self.min_years <= age_years < self.max_years


ALL_AGES = AgeBand("all ages", 0.0, math.inf)
INFANT = AgeBand("under 1 year", 0.0, 1.0)
PRESCHOOL = AgeBand("1–4 years", 1.0, 5.0)
SCHOOL = AgeBand("5–11 years", 5.0, 12.0)
ADOLESCENT_ADULT = AgeBand("12 years and over", 12.0, math.inf)
# Not a row of the table: the band `widest_limit` reports when the age is not known.
AGE_NOT_GIVEN = AgeBand("any age (age not given)", 0.0, math.inf)


@dataclass(frozen=True)
class Limit:
    field: str  # RULES §6 key (or diastolic_bp)
    label: str  # as the form names it
    unit: str  # as shown to the user, e.g. "°C", "/min"
    age_band: AgeBand
    reject_low: float | None
    reject_high: float | None
    confirm_low: float | None
    confirm_high: float | None
    integer: bool  # whole numbers only (counts, mmHg, %, scores)
    note: str = ""


# Kept as one row per line so a reviewer can read it as a table.
# fmt: off
LIMITS: tuple[Limit, ...] = (
    # field, label, unit, age band, reject low, reject high, confirm low, confirm high,
    # whole numbers only, note
    Limit("temperature_c", "Temperature", "°C", ALL_AGES, 25.0, 45.0, 34.0, 41.0, False,
          "93–113 is refused as a probable °F reading, with the °C value offered"),
    # Heart rate and respiratory rate: paediatric bands, see the module docstring.
    Limit("heart_rate", "Heart rate", "/min", INFANT, 10, 300, 80, 220, True,
          "APLS normal 110–160; Fleming 1st–99th centile about 90–180"),
    Limit("heart_rate", "Heart rate", "/min", PRESCHOOL, 10, 300, 60, 200, True,
          "APLS normal 95–150; Fleming 1st–99th centile about 70–160"),
    Limit("heart_rate", "Heart rate", "/min", SCHOOL, 10, 300, 50, 190, True,
          "APLS normal 80–120; Fleming 1st–99th centile about 52–131"),
    Limit("heart_rate", "Heart rate", "/min", ADOLESCENT_ADULT, 10, 300, 40, 180, True,
          "SAFETY.md adult limits"),
    Limit("systolic_bp", "Systolic blood pressure", "mmHg", ALL_AGES, 30, 300, 70, 220, True,
          "must be higher than the diastolic pressure"),
    Limit("diastolic_bp", "Diastolic blood pressure", "mmHg", ALL_AGES, 10, 200, None, None, True,
          "must be lower than the systolic pressure"),
    Limit("respiratory_rate", "Respiratory rate", "/min", INFANT, 2, 120, 15, 80, True,
          "APLS normal 30–40; Fleming 1st–99th centile about 22–66"),
    Limit("respiratory_rate", "Respiratory rate", "/min", PRESCHOOL, 2, 100, 12, 60, True,
          "APLS normal 25–35; Fleming 1st–99th centile about 17–53"),
    Limit("respiratory_rate", "Respiratory rate", "/min", SCHOOL, 2, 80, 10, 50, True,
          "APLS normal 20–25; Fleming 1st–99th centile about 14–31"),
    Limit("respiratory_rate", "Respiratory rate", "/min", ADOLESCENT_ADULT, 2, 80, 8, 40, True,
          "SAFETY.md adult limits"),
    Limit("spo2_percent", "SpO2", "%", ALL_AGES, 40, 100, 85, None, True,
          ""),
    Limit("oxygen_flow_l_min", "Oxygen flow", "L/min", ALL_AGES, 0.0, 80.0, None, None, False,
          "must be 0 on room air; over 15 L/min on a mask asks for confirmation"),
    Limit("ice_score", "ICE score", "points", ALL_AGES, 0, 10, None, None, True,
          "RULES I1; a fall of 3 or more since the last ICE asks for confirmation"),
    Limit("capd_score", "CAPD score", "points", ALL_AGES, 0, 32, None, None, True,
          "RULES I1"),
)
# fmt: on

# Age itself, an input of the engine only (the app derives it from the date of birth).
AGE_YEARS_LOW = 0.0
AGE_YEARS_HIGH = 120.0

# Temperatures in this range were almost certainly typed in °F (SAFETY.md): refused, with
# the °C value offered as a suggestion, never converted silently.
FAHRENHEIT_LOW = 93.0
FAHRENHEIT_HIGH = 113.0

# Oxygen flow above this on a mask asks for confirmation (SAFETY.md).
MASK_FLOW_CONFIRM_ABOVE = 15.0
MASK_DEVICES: frozenset[str] = frozenset(
    {OxygenDevice.SIMPLE_FACE_MASK, OxygenDevice.NON_REBREATHER, OxygenDevice.VENTURI_MASK}
)

# A fall in ICE of at least this many points since the previous ICE prompts (SAFETY.md).
ICE_DROP_CONFIRM = 3

# ICE item maxima (RULES I1): orientation 4, naming 3, command 1, writing 1, attention 1.
ICE_ITEM_MAXIMA: dict[str, int] = {
    "orientation": 4,
    "naming": 3,
    "following_commands": 1,
    "writing": 1,
    "attention": 1,
}
# CAPD items are answers (never ... always), each worth 0–4 points (RULES I1, scored in
# grading.icans), hence the CAPD score's 0–32 above.

# Organ toxicities are CTCAE grades 1–5, named in at most this many characters.
CTCAE_GRADES = range(1, 6)
ORGAN_NAME_MAX_LEN = 64

# Time (RULES T2, SAFETY.md).
FIRST_DAY = 0
LAST_DAY = 28
BASELINE_DAYS = (-2, -1)
FUTURE_TOLERANCE = timedelta(minutes=5)
LATE_ENTRY_AFTER = timedelta(hours=1)


def _rows_by_field() -> dict[str, tuple[Limit, ...]]:
    by_field: dict[str, list[Limit]] = {}
    for row in LIMITS:
        by_field.setdefault(row.field, []).append(row)
    return {name: tuple(rows) for name, rows in by_field.items()}


_BY_FIELD = _rows_by_field()


def limit_for(field: str, age_years: float) -> Limit:
    """The row for `field` at this age; KeyError names the field if the table lacks one."""
    for row in _BY_FIELD.get(field, ()):
        if row.age_band.contains(age_years):
            return row
    raise KeyError(f"no limit for {field} at age {age_years}")


def widest_limit(field: str) -> Limit:
    """Reject limits wide enough for every age band of `field`, for when age is unknown.

    The lowest reject_low and highest reject_high of all its rows, so nothing plausible at
    any age is refused. Confirm limits do not apply without an age and are left out (None).
    KeyError names the field if the table lacks it.
    """
    rows = _BY_FIELD.get(field)
    if not rows:
        raise KeyError(f"no limit for {field}")
    lows = [row.reject_low for row in rows if row.reject_low is not None]
    highs = [row.reject_high for row in rows if row.reject_high is not None]
    # Where the bands share their reject limits (heart rate), they hold at all ages.
    differ = len({(row.reject_low, row.reject_high) for row in rows}) > 1
    return replace(
        rows[0],
        age_band=AGE_NOT_GIVEN if differ else ALL_AGES,
        reject_low=min(lows) if len(lows) == len(rows) else None,
        reject_high=max(highs) if len(highs) == len(rows) else None,
        confirm_low=None,
        confirm_high=None,
        note="",
    )


def limited_fields() -> frozenset[str]:
    return frozenset(_BY_FIELD)


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}"


def limits_markdown() -> str:
    """The table as Markdown, for the README and for the safety officer's review."""
    lines = [
        "| Field | Unit | Age band | Reject below | Reject above | Confirm below "
        "| Confirm above | Note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in LIMITS:
        lines.append(
            f"| {row.label} | {row.unit} | {row.age_band.label} | {_fmt(row.reject_low)} "
            f"| {_fmt(row.reject_high)} | {_fmt(row.confirm_low)} | {_fmt(row.confirm_high)} "
            f"| {row.note} |"
        )
    return "\n".join(lines)
