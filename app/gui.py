"""QApplication bootstrap (ARCHITECTURE: `app/` may hold it in its own module).

- `run_gui(ctx, demo=False, *, actor=None, login=None, dialogs=None) -> int`: the ward
  application. By default a `widgets.session_shell.SessionShell` runs the session: the
  first-administrator set-up on an empty record, the login, the idle lock
  (CARWARD_IDLE_MINUTES, default 5) and "switch user". A caller may instead pass an Actor
  (or a `login` callable returning one, or None to quit) to skip the shell.
- `smoke(ctx) -> int`: build the main window on the database, render it once, exit 0.
- `screenshots(ctx, out_dir) -> list[Path]`: PNGs of the main screens on the current
  database (the CLI seeds the demo ward first).

Widgets are imported inside the functions so `python -m app export` never loads Qt.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.actor import Actor, Role
from app.context import AppContext

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QWidget

    from widgets.main_window import MainWindow

# Smoke and screenshot runs only read; they act as a named, non-privileged viewer.
VIEWER = Actor(user_id=None, username="screenshot", role=Role.HAEMATOLOGIST,
               workstation="screenshot")
PHARMACY_VIEWER = Actor(user_id=None, username="screenshot", role=Role.PHARMACIST,
                        workstation="screenshot")


def _application() -> QApplication:
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    app.setApplicationName("CAR-T ward monitor")
    app.setOrganizationName("carward")
    style = Path(__file__).resolve().parent.parent / "resources" / "style.qss"
    if style.exists():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    return app


def build_main_window(
    ctx: AppContext, actor: Actor, *, synchronous: bool, dialogs: Any = None,
    settings: Any = None, demo: bool = False, poll_ms: int | None = None,
) -> MainWindow:
    from app.executor import BackgroundExecutor, SyncExecutor
    from widgets.main_window import POLL_MS, MainWindow

    executor: Any = SyncExecutor() if synchronous else BackgroundExecutor()
    window = MainWindow(
        ctx, actor, executor, dialogs=dialogs, settings=settings, demo=demo,
        poll_ms=(0 if synchronous else POLL_MS) if poll_ms is None else poll_ms,
    )
    window.refresh()
    return window


def window_factory(ctx: AppContext, *, demo: bool = False, dialogs: Any = None,
                   synchronous: bool = False, settings: Any = None,
                   poll_ms: int | None = None) -> Callable[[Actor], MainWindow]:
    """How the session builds the main window for each user who logs in."""

    def make(actor: Actor) -> MainWindow:
        hooks = dialogs
        if hooks is None:
            from widgets.dialogs import Dialogs

            hooks = Dialogs(ctx, actor)
        return build_main_window(ctx, actor, synchronous=synchronous, dialogs=hooks,
                                 settings=settings, demo=demo, poll_ms=poll_ms)

    return make


def run_gui(
    ctx: AppContext,
    demo: bool = False,
    *,
    actor: Actor | None = None,
    login: Callable[[], Actor | None] | None = None,
    dialogs: Any = None,
) -> int:
    import socket

    from app.ui_settings import UiSettings
    from widgets.session_shell import SessionShell, idle_minutes_from_env

    idle_minutes = idle_minutes_from_env()  # a bad value stops here, before any window
    app = _application()
    make = window_factory(ctx, demo=demo, dialogs=dialogs, settings=UiSettings())
    if actor is None and login is not None:
        actor = login()
        if actor is None:
            return 0  # the user closed the login dialog
    if actor is not None:
        window = make(actor)
        window.show()
        code = int(app.exec())
        window.executor.shutdown()
        return code
    shell = SessionShell(ctx, make, workstation=socket.gethostname(),
                         idle_minutes=idle_minutes)
    if not shell.start():
        return 0  # set-up or login cancelled: nothing to do
    code = int(app.exec())
    shell.shutdown()
    return code


def smoke(ctx: AppContext) -> int:
    """Build the main window with the ward loaded, paint it once offscreen-safe, exit 0."""
    app = _application()
    window = build_main_window(ctx, VIEWER, synchronous=True)
    window.show()
    app.processEvents()
    image = window.grab()
    ok = not image.isNull() and window.board.model.rowCount() >= 0
    window.close()
    return 0 if ok else 1


def _save(widget: QWidget, path: Path) -> Path:
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path


def screenshots(ctx: AppContext, out_dir: Path, *, extras: bool = False) -> list[Path]:
    """Board, assessment form with live preview, trajectories, escalation dialog, trend grid;
    with `extras` also the handover in the print preview and the pharmacist's stock page
    (the print is audited like any other)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = _application()
    from widgets.main_window import TAB_ALERTS, TAB_BOARD, TAB_TRENDS
    from widgets.patient_view import TAB_TRAJECTORIES

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    from widgets.dialogs import Dialogs

    window = build_main_window(ctx, VIEWER, synchronous=True, dialogs=Dialogs(ctx, VIEWER))
    window.resize(1500, 900)
    window.show()
    app.processEvents()
    paths: list[Path] = []
    window.tabs.setCurrentIndex(TAB_BOARD)
    app.processEvents()
    paths.append(_save(window, out_dir / "ward_board.png"))
    window.tabs.setCurrentIndex(TAB_ALERTS)
    app.processEvents()
    paths.append(_save(window, out_dir / "alerts.png"))

    rows = window.ward_rows
    if rows:
        # The most eventful patient: an open critical-care alert, else the highest grade.
        def interest(row: Any) -> tuple[int, int]:
            critical = any(a.kind == "critical_care" for a in row.open_alerts)
            return (int(critical), (row.max_crs_grade or 0) + (row.max_icans_grade or 0))

        chosen = max(rows, key=interest)
        window.open_episode(chosen.episode_id)
        app.processEvents()
        form = window.patient_view.form
        if form is not None:
            values: dict[str, Any] = {
                "temperature_c": 38.7, "heart_rate": 118, "systolic_bp": 88,
                "diastolic_bp": 52, "respiratory_rate": 22, "spo2_percent": 93,
                "oxygen_device": "nasal_cannula", "oxygen_flow_l_min": 3.0, "acvpu": "alert",
            }
            if form.uses_capd:
                values["capd_items"] = {i.value: "sometimes" for i in form.capd_items}
            else:
                values["ice_items"] = {"orientation": 3, "naming": 3,
                                       "following_commands": 1, "writing": 0}
            values["assessed_at"] = ctx.clock()
            form.set_values(values)
            app.processEvents()
        paths.append(_save(window, out_dir / "assessment_form.png"))
        if form is not None:
            form.clear()
        window.patient_view.tabs.setCurrentIndex(TAB_TRAJECTORIES)
        app.processEvents()
        paths.append(_save(window, out_dir / "trajectories.png"))
        header = window.patient_view.header
        alert = next((a for a in header.open_alerts if a.kind == "critical_care"), None) \
            if header else None
        if alert is not None:
            dialog = window.record_discussion_for(alert)
            dialog.set_values("Dr A Patel, ICU registrar", "stay_with_plan",
                              "Neuro obs hourly; dexamethasone 10 mg given; review 18:00")
            app.processEvents()
            paths.append(_save(dialog, out_dir / "escalation_dialog.png"))
            dialog.reject()
    window.tabs.setCurrentIndex(TAB_TRENDS)
    app.processEvents()
    paths.append(_save(window, out_dir / "trend_grid.png"))
    if not extras:
        window.close()
        return paths

    # The handover sheet in the print preview (built once, audited as a print).
    from app.reports.handover import build_handover_pdf

    data = build_handover_pdf(ctx, VIEWER, ward=None, printed_by=VIEWER.label)
    preview = window.show_pdf(data, "Ward handover", "handover.pdf")
    preview.resize(1300, 900)
    from PySide6.QtTest import QTest

    QTest.qWait(800)  # QPdfView renders its pages on a worker thread
    paths.append(_save(preview, out_dir / "print_preview.png"))
    preview.close()
    window.close()

    # What a pharmacist lands on: the stock panel, no patient data.
    pharmacy = build_main_window(ctx, PHARMACY_VIEWER, synchronous=True)
    pharmacy.resize(1300, 760)
    pharmacy.show()
    app.processEvents()
    paths.append(_save(pharmacy, out_dir / "stock_panel.png"))
    pharmacy.close()
    return paths
