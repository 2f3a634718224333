"""Display names and number formatting shared by the reason sentences."""

from __future__ import annotations

from .inputs import OxygenDevice, Vasopressor

DEVICE_NAMES: dict[OxygenDevice, str] = {
    OxygenDevice.NONE: "room air",
    OxygenDevice.NASAL_CANNULA: "nasal cannula",
    OxygenDevice.BLOW_BY: "blow-by oxygen",
    OxygenDevice.HIGH_FLOW_NASAL_CANNULA: "high-flow nasal cannula",
    OxygenDevice.SIMPLE_FACE_MASK: "simple face mask",
    OxygenDevice.NON_REBREATHER: "non-rebreather mask",
    OxygenDevice.VENTURI_MASK: "Venturi mask",
    OxygenDevice.CPAP: "CPAP",
    OxygenDevice.BIPAP: "BiPAP",
    OxygenDevice.INVASIVE_VENTILATION: "invasive ventilation",
}

VASOPRESSOR_NAMES: dict[Vasopressor, str] = {
    Vasopressor.NOREPINEPHRINE: "norepinephrine",
    Vasopressor.EPINEPHRINE: "epinephrine",
    Vasopressor.PHENYLEPHRINE: "phenylephrine",
    Vasopressor.DOPAMINE: "dopamine",
    Vasopressor.ANGIOTENSIN_II: "angiotensin II",
    Vasopressor.VASOPRESSIN: "vasopressin",
}


def fmt_number(x: float) -> str:
    """40.0 -> "40", 6.5 -> "6.5", 11.9 -> "11.9" (no trailing zeros, no exponent)."""
    if x == int(x):
        return str(int(x))
    return f"{x:.6f}".rstrip("0").rstrip(".")


def tenths(celsius: float) -> int:
    """Temperature rounded half-up to 0.1 °C, as integer tenths (RULES C1: 37.95 -> 380).

    The small epsilon absorbs binary representation error (37.95 is stored as
    37.9499999...), so the rounding matches what the nurse typed.
    """
    return int(celsius * 10.0 + 0.5 + 1e-7) if celsius >= 0 else -int(-celsius * 10.0 + 0.5)


def fmt_tenths(t: int) -> str:
    """380 -> "38.0"."""
    sign = "-" if t < 0 else ""
    t = abs(t)
    return f"{sign}{t // 10}.{t % 10}"
