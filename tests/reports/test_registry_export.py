"""Registry CSV rows against courses worked out by hand (dates are ward-local, ISO 8601)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.errors import PermissionDenied
from app.reports.registry_export import COLUMNS, export_registry_csv
from app.services import patients
from tests.reports.conftest import CRS1, CRS2, HAEM, ICANS2, ICANS3, NURSE, Ward
from tests.reports.rows_factory import nhs_number

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def _day(infused: datetime, day: int, hour: int = 10) -> datetime:
    return infused.replace(hour=hour, minute=0) + timedelta(days=day)


def _build(ward: Ward) -> dict[str, int]:
    # A: CRS 1 (day 1), 2 (day 2, tocilizumab + dexamethasone), 0 (day 3: resolved),
    #    recurs day 5, resolved again day 6. Day 28 passed, no death: alive.
    a_inf = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    a = ward.patient(family="Recur", infused_at=a_inf, sex="male")
    ward.obs(a, _day(a_inf, 0))
    ward.obs(a, _day(a_inf, 1), CRS1)
    ward.obs(a, _day(a_inf, 2), CRS2)
    ward.drug(a, _day(a_inf, 2, 11), "tocilizumab", 560)
    ward.drug(a, _day(a_inf, 2, 12), "dexamethasone", 10)
    ward.obs(a, _day(a_inf, 3))
    ward.obs(a, _day(a_inf, 5), CRS1)
    ward.obs(a, _day(a_inf, 6))
    # B: ICANS 2 on day 1, 3 on day 2, ICU the same day, died of infection on day 3 with
    #    ICANS never resolved.
    b_inf = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    b = ward.patient(family="Unresolved", infused_at=b_inf)
    ward.obs(b, _day(b_inf, 1), ICANS2)
    ward.obs(b, _day(b_inf, 2), ICANS3)
    ward.clock.set(_day(b_inf, 2, 13))
    patients.record_icu_transfer(ward.ctx, NURSE, b, at=_day(b_inf, 2, 12),
                                 expected_version=ward.episode_version(b))
    ward.clock.set(_day(b_inf, 3, 9))
    patients.record_death(ward.ctx, HAEM, b, at=_day(b_inf, 3, 8), cause="infection",
                          expected_version=ward.episode_version(b))
    # C: day 5 today, nothing happened yet: day-28 survival not yet known.
    c_inf = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    c = ward.patient(family="Early", infused_at=c_inf)
    ward.obs(c, _day(c_inf, 1))
    ward.clock.set(NOW)
    return {"a": a, "b": b, "c": c}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_rows_match_hand_worked_courses(ward: Ward, tmp_path: Path) -> None:
    ids = _build(ward)
    out = tmp_path / "registry.csv"
    assert export_registry_csv(ward.ctx, HAEM, out) == 3
    rows = {int(r["episode_id"]): r for r in _read(out)}
    a, b, c = rows[ids["a"]], rows[ids["b"]], rows[ids["c"]]
    assert list(a) == [col.name for col in COLUMNS]
    assert a["nhs_number"] == nhs_number(1) and a["hospital_number"] == "H0001"
    assert (a["date_of_birth"], a["sex"]) == ("1960-05-01", "male")
    assert a["product_code"] == "axicabtagene_ciloleucel"
    assert a["infusion_date"] == "2026-02-01"
    assert {k: a[k] for k in a if k.startswith("crs_")} == {
        "crs_occurred": "yes", "crs_onset_date": "2026-02-02", "crs_max_grade": "2",
        "crs_max_grade_date": "2026-02-03", "crs_resolution_date": "2026-02-07",
        "crs_unresolved": "no", "crs_episodes": "2",
    }
    assert (a["icans_occurred"], a["icans_max_grade"], a["icans_onset_date"]) == ("no", "", "")
    assert (a["tocilizumab_doses"], a["corticosteroids_given"], a["corticosteroid_doses"]) == (
        "1", "yes", "1")
    assert (a["icu_transfer"], a["icu_transfer_date"]) == ("no", "")
    assert (a["alive_day_28"], a["date_of_death"], a["death_cause"]) == ("yes", "", "")

    assert {k: b[k] for k in b if k.startswith("icans_")} == {
        "icans_occurred": "yes", "icans_onset_date": "2026-03-02", "icans_max_grade": "3",
        "icans_max_grade_date": "2026-03-03", "icans_resolution_date": "",
        "icans_unresolved": "yes", "icans_episodes": "1",
    }
    assert (b["crs_occurred"], b["tocilizumab_doses"], b["corticosteroids_given"]) == (
        "no", "0", "no")
    assert (b["icu_transfer"], b["icu_transfer_date"]) == ("yes", "2026-03-03")
    assert (b["alive_day_28"], b["date_of_death"], b["death_cause"]) == (
        "no", "2026-03-04", "infection")

    assert (c["alive_day_28"], c["crs_occurred"], c["icans_occurred"]) == ("unknown", "no", "no")


def test_nurse_may_not_export_and_no_file_is_written(ward: Ward, tmp_path: Path) -> None:
    _build(ward)
    before = ward.audit_actions()
    out = tmp_path / "registry.csv"
    with pytest.raises(PermissionDenied, match="identifiable registry export"):
        export_registry_csv(ward.ctx, NURSE, out)
    assert not out.exists()
    assert ward.audit_actions() == before


def test_each_export_is_audited_once(ward: Ward, tmp_path: Path) -> None:
    _build(ward)
    before = ward.audit_actions()
    export_registry_csv(ward.ctx, HAEM, tmp_path / "one.csv")
    export_registry_csv(ward.ctx, HAEM, tmp_path / "two.csv")
    assert ward.audit_actions()[len(before):] == ["export_registry", "export_registry"]
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()


def test_registry_csv_bytes_are_refused_to_a_nurse_too(ctx) -> None:  # type: ignore[no-untyped-def]
    """The in-memory export (used by the GUI) checks the permission, not only the file writer."""
    from app.actor import Actor, Role
    from app.errors import PermissionDenied
    from app.reports.registry_export import registry_csv

    nurse = Actor(user_id=None, username="n.nurse", role=Role.NURSE, workstation="t")
    with pytest.raises(PermissionDenied, match="nurse"):
        registry_csv(ctx, nurse)
