"""GUI responsiveness (issue 4 "Benchmark").

1. Process start to the first painted ward board on the demo ward, against a bare PySide6
   window with a 30-row table measured in the same run (target: ratio ≤ 2.0), and the floor
   under that target: the bare window after importing SQLAlchemy's ORM and the ward models.
2. Switching patient and redrawing the trajectories for a 28-day, 6-per-day record
   (target ≤ 100 ms), against reading that patient's timeline alone.
Runs offscreen; each start-up is a fresh process (one QApplication per process).

The board process takes the real start path of `python -m app --smoke` (app.cli: logging,
product table, `open_database` with its schema check, then the main window). Both
processes run with a bytecode cache (a private PYTHONPYCACHEPREFIX, warmed by one
unmeasured start each), as an installed program has: the development environment sets
PYTHONDONTWRITEBYTECODE, which would otherwise charge only the board process for
compiling the project's sources on every start.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import BenchResult, median_seconds

ROOT = Path(__file__).resolve().parent.parent
STARTS = 3
SWITCHES = 10

BOARD = """
import sys
from app.cli import open_context
from app.logging_setup import configure_logging
configure_logging()
ctx = open_context(sys.argv[1])
from app.gui import _application, build_main_window, VIEWER
app = _application()
window = build_main_window(ctx, VIEWER, synchronous=True)
window.show()
app.processEvents()
window.grab()
print("painted", window.board.model.rowCount(), flush=True)
"""

BARE = """
from PySide6.QtWidgets import QApplication, QMainWindow, QTableWidget, QTableWidgetItem
app = QApplication([])
window = QMainWindow()
table = QTableWidget(30, 10)
for row in range(30):
    for column in range(10):
        table.setItem(row, column, QTableWidgetItem(f"{row}.{column}"))
