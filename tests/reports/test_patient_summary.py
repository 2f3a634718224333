"""One patient's course summary from the real services, read back from the PDF text."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from app.actor import Actor, Role
from app.errors import PermissionDenied
from app.reports.patient_summary import build_patient_summary_pdf
from app.reports.pdf_common import PATIENT_ID_NOTICE
from app.services.ward import episode_header
from tests.reports.conftest import CRS1, CRS2, ICANS2, NURSE, Ward


def _pages(data: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture
def course(ward: Ward) -> int:
    infused = datetime(2026, 2, 20, 9, 0, tzinfo=UTC)
    e = ward.patient(family="Course", infused_at=infused, bed="7")
    for day in range(0, 18):
        for hour in (10, 20):
            at = infused.replace(hour=hour) + timedelta(days=day)
            change: dict[str, Any] | None = CRS1 if day in (1, 2) else CRS2 if day == 3 else None
            if day == 4 and hour == 10:
                change = ICANS2
            ward.obs(e, at, change)
    ward.drug(e, infused.replace(hour=12) + timedelta(days=3), "tocilizumab", 560)
    ward.discuss(e, infused.replace(hour=11) + timedelta(days=4))
    ward.clock.set(datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    return e


def test_identity_on_every_page_and_the_course_in_words(ward: Ward, course: int) -> None:
    data = build_patient_summary_pdf(ward.ctx, NURSE, course)
    pages = _pages(data)
    header = episode_header(ward.ctx, NURSE, course)
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert header.name in text
        assert f"NHS {header.nhs_number}" in text
        assert f"DOB {header.date_of_birth:%d %b %Y}" in text
        assert PATIENT_ID_NOTICE in text and f"Page {number} of {len(pages)}" in text
    text = " ".join(pages)
    # CRS: onset day 1, maximum 2 on day 3, resolved day 4 (first all-zero day).
    assert "CRS yes D+1 (21 Feb 2026) grade 2 on D+3 (23 Feb 2026) D+4 (24 Feb 2026)" in text
    assert "ICANS yes D+4 (24 Feb 2026)" in text
    assert "Tocilizumab doses: 1" in text
    assert "Temperature (°C)" in text and "38.0 °C fever" in text
    assert "tocilizumab (tocilizumab)" in text
    assert "with Dr Reyes (ICU): stay on ward with plan" in text


def test_summary_is_deterministic_and_audited_once_per_print(ward: Ward, course: int) -> None:
    before = ward.audit_actions()
    first = build_patient_summary_pdf(ward.ctx, NURSE, course)
    assert build_patient_summary_pdf(ward.ctx, NURSE, course) == first
    assert ward.audit_actions()[len(before):] == ["print_patient_summary"] * 2


def test_admin_may_not_print_a_patient_summary(ward: Ward, course: int) -> None:
    admin = Actor(user_id=None, username="admin.ray", role=Role.ADMIN)
    with pytest.raises(PermissionDenied):
        build_patient_summary_pdf(ward.ctx, admin, course)
