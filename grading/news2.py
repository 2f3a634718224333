"""NEWS2 (Royal College of Physicians 2017, Chart 1) (RULES N1-N3)."""

from __future__ import annotations

from types import MappingProxyType

from ._text import fmt_number, tenths
from .inputs import Acvpu, AssessmentInputs, OxygenDevice
from .results import News2Result, new_news2

NEWS2_FROM_AGE = 16.0  # RULES N1

SUBSCORE_KEYS = (
    "respiratory_rate",
    "spo2",
    "air_or_oxygen",
    "systolic_bp",
    "pulse",
    "consciousness",
    "temperature",
)
# Input keys of RULES §6 each NEWS2 parameter needs, in chart order.
REQUIRED_INPUTS = (
    "respiratory_rate",
    "spo2_percent",
    "oxygen_device",
    "systolic_bp",
    "heart_rate",
    "acvpu",
    "temperature_c",
)
# The same parameters as the chart names them: the reason is read by nurses on screen.
_CHART_NAMES = (
    "respiratory rate", "SpO2", "air or oxygen", "systolic BP", "heart rate", "ACVPU",
    "temperature",
)


def respiratory_rate_score(rate: int) -> int:
    if rate <= 8:
        return 3
    if rate <= 11:
        return 1
    if rate <= 20:
        return 0
    if rate <= 24:
        return 2
    return 3


def spo2_scale1_score(spo2: int) -> int:
    if spo2 <= 91:
        return 3
    if spo2 <= 93:
        return 2
    if spo2 <= 95:
        return 1
    return 0


def spo2_scale2_score(spo2: int, on_oxygen: bool) -> int:
    """Scale 2: 88-92 scores 0; at 93 or more only oxygen scores (RULES N2)."""
    if spo2 <= 83:
        return 3
    if spo2 <= 85:
        return 2
    if spo2 <= 87:
        return 1
    if spo2 <= 92 or not on_oxygen:
        return 0
    if spo2 <= 94:
        return 1
    if spo2 <= 96:
        return 2
    return 3


def systolic_bp_score(sbp: int) -> int:
    if sbp <= 90:
        return 3
    if sbp <= 100:
        return 2
    if sbp <= 110:
        return 1
    if sbp <= 219:
        return 0
    return 3


def pulse_score(rate: int) -> int:
    if rate <= 40:
        return 3
    if rate <= 50:
        return 1
    if rate <= 90:
        return 0
    if rate <= 110:
        return 1
    if rate <= 130:
        return 2
    return 3


def temperature_score(celsius: float) -> int:
    """On the value rounded to 0.1 °C, like RULES C1; 38.0 scores 0 (RULES N3)."""
    t = int(celsius * 10.0 + 0.5 + 1e-7) if celsius >= 0 else tenths(celsius)
    if t <= 350:
        return 3
    if t <= 360:
        return 1
    if t <= 380:
        return 0
    if t <= 390:
        return 1
    return 2


def clinical_risk(total: int, any_three: bool) -> str:
    """RULES N3: >= 7 high; 5-6 medium; a single parameter scoring 3 low-medium; else low."""
    if total >= 7:
        return "high"
    if total >= 5:
        return "medium"
    if any_three:
        return "low-medium"
    return "low"


def score_news2(i: AssessmentInputs) -> tuple[News2Result | None, str | None]:
    """(result, None), or (None, reason) under 16 or with a parameter missing (never 0)."""
    age = i.age_years
    if age is None:
        return None, "NEWS2 not scored: age not recorded (NEWS2 is for age 16 and over, RULES N1)"
    if age < NEWS2_FROM_AGE:
        return None, (
            f"NEWS2 not scored: age {fmt_number(round(age, 1))} is under 16 (NEWS2 is for age "
            "16 and over, RULES N1)"
        )
    rr = i.respiratory_rate
    spo2 = i.spo2_percent
    device = i.oxygen_device
    sbp = i.systolic_bp
    hr = i.heart_rate
    acvpu = i.acvpu
    temp = i.temperature_c
    if rr is None or spo2 is None or device is None or sbp is None or hr is None or (
        acvpu is None or temp is None
    ):
        values = (rr, spo2, device, sbp, hr, acvpu, temp)
        absent = ", ".join(k for k, v in zip(_CHART_NAMES, values, strict=True) if v is None)
        return None, f"NEWS2 not scored: missing {absent} (a missing parameter is never scored 0)"

    on_oxygen = device is not OxygenDevice.NONE
    s_rr = _RR.get(rr)
    if s_rr is None:
        s_rr = respiratory_rate_score(rr)
    if i.spo2_scale == 2:
        s_spo2: int | None = spo2_scale2_score(spo2, on_oxygen)
    else:
        s_spo2 = _SPO2_1.get(spo2)
    if s_spo2 is None:
        s_spo2 = spo2_scale1_score(spo2)
    s_sbp = _SBP.get(sbp)
    if s_sbp is None:
        s_sbp = systolic_bp_score(sbp)
    s_hr = _PULSE.get(hr)
    if s_hr is None:
        s_hr = pulse_score(hr)
    s_temp = temperature_score(temp)
    s_air = 2 if on_oxygen else 0  # RULES N2
    s_acvpu = 0 if acvpu is Acvpu.ALERT else 3
    key = (s_rr, s_spo2, s_air, s_sbp, s_hr, s_acvpu, s_temp)
    result = _RESULTS.get(key)
    if result is None:
        result = _RESULTS[key] = _result(key)
    return result, None


def _result(scores: tuple[int, ...]) -> News2Result:
    total = sum(scores)
    subscores = MappingProxyType(dict(zip(SUBSCORE_KEYS, scores, strict=True)))
    return new_news2(total, clinical_risk(total, 3 in scores), subscores)


# The chart as lookup tables over the plausible range; values outside fall back to the
# functions above. Results are shared by their seven subscores (at most 4^7): they are
# immutable, subscores included.
_RR = {v: respiratory_rate_score(v) for v in range(0, 121)}
_SPO2_1 = {v: spo2_scale1_score(v) for v in range(0, 101)}
_SBP = {v: systolic_bp_score(v) for v in range(0, 351)}
_PULSE = {v: pulse_score(v) for v in range(0, 351)}
_RESULTS: dict[tuple[int, ...], News2Result] = {}
