"""Turning what a user typed (or a file held) into typed values, never crashing.

Values reach the validators as numbers, text ("38,5", " 38.5 ", "３８.５"), or whatever a
JSON file contained (booleans, lists, NaN, 1e309). Every function here returns either a
typed value or a `Bad` carrying a sentence that says what is wrong; the caller adds the
field, unit and range so the message tells the user how to fix it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

# Plain decimal notation only: no exponents ("1e309"), no "_" separators, no "inf"/"nan",
# which Python's float() would otherwise accept from a text field.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)
_MAX_TEXT = 30  # longer text is not a reading; also keeps int() well inside its digit limit
_MAX_MAGNITUDE = 10**15  # no reading is this large; keeps float() from overflowing

# Look-alike characters that keyboards and spreadsheets produce.
_PUNCTUATION = {
    "\u2212": "-",  # minus sign
    "\u2013": "-",  # en dash typed as minus
    "\uff0d": "-",  # fullwidth hyphen-minus
    "\uff0b": "+",
    "\uff0e": ".",  # fullwidth full stop
    "\uff0c": ",",  # fullwidth comma
    "\u00a0": " ",  # no-break space
}


@dataclass(frozen=True)
class Bad:
    reason: str  # e.g. "'abc' is not a number"


def shown(value: Any) -> str:
    """A short, safe rendering of any input value for a message."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**15 else "a very large number"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "infinity" if value > 0 else "minus infinity"
        return f"{value:g}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"'{text}'"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a value of type {type(value).__name__}"


def _normalise_text(text: str) -> str:
    """Unicode digits to ASCII, look-alike punctuation to ASCII, trimmed."""
    out = []
    for ch in text:
        digit = unicodedata.decimal(ch, None)
        if digit is not None:
            out.append(str(digit))
        else:
            out.append(_PUNCTUATION.get(ch, ch))
    return "".join(out).strip()


def parse_number(value: Any, unit: str = "") -> int | float | Bad | None:
    """int or float (finite), None when empty/not given, or Bad.

    A decimal comma ("38,5") is read as a decimal point when it is the only separator.
    A trailing unit that matches the field's own unit ("38.5 °C", "95%") is allowed.
    """
    if value is None:
        return None
    if isinstance(value, bool):  # bool is an int in Python; a tick box is not a reading
        return Bad(f"{shown(value)} is a yes/no value, not a number")
    if isinstance(value, int):
        return value if abs(value) < _MAX_MAGNITUDE else Bad("the number is far too large")
    if isinstance(value, float):
        if not math.isfinite(value):
            return Bad(f"{shown(value)} is not a number")
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return Bad(f"{value} is not a number")
        as_float = float(value)
        return as_float if math.isfinite(as_float) else Bad("the number is far too large")
    if not isinstance(value, str):
        return Bad(f"expected a single number, got {shown(value)}")
    text = _normalise_text(value)
    if text == "":
        return None
    if unit and text.lower().endswith(unit.lower()):
        text = text[: -len(unit)].strip()
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    if len(text) > _MAX_TEXT or not _NUMBER.fullmatch(text):
        return Bad(f"{shown(value)} is not a number")
    number = float(text) if "." in text else int(text)
    return number if abs(number) < _MAX_MAGNITUDE else Bad("the number is far too large")


_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})


def parse_bool(value: Any) -> bool | Bad | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = _normalise_text(value).lower()
        if text == "":
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return Bad(f"{shown(value)} is not yes or no; use true or false")


def parse_enum(value: Any, enum: type[StrEnum]) -> str | Bad | None:
    """The enum's value string; case, spaces and hyphens are forgiven ("Nasal cannula")."""
    allowed = ", ".join(member.value for member in enum)
    if value is None:
        return None
    if not isinstance(value, str):
        return Bad(f"{shown(value)} is not one of: {allowed}")
    text = _normalise_text(value).lower().replace(" ", "_").replace("-", "_")
    if text == "":
        return None
    for member in enum:
        if member.value == text:
            return member.value
    return Bad(f"{shown(value)} is not one of: {allowed}")


def parse_text(value: Any, max_length: int) -> str | Bad | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return Bad(f"expected text, got {shown(value)}")
    if len(value) > max_length:
        return Bad(f"is {len(value)} characters long; keep it under {max_length}")
    return value.strip()
