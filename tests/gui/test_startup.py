"""Start-up in a subprocess (one QApplication per process), and the screenshot command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.context import AppContext
from app.gui import screenshots
from app.services.assessments import record_assessment
from db.engine import Database
from tests.fakes import FakeClock
from tests.gui.conftest import NURSE, make_episode
from tests.gui.test_escalation import ICANS2

pytestmark = pytest.mark.gui

SMOKE = """
import sys
from app.context import AppContext
from app.gui import smoke
from db.engine import Database
db = Database(sys.argv[1])
code = smoke(AppContext(db))
db.dispose()
sys.exit(code)
"""


def test_smoke_builds_the_window_in_a_fresh_process(sqlite_db_url: str) -> None:
    from datetime import date

    database = Database(sqlite_db_url)
    try:
        make_episode(AppContext(database, clock=FakeClock()), nhs="9990000018",
                     family="Smith", given="Anna", dob=date(1970, 5, 1), bed="3")
    finally:
        database.dispose()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", SMOKE, sqlite_db_url], capture_output=True, text=True,
        timeout=120, env=env, cwd=Path(__file__).resolve().parents[2], check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    # The main window never needs pyqtgraph until a patient's trajectories are shown.
    check = subprocess.run(
        [sys.executable, "-c",
         "import sys, app.gui, widgets.main_window; "
         "sys.exit('pyqtgraph' in sys.modules)"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )
    assert check.returncode == 0, "pyqtgraph must be imported lazily"


def test_screenshots_of_the_main_screens(
    gui_ctx: AppContext, ward: Any, tmp_path: Path, qapp: Any
) -> None:
    record_assessment(gui_ctx, NURSE, ward.adult, {**ICANS2, "assessed_at": gui_ctx.clock()})
    paths = screenshots(gui_ctx, tmp_path)
    names = sorted(p.name for p in paths)
    assert names == sorted([
        "ward_board.png", "alerts.png", "assessment_form.png", "trajectories.png",
        "escalation_dialog.png", "trend_grid.png",
    ])
    for path in paths:
        assert path.read_bytes()[:4] == b"\x89PNG" and path.stat().st_size > 10_000
