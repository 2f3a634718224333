"""`python -m grading`: JSON Lines in, one JSON line out per input, in order (RULES §6)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

from .assessment import grade_assessment, to_json
from .errors import InputError
from .parse import CRS_KEYS, ICANS_KEYS, holds_scale_inputs, parse_inputs


def grade_line(text: str, line_no: int) -> tuple[dict[str, Any], bool]:
    """(output object, ok) for one non-blank input line.

    A cases.jsonl line (an object with `inputs`) is graded as is: its `inputs` object,
    its `case_id`; `expected`, `justification` and the rest are ignored.
    """
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return {"case_id": None, "error": f"line {line_no}: not valid JSON ({exc})"}, False
    if not isinstance(obj, dict):
        return {"case_id": None, "error": f"line {line_no}: expected a JSON object"}, False
    inputs = obj.get("inputs", obj) if "inputs" in obj else obj
    case_id = obj.get("case_id")
    if case_id is None and isinstance(inputs, dict):
        case_id = inputs.get("case_id")
    if not isinstance(inputs, dict):
        return {"case_id": case_id, "error": f"line {line_no}: inputs: expected an object"}, False
    try:
        result = grade_assessment(
            parse_inputs(inputs),
            crs_present=holds_scale_inputs(inputs, CRS_KEYS),
            icans_present=holds_scale_inputs(inputs, ICANS_KEYS),
        )
    except InputError as exc:
        return {"case_id": case_id, "error": f"line {line_no}: {exc}"}, False
    return to_json(result, case_id), True


def run(lines: Iterable[bytes], out: IO[bytes]) -> int:
    """Grade every line; 1 if any line failed, else 0. Blank lines are skipped."""
    status = 0
    for line_no, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            reply: dict[str, Any] = {
                "case_id": None, "error": f"line {line_no}: not UTF-8 ({exc.reason})",
            }
            ok = False
        else:
            if not text.strip():
                continue
            reply, ok = grade_line(text, line_no)
        if not ok:
            status = 1
        out.write(json.dumps(reply, ensure_ascii=False).encode("utf-8") + b"\n")
        out.flush()
    return status
