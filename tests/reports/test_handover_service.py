"""The handover built from a real ward through the services, as `python -m app handover`."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.actor import Actor, Role
from app.errors import PermissionDenied
from app.reports.handover import build_handover_pdf, write_handover
from app.services.ward import list_ward
from tests.reports.conftest import CRS1, CRS2, HAEM, ICANS2, NURSE, Ward

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def _text(data: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages]


def _small_ward(ward: Ward) -> dict[str, int]:
    base = NOW - timedelta(days=2, hours=1)
    ids = {
        "calm": ward.patient(family="Calm", infused_at=base, bed="1"),
        "crs": ward.patient(family="Fever", infused_at=base, bed="2"),
        "icans": ward.patient(family="Confused", infused_at=base, bed="5"),
    }
    for hours in (6, 18, 30, 42):
        at = base + timedelta(hours=hours)
        ward.obs(ids["calm"], at)
        ward.obs(ids["crs"], at, CRS1 if hours < 30 else CRS2)
        ward.obs(ids["icans"], at, ICANS2 if hours == 42 else None)
    ward.clock.set(NOW)
    return ids


def test_ward_sheet_lists_every_active_patient_critical_care_first(ward: Ward) -> None:
    _small_ward(ward)
    pages = _text(build_handover_pdf(ward.ctx, NURSE, ward=None, printed_by="Nurse Jones"))
    text = " ".join(pages)
    rows = list_ward(ward.ctx, NURSE)
    assert len(rows) == 3
    for row in rows:
        assert row.patient_name in text and row.nhs_number in text
        assert row.date_of_birth.strftime("%d %b %Y") in text
    assert text.index("CONFUSED") < text.index("CALM") < text.index("FEVER")
    assert "CRITICAL CARE DISCUSSION PENDING" in text
    assert "Printed Tue 10 Mar 2026 10:00 (Europe/London) by Nurse Jones" in text


def test_discussion_outcome_replaces_pending(ward: Ward) -> None:
    ids = _small_ward(ward)
    ward.discuss(ids["icans"], NOW - timedelta(minutes=30))
    ward.clock.set(NOW)
    text = " ".join(_text(build_handover_pdf(ward.ctx, NURSE, ward=None, printed_by="x")))
    assert "DISCUSSION PENDING" not in text
    assert "Critical care discussed 09:30 with Dr Reyes (ICU): stay on ward with plan" in text


def test_same_ward_same_clock_gives_identical_bytes_and_one_audit_each(ward: Ward) -> None:
    _small_ward(ward)
    before = ward.audit_actions()
    first = build_handover_pdf(ward.ctx, NURSE, ward="Haematology", printed_by="N")
    second = build_handover_pdf(ward.ctx, HAEM, ward="Haematology", printed_by="N")
    assert first == second
    assert ward.audit_actions()[len(before):] == ["print_handover", "print_handover"]


def test_pharmacist_may_not_print_and_nothing_is_audited(ward: Ward) -> None:
    pharmacist = Actor(user_id=None, username="pharm.lee", role=Role.PHARMACIST)
    before = ward.audit_actions()
    with pytest.raises(PermissionDenied):
        build_handover_pdf(ward.ctx, pharmacist, ward=None, printed_by="x")
    assert ward.audit_actions() == before


def test_write_handover_replaces_the_file_atomically(
    ward: Ward, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_ward(ward)
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "handover.pdf"
    target.write_bytes(b"yesterday's sheet")

    def broken_replace(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_handover(ward.ctx, NURSE, target)
    # A failed write leaves the old file whole and no temp file behind.
    assert target.read_bytes() == b"yesterday's sheet"
    assert [p.name for p in folder.iterdir()] == ["handover.pdf"]

    monkeypatch.undo()
    write_handover(ward.ctx, NURSE, target)
    assert target.read_bytes().startswith(b"%PDF")
    assert [p.name for p in folder.iterdir()] == ["handover.pdf"]
