"""NHS numbers: ten digits whose last is a modulus-11 check digit (NHS Data Dictionary).

Stored as ten digits, shown as "999 000 1234". Test and demo data use the never-issued
999 range (shared/design/NOTES.md). Never write an NHS number to a log file (SAFETY.md).
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-]+")


def check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit of nine digits, or None when no valid one exists (10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    if digit == 10:
        return None  # no NHS number is issued with these nine digits
    return digit


def normalise_nhs_number(text: str) -> str:
    """Ten digits from what was typed ("999 000 1234", "999-000-1234"), or ValueError."""
    digits = _SEPARATORS.sub("", text or "")
    if not digits:
        raise ValueError("NHS number is empty — type the 10 digits, e.g. 999 000 0018")
    if not digits.isdigit():
        raise ValueError(
            f"NHS number {text.strip()} has characters other than digits — type 10 digits"
        )
    if len(digits) != 10:
        raise ValueError(
            f"NHS number {text.strip()} has {len(digits)} digits — an NHS number has 10"
        )
    expected = check_digit(digits[:9])
    if expected is None or expected != int(digits[9]):
        raise ValueError(
            f"NHS number {format_nhs_number(digits)} fails its check digit — "
            "check for a typing error"
        )
    return digits


def is_valid_nhs_number(text: str) -> bool:
    try:
        normalise_nhs_number(text)
    except ValueError:
        return False
    return True


def format_nhs_number(digits: str | None) -> str:
    """ "9990001234" -> "999 000 1234" (3-3-4, as printed on NHS documents)."""
    if not digits:
        return ""
    if len(digits) != 10:
        return digits
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
