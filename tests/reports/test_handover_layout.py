"""The handover sheet as the next shift reads it: text extracted from the real PDF bytes."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader

from app.reports.handover import PENDING_TEXT, HandoverPatient, layout_handover
from app.reports.pdf_common import PATIENT_ID_NOTICE
from tests.reports.rows_factory import NOW, Toci, alert, ward_row


def _pages(data: bytes) -> list[str]:
    """Each page's text with line breaks folded to spaces (cells wrap where they like)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def _sheet(patients: list[HandoverPatient]) -> bytes:
    return layout_handover(
        patients, ward_label="Haematology", printed_at=NOW, printed_by="Nurse Jones (nurse)"
    )


def _ward(n: int, critical: tuple[int, ...] = ()) -> list[HandoverPatient]:
    return [
        HandoverPatient(ward_row(i, open_alerts=(alert(i),) if i in critical else ()))
        for i in range(1, n + 1)
    ]


def test_every_patient_with_identifiers_and_critical_care_first() -> None:
    patients = _ward(8, critical=(6,))
    pages = _pages(_sheet(patients))
    text = "\n".join(pages)
    for p in patients:
        row = p.row
        assert row.patient_name in text
        assert row.nhs_number in text  # formatted 999 000 1234
        assert row.date_of_birth.strftime("%d %b %Y") in text
    # The critical-care patient is listed before bed 1 and carries the words, not a colour.
    assert text.index("PATIENT06") < text.index("PATIENT01")
    assert PENDING_TEXT.split()[0] in text and "DISCUSSION PENDING" in text
    assert "1 CRITICAL CARE DISCUSSION PENDING" in pages[0]


def test_forty_patients_span_pages_each_with_header_footer_and_whole_rows() -> None:
    few = _pages(_sheet(_ward(5)))
    many = _pages(_sheet(_ward(40, critical=(33, 12))))
    assert len(few) == 1
    assert len(many) >= 4  # about ten rows a page on A4 landscape
    for number, text in enumerate(many, start=1):
        assert f"Page {number} of {len(many)}" in text
        assert PATIENT_ID_NOTICE in text
        assert "Ward handover — Haematology" in text
        assert "Nurse Jones (nurse)" in text
    seen = []
    for text in many:
        names = sorted(
            (f"PATIENT{i:02d}" for i in range(1, 41) if f"PATIENT{i:02d}" in text), key=text.index
        )
        assert names, "every page lists patients"
        for name in names:
            index = int(name[-2:])
            row = ward_row(index)
            # A row is never split: its NHS number and DOB are on the same page as the name.
            assert row.nhs_number in text
            assert row.date_of_birth.strftime("%d %b %Y") in text
        seen += names
    assert sorted(seen) == sorted(f"PATIENT{i:02d}" for i in range(1, 41))
    assert seen[:2] == ["PATIENT12", "PATIENT33"]  # both critical-care rows lead, by bed


def test_same_rows_give_identical_bytes() -> None:
    patients = _ward(12, critical=(3,))
    assert _sheet(patients) == _sheet(list(reversed(patients)))


def test_overdue_tocilizumab_and_discussion_outcome_in_words() -> None:
    discussed = alert(
        2,
        discussion_clinician="Dr Reyes",
        discussion_at=NOW - timedelta(minutes=20),
        discussion_outcome="stay_with_plan",
        discussion_detail="hourly neuro obs",
    )
    patients = [
        HandoverPatient(
            ward_row(
                1,
                overdue=True,
                tocilizumab=Toci(
                    state="short",
                    doses_given=2,
                    doses_reserved=0,
                    last_dose_at=NOW - timedelta(hours=3),
                    resupply_due_at=NOW + timedelta(hours=5),
                    text="no dose reserved for the next 8 h",
                ),
            )
        ),
        HandoverPatient(ward_row(2, open_alerts=(discussed,))),
    ]
    text = "\n".join(_pages(_sheet(patients)))
    assert "OVERDUE" in text
    assert "given 2" in text and "reserved 0" in text and "resupply by 19:30" in text
    assert "SHORT" in text
    assert "Critical care discussed 14:10 with Dr Reyes: stay on ward with plan" in text
    assert "DISCUSSION PENDING" not in text


def test_long_nursing_note_is_cut_with_a_visible_marker() -> None:
    note = "Word " * 400
    text = "\n".join(_pages(_sheet([HandoverPatient(ward_row(1, nursing_note=note))])))
    assert "[note continues in the record]" in text


def test_empty_ward_prints_a_sentence_not_an_empty_table() -> None:
    text = "\n".join(_pages(_sheet([])))
    assert "No active patients on Haematology." in text
    assert "Page 1 of 1" in text


def _lines(data: bytes) -> list[str]:
    """Every printed line of the sheet, as extracted (a word cut by the layout shows as
    its two halves on separate lines)."""
    return [line.strip() for page in PdfReader(io.BytesIO(data)).pages
            for line in page.extract_text().splitlines()]


def test_bed_and_news2_band_are_never_cut_inside_a_word() -> None:
    """A bed read as "ICU-" / "2" or a band as "low-med" / "ium" is misread at handover."""
    patients = [
        HandoverPatient(ward_row(1, bed="ICU-2", news2_risk="low-medium")),
        HandoverPatient(ward_row(2, bed="SR-12", news2_risk="medium")),
    ]
    lines = _lines(_sheet(patients))
    words = {word for line in lines for word in line.split()}
    assert {"ICU-2", "SR-12", "low-medium"} <= words
    assert "ICU-" not in words and "low-" not in words
