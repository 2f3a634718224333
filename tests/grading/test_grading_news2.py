"""NEWS2 (RULES N1-N3): the edges of every band of Chart 1, scale 2, risk, null reasons."""

from __future__ import annotations

from typing import Any

import pytest

from grading import AssessmentInputs, News2Result, score_news2
from grading.inputs import Acvpu
from grading.inputs import OxygenDevice as Dev

BASE: dict[str, Any] = {
    "age_years": 55.0, "respiratory_rate": 16, "spo2_percent": 97, "spo2_scale": 1,
    "oxygen_device": Dev.NONE, "systolic_bp": 125, "heart_rate": 80, "temperature_c": 37.0,
    "acvpu": Acvpu.ALERT,
}


def news2(**kw: Any) -> News2Result:
    result, why = score_news2(AssessmentInputs(**{**BASE, **kw}))
    assert result is not None, why
    assert why is None
    return result


@pytest.mark.parametrize(
    ("rate", "score"),
    [(2, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (60, 3)],
)
def test_respiratory_rate(rate: int, score: int) -> None:
    assert news2(respiratory_rate=rate).subscores["respiratory_rate"] == score


@pytest.mark.parametrize(
    ("spo2", "score"),
    [(40, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)],
)
def test_spo2_scale_1(spo2: int, score: int) -> None:
    assert news2(spo2_percent=spo2).subscores["spo2"] == score
    # scale 1 does not depend on oxygen
    assert news2(spo2_percent=spo2, oxygen_device=Dev.NASAL_CANNULA).subscores["spo2"] == score


@pytest.mark.parametrize(
    ("spo2", "on_air", "on_oxygen"),
    [(83, 3, 3), (84, 2, 2), (85, 2, 2), (86, 1, 1), (87, 1, 1), (88, 0, 0), (92, 0, 0),
     (93, 0, 1), (94, 0, 1), (95, 0, 2), (96, 0, 2), (97, 0, 3), (100, 0, 3)],
)
def test_spo2_scale_2(spo2: int, on_air: int, on_oxygen: int) -> None:
    assert news2(spo2_percent=spo2, spo2_scale=2).subscores["spo2"] == on_air
    assert news2(
        spo2_percent=spo2, spo2_scale=2, oxygen_device=Dev.VENTURI_MASK
    ).subscores["spo2"] == on_oxygen


@pytest.mark.parametrize("device", list(Dev))
def test_any_device_but_room_air_scores_2(device: Dev) -> None:
    expected = 0 if device is Dev.NONE else 2
    assert news2(oxygen_device=device).subscores["air_or_oxygen"] == expected


@pytest.mark.parametrize(
    ("sbp", "score"),
    [(30, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3)],
)
def test_systolic_bp(sbp: int, score: int) -> None:
    assert news2(systolic_bp=sbp).subscores["systolic_bp"] == score


@pytest.mark.parametrize(
    ("pulse", "score"),
    [(10, 3), (40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2),
     (130, 2), (131, 3), (250, 3)],
)
def test_pulse(pulse: int, score: int) -> None:
    assert news2(heart_rate=pulse).subscores["pulse"] == score


@pytest.mark.parametrize(
    ("acvpu", "score"),
    [(Acvpu.ALERT, 0), (Acvpu.NEW_CONFUSION, 3), (Acvpu.VOICE, 3), (Acvpu.PAIN, 3),
     (Acvpu.UNRESPONSIVE, 3)],
)
def test_consciousness(acvpu: Acvpu, score: int) -> None:
    assert news2(acvpu=acvpu).subscores["consciousness"] == score


@pytest.mark.parametrize(
    ("temp", "score"),
    [(30.0, 3), (35.0, 3), (35.04, 3), (35.05, 1), (35.1, 1), (36.0, 1), (36.1, 0),
     (38.0, 0), (38.04, 0), (38.05, 1), (38.1, 1), (39.0, 1), (39.1, 2), (42.0, 2)],
)
def test_temperature(temp: float, score: int) -> None:
    assert news2(temperature_c=temp).subscores["temperature"] == score


def test_subscore_keys_exactly() -> None:
    assert list(news2().subscores) == [
        "respiratory_rate", "spo2", "air_or_oxygen", "systolic_bp", "pulse", "consciousness",
        "temperature",
    ]


@pytest.mark.parametrize(
    ("changes", "total", "risk"),
    [
        ({}, 0, "low"),
        ({"heart_rate": 95}, 1, "low"),
        ({"respiratory_rate": 22, "heart_rate": 112}, 4, "low"),
        ({"systolic_bp": 90}, 3, "low-medium"),
        ({"oxygen_device": Dev.NASAL_CANNULA, "spo2_percent": 95}, 3, "low"),  # +2 O2 not red
        ({"respiratory_rate": 21, "heart_rate": 95, "systolic_bp": 108, "temperature_c": 38.5},
         5, "medium"),
        ({"systolic_bp": 90, "heart_rate": 95, "temperature_c": 38.5}, 5, "medium"),
        ({"respiratory_rate": 22, "systolic_bp": 95, "heart_rate": 118}, 6, "medium"),
        ({"respiratory_rate": 25, "systolic_bp": 95, "heart_rate": 118}, 7, "high"),
        ({"respiratory_rate": 8, "spo2_percent": 85, "oxygen_device": Dev.CPAP,
          "systolic_bp": 80, "heart_rate": 140, "acvpu": Acvpu.PAIN, "temperature_c": 34.0},
         20, "high"),
    ],
)
def test_total_and_risk_band_edges(changes: dict[str, Any], total: int, risk: str) -> None:
    r = news2(**changes)
    assert (r.total, r.clinical_risk) == (total, risk)
    assert r.total == sum(r.subscores.values())


@pytest.mark.parametrize(("age", "scored"), [(15.9, False), (16.0, True), (3.0, False)])
def test_age_16_and_over_only(age: float, scored: bool) -> None:
    result, why = score_news2(AssessmentInputs(**{**BASE, "age_years": age}))
    assert (result is not None) is scored
    if not scored:
        assert why is not None and "under 16" in why


def test_no_age_is_null_with_reason() -> None:
    result, why = score_news2(AssessmentInputs(**{**BASE, "age_years": None}))
    assert result is None
    assert why is not None and "age not recorded" in why


@pytest.mark.parametrize(
    ("key", "name"),
    [("respiratory_rate", "respiratory rate"), ("spo2_percent", "SpO2"),
     ("oxygen_device", "air or oxygen"), ("systolic_bp", "systolic BP"),
     ("heart_rate", "heart rate"), ("acvpu", "ACVPU"), ("temperature_c", "temperature")],
)
def test_missing_parameter_is_null_naming_it(key: str, name: str) -> None:
    result, why = score_news2(AssessmentInputs(**{**BASE, key: None}))
    assert result is None
    assert why is not None and f"missing {name} (" in why and "never scored 0" in why


def test_subscores_are_read_only() -> None:
    r = news2()
    with pytest.raises(TypeError):
        r.subscores["pulse"] = 3  # type: ignore[index]
