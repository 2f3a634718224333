"""`python -m app ...` end to end, in subprocesses, as a script or a cron job would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

PASSWORD = "correct-horse-battery"


def run_app(
    url: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "app", "--database", url, *args],
        capture_output=True, text=True, env=full_env, timeout=240, check=False,
    )  # fmt: skip


@pytest.fixture
def ward_url(tmp_path: Path) -> str:
    """A migrated SQLite ward with an admin, a nurse and one infused patient (day 1)."""
    from app.actor import SYSTEM_ACTOR
    from app.context import AppContext
    from app.services import patients, tocilizumab
    from db.migrate import open_database

    url = f"sqlite:///{tmp_path / 'ward.sqlite3'}"
    for user, role in (("admin", "admin"), ("nurse", "nurse")):
        done = run_app(url, "user", "add", user, "--role", role,
                       env={"CARWARD_NEW_PASSWORD": PASSWORD})  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"Created {role} account" in done.stdout
    ctx = AppContext(database=open_database(url))
    p = patients.register_patient(ctx, SYSTEM_ACTOR, nhs_number="9990000018",
                                  hospital_number=None, family_name="Hughes",
                                  given_name="Margaret", date_of_birth=datetime(1962, 5, 1).date(),
                                  sex="female")  # fmt: skip
    e = patients.register_episode(ctx, SYSTEM_ACTOR, p.id, product_code="axicabtagene_ciloleucel",
                                  planned_infusion_date=None, weight_kg=70, consultant="Dr Shah",
                                  ward="Haematology", bed="A1")  # fmt: skip
    tocilizumab.record_infusion(ctx, SYSTEM_ACTOR, e.id,
                                infused_at=datetime.now(UTC) - timedelta(days=1),
                                override_reason="test ward: no stock")  # fmt: skip
    ctx.database.dispose()
    return url


def test_import_attributes_lines_to_the_signed_in_nurse_and_reports_bad_lines(
    ward_url: str, tmp_path: Path
) -> None:
    at = (datetime.now(UTC) - timedelta(minutes=30)).isoformat(timespec="minutes")
    good = {"nhs_number": "999 000 0018", "kind": "assessment", "assessed_at": at,
            "temperature_c": 38.6, "heart_rate": 104, "systolic_bp": 112, "respiratory_rate": 18,
            "spo2_percent": 97, "oxygen_device": "none", "acvpu": "alert"}  # fmt: skip
    bad = {**good, "temperature_c": 52.0}
    file = tmp_path / "charts.jsonl"
    file.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")

    done = run_app(ward_url, "import", str(file), "--user", "nurse",
                   env={"CARWARD_PASSWORD": PASSWORD})  # fmt: skip

    assert done.returncode == 1, "a rejected line makes the exit status 1"
    assert "line 2" in done.stdout and "52.0" in done.stdout
    from app.context import AppContext
    from db.migrate import open_database
    from db.models import Assessment

    ctx = AppContext(database=open_database(ward_url))
    with ctx.database.read() as session:
        rows = session.query(Assessment).all()
    assert [(r.entered_by, r.crs_grade) for r in rows] == [("nurse", 1)]


def test_import_refuses_a_wrong_password_and_stores_nothing(ward_url: str, tmp_path: Path) -> None:
    file = tmp_path / "charts.jsonl"
    file.write_text("{}\n", encoding="utf-8")
    done = run_app(ward_url, "import", str(file), "--user", "nurse",
                   env={"CARWARD_PASSWORD": "wrong-password!"})  # fmt: skip
    assert done.returncode == 2
    assert "error:" in done.stderr
    assert "Traceback" not in done.stderr


def test_import_of_a_missing_file_says_so(ward_url: str, tmp_path: Path) -> None:
    done = run_app(ward_url, "import", str(tmp_path / "nope.jsonl"), "--user", "nurse",
                   env={"CARWARD_PASSWORD": PASSWORD})  # fmt: skip
    assert done.returncode == 2
    assert "no such file" in done.stderr


def test_handover_summary_and_export_write_files(ward_url: str, tmp_path: Path) -> None:
    pdf = tmp_path / "handover.pdf"
    done = run_app(ward_url, "handover", "--out", str(pdf))
    assert done.returncode == 0, done.stderr
    assert pdf.read_bytes().startswith(b"%PDF")

    summary = tmp_path / "summary.pdf"
    done = run_app(ward_url, "summary", "--patient", "999 000 0018", "--out", str(summary))
    assert done.returncode == 0, done.stderr
    assert summary.read_bytes().startswith(b"%PDF")

    csv_file = tmp_path / "registry.csv"
    done = run_app(ward_url, "export", "--out", str(csv_file))
    assert done.returncode == 0, done.stderr
    assert "1 episodes written" in done.stdout
    assert "axicabtagene_ciloleucel" in csv_file.read_text(encoding="utf-8")


def test_unknown_patient_for_summary_is_a_clear_error(ward_url: str, tmp_path: Path) -> None:
    done = run_app(ward_url, "summary", "--patient", "999 000 0026", "--out",
                   str(tmp_path / "x.pdf"))  # fmt: skip
    assert done.returncode == 2
    assert "999 000 0026" in done.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_smoke_builds_the_main_window(ward_url: str) -> None:
    done = run_app(ward_url, "--smoke")
    assert done.returncode == 0, done.stderr


def test_a_database_newer_than_the_code_is_refused_untouched(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        db.execute("INSERT INTO alembic_version VALUES ('ffffffffffff')")
    before = path.read_bytes()
    done = run_app(f"sqlite:///{path}", "--smoke")
    assert done.returncode != 0
    assert "newer" in done.stderr
    assert "Traceback" not in done.stderr
    assert path.read_bytes() == before


def test_a_malformed_product_table_is_refused_with_its_line(ward_url: str, tmp_path: Path) -> None:
    products = tmp_path / "products.json"
    products.write_text('{"format": 1,\n "products": [\n  {"code": }\n]}\n', encoding="utf-8")
    done = run_app(ward_url, "--smoke", env={"CARWARD_PRODUCTS_FILE": str(products)})
    assert done.returncode == 2
    assert "line 3" in done.stderr
    assert "Traceback" not in done.stderr
