"""Fuzzed import files (SAFETY.md: 0 crashes, 0 impossible values stored).

Runs on one SQLite ward shared by all examples; each example imports a small file of
random lines (random JSON, text, bytes, NaN, huge numbers, plausible and implausible
readings) and checks every row it stored.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.context import AppContext
from app.importer import import_lines
from app.validation import KNOWN_FIELDS, limit_for
from app.validation.limits import FAHRENHEIT_HIGH, FAHRENHEIT_LOW
from app.validation.observation import NUMERIC_FIELDS
from db.models import Administration, Assessment
from tests.importer.conftest import ADULT_NHS, CHILD_NHS, INFUSED_AT, NOW, NURSE, UNKNOWN_NHS
from tests.validation.test_fuzz import anything, field_value

CONFIRM_ALL = dict.fromkeys((*KNOWN_FIELDS, "assessed_at", "duplicate"), "checked")

plausible_time = st.builds(
    lambda minute: f"2026-03-10T19:{minute:02d}", st.integers(min_value=0, max_value=59)
)
any_time = st.one_of(plausible_time, st.text(max_size=25), anything)


def _near(name: str) -> st.SearchStrategy[Any]:
    """Readings around the adult limits (both sides), as numbers or typed text."""
    limit = limit_for(name, 40.0)
    assert limit.reject_low is not None and limit.reject_high is not None
    span = limit.reject_high - limit.reject_low
    low, high = limit.reject_low - span * 0.1, limit.reject_high + span * 0.1
    number = (
        st.integers(math.floor(low), math.ceil(high))
        if limit.integer
        else st.floats(low, high).map(lambda x: round(x, 1))
    )
    return st.one_of(number, number, number.map(lambda x: str(x).replace(".", ",")))


plausible = {
    **field_value,
    **{name: st.one_of(_near(name), _near(name), field_value[name]) for name in NUMERIC_FIELDS},
}
observation = st.lists(st.sampled_from(sorted(plausible)), max_size=5, unique=True).flatmap(
    lambda names: st.fixed_dictionaries({name: plausible[name] for name in names})
)
assessment_obj = st.builds(
    lambda nhs, at, values, confirm, extra: {
        "nhs_number": nhs, "kind": "assessment", "assessed_at": at, **values, **confirm, **extra
    },
    st.sampled_from([ADULT_NHS] * 4 + [CHILD_NHS] * 4 + [UNKNOWN_NHS, "123", 9990000018]),
    st.one_of(plausible_time, plausible_time, plausible_time, any_time),
    observation,
    st.sampled_from([{}, {"confirm": CONFIRM_ALL}, {"confirm": CONFIRM_ALL}]),
    st.one_of(
        st.just({}), st.just({}), st.just({}),
        st.dictionaries(st.sampled_from(["baseline", "age_years", "bogus", "confirm"]),
                        anything, max_size=1),
    ),
)  # fmt: skip
administration_obj = st.fixed_dictionaries(
    {"nhs_number": st.sampled_from([ADULT_NHS, CHILD_NHS]), "kind": st.just("administration")},
    optional={
        "drug": st.sampled_from(["paracetamol", "tocilizumab", "dexamethasone", "beer"]) | anything,
        "dose": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(), anything),
        "dose_unit": st.sampled_from(["mg", "g", "mL"]) | anything,
        "route": st.sampled_from(["IV", "oral"]) | anything,
        "given_at": any_time,
        "override_reason": st.sampled_from(["checked", ""]) | anything,
    },
)


def _dumps(obj: Any) -> str:
    try:
        return json.dumps(obj, allow_nan=True)
    except (ValueError, TypeError):  # e.g. a Decimal or a huge int: write it as text
        return json.dumps(str(obj))


line = st.one_of(
    assessment_obj.map(_dumps),
    assessment_obj.map(_dumps),
    assessment_obj.map(_dumps),
    administration_obj.map(_dumps),
    anything.map(_dumps),
    st.text(max_size=60),
    st.sampled_from(
        ['{"kind": "assessment", "temperature_c": NaN}', "[" * 5000, '{"a": 1e999}', "null"]
    ),
)
lines_file = st.lists(
    st.one_of(line.map(lambda s: s.encode("utf-8", "surrogatepass")), st.binary(max_size=40)),
    min_size=1,
    max_size=4,
).map(b"\n".join)


def assert_possible(row: Assessment) -> None:
    assert row.age_years is not None
    for name in NUMERIC_FIELDS:
        value = getattr(row, name)
        if value is None:
            continue
        limit = limit_for(name, row.age_years)
        assert math.isfinite(value)
        assert limit.reject_low is not None and limit.reject_high is not None
        assert limit.reject_low <= value <= limit.reject_high, (name, value)
        if name == "temperature_c":
            assert not FAHRENHEIT_LOW <= value <= FAHRENHEIT_HIGH
    if row.systolic_bp is not None and row.diastolic_bp is not None:
        assert row.systolic_bp > row.diastolic_bp
    if row.oxygen_device == "none" and row.oxygen_flow_l_min is not None:
        assert row.oxygen_flow_l_min == 0
    assert INFUSED_AT <= row.assessed_at <= NOW


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=lines_file)
def test_fuzzed_import_never_crashes_nor_stores_the_impossible(
    sqlite_ward: AppContext, data: bytes
) -> None:
    with sqlite_ward.database.read() as s:
        last_id = s.execute(select(Assessment.id).order_by(Assessment.id.desc())).scalar() or 0

    summary = import_lines(sqlite_ward, NURSE, data)

    assert summary.stored + summary.already_stored + len(summary.rejected) == summary.total
    for line_no, reason in summary.rejected:
        assert line_no >= 1 and reason
        assert "unexpected error" not in reason, reason
    with sqlite_ward.database.read() as s:
        new_rows = list(s.execute(select(Assessment).where(Assessment.id > last_id)).scalars())
        for dose in s.execute(select(Administration.dose)).scalars():
            assert math.isfinite(dose) and dose > 0
    for row in new_rows:
        assert_possible(row)
