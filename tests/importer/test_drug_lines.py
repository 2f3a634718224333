"""Drug lines in an import file follow the drug dialog: an unusual dose is stored only with
"override_reason" (and the message says so, not "confirm"), and an Other drug needs its
name ("drug_name"). On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from app.context import AppContext
from app.importer import import_lines
from db.models import Administration
from tests.importer.conftest import ADULT_NHS, NURSE


def drug_line(**values: Any) -> bytes:
    line = {"nhs_number": ADULT_NHS, "kind": "administration", "route": "oral",
            "given_at": "2026-03-10T19:40", **values}
    return (json.dumps(line) + "\n").encode()


def stored_drugs(ctx: AppContext) -> list[tuple[str, float, str | None]]:
    with ctx.database.read() as session:
        rows = session.scalars(select(Administration).order_by(Administration.id)).all()
        return [(r.drug, r.dose, r.override_reason) for r in rows]


def test_an_unusual_dose_says_to_add_override_reason_and_is_stored_with_one(
    ward_ctx: AppContext,
) -> None:
    summary = import_lines(ward_ctx, NURSE, drug_line(drug="paracetamol", dose=2000))
    ((_line, reason),) = summary.rejected
    assert '"override_reason": "<reason>"' in reason and '"confirm"' not in reason
    assert stored_drugs(ward_ctx) == []

    summary = import_lines(ward_ctx, NURSE, drug_line(
        drug="paracetamol", dose=2000, given_at="2026-03-10T19:41",
        override_reason="prescribed loading dose, checked with pharmacist"))
    assert summary.rejected == [] and summary.stored == 1
    assert stored_drugs(ward_ctx) == [
        ("paracetamol", 2000.0, "prescribed loading dose, checked with pharmacist")]


def test_an_other_drug_is_stored_under_its_name(ward_ctx: AppContext) -> None:
    summary = import_lines(ward_ctx, NURSE, drug_line(drug="other", dose=5, dose_unit="mg"))
    ((_line, reason),) = summary.rejected
    assert "name" in reason.lower()

    summary = import_lines(ward_ctx, NURSE, drug_line(
        drug="other", drug_name="ruxolitinib", dose=5, dose_unit="mg",
        given_at="2026-03-10T19:42"))
    assert summary.rejected == [] and summary.stored == 1
    assert [drug for drug, _dose, _reason in stored_drugs(ward_ctx)] == ["ruxolitinib"]
