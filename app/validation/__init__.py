"""Input validation for observation sets and their times (SAFETY.md "Bad input").

Pure (no database, no Qt): used by app.services.assessments for the form and the import file.
The limits themselves live in one reviewable table, grading.limits.LIMITS
(re-exported as app.validation.limits).
"""

from app.validation.limits import LIMITS, AgeBand, Limit, limit_for, limits_markdown
from app.validation.observation import (
    KNOWN_FIELDS,
    ObservationCheck,
    capd_total,
    ice_total,
    validate_observation,
)
from app.validation.parsing import parse_number
from app.validation.timing import TimeCheck, check_assessment_time, parse_assessed_at

__all__ = [
    "KNOWN_FIELDS",
    "LIMITS",
    "AgeBand",
    "Limit",
    "ObservationCheck",
    "TimeCheck",
    "capd_total",
    "check_assessment_time",
    "ice_total",
    "limit_for",
    "limits_markdown",
    "parse_assessed_at",
    "parse_number",
    "validate_observation",
]