window.setCentralWidget(table)
window.resize(1400, 860)
window.show()
app.processEvents()
window.grab()
print("painted", table.rowCount(), flush=True)
"""


# The floor under the start-up target: the bare window, plus importing the data layer every
# read and write goes through (SQLAlchemy 2's ORM and the ward models), and nothing else of
# the application. While this alone exceeds 2.0 × the bare window, no start path that reads
# the board through the ORM can meet the ratio (issue 4; README "Performance").
FLOOR = "import db.models\n" + BARE


def _time_to_paint(script: str, *args: str, pycache: Path) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPYCACHEPREFIX": str(pycache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=ROOT, env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - start
    _out, err = process.communicate(timeout=120)
    if not line.startswith("painted"):
        raise RuntimeError(f"start-up benchmark failed: {err[-2000:]}")
    return elapsed


def _demo_database(folder: Path) -> str:
    from app.context import AppContext
    from app.demo import seed_demo_ward
    from db.migrate import open_database
    from db.url import sqlite_url

    url = sqlite_url(folder / "demo.sqlite3")
    ctx = AppContext(open_database(url))
    seed_demo_ward(ctx)
    ctx.database.dispose()
    return url


def _long_record(ctx: Any, nhs: str, family: str, bed: str, infused_at: datetime) -> int:
    """One episode with 6 observation sets a day over days 0-28 (about 170 assessments)."""
    from app.actor import SYSTEM_ACTOR
    from app.services import patients
    from app.services.assessments import record_assessment
    from app.services.tocilizumab import record_infusion

    actor = SYSTEM_ACTOR
    patient = patients.register_patient(
        ctx, actor, nhs_number=nhs, hospital_number=None, family_name=family,
        given_name="Bench", date_of_birth=date(1965, 4, 2), sex="male")
    episode = patients.register_episode(
        ctx, actor, patient.id, product_code="axicabtagene_ciloleucel",
        planned_infusion_date=infused_at.date(), weight_kg=80.0, consultant="Dr Bench",
        ward=ctx.ward, bed=bed)
    record_infusion(ctx, actor, episode.id, infused_at=infused_at, override_reason="bench")
    confirm = {"assessed_at": "bench history", "ice_score": "bench history"}
    for number in range(29 * 6):
        at = infused_at + timedelta(hours=1 + 4 * number)
        if (at.date() - infused_at.date()).days > 28:  # RULES T2 window (UTC = London here)
            break
        fever = 4 <= number // 6 <= 9
        values = {
            "assessed_at": at, "temperature_c": 38.6 if fever else 37.1,
            "heart_rate": 105 if fever else 82, "systolic_bp": 112, "diastolic_bp": 68,
            "respiratory_rate": 18, "spo2_percent": 95,
            "oxygen_device": "nasal_cannula" if fever else "none",
            "oxygen_flow_l_min": 2.0 if fever else None, "acvpu": "alert",
            "hypotension": False, "ice_score": 9 if fever else 10,
            "consciousness": "awakens_spontaneously", "seizure": "none",
            "motor_weakness": "none", "cerebral_edema": "none",
        }
        values = {k: v for k, v in values.items() if v is not None}
        record_assessment(ctx, actor, episode.id, values, confirmations=confirm)
    return int(episode.id)


def _switch_benchmark(folder: Path) -> tuple[float, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.context import AppContext
    from app.gui import VIEWER, _application, build_main_window
    from app.services.ward import patient_timeline
    from db.migrate import open_database
    from db.url import sqlite_url
    from widgets.patient_view import TAB_TRAJECTORIES

    infused_at = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    now = infused_at + timedelta(days=28, hours=23)
    ctx = AppContext(open_database(sqlite_url(folder / "long.sqlite3")), clock=lambda: now)
    first = _long_record(ctx, "9990000018", "First", "1", infused_at)
    second = _long_record(ctx, "9990000026", "Second", "2", infused_at)
    app = _application()
    window = build_main_window(ctx, VIEWER, synchronous=True)
    window.show()
    window.open_episode(first)
    window.patient_view.tabs.setCurrentIndex(TAB_TRAJECTORIES)
    app.processEvents()
    samples = []
    for number in range(SWITCHES):
        target = second if number % 2 == 0 else first
        start = time.perf_counter()
        window.open_episode(target)
        window.patient_view.tabs.setCurrentIndex(TAB_TRAJECTORIES)
        window.patient_view.trajectories.graphics.grab()  # paint the redrawn plots
        samples.append(time.perf_counter() - start)
    read_only = median_seconds(lambda: patient_timeline(ctx, VIEWER, first), SWITCHES)
    window.close()
    ctx.database.dispose()
    return statistics.median(samples), read_only


def run() -> list[BenchResult]:
    with tempfile.TemporaryDirectory(prefix="carward-bench-gui-") as name:
        folder = Path(name)
        url = _demo_database(folder)
        pycache = folder / "pycache"
        _time_to_paint(BARE, pycache=pycache)  # warm-up: bytecode cache, file cache
        _time_to_paint(BOARD, url, pycache=pycache)
        _time_to_paint(FLOOR, pycache=pycache)
        bare = statistics.median(_time_to_paint(BARE, pycache=pycache) for _ in range(STARTS))
        board = statistics.median(
            _time_to_paint(BOARD, url, pycache=pycache) for _ in range(STARTS))
        floor = statistics.median(_time_to_paint(FLOOR, pycache=pycache) for _ in range(STARTS))
        switch, read_only = _switch_benchmark(folder)
    return [
        BenchResult(
            name="start to first painted ward board (demo ward)", value=board, unit="s",
            baseline_name="bare PySide6 window with a 30-row table", baseline_value=bare,
            target="ratio ≤ 2.0", met=board / bare <= 2.0,
        ),
        BenchResult(
            name="floor: bare window + importing the ORM and ward models (no app code)",
            value=floor, unit="s", baseline_name="bare PySide6 window with a 30-row table",
            baseline_value=bare, target="ratio ≤ 2.0 (else the start-up target is out of reach)",
            met=floor / bare <= 2.0,
        ),
        BenchResult(
            name="switch patient + redraw trajectories (28 days × 6/day)", value=switch,
            unit="s", baseline_name="read that patient's timeline only",
            baseline_value=read_only, target="≤ 0.100 s", met=switch <= 0.100,
        ),
    ]


if __name__ == "__main__":
    for result in run():
        print(f"{result.name}: {result.value:.3f} {result.unit} "
              f"({result.baseline_name}: {result.baseline_value:.3f}; ratio {result.ratio:.2f}; "
              f"target {result.target}: {'met' if result.met else 'NOT met'})")
