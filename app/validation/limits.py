"""The input limits, re-exported from their one table, grading/limits.py.

SAFETY.md asks for one table a trust's clinical safety officer can review; it lives in
grading/ (which may not import app/) so that `python -m grading` and the form apply the
same limits. This module only keeps the app.validation import path working.
"""

from grading.limits import (
    ADOLESCENT_ADULT,
    AGE_NOT_GIVEN,
    ALL_AGES,
    BASELINE_DAYS,
    FAHRENHEIT_HIGH,
    FAHRENHEIT_LOW,
    FIRST_DAY,
    FUTURE_TOLERANCE,
    ICE_DROP_CONFIRM,
    ICE_ITEM_MAXIMA,
    INFANT,
    LAST_DAY,
    LATE_ENTRY_AFTER,
    LIMITS,
    MASK_DEVICES,
    MASK_FLOW_CONFIRM_ABOVE,
    PRESCHOOL,
    SCHOOL,
    AgeBand,
    Limit,
    limit_for,
    limited_fields,
    limits_markdown,
    widest_limit,
)

__all__ = [
    "ADOLESCENT_ADULT",
    "AGE_NOT_GIVEN",
    "ALL_AGES",
    "BASELINE_DAYS",
    "FAHRENHEIT_HIGH",
    "FAHRENHEIT_LOW",
    "FIRST_DAY",
    "FUTURE_TOLERANCE",
    "ICE_DROP_CONFIRM",
    "ICE_ITEM_MAXIMA",
    "INFANT",
    "LAST_DAY",
    "LATE_ENTRY_AFTER",
    "LIMITS",
    "MASK_DEVICES",
    "MASK_FLOW_CONFIRM_ABOVE",
    "PRESCHOOL",
    "SCHOOL",
    "AgeBand",
    "Limit",
    "limit_for",
    "limited_fields",
    "limits_markdown",
    "widest_limit",
]
