"""Peak RSS of the app with the 10,000-patient database open vs a bare PySide6 window.

Each side runs in its own subprocess (QT_QPA_PLATFORM=offscreen) and reports its own
peak resident set size (VmHWM in /proc/self/status) after the window is built and painted.
Not getrusage's ru_maxrss: Linux carries that across execve, so a child started by a large
parent (this bench runner, after the 10,000-patient benchmarks) would report the parent's peak.
- app: the main window (app.gui.build_main_window, synchronous executor) on the cached
  10,000-patient history (bench.record.history_path: 1.74 M assessments);
- baseline: a QApplication with an empty QMainWindow, shown and painted.
No absolute target is portable; the target is a ratio: the app at most 4× a bare window.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.common import BenchResult

TARGET_RATIO = 4.0
ROOT = Path(__file__).resolve().parents[1]

_APP = """
import sys
from app.context import AppContext
from app.gui import VIEWER, _application, build_main_window
from bench.record import fixed_clock
from db.engine import Database
from db.url import sqlite_url
app = _application()
ctx = AppContext(Database(sqlite_url(sys.argv[1])), clock=fixed_clock)
window = build_main_window(ctx, VIEWER, synchronous=True)
window.show()
for _ in range(5):
    app.processEvents()
window.grab()
print(next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")))
"""

_BARE = """
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.resize(1280, 800)
window.show()
for _ in range(5):
    app.processEvents()
window.grab()
print(next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")))
"""


def _peak_mb(code: str, *args: str) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return int(out.stdout.strip().splitlines()[-1]) / 1024  # VmHWM is in KiB


def run() -> list[BenchResult]:
    from bench.record import history_path

    path = history_path()
    app_mb = _peak_mb(_APP, str(path))
    bare_mb = _peak_mb(_BARE)
    return [
        BenchResult(
            "peak RSS, main window with the 10,000-patient database open",
            app_mb,
            "MB",
            "bare PySide6 QMainWindow",
            bare_mb,
            f"ratio ≤ {TARGET_RATIO:g}",
            app_mb / bare_mb <= TARGET_RATIO,
        )
    ]


if __name__ == "__main__":
    for r in run():
        print(
            f"{r.name}: {r.value:.1f} MB vs {r.baseline_name} {r.baseline_value:.1f} MB "
            f"(ratio {r.ratio:.2f}; target {r.target}; met {r.met})"
        )
