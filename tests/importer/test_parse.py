"""Reading import lines (shape only; values are checked by the services like the form)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.importer import (
    AdministrationLine,
    AssessmentLine,
    ImportSummary,
    LineError,
    format_summary,
    idempotency_key,
    parse_line,
)

LONDON = ZoneInfo("Europe/London")
NHS = "9990000018"  # never issued, valid check digit


def test_an_assessment_line() -> None:
    line = parse_line(
        '{"nhs_number": "999 000 0018", "kind": "assessment", "assessed_at": "2026-03-10T14:05",'
        ' "temperature_c": "38,5", "confirm": {"temperature_c": " re-measured "}}',
        LONDON,
    )
    assert line == AssessmentLine(
        NHS,
        {"assessed_at": "2026-03-10T14:05", "temperature_c": "38,5"},
        {"temperature_c": "re-measured"},
        is_baseline=False,
    )


def test_an_administration_line_with_defaults() -> None:
    line = parse_line(
        f'{{"nhs_number": {NHS}, "kind": "administration", "drug": "tocilizumab",'
        ' "dose": "640", "given_at": "2026-07-01T14:05"}',
        LONDON,
    )
    assert line == AdministrationLine(
        NHS, "tocilizumab", 640.0, "mg", "IV", datetime(2026, 7, 1, 13, 5, tzinfo=UTC), None
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "one JSON object"),
        ("[" * 100_000, "not valid JSON"),
        ('{"kind": "obs"}', 'kind must be "assessment" or "administration"'),
        ('{"kind": "assessment", "nhs_number": "123"}', "has 3 digits"),
        ('{"kind": "assessment", "nhs_number": "9990000019"}', "fails its check digit"),
        ('{"kind": "assessment", "nhs_number": ["x"]}', "nhs_number must be"),
        (f'{{"kind": "assessment", "nhs_number": "{NHS}"}}', "assessed_at is missing"),
        (
            f'{{"kind": "assessment", "nhs_number": "{NHS}", "assessed_at": "x", "temp": 1}}',
            "unknown key 'temp'",
        ),
        (
            f'{{"kind": "assessment", "nhs_number": "{NHS}", "assessed_at": "x", "age_years": 9}}',
            "age_years is worked out by the app",
        ),
        (
            f'{{"kind": "assessment", "nhs_number": "{NHS}", "assessed_at": "x", "confirm": "y"}}',
            "confirm must be an object",
        ),
        (
            f'{{"kind": "assessment", "nhs_number": "{NHS}", "assessed_at": "x",'
            ' "confirm": {"heart_rate": ""}}',
            "confirm.heart_rate must be the reason",
        ),
        (
            f'{{"kind": "assessment", "nhs_number": "{NHS}", "assessed_at": "x", "baseline": 1}}',
            "baseline must be true or false",
        ),
        (
            f'{{"kind": "administration", "nhs_number": "{NHS}", "drug": "x", "dose": "lots",'
            ' "given_at": "2026-03-10T10:00"}',
            "dose is 'lots' is not a number",
        ),
        (
            f'{{"kind": "administration", "nhs_number": "{NHS}", "drug": "x", "dose": NaN,'
            ' "given_at": "2026-03-10T10:00"}',
            "dose is NaN is not a number",
        ),
        (
            f'{{"kind": "administration", "nhs_number": "{NHS}", "drug": "x", "dose": 1,'
            ' "given_at": "yesterday"}',
            "given_at: 'yesterday' is not a date and time",
        ),
        (
            f'{{"kind": "administration", "nhs_number": "{NHS}", "dose": 1,'
            ' "given_at": "2026-03-10T10:00"}',
            "drug is missing",
        ),
        (
            f'{{"kind": "administration", "nhs_number": "{NHS}", "drug": "x", "dose": 1,'
            ' "given_at": "2026-03-10T10:00", "temperature_c": 38}',
            "unknown key 'temperature_c' for an administration line",
        ),
    ],
)
def test_bad_lines_say_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(LineError) as caught:
        parse_line(text, LONDON)
    assert reason in str(caught.value)


def test_idempotency_key_depends_on_line_and_position_and_fits_the_column() -> None:
    key = idempotency_key(3, b'{"a": 1}')
    assert len(key) == 64 and key.startswith("import-")
    assert key == idempotency_key(3, b'{"a": 1}')
    assert key != idempotency_key(4, b'{"a": 1}')
    assert key != idempotency_key(3, b'{"a": 2}')


def test_format_summary_lists_rejected_lines_by_number() -> None:
    text = format_summary(
        ImportSummary(
            stored=2, rejected=[(3, "not valid JSON"), (7, "x")], total=5, already_stored=1
        )
    )
    assert text.splitlines() == [
        "5 lines read: 2 stored, 1 already imported earlier (not stored again), 2 rejected.",
        "Nothing from a rejected line was stored; fix these lines and import again:",
        "line 3: not valid JSON",
        "line 7: x",
    ]
    assert format_summary(ImportSummary(stored=1, total=1)) == "1 line read: 1 stored, 0 rejected."
