"""`python -m grading` end to end in a subprocess (RULES §6)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from grading_cases import CASES_PATH, load_cases

from grading import RULES_VERSION

REPO = Path(__file__).resolve().parents[2]


def run_cli(stdin: bytes) -> tuple[int, list[dict[str, Any]], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "grading"], input=stdin, capture_output=True, cwd=REPO,
        timeout=120, check=False,
    )
    lines = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    return proc.returncode, lines, proc.stderr.decode("utf-8", "replace")


def test_cases_file_graded_as_is_with_every_expected_value() -> None:
    cases = load_cases()
    status, out, err = run_cli(CASES_PATH.read_bytes())
    assert status == 0, err
    assert err == ""
    assert [o["case_id"] for o in out] == [c["case_id"] for c in cases]  # in order
    for case, got in zip(cases, out, strict=True):
        exp = case["expected"]
        assert "error" not in got, got
        assert got["rules_version"] == RULES_VERSION
        assert set(got) >= {"case_id", "crs", "icans", "news2"}
        if "crs_grade" in exp:
            assert got["crs"]["grade"] == exp["crs_grade"], case["case_id"]
            assert got["crs"]["reasons"]
            assert isinstance(got["crs"]["notes"], list)
        if "icans_grade" in exp:
            assert got["icans"]["grade"] == exp["icans_grade"], case["case_id"]
            assert got["icans"]["tool"] in ("ICE", "CAPD")
            assert got["icans"]["missing"] == []
        if "capd_total" in exp:
            assert got["icans"]["capd_total"] == exp["capd_total"], case["case_id"]
        for key in ("total", "clinical_risk", "subscores"):
            if key in exp:
                assert got["news2"][key] == exp[key], case["case_id"]


def test_scales_without_inputs_are_null() -> None:
    line = {"case_id": "n", "age_years": 40, "ice_score": 10}
    status, out, _ = run_cli(json.dumps(line).encode())
    assert status == 0
    assert out[0]["crs"] is None
    assert out[0]["icans"]["grade"] == 0
    assert out[0]["news2"] is None
    assert "missing" in out[0]["news2_null_reason"]


def test_a_scale_is_graded_when_the_line_holds_any_of_its_keys() -> None:
    """RULES §6: null only when the line holds none of that scale's inputs; a key given as
    false is an input, and systolic_bp is a CRS key (C7)."""
    lines = [
        {"case_id": "sbp", "age_years": 5, "systolic_bp": 75},
        {"case_id": "waiver-false", "crs_previously_diagnosed": False},
        {"case_id": "loc-false", "loc_attributable_to_other_cause": False},
        {"case_id": "items", "ice_items": {"orientation": 4, "naming": 3,
                                           "following_commands": 1, "writing": 1,
                                           "attention": 1}},
    ]  # fmt: skip
    status, out, _ = run_cli("\n".join(json.dumps(x) for x in lines).encode())
    by_id = {o["case_id"]: o for o in out}
    assert by_id["sbp"]["crs"]["grade"] == 0
    assert "below 70 + 2 × age (5 y) = 80 mmHg" in by_id["sbp"]["crs"]["notes"][0]
    assert by_id["waiver-false"]["crs"]["grade"] == 0 and by_id["waiver-false"]["icans"] is None
    assert by_id["loc-false"]["icans"] is not None and by_id["loc-false"]["crs"] is None
    assert by_id["items"]["error"].startswith("line 4: ice_items: unknown key")
    assert status == 1


def test_bad_lines_give_error_objects_and_exit_1_but_the_run_goes_on() -> None:
    lines = [
        json.dumps({"case_id": "ok-1", "age_years": 50, "temperature_c": 38.3}),
        "",
        "{not json",
        json.dumps({"case_id": "bad-key", "age_years": 50, "temprature_c": 38.3}),
        json.dumps({"case_id": "bad-value", "heart_rate": 500}),
        json.dumps({"case_id": "bad-enum", "oxygen_device": "helmet"}),
        json.dumps([1, 2]),
        json.dumps({"case_id": "wrapped", "inputs": {"ice_score": 11, "age_years": 30}}),
        json.dumps({"case_id": "nan", "temperature_c": float("nan")}),
        "   ",
        json.dumps({"case_id": "ok-2", "age_years": 50, "ice_score": 6}),
    ]
    status, out, _ = run_cli(("\n".join(lines) + "\n").encode())
    assert status == 1
    assert len(out) == 9  # blank lines are skipped, every other line answered in order
    by_id = {o["case_id"]: o for o in out if o["case_id"] is not None}
    assert by_id["ok-1"]["crs"]["grade"] == 1
    assert by_id["ok-2"]["icans"]["grade"] == 2
    assert "line 3" in out[1]["error"] and "not valid JSON" in out[1]["error"]
    assert "temprature_c" in by_id["bad-key"]["error"]
    assert "unknown key" in by_id["bad-key"]["error"]
    assert "heart_rate" in by_id["bad-value"]["error"] and "500" in by_id["bad-value"]["error"]
    assert "'helmet'" in by_id["bad-enum"]["error"]
    assert "expected a JSON object" in out[5]["error"]
    assert "ice_score" in by_id["wrapped"]["error"]
    assert "temperature_c" in by_id["nan"]["error"]
    assert set(by_id["bad-key"]) == {"case_id", "error"}


def test_not_utf8_is_a_line_error() -> None:
    status, out, _ = run_cli(b'\xff\xfe{"age_years": 3}\n{"age_years": 40, "ice_score": 9}\n')
    assert status == 1
    assert "not UTF-8" in out[0]["error"]
    assert out[1]["icans"]["grade"] == 1


def test_empty_input_is_success() -> None:
    assert run_cli(b"") == (0, [], "")
