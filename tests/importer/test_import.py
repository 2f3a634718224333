"""End to end: import files through the real services, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.actor import Actor, Role
from app.context import AppContext
from app.importer import format_summary, import_jsonl, import_lines
from db.models import Administration, Assessment
from tests.importer.conftest import (
    ADULT_NHS,
    CHILD_NHS,
    NURSE,
    UNKNOWN_NHS,
    administrations,
    count,
    stored_assessments,
)

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "import-example.jsonl"
LATE = {"assessed_at": "entered from the paper chart"}


def assessment(nhs: str = ADULT_NHS, at: str = "2026-03-10T19:30", **values: Any) -> str:
    return json.dumps({"nhs_number": nhs, "kind": "assessment", "assessed_at": at, **values})


def jsonl(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_good_lines_are_stored_and_bad_lines_reported_by_number(ward_ctx: AppContext) -> None:
    data = jsonl(
        assessment(temperature_c=38.2, heart_rate=96),  # 1 good
        "{not json",  # 2
        json.dumps(
            {
                "nhs_number": CHILD_NHS,
                "kind": "administration",
                "drug": "paracetamol",
                "dose": 210,
                "route": "oral",
                "given_at": "2026-03-10T19:40",
            }
        ),  # 3 good
        assessment(temperature_c=52.0, heart_rate=80),  # 4 impossible
        assessment(nhs=UNKNOWN_NHS, temperature_c=37.0),  # 5 unknown patient
        "",  # 6 blank: skipped
        assessment(at="2026-03-10T19:45", heart_rate=190),  # 7 improbable, no reason
        assessment(
            at="2026-03-10T19:50", heart_rate=190, confirm={"heart_rate": "re-counted: 190"}
        ),  # 8 confirmed
        assessment(at="2026-03-10T19:55", temprature_c=38.0),  # 9 misspelt key
    )
    summary = import_lines(ward_ctx, NURSE, data)

    assert summary.total == 8
    assert summary.stored == 3
    assert [no for no, _ in summary.rejected] == [2, 4, 5, 7, 9]
    reasons = dict(summary.rejected)
    assert "not valid JSON" in reasons[2]
    assert "Temperature 52.0 °C is outside 25.0–45.0 °C" in reasons[4]
    assert "No patient with NHS number" in reasons[5]
    assert "Heart rate 190 /min is above 180" in reasons[7]
    assert '"confirm": {"heart_rate": "<reason>"}' in reasons[7]
    assert "temprature_c" in reasons[9]

    rows = stored_assessments(ward_ctx)
    assert [(r.temperature_c, r.heart_rate) for r in rows] == [(38.2, 96), (None, 190)]
    assert rows[1].confirmations == {"heart_rate": "re-counted: 190"}
    assert administrations(ward_ctx) == 1
    text = format_summary(summary)
    assert "8 lines read: 3 stored, 5 rejected." in text and "line 4: " in text


def test_reimporting_the_same_file_stores_nothing_twice(
    ward_ctx: AppContext, tmp_path: Path
) -> None:
    path = tmp_path / "night.jsonl"
    path.write_bytes(
        jsonl(
            assessment(temperature_c=38.0),
            assessment(at="2026-03-10T19:40", temperature_c=38.0),  # same values, new time
            json.dumps(
                {
                    "nhs_number": ADULT_NHS,
                    "kind": "administration",
                    "drug": "paracetamol",
                    "dose": 1000,
                    "route": "oral",
                    "given_at": "2026-03-10T19:45",
                }
            ),
            assessment(temperature_c=60),
        )
    )
    first = import_jsonl(ward_ctx, NURSE, path)
    assert (first.stored, len(first.rejected)) == (3, 1)

    again = import_jsonl(ward_ctx, NURSE, str(path))
    assert (again.stored, again.already_stored, len(again.rejected)) == (0, 3, 1)
    assert count(ward_ctx, Assessment) == 2
    assert count(ward_ctx, Administration) == 1
    assert "3 already imported earlier (not stored again)" in format_summary(again)


def test_a_corrected_line_is_stored_on_the_next_import(ward_ctx: AppContext) -> None:
    bad = jsonl(assessment(temperature_c=38.0), assessment(at="2026-03-10T19:45", heart_rate=190))
    assert import_lines(ward_ctx, NURSE, bad).stored == 1
    fixed = jsonl(
        assessment(temperature_c=38.0),
        assessment(at="2026-03-10T19:45", heart_rate=190, confirm={"heart_rate": "re-counted"}),
    )
    summary = import_lines(ward_ctx, NURSE, fixed)
    assert (summary.stored, summary.already_stored, summary.rejected) == (1, 1, [])
    assert count(ward_ctx, Assessment) == 2


def test_late_entries_need_a_reason_like_the_form(ward_ctx: AppContext) -> None:
    early = "2026-03-10T14:05"  # 6 h before the import
    summary = import_lines(ward_ctx, NURSE, jsonl(assessment(at=early, temperature_c=37.5)))
    assert "Late entry" in summary.rejected[0][1]
    summary = import_lines(
        ward_ctx, NURSE, jsonl(assessment(at=early, temperature_c=37.5, confirm=LATE))
    )
    assert summary.stored == 1
    assert stored_assessments(ward_ctx)[0].late_entry


def test_time_window_and_fahrenheit_rejections_name_the_line(ward_ctx: AppContext) -> None:
    summary = import_lines(
        ward_ctx,
        NURSE,
        jsonl(
            assessment(at="2026-03-07T10:00", temperature_c=37.0, confirm=LATE),
            assessment(at="2026-03-10T21:00", temperature_c=37.0),
            assessment(temperature_c="101.3"),
        ),
    )
    reasons = dict(summary.rejected)
    assert "before the infusion" in reasons[1]
    assert "in the future" in reasons[2]
    assert "use 38.5?" in reasons[3]
    assert count(ward_ctx, Assessment) == 0


def test_a_user_who_may_not_record_gets_each_line_refused(ward_ctx: AppContext) -> None:
    pharmacist = Actor(user_id=None, username="pharm.lee", role=Role.PHARMACIST)
    summary = import_lines(ward_ctx, pharmacist, jsonl(assessment(temperature_c=37.0)))
    assert summary.stored == 0 and summary.rejected[0][0] == 1
    assert "pharmacist" in summary.rejected[0][1].lower()
    assert count(ward_ctx, Assessment) == 0


def test_the_documented_example_file_imports_cleanly(ward_ctx: AppContext) -> None:
    summary = import_jsonl(ward_ctx, NURSE, EXAMPLE)
    assert summary.rejected == [], format_summary(summary)
    assert summary.stored == summary.total == 5
    child = [r for r in stored_assessments(ward_ctx) if r.capd_items]
    assert child and child[0].capd_total is not None


def test_a_file_with_windows_line_ends_and_a_bom(ward_ctx: AppContext) -> None:
    data = b"\xef\xbb\xbf" + assessment(temperature_c=37.1).encode() + b"\r\n\r\n"
    summary = import_lines(ward_ctx, NURSE, data)
    assert (summary.stored, summary.total, summary.rejected) == (1, 1, [])
